// expect: error: static assertion failed.*staticnn: the Network has no layers after Input<C, H, W>
// expect: Network<staticnn::Input<1, 2, 2> ?>
//
// An Input and nothing else. The twin adds a layer.
#include "staticnn/staticnn.hpp"

namespace nn = staticnn;

#ifdef STATICNN_TWIN
using Net = nn::Network<nn::Input<1, 2, 2>, nn::Flatten>;
static_assert(Net::output_shape == nn::Shape{4, 1, 1});
#else
using Net = nn::Network<nn::Input<1, 2, 2>>;
#endif
[[maybe_unused]] constexpr bool kValid = Net::valid;
