// expect: staticnn: pooling padding must be at most half the kernel size \(P <= F / 2\)
// expect: pool_padding_too_large<staticnn::error::layer_index<0>, staticnn::AvgPool2d<.*, staticnn::error::input_chw<2, 5, 6>, staticnn::error::along<'W'>, staticnn::error::P<2>, staticnn::error::F<3>
//
// A 1x3 average pool padded by {0, 2}: 2 > 3 / 2 along W. The twin pads {0, 1}.
#include "staticnn/staticnn.hpp"

namespace nn = staticnn;

#ifdef STATICNN_TWIN
using Net = nn::Network<nn::Input<2, 5, 6>,
                        nn::AvgPool2d<{.kernel_size = {1, 3}, .stride = 1, .padding = {0, 1}}>>;
static_assert(Net::output_shape == nn::Shape{2, 5, 6});
#else
using Net = nn::Network<nn::Input<2, 5, 6>,
                        nn::AvgPool2d<{.kernel_size = {1, 3}, .stride = 1, .padding = {0, 2}}>>;
#endif
[[maybe_unused]] constexpr bool kValid = Net::valid;
