// expect: staticnn: a buffer of fixed size \(C array, std::array, fixed-extent std::span\) must hold exactly one batch
// expect: For a partial last batch, pass a std::span of dynamic extent
//
// A std::array of one sample given to a pass for a batch of two: the input
// would be read past its end. The twin holds the whole batch.
// Only the diagnostics matter here, not which SIMD target the passes get.
#define STATICNN_ALLOW_SCALAR
#include <array>

#include "staticnn/passes.hpp"
#include "staticnn/staticnn.hpp"

namespace nn = staticnn;

using Net = nn::Network<nn::Input<1, 4, 4>, nn::Flatten, nn::Linear<{.out_features = 3}>>;
#ifdef STATICNN_TWIN
constexpr int kSamples = 2;
#else
constexpr int kSamples = 1;
#endif

const float* Infer(const Net::Parameters& p, const std::array<float, kSamples * 16>& x,
                   nn::InferenceWorkspace<Net, 2>& ws) {
  return nn::forward<Net, 2>(p, x, ws);
}
