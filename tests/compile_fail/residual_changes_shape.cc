// expect: staticnn: a Residual's main path must give back its input shape
// expect: residual_changes_shape<staticnn::error::layer_index<2>, staticnn::Residual<.*staticnn::error::input_chw<8, 6, 6>, staticnn::error::output_chw<16, 6, 6>
//
// A ResNet block whose convolution doubles the channels without a projection
// shortcut. The twin adds Shortcut<Conv2d 1x1>.
#include "staticnn/staticnn.hpp"

namespace nn = staticnn;

using Wide = nn::Conv2d<{.out_channels = 16, .kernel_size = 3, .padding = 1}>;
#ifdef STATICNN_TWIN
using Net = nn::Network<nn::Input<3, 6, 6>, nn::Conv2d<{.out_channels = 8, .kernel_size = 1}>, nn::ReLU,
                        nn::Residual<nn::Main<Wide, nn::ReLU>,
                                     nn::Shortcut<nn::Conv2d<{.out_channels = 16, .kernel_size = 1}>>>>;
static_assert(Net::output_shape == nn::Shape{16, 6, 6});
#else
using Net = nn::Network<nn::Input<3, 6, 6>, nn::Conv2d<{.out_channels = 8, .kernel_size = 1}>, nn::ReLU,
                        nn::Residual<Wide, nn::ReLU>>;
#endif
[[maybe_unused]] constexpr bool kValid = Net::valid;
