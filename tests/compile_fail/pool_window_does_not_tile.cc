// expect: staticnn: \(W1 - F \+ 2P\) / S \+ 1 is not an integer: the window does not tile the input
// expect: window_does_not_tile_input<staticnn::error::layer_index<2>, staticnn::MaxPool2d<.*, staticnn::error::input_chw<4, 8, 7>, staticnn::error::along<'W'>, staticnn::error::W1<7>, staticnn::error::F<2>, staticnn::error::P<0>, staticnn::error::S<2>
//
// MaxPool2d(2) on an odd width: 7 / 2. PyTorch silently drops the last column;
// here that takes `.rounding = staticnn::Rounding::floor`, which the twin uses.
#include "staticnn/staticnn.hpp"

namespace nn = staticnn;

#ifdef STATICNN_TWIN
using Net = nn::Network<nn::Input<1, 8, 7>,
                        nn::Conv2d<{.out_channels = 4, .kernel_size = 3, .padding = 1}>,
                        nn::ReLU,
                        nn::MaxPool2d<{.kernel_size = 2, .rounding = nn::Rounding::floor}>>;
static_assert(Net::output_shape == nn::Shape{4, 4, 3});
#else
using Net = nn::Network<nn::Input<1, 8, 7>,
                        nn::Conv2d<{.out_channels = 4, .kernel_size = 3, .padding = 1}>,
                        nn::ReLU,
                        nn::MaxPool2d<{.kernel_size = 2}>>;
#endif
[[maybe_unused]] constexpr bool kValid = Net::valid;
