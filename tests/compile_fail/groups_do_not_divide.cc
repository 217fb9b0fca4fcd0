// expect: staticnn: in_channels and out_channels must both be divisible by groups
// expect: channels_not_divisible_by_groups<staticnn::error::layer_index<0>, staticnn::Conv2d<.*, staticnn::error::input_chw<3, 8, 8>, staticnn::error::in_channels<3>, staticnn::error::out_channels<4>, staticnn::error::groups<2>
//
// 3 input channels cannot be split into 2 groups. The twin uses 3 groups and
// 6 output channels (2 filters per group).
#include "staticnn/staticnn.hpp"

namespace nn = staticnn;

#ifdef STATICNN_TWIN
using Net = nn::Network<nn::Input<3, 8, 8>,
                        nn::Conv2d<{.out_channels = 6, .kernel_size = 3, .groups = 3}>>;
static_assert(Net::output_shape == nn::Shape{6, 6, 6});
static_assert(Net::param_count == 6 * 1 * 3 * 3 + 6);
#else
using Net = nn::Network<nn::Input<3, 8, 8>,
                        nn::Conv2d<{.out_channels = 4, .kernel_size = 3, .groups = 2}>>;
#endif
[[maybe_unused]] constexpr bool kValid = Net::valid;
