// expect: staticnn: a spatial layer \(Conv2d, pooling\) cannot follow Flatten or Linear
// expect: spatial_layer_after_flatten<staticnn::error::layer_index<1>, staticnn::MaxPool2d<.*, staticnn::error::input_chw<256, 1, 1>
//
// Flatten too early: the pooling after it has no plane left. The twin
// flattens after the convolution.
#include "staticnn/staticnn.hpp"

namespace nn = staticnn;

#ifdef STATICNN_TWIN
using Net = nn::Network<nn::Input<4, 8, 8>,
                        nn::MaxPool2d<{.kernel_size = 2}>,
                        nn::Conv2d<{.out_channels = 8, .kernel_size = 1}>,
                        nn::Flatten,
                        nn::Linear<{.out_features = 10}>>;
static_assert(Net::output_shape == nn::Shape{10, 1, 1});
#else
using Net = nn::Network<nn::Input<4, 8, 8>,
                        nn::Flatten,
                        nn::MaxPool2d<{.kernel_size = 2}>,
                        nn::Conv2d<{.out_channels = 8, .kernel_size = 1}>,
                        nn::Linear<{.out_features = 10}>>;
#endif
[[maybe_unused]] constexpr bool kValid = Net::valid;
