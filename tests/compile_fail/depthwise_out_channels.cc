// expect: staticnn: in_channels and out_channels must both be divisible by groups
// expect: channels_not_divisible_by_groups<staticnn::error::layer_index<1>, staticnn::Conv2d<.*, staticnn::error::input_chw<8, 6, 6>, staticnn::error::in_channels<8>, staticnn::error::out_channels<12>, staticnn::error::groups<8>
//
// A depthwise convolution (groups = in_channels = 8) whose out_channels (12)
// is not a multiple of 8. The twin uses 16 (a channel multiplier of 2).
#include "staticnn/staticnn.hpp"

namespace nn = staticnn;

#ifdef STATICNN_TWIN
using Net = nn::Network<nn::Input<3, 8, 8>,
                        nn::Conv2d<{.out_channels = 8, .kernel_size = 3}>,  // 8x6x6
                        nn::Conv2d<{.out_channels = 16, .kernel_size = 3, .padding = 1,
                                    .groups = 8}>>;
static_assert(Net::output_shape == nn::Shape{16, 6, 6});
#else
using Net = nn::Network<nn::Input<3, 8, 8>,
                        nn::Conv2d<{.out_channels = 8, .kernel_size = 3}>,  // 8x6x6
                        nn::Conv2d<{.out_channels = 12, .kernel_size = 3, .padding = 1,
                                    .groups = 8}>>;
#endif
[[maybe_unused]] constexpr bool kValid = Net::valid;
