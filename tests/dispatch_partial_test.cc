// Dynamic dispatch (dispatch.hpp) with buffers of run-time size: a partial
// batch infers as the same samples in a full batch and trains as a batch of
// its size (the same step as static dispatch's, which partial_batch_test
// checks on every target), and sizes that do not fit give Status::wrong_size.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "tests/dispatch_partial_test.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

#include "staticnn/dispatch.hpp"
#include "staticnn/passes-inl.h"
#include "tests/support/nets.hpp"

#ifndef STATICNN_TESTS_DISPATCH_PARTIAL_TEST_NET  // this file is compiled once per target
#define STATICNN_TESTS_DISPATCH_PARTIAL_TEST_NET
namespace dispatch_partial_test {
using Net = staticnn::test::BlocksNet;
using Opt = staticnn::Optimizer<staticnn::SgdOptions, staticnn::SgdState<Net>>;
inline constexpr int kBatch = 4;
}  // namespace dispatch_partial_test
#endif

STATICNN_PASSES_PER_TARGET(PartialPasses, dispatch_partial_test::Net,
                           dispatch_partial_test::kBatch, dispatch_partial_test::Opt)

#if HWY_ONCE
#include <span>
#include <vector>

#include "gtest/gtest.h"
#include "staticnn/init.hpp"
#include "staticnn/passes.hpp"

STATICNN_EXPORT_PASSES(PartialPasses)

namespace dispatch_partial_test {

constexpr std::size_t kIn = Net::input_shape.size();
constexpr int kOut = Net::output_shape.size();
Net::Parameters params, static_params;
Net::Gradients grads, static_grads;
Net::InferenceWorkspace<kBatch> infer_ws;
Net::TrainingWorkspace<kBatch> train_ws;
staticnn::SgdState<Net> state, static_state;

TEST(DispatchPartialTest, PartialBatchInfersAndTrains) {
  staticnn::init_parameters<Net>(params, 9);
  static_params = params;
  std::vector<float> x(kBatch * kIn);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = float((i * 29) % 17) / 17.0f - 0.5f;
  const std::vector<int> labels = {2, 0, 1, 1};

  const float* full = PartialPasses::infer(params, x.data(), infer_ws);
  const std::vector<float> rows(full, full + 3 * kOut);
  const std::span<const float> all(x);
  const staticnn::BatchOutput y = PartialPasses::infer(params, all.first(3 * kIn), infer_ws);
  ASSERT_TRUE(y);
  EXPECT_EQ(y.samples, 3);
  for (int i = 0; i < 3 * kOut; ++i) EXPECT_NEAR(y.values[i], rows[i], 1e-5f) << i;
  EXPECT_EQ(PartialPasses::infer(params, all.first(kIn + 1), infer_ws).status,
            staticnn::Status::wrong_size);

  Opt sgd{{.lr = 0.05f, .momentum = 0.9f}, state};
  Opt static_sgd{{.lr = 0.05f, .momentum = 0.9f}, static_state};
  const std::span<const int> some(labels.data(), 3);
  const staticnn::LossResult dispatched =
      PartialPasses::train_step(params, grads, sgd, train_ws, all.first(3 * kIn), some);
  const staticnn::LossResult local = staticnn::train_step<Net, kBatch>(
      static_params, static_grads, static_sgd, train_ws, all.first(3 * kIn), some);
  ASSERT_TRUE(dispatched && local);
  EXPECT_NEAR(dispatched.value, local.value, 1e-5f * local.value);
  for (int i = 0; i < Net::param_count; ++i) {
    EXPECT_NEAR(params.values[i], static_params.values[i], 1e-5f) << i;
  }
  EXPECT_EQ(PartialPasses::train_step(params, grads, sgd, train_ws, all.first(2 * kIn), some)
                .status,
            staticnn::Status::wrong_size);
}

}  // namespace dispatch_partial_test
#endif  // HWY_ONCE
