// expect: staticnn: the network ends with Softmax, but softmax cross-entropy \(and train_step\) takes logits
// expect: Remove the last Softmax and train on logits
//
// A Keras-style classifier ending in Softmax, trained with train_step
// (softmax cross-entropy on top): the loss would see probabilities as logits.
// The twin trains the same network without the last Softmax.
// Only the diagnostics matter here, not which SIMD target the passes get.
#define STATICNN_ALLOW_SCALAR
#include "staticnn/passes.hpp"
#include "staticnn/staticnn.hpp"

namespace nn = staticnn;

#ifdef STATICNN_TWIN
using Net = nn::Network<nn::Input<1, 4, 4>, nn::Flatten, nn::Linear<{.out_features = 3}>>;
#else
using Net = nn::Network<nn::Input<1, 4, 4>, nn::Flatten, nn::Linear<{.out_features = 3}>,
                        nn::Softmax>;
#endif

nn::LossResult Train(Net::Parameters& p, Net::Gradients& g, nn::Sgd<Net>& sgd,
                     nn::TrainingWorkspace<Net, 2>& ws, const float* x, const int* labels) {
  return nn::train_step<Net, 2>(p, g, sgd, ws, x, labels);
}
