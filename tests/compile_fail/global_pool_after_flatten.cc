// expect: staticnn: a spatial layer \(Conv2d, pooling\) cannot follow Flatten or Linear
// expect: spatial_layer_after_flatten<staticnn::error::layer_index<1>, staticnn::GlobalAvgPool2d, staticnn::error::input_chw<48, 1, 1>
//
// GlobalAvgPool2d after Flatten: the twin swaps the two.
#include "staticnn/staticnn.hpp"

namespace nn = staticnn;

#ifdef STATICNN_TWIN
using Net = nn::Network<nn::Input<3, 4, 4>, nn::GlobalAvgPool2d, nn::Flatten,
                        nn::Linear<{.out_features = 2}>>;
static_assert(Net::output_shape == nn::Shape{2, 1, 1});
#else
using Net = nn::Network<nn::Input<3, 4, 4>, nn::Flatten, nn::GlobalAvgPool2d,
                        nn::Linear<{.out_features = 2}>>;
#endif
[[maybe_unused]] constexpr bool kValid = Net::valid;
