// Optimizer state: plain arrays shaped like the parameters, kept apart from
// the options (optimizer_options.hpp). A state is all zeros until the first
// step, so a static one is zero-initialised and lands in .bss (no bytes in
// the binary); the options, small and non-zero, travel with it in an
// Optimizer, which train_step/step take:
//
//   static nn::AdamState<Net> adam_state;                          // .bss
//   nn::Optimizer adamw{nn::AdamWOptions{.lr = 1e-3f}, adam_state};
//   nn::train_step<Net, 64>(params, grads, adamw, ws, x, labels);
//   adamw.options.lr = schedule.lr(step);   // schedules.hpp
//
// The update kernels are in kernels/optimizer-inl.h; staticnn::step() applies
// them (optimizer_steps-inl.h).
#pragma once

#include <cstdint>

#include "staticnn/optimizer_options.hpp"
#include "staticnn/storage.hpp"

namespace staticnn {

// torch.optim.SGD's momentum_buffer (unused without momentum) and the number
// of steps taken (the first is not dampened).
template <class Net>
struct SgdState {
  typename Net::Gradients velocity;
  std::int64_t step;
};

// torch.optim.Adam's and AdamW's exp_avg, exp_avg_sq, max_exp_avg_sq (read
// and written with amsgrad only, but always there: the options, which say
// whether it is used, are a run-time value) and step count.
template <class Net>
struct AdamState {
  typename Net::Gradients m, v, max_v;
  std::int64_t step;
};

// torch.optim.RMSprop's square_avg, grad_avg (centered only) and
// momentum_buffer (momentum > 0 only).
template <class Net>
struct RmspropState {
  typename Net::Gradients square_avg, grad_avg, momentum_buffer;
};

// Options and a reference to the state they drive.
template <class Options, class State>
struct Optimizer {
  Options options;
  State& state;
};
template <class Options, class State>
Optimizer(Options, State&) -> Optimizer<Options, State>;

// Options and state in one object, convenient on the stack or in a test. A
// static instance is initialised with non-zero options, so all of it
// (parameter-sized state included) lands in .data: for static storage use
// the State types above with an Optimizer.
template <class Net>
struct Sgd {
  SgdOptions options;
  typename Net::Gradients velocity{};  // zero: PyTorch starts the buffer at the first gradient
  std::int64_t step = 0;
};

template <class Net>
struct Adam {
  AdamOptions options;
  typename Net::Gradients m{}, v{}, max_v{};
  std::int64_t step = 0;
};

}  // namespace staticnn
