// expect: int8::Network: a Residual or Concat inside a Residual's path has no int8 Forward yet
//
// int8 Forward gives a Residual's main path two buffers and its shortcut one
// (a third holds the block's input): a Residual inside a path would need more.
// The twin puts the two Residuals one after the other.
#include "staticnn/int8/network.hpp"
#include "staticnn/staticnn.hpp"

namespace nn = staticnn;

using Conv = nn::Conv2d<{.out_channels = 4, .kernel_size = 3, .padding = 1}>;
#ifdef STATICNN_TWIN
using Net = nn::Network<nn::Input<4, 8, 8>, nn::Residual<Conv, nn::ReLU, Conv>, nn::ReLU,
                        nn::Residual<Conv>>;
#else
using Net = nn::Network<nn::Input<4, 8, 8>,
                        nn::Residual<Conv, nn::ReLU, nn::Residual<Conv>>>;
#endif
[[maybe_unused]] constexpr auto kFlash = nn::int8::Network<Net>::flash_bytes;
