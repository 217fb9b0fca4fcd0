// Optimizer state: plain arrays shaped like the parameters, so that training
// state too can live in static storage. The update kernels are in
// kernels/optimizer-inl.h; staticnn::step() applies them.
#pragma once

#include "staticnn/optimizer_options.hpp"
#include "staticnn/storage.hpp"

namespace staticnn {

// torch.optim.SGD: momentum, weight decay (L2 added to the gradient).
template <class Net>
struct Sgd {
  SgdOptions options;
  typename Net::Gradients velocity{};  // zero: PyTorch starts the buffer at the first gradient
};

// torch.optim.Adam.
template <class Net>
struct Adam {
  AdamOptions options;
  typename Net::Gradients m{}, v{};
  int step = 0;
};

}  // namespace staticnn
