// expect: staticnn: the window is larger than the padded input: need F = dilation\*\(kernel-1\)\+1 <= W1 \+ 2P
// expect: window_larger_than_input<staticnn::error::layer_index<0>, staticnn::Conv2d<.*, staticnn::error::input_chw<2, 6, 6>, staticnn::error::along<'H'>, staticnn::error::W1<6>, staticnn::error::F<7>, staticnn::error::P<0>
//
// A 3x3 kernel with dilation 3 spans F = 3 * (3 - 1) + 1 = 7 > 6: the error
// shows the effective window F, not the kernel size. The twin uses dilation 2
// (F = 5): (6 - 5) / 1 + 1 = 2.
#include "staticnn/staticnn.hpp"

namespace nn = staticnn;

#ifdef STATICNN_TWIN
using Net = nn::Network<nn::Input<2, 6, 6>,
                        nn::Conv2d<{.out_channels = 4, .kernel_size = 3, .dilation = 2}>>;
static_assert(Net::output_shape == nn::Shape{4, 2, 2});
#else
using Net = nn::Network<nn::Input<2, 6, 6>,
                        nn::Conv2d<{.out_channels = 4, .kernel_size = 3, .dilation = 3}>>;
#endif
[[maybe_unused]] constexpr bool kValid = Net::valid;
