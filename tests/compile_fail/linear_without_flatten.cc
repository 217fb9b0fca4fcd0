// expect: staticnn: Linear needs a flat input \(C x 1 x 1\): insert staticnn::Flatten before it
// expect: linear_needs_flat_input<staticnn::error::layer_index<6>, staticnn::Linear<.*, staticnn::error::input_chw<16, 5, 5>
//
// LeNet-5 without its Flatten. The twin is LeNet-5.
#include "staticnn/staticnn.hpp"

namespace nn = staticnn;

#ifdef STATICNN_TWIN
using Net = nn::Network<nn::Input<1, 28, 28>,
                        nn::Conv2d<{.out_channels = 6, .kernel_size = 5, .padding = 2}>,
                        nn::ReLU,
                        nn::MaxPool2d<{.kernel_size = 2}>,
                        nn::Conv2d<{.out_channels = 16, .kernel_size = 5}>,
                        nn::ReLU,
                        nn::MaxPool2d<{.kernel_size = 2}>,
                        nn::Flatten,
                        nn::Linear<{.out_features = 120}>, nn::ReLU,
                        nn::Linear<{.out_features = 84}>, nn::ReLU,
                        nn::Linear<{.out_features = 10}>>;
static_assert(Net::param_count == 61'706);
#else
using Net = nn::Network<nn::Input<1, 28, 28>,
                        nn::Conv2d<{.out_channels = 6, .kernel_size = 5, .padding = 2}>,
                        nn::ReLU,
                        nn::MaxPool2d<{.kernel_size = 2}>,
                        nn::Conv2d<{.out_channels = 16, .kernel_size = 5}>,
                        nn::ReLU,
                        nn::MaxPool2d<{.kernel_size = 2}>,
                        nn::Linear<{.out_features = 120}>, nn::ReLU,
                        nn::Linear<{.out_features = 84}>, nn::ReLU,
                        nn::Linear<{.out_features = 10}>>;
#endif
[[maybe_unused]] constexpr bool kValid = Net::valid;
