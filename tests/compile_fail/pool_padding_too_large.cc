// expect: staticnn: pooling padding must be at most half the kernel size \(P <= F / 2\)
// expect: pool_padding_too_large<staticnn::error::layer_index<0>, staticnn::MaxPool2d<.*, staticnn::error::input_chw<1, 8, 8>, staticnn::error::along<'H'>, staticnn::error::P<2>, staticnn::error::F<2>
//
// A 2x2 max pool padded by 2: a window could lie entirely in the padding
// (PyTorch refuses it too). The twin pads by 1: (8 + 2 - 2) / 2 + 1 = 5.
#include "staticnn/staticnn.hpp"

namespace nn = staticnn;

#ifdef STATICNN_TWIN
using Net = nn::Network<nn::Input<1, 8, 8>, nn::MaxPool2d<{.kernel_size = 2, .padding = 1}>>;
static_assert(Net::output_shape == nn::Shape{1, 5, 5});
#else
using Net = nn::Network<nn::Input<1, 8, 8>, nn::MaxPool2d<{.kernel_size = 2, .padding = 2}>>;
#endif
[[maybe_unused]] constexpr bool kValid = Net::valid;
