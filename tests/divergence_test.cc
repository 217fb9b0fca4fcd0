// The divergence guard of train_step: a step whose loss or gradients are not
// finite returns Status::non_finite and leaves the parameters (BatchNorm's
// running statistics included) and the optimizer state exactly as they were,
// for a NaN in the input and for a learning rate that explodes.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "staticnn/init.hpp"
#include "staticnn/passes.hpp"

namespace staticnn {
namespace {

using Net = Network<Input<1, 8, 8>, Conv2d<Conv2dSpec{.out_channels = 3, .kernel_size = 3}>,
                    BatchNorm2d<>, ReLU, Flatten, Linear<LinearSpec{.out_features = 4}>>;
constexpr int kBatch = 4;
constexpr int kIn = Net::input_shape.size();
static_assert(Net::buffer_count > 0, "the test covers running statistics too");

Net::Parameters params, params_before;
Net::Gradients grads;
AdamState<Net> adam, adam_before;
SgdState<Net> sgd, sgd_before;
TrainingWorkspace<Net, kBatch> ws;
float x[kBatch * kIn];
int labels[kBatch] = {0, 1, 2, 3};

void Fill(SplitMix64& rng) {
  for (float& v : x) v = rng.symmetric();
}

Status Train(auto& opt) {
  return train_step<Net, kBatch>(params, grads, opt, ws, x, labels).status;
}

bool Same(const void* a, const void* b, std::size_t n) { return std::memcmp(a, b, n) == 0; }

TEST(DivergenceGuard, NanInputLeavesEverythingAsItWas) {
  init_parameters<Net>(params, 1);
  SplitMix64 rng{2};
  Optimizer adamw{AdamWOptions{.lr = 1e-2f}, adam};
  for (int s = 0; s < 3; ++s) {  // some history: non-zero moments and statistics
    Fill(rng);
    ASSERT_EQ(Train(adamw), Status::ok);
  }
  params_before = params;
  adam_before = adam;
  Fill(rng);
  x[5] = std::numeric_limits<float>::quiet_NaN();
  const LossResult r = train_step<Net, kBatch>(params, grads, adamw, ws, x, labels);
  EXPECT_EQ(r.status, Status::non_finite);
  EXPECT_FALSE(r);
  EXPECT_TRUE(Same(params.values, params_before.values, sizeof params.values));
  EXPECT_TRUE(Same(params.buffers, params_before.buffers, sizeof params.buffers));
  EXPECT_TRUE(Same(&adam, &adam_before, sizeof adam));
  EXPECT_EQ(adam.step, 3);
  // Training goes on from there with good data.
  Fill(rng);
  EXPECT_EQ(Train(adamw), Status::ok);
  EXPECT_EQ(adam.step, 4);
}

TEST(DivergenceGuard, ExplodingLearningRateIsStoppedAtTheFirstNonFiniteStep) {
  init_parameters<Net>(params, 3);
  SplitMix64 rng{4};
  Optimizer exploding{SgdOptions{.lr = 1e30f, .momentum = 0.9f}, sgd};
  bool refused = false;
  for (int s = 0; s < 20 && !refused; ++s) {
    Fill(rng);
    params_before = params;
    sgd_before = sgd;
    const LossResult r = train_step<Net, kBatch>(params, grads, exploding, ws, x, labels);
    if (r.status == Status::non_finite) {
      refused = true;
      EXPECT_TRUE(Same(params.values, params_before.values, sizeof params.values)) << s;
      EXPECT_TRUE(Same(params.buffers, params_before.buffers, sizeof params.buffers)) << s;
      EXPECT_TRUE(Same(&sgd, &sgd_before, sizeof sgd)) << s;
    } else {
      ASSERT_EQ(r.status, Status::ok);
    }
  }
  EXPECT_TRUE(refused) << "lr 1e30 never produced a non-finite loss or gradient";
}

}  // namespace
}  // namespace staticnn
