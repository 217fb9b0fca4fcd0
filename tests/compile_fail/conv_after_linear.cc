// expect: staticnn: a spatial layer \(Conv2d, pooling\) cannot follow Flatten or Linear
// expect: spatial_layer_after_flatten<staticnn::error::layer_index<4>, staticnn::Conv2d<.*, staticnn::error::input_chw<32, 1, 1>
//
// A Conv2d after a Linear layer (and an activation, which keeps the input
// flat). The twin ends with a Linear instead.
#include "staticnn/staticnn.hpp"

namespace nn = staticnn;

#ifdef STATICNN_TWIN
using Net = nn::Network<nn::Input<1, 4, 4>,
                        nn::Conv2d<{.out_channels = 2, .kernel_size = 3, .padding = 1}>,
                        nn::Flatten,
                        nn::Linear<{.out_features = 32}>,
                        nn::Tanh,
                        nn::Linear<{.out_features = 8}>>;
static_assert(Net::output_shape == nn::Shape{8, 1, 1});
#else
using Net = nn::Network<nn::Input<1, 4, 4>,
                        nn::Conv2d<{.out_channels = 2, .kernel_size = 3, .padding = 1}>,
                        nn::Flatten,
                        nn::Linear<{.out_features = 32}>,
                        nn::Tanh,
                        nn::Conv2d<{.out_channels = 8, .kernel_size = 1}>>;
#endif
[[maybe_unused]] constexpr bool kValid = Net::valid;
