// BatchNorm2d / BatchNorm1d: the kernels (Kernel<L>, as the network passes call
// them) against the double-precision oracle on every Highway target, in
// training mode (batch statistics, running statistics updated), inference
// mode with `saved` (a TrainingWorkspace in Mode::inference) and without it
// (an InferenceWorkspace); then the oracle's gradients against central finite
// differences in both modes.
//
// Tolerance: element i passes if |kernel - oracle| <= K * eps * M_i + eps * |oracle|,
// where M_i bounds the magnitude of what is rounded on the way to element i
// (tests/golden.hpp's rule) and K counts the roundings, for n = Batch * H * W
// values per channel (n-term sums, two-pass variance):
//   y (batch stats)  K = n + 8,   M = (|x| + |mean|) inv_std |w| + |b|
//                    (the mean's sum, the variance's sum halved by the square
//                    root, then scale, shift and one fused multiply-add)
//   y (running)      K = 8, the same M with the running mean
//   dx (batch)       K = 3n + 20, M = |w| inv_std (|dy| + S|dy| / n + |xhat| S|dy xhat| / n)
//                    (inv_std enters cubed, and two n-term sums)
//   dx (running)     K = 4,       M = |w| inv_std |dy|
//   dweight          K = 2n + 8,  M = |g0| + S|dy| (|x| + |mean|) inv_std
//   dbias            K = n + 2,   M = |g0| + S|dy|
//   running_mean     K = n + 4,   M = (1 - m)|rm| + m S|x| / n
//   running_var      K = n + 8,   M = (1 - m)|rv| + m var n / (n - 1)
// with S a sum over the channel's n values and g0 the gradient the kernel adds to.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "tests/batch_norm_test.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "staticnn/layers/batch_norm-inl.h"
#include "hwy/tests/test_util-inl.h"
#include "tests/reference/layers.hpp"
#include "tests/support/finite_differences.hpp"
#include "tests/support/guarded.hpp"

#ifndef STATICNN_TESTS_BATCH_NORM_TEST_ONCE_
#define STATICNN_TESTS_BATCH_NORM_TEST_ONCE_
#include "staticnn/init.hpp"

namespace staticnn::batch_norm_test {

constexpr double kEps = std::numeric_limits<float>::epsilon();

// Values in offset + [-spread, spread], rounded to float: an offset mean makes
// the variance's cancellation matter.
inline std::vector<float> Random(std::size_t n, std::uint64_t seed, float spread,
                                 float offset = 0.0f) {
  SplitMix64 rng{seed};
  std::vector<float> v(n);
  for (float& x : v) x = offset + spread * rng.symmetric();
  return v;
}
inline std::vector<double> ToDouble(const float* v, std::size_t n) { return {v, v + n}; }

// |a - r| <= K eps M + eps |r| for every element; at most 5 failures reported.
inline void ExpectWithin(const float* a, const std::vector<double>& r,
                         const std::vector<double>& mag, double k, const char* what) {
  int reported = 0;
  for (std::size_t i = 0; i < r.size(); ++i) {
    const double tolerance = k * kEps * mag[i] + kEps * std::abs(r[i]);
    const double error = std::abs(double(a[i]) - r[i]);
    if (!(error <= tolerance) && reported++ < 5) {
      ADD_FAILURE() << what << "[" << i << "]: " << a[i] << " vs oracle " << r[i]
                    << " (error " << error << " > " << tolerance << ")";
    }
  }
}

}  // namespace staticnn::batch_norm_test
#endif  // STATICNN_TESTS_BATCH_NORM_TEST_ONCE_

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {
namespace {

using batch_norm_test::ExpectWithin;
using batch_norm_test::Random;
using batch_norm_test::ToDouble;
using test::Guarded;

enum class Run { training, inference_saved, inference_no_saved };

template <class L, Shape In, int Batch>
void CheckBatchNorm(Run run, std::uint64_t seed) {
  constexpr bool kAffine = L::spec.affine;
  constexpr int C = In.c, P = In.h * In.w;
  constexpr std::size_t N = std::size_t(Batch) * In.size();
  constexpr long n = long(Batch) * P;
  const bool training = run == Run::training;
  SCOPED_TRACE(testing::Message() << L::name << " " << C << "x" << In.h << "x" << In.w
                                  << " batch " << Batch << " run " << int(run));

  const std::vector<float> x = Random(N, seed, 1.0f, 3.0f);
  const std::vector<float> dy = Random(N, seed + 1, 1.0f);
  std::vector<float> params = Random(2 * C, seed + 2, 1.0f);  // weight may be negative
  std::vector<float> buffers = Random(2 * C, seed + 3, 0.5f, 2.5f);  // running mean, var > 0
  for (int c = 0; c < C; ++c) buffers[C + c] = buffers[C + c] - 1.5f;  // var in [0.5, 1.5]
  const std::vector<float> grads0 = Random(2 * C, seed + 4, 0.5f);
  if (!kAffine) params.assign(1, 0.0f);

  // The oracle, in double, from the same float values.
  const std::vector<double> xd = ToDouble(x.data(), N), dyd = ToDouble(dy.data(), N);
  const std::vector<double> pd(params.begin(), params.end());
  std::vector<double> bd(buffers.begin(), buffers.end());
  std::vector<double> gd(grads0.begin(), grads0.end()), y_ref(N), dx_ref(N);
  reference::Reference<L, double> oracle;
  oracle.forward(In, Batch, pd.data(), bd.data(), xd.data(), y_ref.data(), training);
  oracle.backward(In, Batch, pd.data(), bd.data(), xd.data(), y_ref.data(), dyd.data(),
                  dx_ref.data(), gd.data());

  // The kernel, with canaries around everything it writes.
  const float nan = std::numeric_limits<float>::quiet_NaN();
  Guarded y(N, nan), saved(L::saved_floats(In), nan), running(buffers), dx(N, nan);
  Guarded grads(kAffine ? grads0 : std::vector<float>{0.0f});
  Kernel<L>::template Forward<In, Batch>(ForwardArgs{
      x.data(), y.begin(), params.data(), running.begin(), training ? running.begin() : nullptr,
      run == Run::inference_no_saved ? nullptr : saved.begin(), nullptr, training, nullptr});

  std::vector<double> mag(N), rm_mag(C), rv_mag(C), mean(C), inv_std(C), var(C);
  for (int c = 0; c < C; ++c) {
    mean[c] = oracle.mean[c];
    inv_std[c] = oracle.inv_std[c];
    var[c] = 1.0 / (inv_std[c] * inv_std[c]) - double(L::spec.eps);
  }
  const auto at = [&](int b, int c, int i) { return std::size_t((b * C + c) * P + i); };
  for (int b = 0; b < Batch; ++b)
    for (int c = 0; c < C; ++c)
      for (int i = 0; i < P; ++i) {
        const double w = kAffine ? std::abs(pd[c]) : 1.0, bias = kAffine ? std::abs(pd[C + c]) : 0;
        mag[at(b, c, i)] = (std::abs(xd[at(b, c, i)]) + std::abs(mean[c])) * inv_std[c] * w + bias;
      }
  ExpectWithin(y.begin(), y_ref, mag, training ? double(n + 8) : 8.0, "y");
  EXPECT_TRUE(y.CanariesIntact()) << "y";
  EXPECT_TRUE(running.CanariesIntact()) << "buffers";

  if (run == Run::inference_no_saved) {
    for (std::size_t i = 0; i < 2 * std::size_t(C); ++i) {
      EXPECT_EQ(running[i], buffers[i]) << "inference must not move the running statistics";
    }
    EXPECT_TRUE(saved.CanariesIntact());
    return;  // no saved state: nothing for backward
  }
  EXPECT_TRUE(saved.CanariesIntact()) << "saved";
  EXPECT_EQ(saved[2 * C], training ? 1.0f : 0.0f) << "mode flag";

  // Running statistics: moved in training, untouched otherwise.
  const double m = L::spec.momentum;
  std::vector<double> rm_ref(bd.begin(), bd.begin() + C), rv_ref(bd.begin() + C, bd.end());
  for (int c = 0; c < C; ++c) {
    double sum_abs = 0;
    for (int b = 0; b < Batch; ++b)
      for (int i = 0; i < P; ++i) sum_abs += std::abs(xd[at(b, c, i)]);
    rm_mag[c] = (1 - m) * std::abs(buffers[c]) + m * sum_abs / double(n);
    rv_mag[c] = (1 - m) * std::abs(buffers[C + c]) + m * var[c] * (n > 1 ? double(n) / (n - 1) : 1);
  }
  if (training) {
    ExpectWithin(running.begin(), rm_ref, rm_mag, double(n + 4), "running_mean");
    ExpectWithin(running.begin() + C, rv_ref, rv_mag, double(n + 8), "running_var");
  } else {
    for (std::size_t i = 0; i < 2 * std::size_t(C); ++i) EXPECT_EQ(running[i], buffers[i]);
  }

  // Backward from the kernel's own saved state; dx overwritten, grads added to.
  Kernel<L>::template Backward<In, Batch>(BackwardArgs{x.data(), y.begin(), dy.data(), dx.begin(),
                                                       params.data(), running.begin(),
                                                       saved.begin(), grads.begin(), nullptr});
  std::vector<double> dw_mag(C), db_mag(C);
  for (int c = 0; c < C; ++c) {
    double s_dy = 0, s_dy_xhat = 0;
    for (int b = 0; b < Batch; ++b)
      for (int i = 0; i < P; ++i) {
        const double xhat = (std::abs(xd[at(b, c, i)]) + std::abs(mean[c])) * inv_std[c];
        s_dy += std::abs(dyd[at(b, c, i)]);
        s_dy_xhat += std::abs(dyd[at(b, c, i)]) * xhat;
      }
    const double w = kAffine ? std::abs(pd[c]) : 1.0;
    for (int b = 0; b < Batch; ++b)
      for (int i = 0; i < P; ++i) {
        const double xhat = (std::abs(xd[at(b, c, i)]) + std::abs(mean[c])) * inv_std[c];
        const double g = std::abs(dyd[at(b, c, i)]);
        mag[at(b, c, i)] = training ? w * inv_std[c] * (g + s_dy / n + xhat * s_dy_xhat / n)
                                    : w * inv_std[c] * g;
      }
    if (kAffine) {
      dw_mag[c] = std::abs(grads0[c]) + s_dy_xhat;
      db_mag[c] = std::abs(grads0[C + c]) + s_dy;
    }
  }
  ExpectWithin(dx.begin(), dx_ref, mag, training ? double(3 * n + 20) : 4.0, "dx");
  EXPECT_TRUE(dx.CanariesIntact()) << "dx";
  if (kAffine) {
    const std::vector<double> dw_ref(gd.begin(), gd.begin() + C), db_ref(gd.begin() + C, gd.end());
    ExpectWithin(grads.begin(), dw_ref, dw_mag, double(2 * n + 8), "dweight");
    ExpectWithin(grads.begin() + C, db_ref, db_mag, double(n + 2), "dbias");

    // Without an input gradient (the first layer): the same parameter gradients.
    Guarded grads_only(grads0);
    Kernel<L>::template Backward<In, Batch>(BackwardArgs{
        x.data(), y.begin(), dy.data(), nullptr, params.data(), running.begin(), saved.begin(),
        grads_only.begin(), nullptr});
    for (int i = 0; i < 2 * C; ++i) EXPECT_EQ(grads_only[i], grads[i]) << "din = null, " << i;
  }
  EXPECT_TRUE(grads.CanariesIntact()) << "grads";
}

template <class L, Shape In, int Batch>
void CheckEveryRun(std::uint64_t seed) {
  CheckBatchNorm<L, In, Batch>(Run::training, seed);
  CheckBatchNorm<L, In, Batch>(Run::inference_saved, seed + 10);
  CheckBatchNorm<L, In, Batch>(Run::inference_no_saved, seed + 20);
}

// Positions along vectors: 21 positions leave a remainder on every target.
void TestBatchNorm2dAlongPositions() {
  CheckEveryRun<BatchNorm2d<>, Shape{5, 7, 3}, 3>(100);
  CheckEveryRun<BatchNorm2d<{.eps = 1e-3f, .momentum = 0.3f, .affine = false}>, Shape{3, 4, 4},
                2>(200);
  CheckEveryRun<BatchNorm2d<>, Shape{2, 16, 16}, 4>(300);  // n = 1024 per channel
  CheckEveryRun<BatchNorm2d<>, Shape{3, 2, 1}, 1>(350);    // 2 positions, one sample
}

// Channels along vectors: BatchNorm1d, and BatchNorm2d on a 1 x 1 map.
void TestBatchNormAlongChannels() {
  CheckEveryRun<BatchNorm1d<>, Shape{37, 1, 1}, 5>(400);
  CheckEveryRun<BatchNorm1d<{.momentum = 0.5f, .affine = false}>, Shape{3, 1, 1}, 2>(500);
  CheckEveryRun<BatchNorm1d<>, Shape{16, 1, 1}, 64>(600);
  CheckEveryRun<BatchNorm2d<>, Shape{20, 1, 1}, 6>(700);
  // Batch 1: inference only (PyTorch refuses one value per channel in training).
  CheckBatchNorm<BatchNorm1d<>, Shape{9, 1, 1}, 1>(Run::inference_saved, 800);
  CheckBatchNorm<BatchNorm1d<>, Shape{9, 1, 1}, 1>(Run::inference_no_saved, 801);
}

// One value per channel in training mode: documented as finite (y = bias,
// running_var moves towards 0), where PyTorch raises.
void TestBatchNormOneValuePerChannel() {
  using L = BatchNorm1d<>;
  constexpr Shape In{4, 1, 1};
  const float x[4] = {1.0f, -2.0f, 3.0f, 0.5f}, params[8] = {2, 2, 2, 2, 0.5f, -1, 0, 1};
  float buffers[8] = {0, 0, 0, 0, 1, 1, 1, 1}, y[4], saved[9];
  Kernel<L>::Forward<In, 1>(
      ForwardArgs{x, y, params, buffers, buffers, saved, nullptr, true, nullptr});
  for (int c = 0; c < 4; ++c) {
    EXPECT_EQ(y[c], params[4 + c]) << "normalised value is 0, y = bias";
    EXPECT_FLOAT_EQ(buffers[c], 0.1f * x[c]);
    EXPECT_FLOAT_EQ(buffers[4 + c], 0.9f);
  }
}

}  // namespace
}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace staticnn {
HWY_BEFORE_TEST(BatchNormTest);
HWY_EXPORT_AND_TEST_P(BatchNormTest, TestBatchNorm2dAlongPositions);
HWY_EXPORT_AND_TEST_P(BatchNormTest, TestBatchNormAlongChannels);
HWY_EXPORT_AND_TEST_P(BatchNormTest, TestBatchNormOneValuePerChannel);

namespace {

// L = sum(r * y) through the oracle in one mode; its backward against central
// differences for every input, weight and bias. Buffers are restored before
// each forward so that inference sees the same running statistics.
template <class L, Shape In, int Batch>
void ExpectOracleGradients(bool training) {
  SCOPED_TRACE(testing::Message() << L::name << (training ? " training" : " inference"));
  constexpr int C = In.c;
  constexpr std::size_t N = std::size_t(Batch) * In.size();
  auto as_double = [](const std::vector<float>& v) { return std::vector<double>(v.begin(), v.end()); };
  std::vector<double> x = as_double(batch_norm_test::Random(N, 1, 1.0f, 0.5f));
  const std::vector<double> r = as_double(batch_norm_test::Random(N, 2, 1.0f));
  std::vector<double> p = as_double(batch_norm_test::Random(2 * C, 3, 1.0f));
  std::vector<double> buffers0 = as_double(batch_norm_test::Random(2 * C, 4, 0.3f));
  for (int c = 0; c < C; ++c) buffers0[C + c] += 1.0;  // running var in [0.7, 1.3]
  reference::Reference<L, double> oracle;
  const auto loss = [&] {
    std::vector<double> y(N), buffers = buffers0;
    oracle.forward(In, Batch, p.data(), buffers.data(), x.data(), y.data(), training);
    return test::weighted_sum(r, y);
  };
  loss();
  std::vector<double> g(2 * C, 0.0), dx(N), y(N);
  oracle.backward(In, Batch, p.data(), buffers0.data(), x.data(), y.data(), r.data(), dx.data(),
                  g.data());
  test::ExpectCentralDifferences(x, dx, loss, "input");
  test::ExpectCentralDifferences(p, g, loss, "weight/bias");
}

TEST(BatchNormOracleTest, GradientsMatchFiniteDifferences) {
  ExpectOracleGradients<BatchNorm2d<>, Shape{3, 3, 2}, 2>(true);
  ExpectOracleGradients<BatchNorm2d<>, Shape{3, 3, 2}, 2>(false);
  ExpectOracleGradients<BatchNorm1d<{.eps = 1e-3f}>, Shape{4, 1, 1}, 3>(true);
  ExpectOracleGradients<BatchNorm1d<{.eps = 1e-3f}>, Shape{4, 1, 1}, 3>(false);
}

// The running statistics follow PyTorch's rule: momentum towards the batch
// mean and the unbiased variance (computed by hand for one channel).
TEST(BatchNormOracleTest, RunningStatisticsUseUnbiasedVariance) {
  using L = BatchNorm1d<{.momentum = 0.25f}>;
  const double x[4] = {1.0, 2.0, 4.0, 9.0}, p[2] = {1.0, 0.0};
  double buffers[2] = {0.5, 2.0}, y[4];
  reference::Reference<L, double> oracle;
  oracle.forward(Shape{1, 1, 1}, 4, p, buffers, x, y, true);
  EXPECT_DOUBLE_EQ(buffers[0], 0.75 * 0.5 + 0.25 * 4.0);
  // mean 4, squared deviations 9 + 4 + 0 + 25 = 38: unbiased 38 / 3.
  EXPECT_DOUBLE_EQ(buffers[1], 0.75 * 2.0 + 0.25 * (38.0 / 3.0));
  EXPECT_NEAR(y[0], -3.0 / std::sqrt(38.0 / 4.0 + 1e-5f), 1e-12);  // normalised by the biased one
}

// Tensors in state_dict order, with their init rules; summary text.
TEST(BatchNormLayerTest, TensorsAndDescription) {
  constexpr auto t = BatchNorm2d<>::tensors(Shape{6, 4, 4});
  static_assert(t.size() == 4);
  static_assert(t[0].name == TensorName("weight") && t[0].init == Init::ones &&
                t[0].role == TensorRole::parameter);
  static_assert(t[1].name == TensorName("bias") && t[1].init == Init::zeros);
  static_assert(t[2].name == TensorName("running_mean") && t[2].role == TensorRole::buffer &&
                t[2].init == Init::zeros && t[2].count() == 6);
  static_assert(t[3].name == TensorName("running_var") && t[3].init == Init::ones);
  constexpr auto u = BatchNorm1d<{.affine = false}>::tensors(Shape{5, 1, 1});
  static_assert(u.size() == 2 && u[0].name == TensorName("running_mean"));
  TextLine line;
  detail::describe_layer<BatchNorm2d<{.eps = 1e-3f, .affine = false}>>(line, Shape{6, 4, 4});
  EXPECT_STREQ(line.s, "BatchNorm2d(6, eps=0.001, affine=False)");
  TextLine plain;
  detail::describe_layer<BatchNorm1d<>>(plain, Shape{7, 1, 1});
  EXPECT_STREQ(plain.s, "BatchNorm1d(7)");
}

}  // namespace
}  // namespace staticnn
#endif  // HWY_ONCE
