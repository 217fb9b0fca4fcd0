// expect: staticnn: every size, count, kernel, stride and dilation must be positive and padding must be non-negative
// expect: invalid_size<staticnn::error::layer_index<2>, staticnn::Linear<(staticnn::)?LinearSpec{0, true}>, staticnn::error::input_chw<120, 1, 1>
//
// Linear with out_features = 0. The twin asks for 10.
#include "staticnn/staticnn.hpp"

namespace nn = staticnn;

#ifdef STATICNN_TWIN
using Net = nn::Network<nn::Input<1, 8, 8>, nn::Flatten, nn::Linear<{.out_features = 120}>,
                        nn::Linear<{.out_features = 10}>>;
static_assert(Net::output_shape == nn::Shape{10, 1, 1});
#else
using Net = nn::Network<nn::Input<1, 8, 8>, nn::Flatten, nn::Linear<{.out_features = 120}>,
                        nn::Linear<{.out_features = 0}>>;
#endif
[[maybe_unused]] constexpr bool kValid = Net::valid;
