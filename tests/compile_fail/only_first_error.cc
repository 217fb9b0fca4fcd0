// expect: staticnn: \(W1 - F \+ 2P\) / S \+ 1 is not an integer
// expect: window_does_not_tile_input<staticnn::error::layer_index<0>, staticnn::Conv2d<.*, staticnn::error::input_chw<1, 7, 7>, staticnn::error::along<'H'>, staticnn::error::W1<7>, staticnn::error::F<3>, staticnn::error::P<0>, staticnn::error::S<3>
//
// Two mistakes (layer 0 does not tile; layer 2 is a Linear on a spatial input)
// give one error, for the first; the harness checks there is no second one.
// The twin fixes both.
#include "staticnn/staticnn.hpp"

namespace nn = staticnn;

#ifdef STATICNN_TWIN
using Net = nn::Network<nn::Input<1, 7, 7>,
                        nn::Conv2d<{.out_channels = 4, .kernel_size = 3, .stride = 2}>,
                        nn::ReLU,
                        nn::Flatten,
                        nn::Linear<{.out_features = 10}>>;
static_assert(Net::output_shape == nn::Shape{10, 1, 1});
#else
using Net = nn::Network<nn::Input<1, 7, 7>,
                        nn::Conv2d<{.out_channels = 4, .kernel_size = 3, .stride = 3}>,
                        nn::ReLU,
                        nn::Linear<{.out_features = 10}>>;
#endif
[[maybe_unused]] constexpr bool kValid = Net::valid;
