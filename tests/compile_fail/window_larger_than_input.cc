// expect: staticnn: the window is larger than the padded input: need F = dilation\*\(kernel-1\)\+1 <= W1 \+ 2P
// expect: window_larger_than_input<staticnn::error::layer_index<3>, staticnn::Conv2d<.*, staticnn::error::input_chw<6, 6, 6>, staticnn::error::along<'H'>, staticnn::error::W1<6>, staticnn::error::F<7>, staticnn::error::P<0>
//
// Two poolings shrink 24x24 to 6x6; a 7x7 kernel no longer fits. The twin pads
// by 1: (6 - 7 + 2) / 1 + 1 = 2.
#include "staticnn/staticnn.hpp"

namespace nn = staticnn;

#ifdef STATICNN_TWIN
using Net = nn::Network<nn::Input<1, 28, 28>,
                        nn::Conv2d<{.out_channels = 6, .kernel_size = 5}>,  // 6x24x24
                        nn::MaxPool2d<{.kernel_size = 2}>,                  // 6x12x12
                        nn::MaxPool2d<{.kernel_size = 2}>,                  // 6x6x6
                        nn::Conv2d<{.out_channels = 8, .kernel_size = 7, .padding = 1}>>;
static_assert(Net::output_shape == nn::Shape{8, 2, 2});
#else
using Net = nn::Network<nn::Input<1, 28, 28>,
                        nn::Conv2d<{.out_channels = 6, .kernel_size = 5}>,  // 6x24x24
                        nn::MaxPool2d<{.kernel_size = 2}>,                  // 6x12x12
                        nn::MaxPool2d<{.kernel_size = 2}>,                  // 6x6x6
                        nn::Conv2d<{.out_channels = 8, .kernel_size = 7}>>;
#endif
[[maybe_unused]] constexpr bool kValid = Net::valid;
