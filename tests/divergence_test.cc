// The divergence guard of train_step: a step whose loss or gradients are not
// finite returns Status::non_finite and leaves the parameters (BatchNorm's
// running statistics included) and the optimizer state exactly as they were,
// for a NaN in the input and for a learning rate that explodes. Options that
// torch.optim refuses are refused the same way (Status::invalid_options).
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

// torch.optim's own checks, plus finiteness; the defaults pass.
static_assert(options_valid(SgdOptions{}) && options_valid(AdamOptions{}) &&
              options_valid(AdamWOptions{}) && options_valid(RmspropOptions{}));
static_assert(options_valid(SgdOptions{.momentum = 0.9f, .nesterov = true}));
static_assert(!options_valid(SgdOptions{.nesterov = true}));  // torch: nesterov needs momentum
static_assert(!options_valid(SgdOptions{.momentum = 0.9f, .nesterov = true, .dampening = 0.1f}));
static_assert(!options_valid(AdamOptions{.beta1 = 1.0f}));
static_assert(!options_valid(AdamWOptions{.beta2 = -0.1f}));
static_assert(!options_valid(RmspropOptions{.alpha = -0.5f}));

template <class Options, class State>
void ExpectRefused(Options options, State& state, const char* what) {
  init_parameters<Net>(params, 5);
  SplitMix64 rng{6};
  Fill(rng);
  params_before = params;
  const State state_before = state;
  Optimizer opt{options, state};
  const LossResult r = train_step<Net, kBatch>(params, grads, opt, ws, x, labels);
  EXPECT_EQ(r.status, Status::invalid_options) << what;
  EXPECT_TRUE(Same(params.values, params_before.values, sizeof params.values)) << what;
  EXPECT_TRUE(Same(params.buffers, params_before.buffers, sizeof params.buffers)) << what;
  EXPECT_TRUE(Same(&state, &state_before, sizeof state)) << what;
}

TEST(DivergenceGuard, OptionsTorchRefusesAreRefusedBeforeAnything) {
  static RmspropState<Net> rmsprop;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  ExpectRefused(SgdOptions{.lr = -0.1f}, sgd, "negative lr");
  ExpectRefused(SgdOptions{.lr = nan}, sgd, "NaN lr");
  ExpectRefused(SgdOptions{.lr = inf}, sgd, "infinite lr");
  ExpectRefused(SgdOptions{.momentum = -0.9f}, sgd, "negative momentum");
  ExpectRefused(SgdOptions{.momentum = 0.9f, .nesterov = true, .dampening = 0.5f}, sgd,
                "nesterov with dampening");
  ExpectRefused(AdamOptions{.beta1 = 1.0f}, adam, "beta1 = 1");
  ExpectRefused(AdamWOptions{.eps = -1e-8f}, adam, "negative eps");
  ExpectRefused(AdamWOptions{.weight_decay = -0.01f}, adam, "negative weight decay");
  ExpectRefused(RmspropOptions{.alpha = -0.5f}, rmsprop, "negative alpha");
  // step() alone refuses them too.
  params_before = params;
  Optimizer negative{SgdOptions{.lr = -1.0f}, sgd};
  EXPECT_EQ(step<Net>(params, grads, negative), Status::invalid_options);
  EXPECT_TRUE(Same(params.values, params_before.values, sizeof params.values));
  // The same options with a valid value train.
  Optimizer fine{SgdOptions{.lr = 0.1f, .momentum = 0.9f, .nesterov = true}, sgd};
  EXPECT_EQ(Train(fine), Status::ok);
}

}  // namespace
}  // namespace staticnn
