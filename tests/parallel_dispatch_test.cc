// STATICNN_PARALLEL_PASSES_PER_TARGET / STATICNN_EXPORT_PARALLEL_PASSES
// (parallel_dispatch.hpp): the dispatched parallel inference gives a partial
// batch the rows of the full one, the dispatched parallel step trains, and
// bad buffers or labels leave the parameters untouched.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "tests/parallel_dispatch_test.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

#include "staticnn/parallel-inl.h"
#include "staticnn/parallel_dispatch.hpp"
#include "tests/support/nets.hpp"

#ifndef STATICNN_TESTS_PARALLEL_DISPATCH_TEST_NET  // this file is compiled once per target
#define STATICNN_TESTS_PARALLEL_DISPATCH_TEST_NET
namespace parallel_dispatch_test {
using Net = staticnn::test::LeNet;
using Opt = staticnn::Adam<Net>;
inline constexpr int kBatch = 4;
inline constexpr int kShards = 2;
}  // namespace parallel_dispatch_test
#endif

STATICNN_PARALLEL_PASSES_PER_TARGET(LeNetParallel, parallel_dispatch_test::Net,
                                    parallel_dispatch_test::kBatch,
                                    parallel_dispatch_test::kShards, parallel_dispatch_test::Opt)

#if HWY_ONCE
#include <algorithm>
#include <span>
#include <vector>

#include "gtest/gtest.h"
#include "staticnn/init.hpp"

STATICNN_EXPORT_PARALLEL_PASSES(LeNetParallel)

namespace parallel_dispatch_test {

Net::Parameters params;
Net::Gradients grads;
staticnn::ParallelInferenceWorkspace<Net, kBatch, kShards> infer_ws;
staticnn::ParallelTrainingWorkspace<Net, kBatch, kShards> train_ws;
Opt adam{{.lr = 0.01f}};

TEST(ParallelDispatchTest, DispatchedPassesAgreeAndTrain) {
  staticnn::ThreadPool pool(2);
  staticnn::init_parameters<Net>(params, 7);
  constexpr int in = Net::input_shape.size(), out = Net::output_shape.size();
  float x[kBatch * in];
  for (int i = 0; i < kBatch * in; ++i) x[i] = float((i * 37) % 19) / 19.0f - 0.5f;
  const int labels[kBatch] = {0, 1, 2, 1};

  const float* full = LeNetParallel::infer(pool, params, x, infer_ws);
  const std::vector<float> rows(full, full + 3 * out);
  const staticnn::BatchOutput partial =
      LeNetParallel::infer(pool, params, std::span<const float>(x, 3 * in), infer_ws);
  ASSERT_TRUE(partial);
  EXPECT_EQ(partial.samples, 3);
  EXPECT_TRUE(std::equal(rows.begin(), rows.end(), partial.values));

  const staticnn::LossResult first =
      LeNetParallel::train_step(pool, params, grads, adam, train_ws, x, labels);
  ASSERT_TRUE(first);
  staticnn::LossResult last = first;
  for (int i = 0; i < 30; ++i) {
    last = LeNetParallel::train_step(pool, params, grads, adam, train_ws, x, labels);
  }
  EXPECT_LT(last.value, 0.01f * first.value);

  const Net::Parameters before = params;
  const int bad[kBatch] = {0, 1, 10, 1};
  EXPECT_EQ(LeNetParallel::train_step(pool, params, grads, adam, train_ws, x, bad).status,
            staticnn::Status::label_out_of_range);
  EXPECT_EQ(LeNetParallel::train_step(pool, params, grads, adam, train_ws,
                                      std::span<const float>(x, 2 * in),
                                      std::span<const int>(labels, 3))
                .status,
            staticnn::Status::wrong_size);
  EXPECT_TRUE(std::equal(params.values, params.values + Net::param_count, before.values));
}

}  // namespace parallel_dispatch_test
#endif  // HWY_ONCE
