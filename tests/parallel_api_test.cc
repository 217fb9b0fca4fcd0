// The data-parallel entry points (parallel.hpp) with buffers of every kind:
// a full batch of fixed size and a partial batch of run-time size give what
// the single-thread forward and train_step give; sizes that do not fit are
// Status::wrong_size with nothing done. Static dispatch; every target's
// parallel passes are in parallel_test.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <span>
#include <utility>
#include <vector>

#include "staticnn/init.hpp"
#include "staticnn/parallel.hpp"
#include "staticnn/staticnn.hpp"

namespace staticnn::parallel_api_test {
namespace {

using Net = Network<Input<1, 6, 6>, Conv2d<Conv2dSpec{.out_channels = 3, .kernel_size = 3}>,
                    ReLU, Flatten, Linear<LinearSpec{.out_features = 4}>>;
constexpr int kBatch = 4, kShards = 2;
constexpr std::size_t kIn = Net::input_shape.size();
constexpr int kOut = Net::output_shape.size();

// The entry points at this batch, by names without a comma (for gtest's macros).
template <class... A>
auto Forward(A&&... a) {
  return forward<Net, kBatch>(std::forward<A>(a)...);
}
template <class... A>
LossResult TrainStep(A&&... a) {
  return train_step<Net, kBatch>(std::forward<A>(a)...);
}

struct Fixture {
  ThreadPool pool{2};
  Net::Parameters p;
  Net::Gradients g;
  SgdState<Net> state{};
  InferenceWorkspace<Net, kBatch> infer_ws;
  TrainingWorkspace<Net, kBatch> train_ws;
  ParallelInferenceWorkspace<Net, kBatch, kShards> parallel_infer_ws;
  ParallelTrainingWorkspace<Net, kBatch, kShards> parallel_train_ws;
  std::array<float, kBatch * kIn> x{};
  std::array<int, kBatch> labels{0, 1, 2, 3};
  Fixture() {
    init_parameters<Net>(p, 3);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = std::sin(0.3f * float(i));
  }
};

TEST(ParallelApi, StatusName) {
  EXPECT_STREQ(to_string(Status::split_batch_statistics),
               "a batch split across threads cannot train a network with BatchNorm");
}

TEST(ParallelApi, Inference) {
  static Fixture f;
  const float* y = Forward(f.p, f.x, f.infer_ws);
  const float* y_parallel = Forward(f.pool, f.p, f.x, f.parallel_infer_ws);
  for (int i = 0; i < kBatch * kOut; ++i) EXPECT_NEAR(y_parallel[i], y[i], 1e-6f) << i;

  const std::vector<float> three(f.x.begin(), f.x.begin() + 3 * kIn);
  const BatchOutput partial = Forward(f.pool, f.p, three, f.parallel_infer_ws);
  ASSERT_TRUE(partial);
  EXPECT_EQ(partial.samples, 3);
  for (int i = 0; i < 3 * kOut; ++i) EXPECT_NEAR(partial.values[i], y[i], 1e-6f) << i;

  const std::span<const float> all(f.x);
  EXPECT_EQ(Forward(f.pool, f.p, all.first(kIn + 1), f.parallel_infer_ws).status,
            Status::wrong_size);
  const std::vector<float> too_many(kIn * (kBatch + 1), 0.0f);
  EXPECT_EQ(Forward(f.pool, f.p, too_many, f.parallel_infer_ws).status,
            Status::wrong_size);
}

// A full and a partial step against train_step from the same parameters;
// buffers that do not fit change nothing.
TEST(ParallelApi, Training) {
  static Fixture f;
  const Net::Parameters start = f.p;
  static SgdState<Net> state_parallel{};
  static Net::Parameters p_parallel;
  p_parallel = start;
  Optimizer sgd{SgdOptions{.lr = 0.1f}, f.state};
  Optimizer sgd_parallel{SgdOptions{.lr = 0.1f}, state_parallel};
  const std::span<const float> x(f.x);
  const std::span<const int> labels(f.labels);
  EXPECT_EQ(TrainStep(f.pool, p_parallel, f.g, sgd_parallel, f.parallel_train_ws,
                                    x.first(2 * kIn), labels.first(3))
                .status,
            Status::wrong_size);
  EXPECT_EQ(TrainStep(f.pool, p_parallel, f.g, sgd_parallel, f.parallel_train_ws,
                                    x.first(0), labels.first(0))
                .status,
            Status::wrong_size);
  EXPECT_TRUE(std::equal(p_parallel.values, p_parallel.values + Net::param_count, start.values));
  EXPECT_EQ(state_parallel.step, 0);

  for (int n : {kBatch, 3}) {
    SCOPED_TRACE(n);
    const LossResult loss = TrainStep(f.p, f.g, sgd, f.train_ws, x.first(n * kIn),
                                                    labels.first(n));
    const LossResult loss_parallel =
        TrainStep(f.pool, p_parallel, f.g, sgd_parallel, f.parallel_train_ws,
                                x.first(n * kIn), labels.first(n));
    ASSERT_TRUE(loss && loss_parallel);
    EXPECT_NEAR(loss_parallel.value, loss.value, 1e-6f);
    for (int i = 0; i < Net::param_count; ++i) {
      EXPECT_NEAR(p_parallel.values[i], f.p.values[i], 1e-6f) << i;
    }
  }
  EXPECT_EQ(state_parallel.step, 2);
  // Fixed-size buffers of a whole batch.
  EXPECT_TRUE(TrainStep(f.pool, p_parallel, f.g, sgd_parallel,
                                      f.parallel_train_ws, f.x, f.labels));
}

}  // namespace
}  // namespace staticnn::parallel_api_test
