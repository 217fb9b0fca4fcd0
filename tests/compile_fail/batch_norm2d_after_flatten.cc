// expect: staticnn: BatchNorm2d needs a spatial input \(C x H x W, before Flatten or Linear\) and BatchNorm1d a flat one
// expect: batch_norm_wrong_input<staticnn::error::layer_index<4>, staticnn::BatchNorm2d<.*, staticnn::error::input_chw<32, 1, 1>
//
// A BatchNorm2d after Linear (the features are flat): PyTorch's BatchNorm2d
// would reject the 2-D tensor too. The twin uses BatchNorm1d there.
#include "staticnn/staticnn.hpp"

namespace nn = staticnn;

#ifdef STATICNN_TWIN
using Norm = nn::BatchNorm1d<>;
#else
using Norm = nn::BatchNorm2d<>;
#endif
using Net = nn::Network<nn::Input<3, 8, 8>,
                        nn::Conv2d<{.out_channels = 8, .kernel_size = 3, .padding = 1}>,
                        nn::BatchNorm2d<>, nn::Flatten,
                        nn::Linear<{.out_features = 32}>, Norm, nn::ReLU,
                        nn::Linear<{.out_features = 10}>>;
[[maybe_unused]] constexpr bool kValid = Net::valid;
