// expect: int8::Network: a Residual's shortcut runs at most one Conv2d or pool in int8 \(its output has one buffer\)
//
// A projection shortcut of two convolutions: int8 Forward has one buffer for
// the shortcut's output (ResNet's projection is one 1x1 convolution). The
// twin's shortcut is that one convolution.
#include "staticnn/int8/network.hpp"
#include "staticnn/staticnn.hpp"

namespace nn = staticnn;

using Conv = nn::Conv2d<{.out_channels = 8, .kernel_size = 3, .padding = 1}>;
using Projection = nn::Conv2d<{.out_channels = 8, .kernel_size = 1}>;
#ifdef STATICNN_TWIN
using Net = nn::Network<nn::Input<4, 8, 8>,
                        nn::Residual<nn::Main<Conv, nn::ReLU, Conv>, nn::Shortcut<Projection>>>;
#else
using Net = nn::Network<nn::Input<4, 8, 8>,
                        nn::Residual<nn::Main<Conv, nn::ReLU, Conv>,
                                     nn::Shortcut<Projection, nn::ReLU, Projection>>>;
#endif
[[maybe_unused]] constexpr auto kFlash = nn::int8::Network<Net>::flash_bytes;
