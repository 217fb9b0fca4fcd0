// STATICNN_PASSES_PER_TARGET / STATICNN_EXPORT_PASSES (dispatch.hpp): the
// dispatched inference agrees on both workspaces, a dispatched training step
// trains, and bad labels leave the parameters untouched.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "tests/dispatch_test.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

#include "staticnn/dispatch.hpp"
#include "staticnn/passes-inl.h"
#include "tests/support/nets.hpp"

#ifndef STATICNN_TESTS_DISPATCH_TEST_NET  // this file is compiled once per target
#define STATICNN_TESTS_DISPATCH_TEST_NET
namespace dispatch_test {
using Net = staticnn::test::BlocksNet;
using Opt = staticnn::Adam<Net>;
inline constexpr int kBatch = 4;
}  // namespace dispatch_test
#endif

STATICNN_PASSES_PER_TARGET(BlocksPasses, dispatch_test::Net, dispatch_test::kBatch,
                           dispatch_test::Opt)

#if HWY_ONCE
#include <cstring>

#include "gtest/gtest.h"
#include "hwy/targets.h"
#include "staticnn/init.hpp"

STATICNN_EXPORT_PASSES(BlocksPasses)

namespace dispatch_test {

Net::Parameters params;
Net::Gradients grads;
Net::InferenceWorkspace<kBatch> infer_ws;
Net::TrainingWorkspace<kBatch> train_ws;
Opt adam{{.lr = 0.01f}};

TEST(DispatchTest, DispatchedPassesAgreeAndTrain) {
  staticnn::init_parameters<Net>(params, 7);
  float x[kBatch * Net::input_shape.size()];
  for (int i = 0; i < kBatch * Net::input_shape.size(); ++i) x[i] = float((i * 37) % 19) / 19.0f - 0.5f;
  const int labels[kBatch] = {0, 1, 2, 1};

  const float* dispatched = BlocksPasses::infer(params, x, infer_ws);
  float y[kBatch * Net::output_shape.size()];
  std::memcpy(y, dispatched, sizeof y);
  const float* kept = BlocksPasses::forward(params, x, train_ws, staticnn::Mode::inference);
  EXPECT_EQ(std::memcmp(y, kept, sizeof y), 0) << "inference mode on either workspace";

  const staticnn::LossResult first = BlocksPasses::train_step(params, grads, adam, train_ws, x, labels);
  ASSERT_TRUE(first);
  staticnn::LossResult last = first;
  for (int i = 0; i < 30; ++i) last = BlocksPasses::train_step(params, grads, adam, train_ws, x, labels);
  EXPECT_LT(last.value, 0.01f * first.value);

  const int bad[kBatch] = {0, 1, 3, 1};
  Net::Parameters before = params;
  EXPECT_EQ(BlocksPasses::train_step(params, grads, adam, train_ws, x, bad).status,
            staticnn::Status::label_out_of_range);
  EXPECT_EQ(std::memcmp(&before, &params, sizeof params), 0);
}

}  // namespace dispatch_test
#endif  // HWY_ONCE
