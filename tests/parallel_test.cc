// The data-parallel passes (parallel-inl.h) on every Highway target: a
// training step with the batch split across a pool's threads equals the
// single-thread step to rounding (loss at every step, parameters after
// several SGD-with-momentum steps) on LeNet-5 and the CIFAR-style net, with
// as many shards as threads, more shards than threads, and a partial batch;
// inference equals Forward; nothing is allocated per step; bad labels,
// non-finite values and BatchNorm (per-shard statistics) are refused with
// their Status, the parameters untouched.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "tests/parallel_test.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

#include "staticnn/init.hpp"
#include "staticnn/parallel-inl.h"
#include "tests/support/compare.hpp"
#include "tests/support/layer_nets.hpp"
#include "tests/support/nets.hpp"
#include "hwy/tests/test_util-inl.h"
// After Highway's headers, whose mm_malloc.h declares posix_memalign first.
#include "tests/support/allocation_counter.hpp"

#ifndef STATICNN_TESTS_PARALLEL_TEST_POOL_
#define STATICNN_TESTS_PARALLEL_TEST_POOL_
namespace staticnn::test {
// One pool for every test and target, as a program would have.
inline ThreadPool& Pool() {
  static ThreadPool pool(2);
  return pool;
}
}  // namespace staticnn::test
#endif

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {
namespace {

using test::relative_error;

// `steps` steps on the first N samples of the same data: single-thread
// (TrainStepSamples at Batch) against Shards shards on the pool. With
// `resync`, each step starts the sharded model from the single-thread one's
// parameters and momentum: a network whose ReLUs and max pools sit near a tie
// (CifarNet) can flip one on the shards' rounding difference, which a later
// step would then carry as a real difference in the gradient.
template <class Net, int Batch, int Shards, int N = Batch>
void CheckStepEqualsSingleThread(int steps, std::uint64_t seed, bool resync = false) {
  constexpr std::size_t in = Net::input_shape.size();
  constexpr int k = Net::output_shape.size();
  const std::vector<float> x = test::random_vector<float>(N * in, seed);
  int labels[N];
  for (int b = 0; b < N; ++b) labels[b] = (b * 7 + 3) % k;

  static typename Net::Parameters p, p_parallel;
  static typename Net::Gradients g, g_parallel;
  static SgdState<Net> state, state_parallel;
  static TrainingWorkspace<Net, Batch> ws;
  static ParallelTrainingWorkspace<Net, Batch, Shards> ws_parallel;
  init_parameters<Net>(p, seed + 1);
  p_parallel = p;
  state = state_parallel = SgdState<Net>{};
  const SgdOptions options{.lr = 0.05f, .momentum = 0.9f};
  Optimizer sgd{options, state};
  Optimizer sgd_parallel{options, state_parallel};
  ThreadPool& pool = test::Pool();  // started outside the counted scopes
  for (int step = 0; step < steps; ++step) {
    const LossResult loss = TrainStepSamples<Net, Batch>(p, g, sgd, ws, x.data(), labels, N);
    LossResult loss_parallel;
    {
      test::AllocationScope scope;
      loss_parallel = ParallelTrainStep<Net, Batch, Shards>(pool, p_parallel, g_parallel,
                                                             sgd_parallel, ws_parallel, x.data(),
                                                             labels, N);
      EXPECT_EQ(scope.count(), 0);
    }
    ASSERT_TRUE(loss && loss_parallel);
    EXPECT_NEAR(loss_parallel.value, loss.value, 1e-5 * std::abs(loss.value)) << "step " << step;
    EXPECT_LT(relative_error(g_parallel.values, g.values, Net::param_count), 2e-5)
        << "step " << step;
    if (resync && step + 1 < steps) {
      EXPECT_LT(relative_error(p_parallel.values, p.values, Net::param_count), 1e-5);
      p_parallel = p;
      state_parallel = state;
    }
  }
  EXPECT_LT(relative_error(p_parallel.values, p.values, Net::param_count), 1e-5);
  EXPECT_EQ(state_parallel.step, steps);
}

void TestTrainStepEqualsSingleThread() {
  CheckStepEqualsSingleThread<test::LeNet, 16, 2>(3, 1);
  CheckStepEqualsSingleThread<test::LeNet, 16, 4>(2, 2);      // 2 shards per thread
  CheckStepEqualsSingleThread<test::LeNet, 16, 4, 11>(2, 3);  // shards of 2, 3, 3, 3
  CheckStepEqualsSingleThread<test::LeNet, 16, 4, 2>(1, 4);   // two shards empty
  // Resynchronised: with Winograd's weight gradient, whose roundings differ
  // from the direct one's, the second step flipped a ReLU or max pool near a
  // tie on SSE4, SSSE3 and SCALAR (the same 0.2% of the largest gradient on
  // all three: a discrete flip, not a drift).
  CheckStepEqualsSingleThread<test::CifarNet, 4, 2>(3, 5, /*resync=*/true);
}

// Outputs of a full and a partial batch, against Forward at Batch.
template <class Net, int Batch, int Shards>
void CheckForwardEqualsSingleThread(std::uint64_t seed) {
  constexpr std::size_t in = Net::input_shape.size(), out = Net::output_shape.size();
  const std::vector<float> x = test::random_vector<float>(Batch * in, seed);
  static typename Net::Parameters p;
  static InferenceWorkspace<Net, Batch> ws;
  static ParallelInferenceWorkspace<Net, Batch, Shards> ws_parallel;
  init_parameters<Net>(p, seed + 1);
  const float* y = Forward<Net, Batch>(p, x.data(), ws);
  ThreadPool& pool = test::Pool();
  for (int n : {Batch, Batch - 1, 1}) {
    const float* y_parallel = nullptr;
    {
      test::AllocationScope scope;
      y_parallel = ParallelForward<Net, Batch, Shards>(pool, p, x.data(), ws_parallel, n);
      EXPECT_EQ(scope.count(), 0);
    }
    EXPECT_LT(relative_error(y_parallel, y, n * out), 1e-5) << n << " samples";
  }
}

void TestForwardEqualsSingleThread() {
  CheckForwardEqualsSingleThread<test::LeNet, 8, 2>(6);
  CheckForwardEqualsSingleThread<test::LeNet, 9, 3>(7);
}

// A refused step leaves the parameters and the optimizer state as they were.
template <class Net, int Batch, int Shards>
void ExpectRefused(typename Net::Parameters& p, const float* x, const int* labels,
                   const SgdOptions& options, Status expected) {
  static typename Net::Gradients g;
  static SgdState<Net> state;
  static ParallelTrainingWorkspace<Net, Batch, Shards> ws;
  state = SgdState<Net>{};
  const typename Net::Parameters before = p;
  Optimizer sgd{options, state};
  const LossResult r =
      ParallelTrainStep<Net, Batch, Shards>(test::Pool(), p, g, sgd, ws, x, labels);
  EXPECT_EQ(r.status, expected) << to_string(expected);
  EXPECT_TRUE(std::equal(p.values, p.values + Net::param_count, before.values));
  EXPECT_TRUE(std::equal(p.buffers, p.buffers + Net::buffer_count, before.buffers));
  EXPECT_EQ(state.step, 0);
}

void TestRefusedSteps() {
  using Net = test::LeNet;
  constexpr int kBatch = 4;
  static Net::Parameters p;
  init_parameters<Net>(p, 8);
  std::vector<float> x = test::random_vector<float>(kBatch * Net::input_shape.size(), 9);
  int labels[kBatch] = {0, 1, 2, 3};
  const SgdOptions sgd{.lr = 0.1f};
  labels[3] = 10;
  ExpectRefused<Net, kBatch, 2>(p, x.data(), labels, sgd, Status::label_out_of_range);
  labels[3] = 3;
  ExpectRefused<Net, kBatch, 2>(p, x.data(), labels, SgdOptions{.lr = -1.0f},
                                Status::invalid_options);
  x[x.size() - 1] = std::numeric_limits<float>::quiet_NaN();  // in the last shard only
  ExpectRefused<Net, kBatch, 2>(p, x.data(), labels, sgd, Status::non_finite);

  // BatchNorm's statistics would be per shard: refused, buffers untouched;
  // one shard is the single-thread step.
  using Norm = test::NormNet;
  static Norm::Parameters pn;
  init_parameters<Norm>(pn, 10);
  const std::vector<float> xn = test::random_vector<float>(kBatch * Norm::input_shape.size(), 11);
  ExpectRefused<Norm, kBatch, 2>(pn, xn.data(), labels, sgd, Status::split_batch_statistics);
  static Norm::Gradients gn;
  static SgdState<Norm> state;
  static ParallelTrainingWorkspace<Norm, kBatch, 1> ws;
  Optimizer opt{sgd, state};
  const LossResult one_shard =
      ParallelTrainStep<Norm, kBatch, 1>(test::Pool(), pn, gn, opt, ws, xn.data(), labels);
  EXPECT_EQ(one_shard.status, Status::ok);
}

}  // namespace
// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace staticnn {
HWY_BEFORE_TEST(ParallelTest);
HWY_EXPORT_AND_TEST_P(ParallelTest, TestTrainStepEqualsSingleThread);
HWY_EXPORT_AND_TEST_P(ParallelTest, TestForwardEqualsSingleThread);
HWY_EXPORT_AND_TEST_P(ParallelTest, TestRefusedSteps);
}  // namespace staticnn
#endif
