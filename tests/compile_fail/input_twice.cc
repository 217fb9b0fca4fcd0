// expect: error: static assertion failed.*staticnn: Input<C, H, W> must come first in the Network, and only once
// expect: Network<staticnn::Input<3, 4, 4>, staticnn::ReLU, staticnn::Input<3, 4, 4> ?>
//
// A second Input in the middle of the list. The twin has one.
#include "staticnn/staticnn.hpp"

namespace nn = staticnn;

#ifdef STATICNN_TWIN
using Net = nn::Network<nn::Input<3, 4, 4>, nn::ReLU, nn::Sigmoid>;
static_assert(Net::output_shape == nn::Shape{3, 4, 4});
#else
using Net = nn::Network<nn::Input<3, 4, 4>, nn::ReLU, nn::Input<3, 4, 4>>;
#endif
[[maybe_unused]] constexpr bool kValid = Net::valid;
