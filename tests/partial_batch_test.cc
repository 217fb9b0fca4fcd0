// A partial last batch (n < Batch samples) on every Highway target:
// inference and a training step in the batch's own workspace give what a
// batch of exactly n gives (the same passes at batch n, and the
// double-precision oracle at batch n: loss, gradients and outputs), without
// touching the heap; a network with BatchNorm is refused a partial training
// step (its batch statistics need the whole batch) but infers on one.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "tests/partial_batch_test.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include "staticnn/init.hpp"
#include "staticnn/passes-inl.h"
#include "tests/reference/loss.hpp"
#include "tests/reference/network.hpp"
#include "tests/support/compare.hpp"
#include "tests/support/layer_nets.hpp"
#include "tests/support/nets.hpp"
#include "hwy/tests/test_util-inl.h"
// After Highway's headers, whose mm_malloc.h declares posix_memalign first.
#include "tests/support/allocation_counter.hpp"

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {
namespace {

using test::relative_error;

// n samples run in a workspace for Batch: inference and one SGD step against
// the passes at batch n and the oracle at batch n.
template <class Net, int Batch, int N>
void CheckPartialBatch(std::uint64_t seed) {
  static_assert(N < Batch);
  constexpr std::size_t in = Net::input_shape.size();
  constexpr int k = Net::output_shape.size();
  const std::vector<float> x = test::random_vector<float>(N * in, seed);
  int labels[N];
  for (int b = 0; b < N; ++b) labels[b] = (b * 7 + 1) % k;

  static typename Net::Parameters p, p_n, p_start;
  static typename Net::Gradients g, g_n;
  static InferenceWorkspace<Net, Batch> infer_ws;
  static TrainingWorkspace<Net, Batch> train_ws;
  static InferenceWorkspace<Net, N> infer_ws_n;
  static TrainingWorkspace<Net, N> train_ws_n;
  init_parameters<Net>(p_start, seed + 1);
  p = p_n = p_start;
  static SgdState<Net> state, state_n;  // no momentum: only the step count is used
  state.step = state_n.step = 0;
  Optimizer sgd{SgdOptions{.lr = 0.1f}, state};
  Optimizer sgd_n{SgdOptions{.lr = 0.1f}, state_n};

  // Inference.
  const float* y_n = Forward<Net, N>(p_n, x.data(), infer_ws_n);
  const std::vector<float> y_batch_n(y_n, y_n + N * k);
  const float* y = nullptr;
  {
    test::AllocationScope scope;
    y = ForwardSamples<Net, Batch>(p, x.data(), infer_ws, N);
    EXPECT_EQ(scope.count(), 0);
  }
  reference::NetworkOracle<Net, double> oracle(N);
  const std::vector<double> params(p_start.values, p_start.values + Net::param_count);
  const std::vector<double> xd(x.begin(), x.end());
  const std::vector<double> y_ref = oracle.forward(params.data(), xd.data());
  EXPECT_LT(relative_error(y, y_batch_n.data(), N * k), 1e-5);
  EXPECT_LT(relative_error(y, y_ref.data(), N * k), 2e-5);

  // Training: the loss and gradients of a batch of n, then the step.
  LossResult loss;
  {
    test::AllocationScope scope;
    loss = TrainStepSamples<Net, Batch>(p, g, sgd, train_ws, x.data(), labels, N);
    EXPECT_EQ(scope.count(), 0);
  }
  const LossResult loss_n = TrainStep<Net, N>(p_n, g_n, sgd_n, train_ws_n, x.data(), labels);
  ASSERT_TRUE(loss && loss_n);
  std::vector<double> dlogits(N * k);
  double loss_ref = 0;
  for (int b = 0; b < N; ++b) {
    loss_ref += reference::softmax_cross_entropy(k, y_ref.data() + b * k, labels[b],
                                                 dlogits.data() + b * k, 1.0 / N) / N;
  }
  std::vector<double> g_ref(Net::param_count, 0.0), dx_ref(xd.size());
  oracle.backward(params.data(), dlogits.data(), g_ref.data(), dx_ref.data());
  EXPECT_NEAR(loss.value, loss_n.value, 1e-5 * std::abs(loss_n.value));
  EXPECT_NEAR(loss.value, loss_ref, 2e-5 * std::abs(loss_ref));
  EXPECT_LT(relative_error(g.values, g_n.values, Net::param_count), 1e-5);
  EXPECT_LT(relative_error(g.values, g_ref.data(), Net::param_count), 5e-5);
  EXPECT_LT(relative_error(p.values, p_n.values, Net::param_count), 1e-5);
  EXPECT_NE(p.values[0], p_start.values[0]);  // the step was taken

  // The per-sample path checks the labels it uses, and leaves a full batch to
  // the batch path.
  labels[N - 1] = k;
  const LossResult bad = TrainStepSamples<Net, Batch>(p, g, sgd, train_ws, x.data(), labels, N);
  EXPECT_EQ(bad.status, Status::label_out_of_range);
}

// Every layer kind, and every block (cheap to compile, unlike LeNet-5 at a
// third batch size).
void TestPartialBatchMatchesBatchOfN() {
  CheckPartialBatch<test::EveryLayerNet, 5, 2>(12);
  CheckPartialBatch<test::BlocksNet, 4, 1>(13);
}

// BatchNorm: training needs the whole batch; inference takes any n and gives
// the rows a full batch gives.
void TestPartialBatchWithBatchNorm() {
  using Net = test::NormNet;
  constexpr int kBatch = 4, kN = 3;
  constexpr std::size_t in = Net::input_shape.size();
  constexpr int k = Net::output_shape.size();
  static Net::Parameters p;
  static Net::Gradients g;
  static TrainingWorkspace<Net, kBatch> train_ws;
  static InferenceWorkspace<Net, kBatch> infer_ws;
  static SgdState<Net> state;
  init_parameters<Net>(p, 5);
  const Net::Parameters before = p;
  Optimizer sgd{SgdOptions{.lr = 0.1f}, state};
  const std::vector<float> x = test::random_vector<float>(kBatch * in, 6);
  const int labels[kBatch] = {0, 1, 2, 3};
  const LossResult refused =
      TrainStepSamples<Net, kBatch>(p, g, sgd, train_ws, x.data(), labels, kN);
  EXPECT_EQ(refused.status, Status::partial_batch_statistics);
  EXPECT_TRUE(std::equal(p.values, p.values + Net::param_count, before.values));
  EXPECT_TRUE(std::equal(p.buffers, p.buffers + Net::buffer_count, before.buffers));

  const float* full = Forward<Net, kBatch>(p, x.data(), infer_ws);
  const std::vector<float> rows(full, full + kN * k);
  const float* partial = ForwardSamples<Net, kBatch>(p, x.data(), infer_ws, kN);
  EXPECT_LT(relative_error(partial, rows.data(), kN * k), 1e-5);
}

}  // namespace
// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace staticnn {
HWY_BEFORE_TEST(PartialBatchTest);
HWY_EXPORT_AND_TEST_P(PartialBatchTest, TestPartialBatchMatchesBatchOfN);
HWY_EXPORT_AND_TEST_P(PartialBatchTest, TestPartialBatchWithBatchNorm);
}  // namespace staticnn
#endif
