// expect: int8::Network: each Concat branch must end in a Conv2d or Linear \(and its ReLU/ReLU6\): TFLite's int8 CONCATENATION takes its inputs in its output's quantization, which that layer requantizes to
//
// A branch ending in a pool keeps its input's quantization, which is not the
// Concat's. The twin pools after the Concat.
#include "staticnn/int8/network.hpp"
#include "staticnn/staticnn.hpp"

namespace nn = staticnn;

using Conv = nn::Conv2d<{.out_channels = 4, .kernel_size = 1}>;
using Pool = nn::MaxPool2d<{.kernel_size = 2}>;
#ifdef STATICNN_TWIN
using Net = nn::Network<nn::Input<4, 8, 8>, nn::Concat<nn::Branch<Conv, nn::ReLU>, nn::Branch<Conv>>, Pool>;
#else
using Net = nn::Network<nn::Input<4, 8, 8>, nn::Concat<nn::Branch<Conv, nn::ReLU, Pool>, nn::Branch<Conv, Pool>>>;
#endif
[[maybe_unused]] constexpr auto kFlash = nn::int8::Network<Net>::flash_bytes;
