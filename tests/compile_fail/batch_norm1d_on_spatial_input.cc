// expect: staticnn: BatchNorm2d needs a spatial input \(C x H x W, before Flatten or Linear\) and BatchNorm1d a flat one \(C x 1 x 1, after Flatten or Linear\)
// expect: batch_norm_wrong_input<staticnn::error::layer_index<1>, staticnn::BatchNorm1d<.*, staticnn::error::input_chw<8, 6, 6>
//
// A BatchNorm1d after a convolution (an 8 x 6 x 6 input). The twin uses
// BatchNorm2d there.
#include "staticnn/staticnn.hpp"

namespace nn = staticnn;

#ifdef STATICNN_TWIN
using Norm = nn::BatchNorm2d<>;
#else
using Norm = nn::BatchNorm1d<>;
#endif
using Net = nn::Network<nn::Input<3, 8, 8>, nn::Conv2d<{.out_channels = 8, .kernel_size = 3}>,
                        Norm, nn::ReLU6, nn::Flatten, nn::Linear<{.out_features = 10}>>;
[[maybe_unused]] constexpr bool kValid = Net::valid;
