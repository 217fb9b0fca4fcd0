// expect: staticnn: Concat's branches must give the same height and width
// expect: concat_branches_differ<staticnn::error::layer_index<0>, staticnn::Concat<.*staticnn::error::input_chw<3, 8, 8>, staticnn::error::branch<1>, staticnn::error::output_chw<4, 4, 4>
//
// An Inception-style block whose second branch strides. The twin pads it back.
#include "staticnn/staticnn.hpp"

namespace nn = staticnn;

#ifdef STATICNN_TWIN
using Second = nn::Conv2d<{.out_channels = 4, .kernel_size = 3, .padding = 1}>;
#else
using Second = nn::Conv2d<{.out_channels = 4, .kernel_size = 2, .stride = 2}>;
#endif
using Net = nn::Network<nn::Input<3, 8, 8>,
                        nn::Concat<nn::Branch<nn::Conv2d<{.out_channels = 2, .kernel_size = 1}>>,
                                   nn::Branch<Second, nn::ReLU>>>;
[[maybe_unused]] constexpr bool kValid = Net::valid;
