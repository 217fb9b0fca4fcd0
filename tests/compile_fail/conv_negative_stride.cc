// expect: staticnn: every size, count, kernel, stride and dilation must be positive and padding must be non-negative
// expect: invalid_size<staticnn::error::layer_index<0>, staticnn::Conv2d<(staticnn::)?Conv2dSpec{4, (staticnn::Size2)?{3, 3}, (staticnn::Size2)?{-1, -1}, .*, staticnn::error::input_chw<1, 9, 9>
//
// stride = -1. The twin uses stride 1.
#include "staticnn/staticnn.hpp"

namespace nn = staticnn;

#ifdef STATICNN_TWIN
using Net = nn::Network<nn::Input<1, 9, 9>,
                        nn::Conv2d<{.out_channels = 4, .kernel_size = 3, .stride = 1}>>;
static_assert(Net::output_shape == nn::Shape{4, 7, 7});
#else
using Net = nn::Network<nn::Input<1, 9, 9>,
                        nn::Conv2d<{.out_channels = 4, .kernel_size = 3, .stride = -1}>>;
#endif
[[maybe_unused]] constexpr bool kValid = Net::valid;
