// expect: error: static assertion failed.*staticnn: the Network is empty: write Network<Input<C, H, W>, Layer...>
//
// Network<>. The twin has an input and one layer.
#include "staticnn/staticnn.hpp"

namespace nn = staticnn;

#ifdef STATICNN_TWIN
using Net = nn::Network<nn::Input<1, 2, 2>, nn::ReLU>;
static_assert(Net::valid);
#else
using Net = nn::Network<>;
#endif
[[maybe_unused]] constexpr bool kValid = Net::valid;
