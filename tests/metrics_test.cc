// staticnn/metrics.hpp: predict, the confusion matrix and accuracy over a
// data set (with a partial last batch), and — with the allocation counter —
// no heap there nor in the new optimizers' steps and gradient clipping.
#include "tests/support/allocation_counter.hpp"

#include "staticnn/metrics.hpp"

#include <gtest/gtest.h>

#include "staticnn/init.hpp"
#include "staticnn/passes.hpp"
#include "tests/support/nets.hpp"

namespace staticnn {
namespace {

TEST(Metrics, PredictIsArgmaxFirstOnTies) {
  constexpr float scores[] = {0.5f, 2.0f, -1.0f, 2.0f};
  static_assert(predict<4>(scores) == 1);
  constexpr float probabilities[] = {0.1f, 0.2f, 0.7f};
  EXPECT_EQ(predict<3>(probabilities), 2);
  int classes[2];
  constexpr float batch[] = {1, 0, 0, /**/ 0, 0, 3};
  predict<3, 2>(batch, classes);
  EXPECT_EQ(classes[0], 0);
  EXPECT_EQ(classes[1], 2);
}

TEST(Metrics, ConfusionMatrixCounts) {
  ConfusionMatrix<3> cm;
  EXPECT_EQ(cm.accuracy(), 0.0);  // empty: no division by zero
  cm.add(0, 0);
  cm.add(0, 1);
  cm.add(1, 1);
  cm.add(2, 1);
  cm.add(3, 0);   // label out of range
  cm.add(0, -1);  // prediction out of range
  EXPECT_EQ(cm.total(), 4);
  EXPECT_EQ(cm.correct(), 2);
  EXPECT_EQ(cm.bad_labels, 2);
  EXPECT_DOUBLE_EQ(cm.accuracy(), 0.5);
  EXPECT_DOUBLE_EQ(cm.recall(0), 0.5);
  EXPECT_DOUBLE_EQ(cm.precision(1), 1.0 / 3.0);
  EXPECT_EQ(cm.recall(2), 0.0);
  EXPECT_EQ(cm.counts[2][1], 1);
}

// A network whose scores are its input: predictions are chosen by the data.
using Identity = Network<Input<3, 1, 1>, Flatten>;
constexpr int kBatch = 4;

// Sample i has label i % 3 and is predicted (i * 2) % 3: 7 samples, the last
// batch has 3 (the padded row must not count).
int Load(long i, float* x) {
  for (int k = 0; k < 3; ++k) x[k] = k == (i * 2) % 3 ? 1.0f : 0.0f;
  return int(i % 3);
}

TEST(Metrics, ConfusionMatrixOverADataSetWithAPartialBatch) {
  static Identity::Parameters p;
  static InferenceWorkspace<Identity, kBatch> ws;
  static float batch[kBatch * 3];
  int calls = 0;
  const auto cm = confusion_matrix<Identity, kBatch>(7, batch, Load, [&](const float* x) {
    ++calls;
    return forward<Identity, kBatch>(p, x, ws);
  });
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(cm.total(), 7);
  ConfusionMatrix<3> want;
  for (long i = 0; i < 7; ++i) want.add(int(i % 3), int((i * 2) % 3));
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 3; ++c) EXPECT_EQ(cm.counts[r][c], want.counts[r][c]) << r << c;
  }
  // Predicted (2i) % 3 == i % 3 only for i % 3 == 0: samples 0, 3, 6.
  const double a = accuracy<Identity, kBatch>(
      7, batch, Load, [&](const float* x) { return forward<Identity, kBatch>(p, x, ws); });
  EXPECT_DOUBLE_EQ(a, 3.0 / 7.0);
}

using Net = test::LeNet;
Net::Parameters params;
Net::Gradients grads;
SgdState<Net> sgd_state;
AdamState<Net> adam_state;
RmspropState<Net> rmsprop_state;

TEST(NoHeap, NewOptimizersClippingAndMetrics) {
  init_parameters<Net>(params, 3);
  for (std::size_t i = 0; i < grads.size; ++i) grads.values[i] = 1e-3f * float(i % 7);
  Optimizer nesterov{SgdOptions{.lr = 0.1f, .momentum = 0.9f, .nesterov = true}, sgd_state};
  Optimizer adamw{AdamWOptions{}, adam_state};
  Optimizer rmsprop{RmspropOptions{.momentum = 0.5f, .centered = true}, rmsprop_state};
  static InferenceWorkspace<Net, 2> ws;
  static float batch[2 * Net::input_shape.size()];
  test::AllocationScope scope;
  EXPECT_EQ(step<Net>(params, grads, nesterov), Status::ok);
  EXPECT_EQ(step<Net>(params, grads, adamw), Status::ok);
  EXPECT_EQ(step<Net>(params, grads, rmsprop), Status::ok);
  const float norm = HWY_NAMESPACE::ClipGradNorm<Net>(grads, 1e-3f);
  const auto cm = confusion_matrix<Net, 2>(
      3, batch,
      [](long, float* x) {
        for (int i = 0; i < Net::input_shape.size(); ++i) x[i] = 0.5f;
        return 1;
      },
      [&](const float* x) { return forward<Net, 2>(params, x, ws); });
  EXPECT_EQ(scope.count(), 0);
  EXPECT_GT(norm, 1e-3f);
  EXPECT_EQ(cm.total(), 3);
  EXPECT_EQ(adam_state.step, 1);
}

}  // namespace
}  // namespace staticnn
