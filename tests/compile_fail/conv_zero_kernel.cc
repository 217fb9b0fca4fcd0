// expect: staticnn: every size, count, kernel, stride and dilation must be positive and padding must be non-negative
// expect: invalid_size<staticnn::error::layer_index<0>, staticnn::Conv2d<(staticnn::)?Conv2dSpec{4, (staticnn::Size2)?{3, 0}, .*, staticnn::error::input_chw<1, 8, 8>
//
// A 3x0 kernel. The twin uses 3x1.
#include "staticnn/staticnn.hpp"

namespace nn = staticnn;

#ifdef STATICNN_TWIN
using Net = nn::Network<nn::Input<1, 8, 8>, nn::Conv2d<{.out_channels = 4, .kernel_size = {3, 1}}>>;
static_assert(Net::output_shape == nn::Shape{4, 6, 8});
#else
using Net = nn::Network<nn::Input<1, 8, 8>, nn::Conv2d<{.out_channels = 4, .kernel_size = {3, 0}}>>;
#endif
[[maybe_unused]] constexpr bool kValid = Net::valid;
