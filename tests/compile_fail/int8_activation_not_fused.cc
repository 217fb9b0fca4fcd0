// expect: int8::Network: a ReLU/ReLU6 must directly follow a Conv2d or Linear \(it becomes that layer's output clamp\)
//
// A ReLU after a max pool has no layer to be the clamp of (TFLite fuses
// activations into the op before). The twin applies the ReLU before the
// pool, which computes the same function (max and ReLU commute).
#include "staticnn/int8/network.hpp"
#include "staticnn/staticnn.hpp"

namespace nn = staticnn;

#ifdef STATICNN_TWIN
using Net = nn::Network<nn::Input<1, 8, 8>, nn::Conv2d<{.out_channels = 4, .kernel_size = 3}>,
                        nn::ReLU, nn::MaxPool2d<{.kernel_size = 2}>>;
#else
using Net = nn::Network<nn::Input<1, 8, 8>, nn::Conv2d<{.out_channels = 4, .kernel_size = 3}>,
                        nn::MaxPool2d<{.kernel_size = 2}>, nn::ReLU>;
#endif
[[maybe_unused]] constexpr auto kFlash = nn::int8::Network<Net>::flash_bytes;
