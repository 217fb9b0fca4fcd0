// expect: staticnn: every size, count, kernel, stride and dilation must be positive and padding must be non-negative
// expect: invalid_size<staticnn::error::layer_index<0>, staticnn::AvgPool2d<(staticnn::)?Pool2dSpec{(staticnn::Size2)?{2, 2}, (staticnn::Size2)?{-2, -2}, .*, staticnn::error::input_chw<4, 8, 8>
//
// AvgPool2d with stride -2. The twin uses 2.
#include "staticnn/staticnn.hpp"

namespace nn = staticnn;

#ifdef STATICNN_TWIN
using Net = nn::Network<nn::Input<4, 8, 8>, nn::AvgPool2d<{.kernel_size = 2, .stride = 2}>>;
static_assert(Net::output_shape == nn::Shape{4, 4, 4});
#else
using Net = nn::Network<nn::Input<4, 8, 8>, nn::AvgPool2d<{.kernel_size = 2, .stride = -2}>>;
#endif
[[maybe_unused]] constexpr bool kValid = Net::valid;
