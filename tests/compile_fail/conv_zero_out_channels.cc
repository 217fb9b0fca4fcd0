// expect: staticnn: every size, count, kernel, stride and dilation must be positive and padding must be non-negative
// expect: invalid_size<staticnn::error::layer_index<1>, staticnn::Conv2d<(staticnn::)?Conv2dSpec{0, (staticnn::Size2)?{3, 3}, .*, staticnn::error::input_chw<6, 8, 8>
//
// out_channels = 0. The twin asks for 16.
#include "staticnn/staticnn.hpp"

namespace nn = staticnn;

#ifdef STATICNN_TWIN
using Net = nn::Network<nn::Input<6, 8, 8>, nn::ReLU,
                        nn::Conv2d<{.out_channels = 16, .kernel_size = 3, .padding = 1}>>;
static_assert(Net::output_shape == nn::Shape{16, 8, 8});
#else
using Net = nn::Network<nn::Input<6, 8, 8>, nn::ReLU,
                        nn::Conv2d<{.out_channels = 0, .kernel_size = 3, .padding = 1}>>;
#endif
[[maybe_unused]] constexpr bool kValid = Net::valid;
