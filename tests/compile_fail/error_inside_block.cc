// expect: staticnn: Linear needs a flat input \(C x 1 x 1\): insert staticnn::Flatten before it
// expect: linear_needs_flat_input<staticnn::error::layer_path<3, 1, 2>, staticnn::Linear<staticnn::LinearSpec\{10, true\}>, staticnn::error::input_chw<4, 2, 2>
//
// A mistake two blocks deep names its path: top-level layer 3 (the Residual),
// its child 1 (Shortcut), that list's layer 2; the layer and its input. The
// twin flattens first.
#include "staticnn/staticnn.hpp"

namespace nn = staticnn;

using Net = nn::Network<
    nn::Input<1, 4, 4>, nn::Conv2d<{.out_channels = 4, .kernel_size = 3, .padding = 1}>, nn::ReLU,
    nn::MaxPool2d<{.kernel_size = 2}>,
    nn::Residual<nn::Main<nn::GlobalAvgPool2d, nn::Flatten, nn::Linear<{.out_features = 10}>>,
                 nn::Shortcut<nn::Conv2d<{.out_channels = 4, .kernel_size = 1}>, nn::ReLU,
#ifdef STATICNN_TWIN
                              nn::GlobalAvgPool2d, nn::Flatten,
#endif
                              nn::Linear<{.out_features = 10}>>>>;
[[maybe_unused]] constexpr bool kValid = Net::valid;
