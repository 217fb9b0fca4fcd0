// expect: int8::Network: a Residual or Concat inside a Concat's branch has no int8 Forward yet
//
// int8 Forward runs a Concat's branches in the two buffers that hold neither
// its input nor its output: a block inside a branch would need more. The twin
// puts the Residual after the Concat.
#include "staticnn/int8/network.hpp"
#include "staticnn/staticnn.hpp"

namespace nn = staticnn;

using Conv = nn::Conv2d<{.out_channels = 4, .kernel_size = 3, .padding = 1}>;
#ifdef STATICNN_TWIN
using Net = nn::Network<nn::Input<4, 8, 8>, nn::Concat<nn::Branch<Conv>, nn::Branch<Conv, nn::ReLU>>,
                        nn::Residual<nn::Conv2d<{.out_channels = 8, .kernel_size = 1}>>>;
#else
using Net = nn::Network<nn::Input<4, 8, 8>,
                        nn::Concat<nn::Branch<nn::Residual<Conv>, Conv>, nn::Branch<Conv, nn::ReLU>>>;
#endif
[[maybe_unused]] constexpr auto kFlash = nn::int8::Network<Net>::flash_bytes;
