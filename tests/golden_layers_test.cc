// staticnn's kernels against PyTorch, layer by layer, on the golden data that
// tools/make_golden.py wrote (tests/data/golden), on every Highway target
// compiled here. Each case runs the kernels one sample at a time (or with the
// Batch it names) and compares y, dx, dw and db.
//
// Tolerance (tests/golden.hpp): |actual - pytorch| <= K * eps * T.mag + eps * |pytorch|,
// with T.mag from the file (max over T of the sum of |terms|) and K stated
// below per tensor: the roundings on the way to one element. For a sum of n
// products: n products + (n - 1) additions <= 2n, but gamma_n covers a dot
// product of length n in any order (fused or not), so K = n, plus one per
// further operation (bias, division, input rounding). Transcendental
// functions are Highway's (at most 4 ulp, hwy/contrib/math).
//
// Outputs that a kernel overwrites start as NaN (an element it never writes
// fails); dw and db start at zero, since the kernels accumulate into them.
#include <algorithm>
#include <cstddef>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "staticnn/geometry.hpp"
#include "staticnn/kernels/conv2d_scratch.hpp"
#include "staticnn/layers/activations.hpp"
#include "staticnn/layers/conv2d.hpp"
#include "staticnn/layers/linear.hpp"
#include "staticnn/layers/pool2d.hpp"
#include "tests/golden.hpp"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "tests/golden_layers_test.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include "hwy/highway.h"
#include "staticnn/kernels/activation-inl.h"
#include "staticnn/kernels/conv2d-inl.h"
#include "staticnn/kernels/linear-inl.h"
#include "staticnn/kernels/loss-inl.h"
#include "staticnn/kernels/pool2d-inl.h"
#include "hwy/tests/test_util-inl.h"

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {
namespace {

using golden::File;
using golden::Tensor;
using Dims = std::vector<int>;

// Highway's functions are accurate to at most this many ulp.
constexpr int kTranscendentalUlps = 4;

std::vector<float> Unwritten(int n) {
  return std::vector<float>(static_cast<std::size_t>(n),
                            std::numeric_limits<float>::quiet_NaN());
}

std::size_t Count(const Dims& dims) {
  std::size_t n = 1;
  for (int d : dims) n *= static_cast<std::size_t>(d);
  return n;
}

// Compares `actual` with the file's tensor `name`, of dims `dims`, allowing
// `terms` roundings of the magnitude stored as "<mag_name>.mag".
void Check(const File& f, const std::string& case_name, const std::string& name,
           const Dims& dims, const std::vector<float>& actual, double terms,
           const std::string& mag_name = "") {
  ASSERT_EQ(actual.size(), Count(dims)) << case_name << " " << name;
  const Tensor& expected = f.Get(name, dims);
  const float magnitude = f.Scalar((mag_name.empty() ? name : mag_name) + ".mag");
  golden::ExpectNear(case_name, name, hwy::TargetName(HWY_TARGET), actual.data(), expected,
                     terms, magnitude);
}

// ------------------------------------------------------------------- Conv2d

template <class Layer, Shape In, int N>
void CheckConv2d(const std::string& name) {
  static_assert(Layer::step(In, false).violation.ok(), "the golden case is a valid layer");
  constexpr Conv2dGeometry G = Layer::geometry(In);
  const File f(name);
  if (!f.ok()) return;
  const Dims in_dims{N, In.c, In.h, In.w}, out_dims{N, G.out.c, G.out.h, G.out.w};
  const Dims w_dims{G.out.c, G.in_per_group(), G.y.kernel, G.x.kernel};
  const Tensor& x = f.Get("x", in_dims);
  const Tensor& w = f.Get("weight", w_dims);
  const float* b = G.bias ? f.Get("bias", {G.out.c}).data() : nullptr;
  const Tensor& dy = f.Get("dy", out_dims);

  auto scratch = hwy::AllocateAligned<float>(std::max<std::size_t>(1, conv2d_scratch_floats(G)));
  std::vector<float> y = Unwritten(N * G.out.size()), dx = Unwritten(N * G.in.size());
  std::vector<float> dw(G.weight_count(), 0.0f), db(G.bias_count(), 0.0f);
  for (int n = 0; n < N; ++n) {
    const float* xn = x.data() + n * G.in.size();
    const float* dyn = dy.data() + n * G.out.size();
    Conv2dForward<G>(xn, w.data(), b, y.data() + n * G.out.size(), scratch.get());
    Conv2dBackwardInput<G>(dyn, w.data(), dx.data() + n * G.in.size(), scratch.get());
    Conv2dBackwardParams<G>(xn, dyn, dw.data(), G.bias ? db.data() : nullptr, scratch.get());
  }

  constexpr int kTaps = G.y.kernel * G.x.kernel;
  constexpr int kPositions = N * G.out.h * G.out.w;  // summed into dw and db
  Check(f, name, "y", out_dims, y, G.in_per_group() * kTaps + 1);
  Check(f, name, "dx", in_dims, dx, G.out_per_group() * kTaps + 1);
  Check(f, name, "dweight", w_dims, dw, kPositions + 1);
  if (G.bias) Check(f, name, "dbias", {G.out.c}, db, kPositions + 1);
}

void TestConv2d() {
  CheckConv2d<Conv2d<{.out_channels = 5, .kernel_size = 3, .padding = 1}>, Shape{3, 7, 9}, 2>(
      "conv_3x3_pad1");
  CheckConv2d<Conv2d<{.out_channels = 6, .kernel_size = 3, .stride = 2, .padding = 1}>,
              Shape{4, 9, 11}, 2>("conv_3x3_stride2_pad1");
  CheckConv2d<Conv2d<{.out_channels = 4, .kernel_size = 3, .padding = 2, .dilation = 2}>,
              Shape{3, 10, 11}, 2>("conv_3x3_dilation2");
  CheckConv2d<Conv2d<{.out_channels = 6, .kernel_size = 3, .padding = 1, .groups = 2}>,
              Shape{4, 8, 7}, 2>("conv_3x3_groups2");
  CheckConv2d<Conv2d<{.out_channels = 5, .kernel_size = 3, .padding = 1, .groups = 5}>,
              Shape{5, 8, 9}, 2>("conv_3x3_depthwise");
  CheckConv2d<Conv2d<{.out_channels = 4, .kernel_size = {3, 5}, .stride = {2, 1},
                      .padding = {1, 2}}>,
              Shape{3, 11, 13}, 2>("conv_3x5_stride2x1_pad1x2");
  CheckConv2d<Conv2d<{.out_channels = 17, .kernel_size = 1, .bias = false}>, Shape{7, 6, 5}, 2>(
      "conv_1x1_nobias");
  CheckConv2d<Conv2d<{.out_channels = 10, .kernel_size = 5, .padding = 2}>, Shape{3, 32, 32}, 1>(
      "conv_lecture_3x32x32_10x5x5_pad2");
}

// ------------------------------------------------------------------ Pooling

constexpr int CeilDiv(int a, int b) { return (a + b - 1) / b; }

template <class Layer, Shape In, int N>
void CheckPool2d(const std::string& name) {
  static_assert(Layer::step(In, false).violation.ok(), "the golden case is a valid layer");
  constexpr Pool2dGeometry G = Layer::geometry(In);
  constexpr bool kMax = std::is_same_v<Layer, MaxPool2d<Layer::spec>>;
  const File f(name);
  if (!f.ok()) return;
  const Dims in_dims{N, In.c, In.h, In.w}, out_dims{N, G.out.c, G.out.h, G.out.w};
  const Tensor& x = f.Get("x", in_dims);
  const Tensor& dy = f.Get("dy", out_dims);

  std::vector<float> y = Unwritten(N * G.out.size()), dx = Unwritten(N * G.in.size());
  for (int n = 0; n < N; ++n) {
    const float* xn = x.data() + n * G.in.size();
    const float* dyn = dy.data() + n * G.out.size();
    float* yn = y.data() + n * G.out.size();
    float* dxn = dx.data() + n * G.in.size();
    if constexpr (kMax) {
      MaxPool2dForward<G>(xn, yn);
      MaxPool2dBackward<G>(xn, dyn, dxn);
    } else {
      AvgPool2dForward<G>(xn, yn);
      AvgPool2dBackward<G>(dyn, dxn);
    }
  }

  // An input lies in at most this many windows, so its gradient sums as many terms.
  constexpr int kOverlap = CeilDiv(G.y.kernel, G.y.stride) * CeilDiv(G.x.kernel, G.x.stride);
  // Max pooling selects (exact); average pooling sums the window and divides.
  Check(f, name, "y", out_dims, y, kMax ? 0 : G.y.kernel * G.x.kernel + 2);
  Check(f, name, "dx", in_dims, dx, kOverlap + (kMax ? 0 : 2));
}

template <Shape In, int N>
void CheckGlobalAvgPool2d(const std::string& name) {
  const File f(name);
  if (!f.ok()) return;
  const Dims in_dims{N, In.c, In.h, In.w}, out_dims{N, In.c, 1, 1};
  const Tensor& x = f.Get("x", in_dims);
  const Tensor& dy = f.Get("dy", out_dims);
  std::vector<float> y = Unwritten(N * In.c), dx = Unwritten(N * In.size());
  for (int n = 0; n < N; ++n) {
    GlobalAvgPool2dForward<In>(x.data() + n * In.size(), y.data() + n * In.c);
    GlobalAvgPool2dBackward<In>(dy.data() + n * In.c, dx.data() + n * In.size());
  }
  Check(f, name, "y", out_dims, y, In.h * In.w + 2);
  Check(f, name, "dx", in_dims, dx, 2);
}

void TestPool2d() {
  CheckPool2d<MaxPool2d<{.kernel_size = 2}>, Shape{3, 8, 10}, 2>("maxpool_2x2");
  CheckPool2d<MaxPool2d<{.kernel_size = 3, .stride = 2, .padding = 1}>, Shape{3, 9, 11}, 2>(
      "maxpool_3x3_stride2_pad1");
  CheckPool2d<AvgPool2d<{.kernel_size = 2}>, Shape{3, 8, 10}, 2>("avgpool_2x2");
  CheckPool2d<AvgPool2d<{.kernel_size = 3, .stride = 2, .padding = 1}>, Shape{3, 9, 11}, 2>(
      "avgpool_3x3_stride2_pad1_include_pad");
  CheckPool2d<AvgPool2d<{.kernel_size = 3, .stride = 2, .padding = 1,
                         .count_include_pad = false}>,
              Shape{3, 9, 11}, 2>("avgpool_3x3_stride2_pad1_exclude_pad");
  CheckGlobalAvgPool2d<Shape{5, 7, 9}, 2>("global_avgpool");
}

// ------------------------------------------------------------------- Linear

void TestLinearNoBias() {
  const std::string name = "linear_33x17_nobias_b2";
  constexpr int kBatch = 2;
  constexpr LinearGeometry G = Linear<{.out_features = 17, .bias = false}>::geometry({33, 1, 1});
  const File f(name);
  if (!f.ok()) return;
  const Tensor& x = f.Get("x", {kBatch, G.in_features});
  const Tensor& w = f.Get("weight", {G.out_features, G.in_features});
  const Tensor& dy = f.Get("dy", {kBatch, G.out_features});
  std::vector<float> y = Unwritten(kBatch * G.out_features);
  std::vector<float> dx = Unwritten(kBatch * G.in_features);
  std::vector<float> dw(G.weight_count(), 0.0f);
  LinearForward<G, kBatch>(x.data(), w.data(), nullptr, y.data());
  LinearBackwardInput<G, kBatch>(dy.data(), w.data(), dx.data());
  LinearBackwardParams<G, kBatch>(x.data(), dy.data(), dw.data(), nullptr);
  Check(f, name, "y", {kBatch, G.out_features}, y, G.in_features + 1);
  Check(f, name, "dx", {kBatch, G.in_features}, dx, G.out_features);
  Check(f, name, "dweight", {G.out_features, G.in_features}, dw, kBatch);
}

// Linear 400 -> 120 is LeNet's fc1 on the LeNet batch (lenet5.gold stores its
// 400 x 120 weight and weight gradient once). Its four samples run as a
// Batch = 3 call and a Batch = 1 call, whose dw and db must add up. The
// inputs x and dy were rounded to float32 from the network's float64 values:
// one more rounding (K + 1) each.
void TestLinearLeNetFc1() {
  const std::string name = "linear_400x120_b3+1 (LeNet fc1)";
  constexpr int kBatch = 4, kFirst = 3;
  constexpr LinearGeometry G = Linear<{.out_features = 120}>::geometry({400, 1, 1});
  constexpr int I = G.in_features, O = G.out_features;
  const File f("lenet5");
  if (!f.ok()) return;
  const Tensor& x = f.Get("fc1.x", {kBatch, I});
  const Tensor& w = f.Get("fc1.weight", {O, I});
  const Tensor& b = f.Get("fc1.bias", {O});
  const Tensor& dy = f.Get("fc1.dy", {kBatch, O});
  std::vector<float> y = Unwritten(kBatch * O), dx = Unwritten(kBatch * I);
  std::vector<float> dw(G.weight_count(), 0.0f), db(G.bias_count(), 0.0f);
  LinearForward<G, kFirst>(x.data(), w.data(), b.data(), y.data());
  LinearForward<G, 1>(x.data() + kFirst * I, w.data(), b.data(), y.data() + kFirst * O);
  LinearBackwardInput<G, kFirst>(dy.data(), w.data(), dx.data());
  LinearBackwardInput<G, 1>(dy.data() + kFirst * O, w.data(), dx.data() + kFirst * I);
  LinearBackwardParams<G, kFirst>(x.data(), dy.data(), dw.data(), db.data());
  LinearBackwardParams<G, 1>(x.data() + kFirst * I, dy.data() + kFirst * O, dw.data(),
                             db.data());
  Check(f, name, "fc1.y", {kBatch, O}, y, I + 1 + 1);
  Check(f, name, "fc1.dx", {kBatch, I}, dx, O + 1);
  Check(f, name, "grad.fc1.weight", {O, I}, dw, kBatch + 1);
  Check(f, name, "grad.fc1.bias", {O}, db, kBatch + 1);
}

// -------------------------------------------------------------- Activations

constexpr Shape kActivationShape{3, 5, 7};  // per sample; 105 is no vector multiple
constexpr int kActivationSamples = 2;
constexpr int kActivationCount = kActivationShape.size();

// Runs forward(x, y) and backward(x, y, dy, dx) per sample; backward reads
// PyTorch's y (rounded to float32: within the stated terms), so each
// direction is judged on its own.
template <class Forward, class Backward>
void CheckActivation(const std::string& name, Forward forward, Backward backward,
                     double y_terms, double dx_terms) {
  const File f(name);
  if (!f.ok()) return;
  const Dims dims{kActivationSamples, kActivationShape.c, kActivationShape.h,
                  kActivationShape.w};
  const Tensor& x = f.Get("x", dims);
  const Tensor& dy = f.Get("dy", dims);
  const Tensor& y_expected = f.Get("y", dims);
  std::vector<float> y = Unwritten(x.size()), dx = Unwritten(x.size());
  for (int n = 0; n < kActivationSamples; ++n) {
    const int at = n * kActivationCount;
    forward(x.data() + at, y.data() + at);
    backward(x.data() + at, y_expected.data() + at, dy.data() + at, dx.data() + at);
  }
  Check(f, name, "y", dims, y, y_terms);
  Check(f, name, "dx", dims, dx, dx_terms);
}

void TestActivations() {
  constexpr int N = kActivationCount;
  CheckActivation(
      "relu", [](const float* x, float* y) { ReluForward<N>(x, y); },
      [](const float* x, const float* y, const float* dy, float* dx) {
        ReluBackward<N>(x, y, dy, dx);
      },
      0, 0);

  const File leaky("leaky_relu_0.1");
  constexpr float kSlope = 0.1f;
  EXPECT_EQ(leaky.Scalar("negative_slope"), kSlope);
  CheckActivation(
      "leaky_relu_0.1", [](const float* x, float* y) { LeakyReluForward<N>(x, y, kSlope); },
      [](const float* x, const float* y, const float* dy, float* dx) {
        LeakyReluBackward<N>(x, y, dy, dx, kSlope);
      },
      1, 1);

  // sigmoid = 1 / (1 + exp(-x)): exp, add, divide. Backward dy * s * (1 - s):
  // s itself (if recomputed), 1 - s, two products.
  constexpr int kSigmoid = kTranscendentalUlps + 2;
  CheckActivation(
      "sigmoid", [](const float* x, float* y) { SigmoidForward<N>(x, y); },
      [](const float* x, const float* y, const float* dy, float* dx) {
        SigmoidBackward<N>(x, y, dy, dx);
      },
      kSigmoid, kSigmoid + 3);

  // Backward dy * (1 - t^2): t^2 doubles t's relative error.
  constexpr int kTanh = kTranscendentalUlps + 1;
  CheckActivation(
      "tanh", [](const float* x, float* y) { TanhForward<N>(x, y); },
      [](const float* x, const float* y, const float* dy, float* dx) {
        TanhBackward<N>(x, y, dy, dx);
      },
      kTanh, 2 * kTanh + 3);

  // Over C channels: the sum of C exponentials (exp, its argument, divide);
  // backward adds the C-term dot product sum_j y_j dy_j.
  constexpr Shape kSoftmaxShape{5, 3, 7};
  constexpr int kSoftmax = kSoftmaxShape.c + kTranscendentalUlps + 2;
  const File softmax("softmax_dim1");
  if (softmax.ok()) {
    const std::string name = "softmax_dim1";
    const Dims dims{2, kSoftmaxShape.c, kSoftmaxShape.h, kSoftmaxShape.w};
    const Tensor& x = softmax.Get("x", dims);
    const Tensor& dy = softmax.Get("dy", dims);
    const Tensor& y_expected = softmax.Get("y", dims);
    std::vector<float> y = Unwritten(x.size()), dx = Unwritten(x.size());
    for (int n = 0; n < 2; ++n) {
      const int at = n * kSoftmaxShape.size();
      SoftmaxForward<kSoftmaxShape>(x.data() + at, y.data() + at);
      SoftmaxBackward<kSoftmaxShape>(x.data() + at, y_expected.data() + at, dy.data() + at,
                                     dx.data() + at);
    }
    Check(softmax, name, "y", dims, y, kSoftmax);
    Check(softmax, name, "dx", dims, dx, kSoftmax + kSoftmaxShape.c + 2);
  }
}

// ------------------------------------------------------------------- Losses

// Calls loss(sample, label, gradient, scale) per sample with scale = 1 / batch
// and checks the per-sample losses, their mean and the mean's gradient.
template <int Batch, int K, class Loss>
void CheckLoss(const std::string& name, const char* input_name, const char* grad_name,
               Loss loss, double loss_terms, double grad_terms) {
  const File f(name);
  if (!f.ok()) return;
  const Tensor& input = f.Get(input_name, {Batch, K});
  const Tensor& labels = f.Get("labels", {Batch});
  std::vector<float> losses = Unwritten(Batch), grad = Unwritten(Batch * K);
  double sum = 0.0;
  for (int n = 0; n < Batch; ++n) {
    losses[n] = loss(input.data() + n * K, static_cast<int>(labels.values[n]),
                     grad.data() + n * K, 1.0f / Batch);
    sum += losses[n];
  }
  const std::vector<float> mean{static_cast<float>(sum / Batch)};
  Check(f, name, "loss", {Batch}, losses, loss_terms);
  Check(f, name, "loss_mean", {}, mean, loss_terms + 1, "loss");
  Check(f, name, grad_name, {Batch, K}, grad, grad_terms);
}

void TestLosses() {
  constexpr int kBatch = 4, kClasses = 10;
  // log(sum of K exponentials) - (z_y - max): the sum, exp and log, 2 subtractions.
  CheckLoss<kBatch, kClasses>(
      "cross_entropy", "logits", "dlogits",
      [](const float* z, int label, float* dz, float scale) {
        return SoftmaxCrossEntropy<kClasses>(z, label, dz, scale);
      },
      kClasses + 2 * kTranscendentalUlps + 2, kClasses + kTranscendentalUlps + 3);
  // Margins s_j - s_y + 1 (two roundings each), summed; the gradient is a
  // count times the scale.
  CheckLoss<kBatch, kClasses>(
      "multiclass_hinge", "scores", "dscores",
      [](const float* s, int label, float* ds, float scale) {
        return MulticlassHinge<kClasses>(s, label, ds, scale);
      },
      kClasses + 2, 1);

  // MSE: per sample the mean over N of (p - t)^2; gradient 2 (p - t) scale / N.
  constexpr int kMseBatch = 3, kOutputs = 17;
  const std::string name = "mse";
  const File f(name);
  if (!f.ok()) return;
  const Tensor& pred = f.Get("pred", {kMseBatch, kOutputs});
  const Tensor& target = f.Get("target", {kMseBatch, kOutputs});
  std::vector<float> losses = Unwritten(kMseBatch), dpred = Unwritten(kMseBatch * kOutputs);
  double sum = 0.0;
  for (int n = 0; n < kMseBatch; ++n) {
    losses[n] = MeanSquaredError<kOutputs>(pred.data() + n * kOutputs,
                                           target.data() + n * kOutputs,
                                           dpred.data() + n * kOutputs, 1.0f / kMseBatch);
    sum += losses[n];
  }
  const std::vector<float> mean{static_cast<float>(sum / kMseBatch)};
  Check(f, name, "loss", {kMseBatch}, losses, kOutputs + 4);
  Check(f, name, "loss_mean", {}, mean, kOutputs + 5, "loss");
  Check(f, name, "dpred", {kMseBatch, kOutputs}, dpred, 4);
}

}  // namespace
// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace staticnn {
HWY_BEFORE_TEST(GoldenLayersTest);
HWY_EXPORT_AND_TEST_P(GoldenLayersTest, TestConv2d);
HWY_EXPORT_AND_TEST_P(GoldenLayersTest, TestPool2d);
HWY_EXPORT_AND_TEST_P(GoldenLayersTest, TestLinearNoBias);
HWY_EXPORT_AND_TEST_P(GoldenLayersTest, TestLinearLeNetFc1);
HWY_EXPORT_AND_TEST_P(GoldenLayersTest, TestActivations);
HWY_EXPORT_AND_TEST_P(GoldenLayersTest, TestLosses);

namespace {
const bool kSummaryRegistered = golden::RegisterSummary();
}  // namespace
}  // namespace staticnn
#endif  // HWY_ONCE
