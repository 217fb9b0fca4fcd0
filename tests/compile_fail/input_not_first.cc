// expect: error: static assertion failed.*staticnn: Input<C, H, W> must come first in the Network, and only once
// expect: Network<staticnn::ReLU, staticnn::Input<3, 4, 4> ?>
//
// Input after a layer. The twin puts it first.
#include "staticnn/staticnn.hpp"

namespace nn = staticnn;

#ifdef STATICNN_TWIN
using Net = nn::Network<nn::Input<3, 4, 4>, nn::ReLU>;
static_assert(Net::output_shape == nn::Shape{3, 4, 4});
#else
using Net = nn::Network<nn::ReLU, nn::Input<3, 4, 4>>;
#endif
[[maybe_unused]] constexpr bool kValid = Net::valid;
