// expect: staticnn: the window is larger than the padded input
// expect: window_larger_than_input<staticnn::error::layer_index<3>, staticnn::AvgPool2d<.*, staticnn::error::input_chw<16, 2, 2>, staticnn::error::along<'H'>, staticnn::error::W1<2>, staticnn::error::F<3>, staticnn::error::P<0>
//
// One pooling too many: a 3x3 average pool on a 2x2 map. The twin uses
// GlobalAvgPool2d.
#include "staticnn/staticnn.hpp"

namespace nn = staticnn;

#ifdef STATICNN_TWIN
using Net = nn::Network<nn::Input<3, 8, 8>,
                        nn::Conv2d<{.out_channels = 16, .kernel_size = 3, .padding = 1}>,
                        nn::MaxPool2d<{.kernel_size = 2}>,  // 16x4x4
                        nn::MaxPool2d<{.kernel_size = 2}>,  // 16x2x2
                        nn::GlobalAvgPool2d>;
static_assert(Net::output_shape == nn::Shape{16, 1, 1});
#else
using Net = nn::Network<nn::Input<3, 8, 8>,
                        nn::Conv2d<{.out_channels = 16, .kernel_size = 3, .padding = 1}>,
                        nn::MaxPool2d<{.kernel_size = 2}>,  // 16x4x4
                        nn::MaxPool2d<{.kernel_size = 2}>,  // 16x2x2
                        nn::AvgPool2d<{.kernel_size = 3}>>;
#endif
[[maybe_unused]] constexpr bool kValid = Net::valid;
