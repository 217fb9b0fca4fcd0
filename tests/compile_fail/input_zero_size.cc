// expect: error: static assertion failed.*staticnn: Input<C, H, W> needs positive channels, height and width
// expect: Input<0, 28, 28>
//
// Zero input channels: every layer would have zero-sized weights. The twin
// has one channel.
#include "staticnn/staticnn.hpp"

namespace nn = staticnn;

#ifdef STATICNN_TWIN
using Net = nn::Network<nn::Input<1, 28, 28>,
                        nn::Conv2d<{.out_channels = 6, .kernel_size = 5, .padding = 2}>>;
static_assert(Net::param_count == 156);
#else
using Net = nn::Network<nn::Input<0, 28, 28>,
                        nn::Conv2d<{.out_channels = 6, .kernel_size = 5, .padding = 2}>>;
#endif
[[maybe_unused]] constexpr bool kValid = Net::valid;
