// The static-dispatch API (staticnn/passes.hpp): run-time errors come back as
// values and leave the network untouched.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "staticnn/init.hpp"
#include "staticnn/passes.hpp"
#include "tests/support/nets.hpp"

namespace staticnn::test {
namespace {

constexpr int kBatch = 2;
LeNet::Parameters params;
LeNet::Gradients grads;
TrainingWorkspace<LeNet, kBatch> workspace;
float x[kBatch * 28 * 28];

TEST(ApiTest, BadLabelsAreRefusedAndChangeNothing) {
  init_parameters<LeNet>(params, 3);
  const LeNet::Parameters before = params;
  Sgd<LeNet> sgd{{.lr = 0.1f}};
  for (const int bad : {-1, 10, 1 << 30}) {
    const int labels[kBatch] = {1, bad};
    const LossResult r = train_step<LeNet, kBatch>(params, grads, sgd, workspace, x, labels);
    EXPECT_FALSE(r);
    EXPECT_EQ(r.status, Status::label_out_of_range) << bad;
    EXPECT_EQ(std::memcmp(params.values, before.values, sizeof params.values), 0);
    float d[kBatch * 10];
    const LossResult ce = softmax_cross_entropy<LeNet, kBatch>(workspace.output_gradient, labels, d);
    const LossResult hinge = multiclass_hinge<LeNet, kBatch>(workspace.output_gradient, labels, d);
    EXPECT_EQ(ce.status, Status::label_out_of_range);
    EXPECT_EQ(hinge.status, Status::label_out_of_range);
  }
  EXPECT_STREQ(to_string(Status::label_out_of_range), "label out of range");
}

TEST(ApiTest, TrainStepLowersTheLossAndInferenceAgrees) {
  init_parameters<LeNet>(params, 4);
  for (int i = 0; i < kBatch * 28 * 28; ++i) x[i] = std::sin(0.37f * float(i));
  const int labels[kBatch] = {3, 7};
  Adam<LeNet> adam{{.lr = 1e-3f}};
  const LossResult first = train_step<LeNet, kBatch>(params, grads, adam, workspace, x, labels);
  LossResult last = first;
  for (int i = 0; i < 20; ++i) last = train_step<LeNet, kBatch>(params, grads, adam, workspace, x, labels);
  ASSERT_TRUE(first && last);
  EXPECT_LT(last.value, first.value);

  // Inference and training forward give the same logits.
  static InferenceWorkspace<LeNet, kBatch> infer;
  const float* a = forward<LeNet, kBatch>(params, x, infer);
  const float* b = forward<LeNet, kBatch>(params, x, workspace);
  for (int i = 0; i < kBatch * 10; ++i) EXPECT_EQ(a[i], b[i]) << i;
}

}  // namespace
}  // namespace staticnn::test
