// expect: error: static assertion failed.*staticnn: a Network must start with Input<C, H, W>
// expect: Network<staticnn::Conv2d<
//
// The input shape is missing. The twin names it.
#include "staticnn/staticnn.hpp"

namespace nn = staticnn;

#ifdef STATICNN_TWIN
using Net = nn::Network<nn::Input<3, 32, 32>,
                        nn::Conv2d<{.out_channels = 8, .kernel_size = 3}>, nn::ReLU>;
static_assert(Net::output_shape == nn::Shape{8, 30, 30});
#else
using Net = nn::Network<nn::Conv2d<{.out_channels = 8, .kernel_size = 3}>, nn::ReLU>;
#endif
[[maybe_unused]] constexpr bool kValid = Net::valid;
