// expect: staticnn: \(W1 - F \+ 2P\) / S \+ 1 is not an integer: the window does not tile the input
// expect: window_does_not_tile_input<staticnn::error::layer_index<1>, staticnn::Conv2d<.*, staticnn::error::input_chw<3, 7, 7>, staticnn::error::along<'H'>, staticnn::error::W1<7>, staticnn::error::F<3>, staticnn::error::P<0>, staticnn::error::S<3>
//
// The lecture's example: a 3x3 filter with stride 3 on a 7x7 input would give
// (7 - 3) / 3 + 1 = 2.33 outputs per row. The twin uses stride 2: 3x3.
#include "staticnn/staticnn.hpp"

namespace nn = staticnn;

#ifdef STATICNN_TWIN
using Net = nn::Network<nn::Input<3, 9, 9>,
                        nn::Conv2d<{.out_channels = 3, .kernel_size = 3}>,  // 3x7x7
                        nn::Conv2d<{.out_channels = 4, .kernel_size = 3, .stride = 2}>>;
static_assert(Net::output_shape == nn::Shape{4, 3, 3});
#else
using Net = nn::Network<nn::Input<3, 9, 9>,
                        nn::Conv2d<{.out_channels = 3, .kernel_size = 3}>,  // 3x7x7
                        nn::Conv2d<{.out_channels = 4, .kernel_size = 3, .stride = 3}>>;
#endif
[[maybe_unused]] constexpr bool kValid = Net::valid;
