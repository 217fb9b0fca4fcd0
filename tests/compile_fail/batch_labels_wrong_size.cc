// expect: staticnn: a buffer of fixed size \(C array, std::array, fixed-extent std::span\) must hold exactly one batch
//
// Three labels (a C array) for a training step on a batch of two. The twin
// gives two.
// Only the diagnostics matter here, not which SIMD target the passes get.
#define STATICNN_ALLOW_SCALAR
#include "staticnn/passes.hpp"
#include "staticnn/staticnn.hpp"

namespace nn = staticnn;

using Net = nn::Network<nn::Input<1, 4, 4>, nn::Flatten, nn::Linear<{.out_features = 3}>>;
#ifdef STATICNN_TWIN
constexpr int kLabels = 2;
#else
constexpr int kLabels = 3;
#endif

nn::LossResult Train(Net::Parameters& p, Net::Gradients& g, nn::Sgd<Net>& sgd,
                     nn::TrainingWorkspace<Net, 2>& ws, const float (&x)[2 * 16],
                     const int (&labels)[kLabels]) {
  return nn::train_step<Net, 2>(p, g, sgd, ws, x, labels);
}
