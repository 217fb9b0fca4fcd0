// expect: int8::Network: a padded AvgPool2d must have count_include_pad = false \(TFLite's int8 average divides by the positions inside the input\)
//
// A padded 3x3 average pool with PyTorch's default count_include_pad = true
// divides border windows by 9; TFLite's int8 kernel by the inputs it
// covers. The twin sets count_include_pad = false.
#include "staticnn/int8/network.hpp"
#include "staticnn/staticnn.hpp"

namespace nn = staticnn;

#ifdef STATICNN_TWIN
constexpr bool kCountPad = false;
#else
constexpr bool kCountPad = true;
#endif
using Net = nn::Network<nn::Input<2, 6, 6>,
                        nn::AvgPool2d<{.kernel_size = 3, .stride = 1, .padding = 1,
                                       .count_include_pad = kCountPad}>>;
[[maybe_unused]] constexpr auto kFlash = nn::int8::Network<Net>::flash_bytes;
