// expect: staticnn: the window is larger than the padded input
// expect: window_larger_than_input<staticnn::error::layer_index<16>, staticnn::AvgPool2d<.*staticnn::error::input_chw<256, 3, 3>
// max-total-bytes: 4096
//
// MobileNetV1 0.25 as models/mlperf_tiny.hpp writes it, 57 layers in named
// blocks (DwSeparable<Cin, Cout, Stride>), with a pooling window that does not
// fit its 3x3 map: the whole diagnostic, the network's type included, stays
// within 4 KB. (Spelled out layer by layer, as in long_network_short_error.cc,
// the type alone is 110 bytes a layer, and g++ prints it once.) The twin pools
// 3x3.
#include "staticnn/models/mlperf_tiny.hpp"

namespace nn = staticnn;
using namespace staticnn::mlperf_tiny;

#ifdef STATICNN_TWIN
constexpr int kPool = 3;
#else
constexpr int kPool = 5;
#endif

using Net = nn::Network<
    nn::Input<3, 96, 96>,
    Conv3x3<8, 2>, nn::BatchNorm2d<>, nn::ReLU,
    DwSeparable<8, 16, 1>,
    DwSeparable<16, 32, 2>, DwSeparable<32, 32, 1>,
    DwSeparable<32, 64, 2>, DwSeparable<64, 64, 1>,
    DwSeparable<64, 128, 2>,
    DwSeparable<128, 128, 1>, DwSeparable<128, 128, 1>, DwSeparable<128, 128, 1>,
    DwSeparable<128, 128, 1>, DwSeparable<128, 128, 1>,
    DwSeparable<128, 256, 2>, DwSeparable<256, 256, 1>,
    nn::AvgPool2d<{.kernel_size = kPool}>,
    nn::Flatten,
    nn::Linear<{.out_features = 2}>>;
[[maybe_unused]] constexpr bool kValid = Net::valid;
