// expect: staticnn: Linear needs a flat input \(C x 1 x 1\): insert staticnn::Flatten before it
// expect: linear_needs_flat_input<staticnn::error::layer_index<56>, staticnn::Linear<staticnn::LinearSpec\{2, true\}>, staticnn::error::input_chw<8, 48, 48>
// max-bytes: 2048
//
// A 57-layer network (MobileNet-like, depthwise 3x3 + ReLU 27 times) without
// its Flatten: the network's type (6 KB here, every layer spelled out) is
// printed once, in g++'s "required from" line, and the rest stays short. The
// twin flattens.
#include "staticnn/staticnn.hpp"

namespace nn = staticnn;

using Net = nn::Network<nn::Input<3, 96, 96>,
    nn::Conv2d<{.out_channels = 8, .kernel_size = 3, .stride = 2, .padding = 1, .rounding = nn::Rounding::floor}>, nn::ReLU,
    nn::Conv2d<{.out_channels = 8, .kernel_size = 3, .padding = 1, .groups = 8}>, nn::ReLU,
    nn::Conv2d<{.out_channels = 8, .kernel_size = 3, .padding = 1, .groups = 8}>, nn::ReLU,
    nn::Conv2d<{.out_channels = 8, .kernel_size = 3, .padding = 1, .groups = 8}>, nn::ReLU,
    nn::Conv2d<{.out_channels = 8, .kernel_size = 3, .padding = 1, .groups = 8}>, nn::ReLU,
    nn::Conv2d<{.out_channels = 8, .kernel_size = 3, .padding = 1, .groups = 8}>, nn::ReLU,
    nn::Conv2d<{.out_channels = 8, .kernel_size = 3, .padding = 1, .groups = 8}>, nn::ReLU,
    nn::Conv2d<{.out_channels = 8, .kernel_size = 3, .padding = 1, .groups = 8}>, nn::ReLU,
    nn::Conv2d<{.out_channels = 8, .kernel_size = 3, .padding = 1, .groups = 8}>, nn::ReLU,
    nn::Conv2d<{.out_channels = 8, .kernel_size = 3, .padding = 1, .groups = 8}>, nn::ReLU,
    nn::Conv2d<{.out_channels = 8, .kernel_size = 3, .padding = 1, .groups = 8}>, nn::ReLU,
    nn::Conv2d<{.out_channels = 8, .kernel_size = 3, .padding = 1, .groups = 8}>, nn::ReLU,
    nn::Conv2d<{.out_channels = 8, .kernel_size = 3, .padding = 1, .groups = 8}>, nn::ReLU,
    nn::Conv2d<{.out_channels = 8, .kernel_size = 3, .padding = 1, .groups = 8}>, nn::ReLU,
    nn::Conv2d<{.out_channels = 8, .kernel_size = 3, .padding = 1, .groups = 8}>, nn::ReLU,
    nn::Conv2d<{.out_channels = 8, .kernel_size = 3, .padding = 1, .groups = 8}>, nn::ReLU,
    nn::Conv2d<{.out_channels = 8, .kernel_size = 3, .padding = 1, .groups = 8}>, nn::ReLU,
    nn::Conv2d<{.out_channels = 8, .kernel_size = 3, .padding = 1, .groups = 8}>, nn::ReLU,
    nn::Conv2d<{.out_channels = 8, .kernel_size = 3, .padding = 1, .groups = 8}>, nn::ReLU,
    nn::Conv2d<{.out_channels = 8, .kernel_size = 3, .padding = 1, .groups = 8}>, nn::ReLU,
    nn::Conv2d<{.out_channels = 8, .kernel_size = 3, .padding = 1, .groups = 8}>, nn::ReLU,
    nn::Conv2d<{.out_channels = 8, .kernel_size = 3, .padding = 1, .groups = 8}>, nn::ReLU,
    nn::Conv2d<{.out_channels = 8, .kernel_size = 3, .padding = 1, .groups = 8}>, nn::ReLU,
    nn::Conv2d<{.out_channels = 8, .kernel_size = 3, .padding = 1, .groups = 8}>, nn::ReLU,
    nn::Conv2d<{.out_channels = 8, .kernel_size = 3, .padding = 1, .groups = 8}>, nn::ReLU,
    nn::Conv2d<{.out_channels = 8, .kernel_size = 3, .padding = 1, .groups = 8}>, nn::ReLU,
    nn::Conv2d<{.out_channels = 8, .kernel_size = 3, .padding = 1, .groups = 8}>, nn::ReLU,
    nn::Conv2d<{.out_channels = 8, .kernel_size = 3, .padding = 1, .groups = 8}>, nn::ReLU,
#ifdef STATICNN_TWIN
    nn::Flatten,
#endif
    nn::Linear<{.out_features = 2}>>;
[[maybe_unused]] constexpr bool kValid = Net::valid;
