// The passes' public entry points (passes.hpp) with buffers of every kind
// (batch_buffers.hpp): fixed-size buffers of the right size are taken as
// they are (a wrong one does not compile: tests/compile_fail/batch_*), those
// of run-time size are checked (Status::wrong_size, nothing done) and may
// carry a partial batch where the pass allows one, whose results are those
// of the same samples in a full batch. Static dispatch; every target's
// partial-batch passes are in partial_batch_test.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <span>
#include <utility>
#include <vector>

#include "staticnn/init.hpp"
#include "staticnn/passes.hpp"
#include "staticnn/staticnn.hpp"

namespace staticnn::span_api_test {
namespace {

using Net = Network<Input<1, 6, 6>, Conv2d<Conv2dSpec{.out_channels = 3, .kernel_size = 3}>,
                    ReLU, Flatten, Linear<LinearSpec{.out_features = 4}>>;
constexpr int kBatch = 4;
constexpr std::size_t kIn = Net::input_shape.size();
constexpr int kOut = Net::output_shape.size();

// The entry points at this batch, by names without a comma (for gtest's macros).
template <class... A>
auto Forward(A&&... a) {
  return forward<Net, kBatch>(std::forward<A>(a)...);
}
template <class... A>
Status Backward(A&&... a) {
  return backward<Net, kBatch>(std::forward<A>(a)...);
}
template <class... A>
LossResult TrainStep(A&&... a) {
  return train_step<Net, kBatch>(std::forward<A>(a)...);
}
template <class... A>
LossResult CrossEntropy(A&&... a) {
  return softmax_cross_entropy<Net, kBatch>(std::forward<A>(a)...);
}

struct Fixture {
  Net::Parameters p;
  Net::Gradients g;
  InferenceWorkspace<Net, kBatch> infer_ws;
  TrainingWorkspace<Net, kBatch> train_ws;
  SgdState<Net> state{};
  std::array<float, kBatch * kIn> x{};
  std::array<int, kBatch> labels{0, 1, 2, 3};
  Fixture() {
    init_parameters<Net>(p, 3);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = std::sin(0.3f * float(i));
  }
};

TEST(SpanApi, StatusNames) {
  EXPECT_STREQ(to_string(Status::wrong_size), "buffer size does not match the batch");
  EXPECT_STREQ(to_string(Status::partial_batch_statistics),
               "a partial batch cannot train a network with BatchNorm");
}

TEST(SpanApi, FixedSizeBuffersRunTheBatch) {
  static Fixture f;
  const float* y = Forward(f.p, f.x, f.infer_ws);
  const std::span<const float, kBatch * kIn> fixed(f.x);
  EXPECT_EQ(Forward(f.p, fixed, f.infer_ws), y);
  EXPECT_EQ(Forward(f.p, f.x.data(), f.infer_ws), y);  // unchecked pointer
  Optimizer sgd{SgdOptions{.lr = 0.1f}, f.state};
  EXPECT_TRUE(TrainStep(f.p, f.g, sgd, f.train_ws, f.x, f.labels));
  float dx[kBatch * kIn];
  EXPECT_EQ(Backward(f.p, f.x, f.train_ws, f.train_ws.output_gradient, f.g, dx),
            Status::ok);
}

// A partial batch of run-time size infers as the same samples in a full
// batch; a size that is not a whole number of samples, none, or more than a
// batch is refused.
TEST(SpanApi, RunTimeSizeInference) {
  static Fixture f;
  const float* full = Forward(f.p, f.x, f.infer_ws);
  const std::vector<float> full_rows(full, full + kBatch * kOut);
  for (int n = 1; n <= kBatch; ++n) {
    SCOPED_TRACE(n);
    const std::vector<float> x(f.x.begin(), f.x.begin() + n * kIn);
    const BatchOutput y = Forward(f.p, x, f.infer_ws);
    ASSERT_TRUE(y);
    EXPECT_EQ(y.samples, n);
    for (int i = 0; i < n * kOut; ++i) EXPECT_NEAR(y.values[i], full_rows[i], 1e-5f) << i;
  }
  const std::span<const float> all(f.x);
  for (const std::span<const float> bad :
       {all.first(0), all.first(kIn - 1), all.first(2 * kIn + 1)}) {
    const BatchOutput y = Forward(f.p, bad, f.infer_ws);
    EXPECT_EQ(y.status, Status::wrong_size);
    EXPECT_EQ(y.values, nullptr);
  }
  const std::vector<float> too_many(kIn * (kBatch + 1), 0.0f);
  EXPECT_EQ(Forward(f.p, too_many, f.infer_ws).status, Status::wrong_size);
}

// train_step on n samples of run-time size is the step of a batch of n
// (checked on every target against the batch-n passes and the oracle in
// partial_batch_test); sizes that disagree or do not fit are refused and the
// parameters left alone.
TEST(SpanApi, RunTimeSizeTraining) {
  static Fixture f;
  const Net::Parameters before = f.p;
  Optimizer sgd{SgdOptions{.lr = 0.1f}, f.state};
  const std::span<const float> x(f.x);
  const std::span<const int> labels(f.labels);
  EXPECT_EQ(TrainStep(f.p, f.g, sgd, f.train_ws, x.first(2 * kIn), labels.first(3))
                .status,
            Status::wrong_size);
  EXPECT_EQ(TrainStep(f.p, f.g, sgd, f.train_ws, f.x.data(), labels.first(3))
                .status,
            Status::wrong_size);  // a pointer stands for a full batch
  EXPECT_EQ(TrainStep(f.p, f.g, sgd, f.train_ws, x.first(0), labels.first(0))
                .status,
            Status::wrong_size);
  EXPECT_TRUE(std::equal(f.p.values, f.p.values + Net::param_count, before.values));
  EXPECT_EQ(f.state.step, 0);

  const LossResult partial =
      TrainStep(f.p, f.g, sgd, f.train_ws, x.first(3 * kIn), labels.first(3));
  ASSERT_TRUE(partial);
  EXPECT_EQ(f.state.step, 1);
  EXPECT_FALSE(std::equal(f.p.values, f.p.values + Net::param_count, before.values));
  // Its loss is the mean over the 3 samples, as the loss on 3 rows says.
  static InferenceWorkspace<Net, kBatch> ws;
  const BatchOutput y = Forward(before, x.first(3 * kIn), ws);
  float dlogits[3 * kOut];
  const LossResult loss = CrossEntropy(
      std::span(y.values, 3 * kOut), labels.first(3), std::span<float>(dlogits));
  ASSERT_TRUE(loss);
  EXPECT_NEAR(partial.value, loss.value, 1e-5f);
}

// Forward for training and backward take full batches only.
TEST(SpanApi, RunTimeSizeForwardAndBackward) {
  static Fixture f;
  const std::span<const float> x(f.x);
  EXPECT_EQ(Forward(f.p, x.first(kIn), f.train_ws).status, Status::wrong_size);
  const BatchOutput y = Forward(f.p, x, f.train_ws);
  ASSERT_TRUE(y);
  EXPECT_EQ(y.samples, kBatch);
  std::vector<float> dout(kBatch * kOut, 0.1f), dx(kBatch * kIn);
  EXPECT_EQ(Backward(f.p, x, f.train_ws, dout, f.g, dx), Status::ok);
  EXPECT_EQ(Backward(f.p, x, f.train_ws, std::span(dout).first(kOut), f.g, dx),
            Status::wrong_size);
  dx.resize(kIn);
  EXPECT_EQ(Backward(f.p, x, f.train_ws, dout, f.g, dx), Status::wrong_size);
}

// The losses over a partial batch: the mean over its samples; labels are
// still checked, and sizes must agree.
TEST(SpanApi, RunTimeSizeLosses) {
  std::vector<float> scores = {1.0f, -1.0f, 0.5f, 0.0f, 0.2f, 0.3f, -0.4f, 2.0f};  // 2 rows
  std::vector<int> labels = {0, 3};
  std::vector<float> d(scores.size());
  const LossResult ce = CrossEntropy(scores, labels, d);
  ASSERT_TRUE(ce);
  double expected = 0;
  for (int b = 0; b < 2; ++b) {
    double sum = 0;
    for (int j = 0; j < kOut; ++j) sum += std::exp(double(scores[b * kOut + j]));
    expected += std::log(sum) - scores[b * kOut + labels[b]];
  }
  EXPECT_NEAR(ce.value, expected / 2, 1e-6);
  EXPECT_NEAR(d[0], (std::exp(1.0) / (std::exp(1.0) + std::exp(-1.0) + std::exp(0.5) + 1) - 1) / 2,
              1e-6);
  EXPECT_TRUE((multiclass_hinge<Net, kBatch>(scores, labels, d)));
  const std::vector<float> target(scores.size(), 0.0f);
  const LossResult mse = mean_squared_error<Net, kBatch>(scores, target, d);
  double squares = 0;
  for (float s : scores) squares += double(s) * s;
  EXPECT_NEAR(mse.value, squares / double(scores.size()), 1e-6);
  EXPECT_NEAR(d[7], 2 * 2.0 / double(scores.size()), 1e-6);

  labels[1] = kOut;
  EXPECT_EQ(CrossEntropy(scores, labels, d).status,
            Status::label_out_of_range);
  labels = {0};
  EXPECT_EQ(CrossEntropy(scores, labels, d).status, Status::wrong_size);
}

}  // namespace
}  // namespace staticnn::span_api_test
