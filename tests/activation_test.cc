// Activation and Softmax kernels against the scalar oracle on every Highway
// target: element counts around the vector lengths, special and large-|x|
// inputs (results must stay finite), in-place forward calls, canaries around
// every output and NaN-filled dx (must be overwritten).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "tests/activation_test.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "staticnn/kernels/activation-inl.h"
#include "hwy/tests/test_util-inl.h"
#include "tests/support/guarded.hpp"
#include "tests/reference/activation.hpp"

// Target-independent helpers, compiled once.
#ifndef STATICNN_TESTS_ACTIVATION_TEST_ONCE_
#define STATICNN_TESTS_ACTIVATION_TEST_ONCE_
namespace staticnn::activation_test {

namespace ref = staticnn::reference;

using test::Guarded;

// Uniform values in [-range, range]; every fourth one is special when asked:
// zeros and huge magnitudes, where sigmoid, tanh and softmax must not
// overflow.
std::vector<float> MakeInput(std::size_t n, float range, bool special, std::mt19937& rng) {
  static constexpr float kSpecial[] = {0.0f,    -0.0f,   1e30f,   -1e30f, 3e38f,  -3e38f,
                                       100.0f,  -100.0f, 88.75f,  -88.75f, 20.0f, -20.0f,
                                       1e-30f,  -1e-30f, 9.0f,    -9.0f};
  std::uniform_real_distribution<float> u(-range, range);
  std::vector<float> v(n);
  for (std::size_t i = 0; i < n; ++i) {
    v[i] = special && i % 4 == 1 ? kSpecial[(i / 4) % std::size(kSpecial)] : u(rng);
  }
  return v;
}
std::vector<double> ToDouble(const std::vector<float>& v) { return {v.begin(), v.end()}; }

// |actual - expected| <= eps * tolerance[i] (+ the smallest normal float, for
// results that underflow), and every result finite.
void ExpectClose(const Guarded& actual, const std::vector<double>& expected,
                 const std::vector<double>& tolerance, const char* what) {
  const double eps = std::numeric_limits<float>::epsilon();
  const double tiny = std::numeric_limits<float>::min();
  for (std::size_t i = 0; i < expected.size(); ++i) {
    ASSERT_TRUE(std::isfinite(actual[i])) << what << " at " << i;
    EXPECT_NEAR(actual[i], expected[i], eps * tolerance[i] + tiny) << what << " at " << i;
  }
  EXPECT_TRUE(actual.CanariesIntact()) << what << ": wrote outside its output";
}

using Forward = void (*)(const float* x, float* y);
using Backward = void (*)(const float* x, const float* y, const float* dy, float* dx);
using RefForward = void (*)(const double* x, double* y);
using RefBackward = void (*)(const double* x, const double* y, const double* dy, double* dx);

// Calling the forward kernel in place gives the same bits as out of place.
void ExpectInPlaceSame(Forward forward, const std::vector<float>& x, const Guarded& y,
                       const char* what) {
  Guarded in_place(x);
  forward(in_place.begin(), in_place.begin());
  for (std::size_t i = 0; i < x.size(); ++i) {
    const float out_of_place = y[i], same_buffer = in_place[i];
    ASSERT_EQ(std::memcmp(&out_of_place, &same_buffer, sizeof(float)), 0)
        << what << " in place at " << i;
  }
  EXPECT_TRUE(in_place.CanariesIntact());
}

// One element-wise activation with its oracle; ulps: the tolerance in units
// of float epsilon relative to |result| (forward) or to `backward_scale`
// (backward), which bounds the size of the backward's intermediate terms.
void CheckElementwise(const char* name, std::size_t n, Forward forward, Backward backward,
                      RefForward ref_forward, RefBackward ref_backward, double ulps,
                      double (*backward_scale)(double y, double dy), bool special,
                      std::mt19937& rng) {
  SCOPED_TRACE(testing::Message() << name << " n=" << n << (special ? " special" : ""));
  const std::vector<float> x = MakeInput(n, 6.0f, special, rng);
  const std::vector<float> dy = MakeInput(n, 2.0f, false, rng);
  const float nan = std::numeric_limits<float>::quiet_NaN();

  std::vector<double> y_ref(n), tolerance(n);
  ref_forward(ToDouble(x).data(), y_ref.data());
  for (std::size_t i = 0; i < n; ++i) tolerance[i] = ulps * std::abs(y_ref[i]);
  Guarded y(std::vector<float>(n, nan));
  forward(x.data(), y.begin());
  ExpectClose(y, y_ref, tolerance, "forward");
  ExpectInPlaceSame(forward, x, y, "forward");

  // Backward from the kernel's own y, given to both.
  std::vector<float> y_kernel(n);
  for (std::size_t i = 0; i < n; ++i) y_kernel[i] = y[i];
  const std::vector<double> yd = ToDouble(y_kernel), dyd = ToDouble(dy);
  std::vector<double> dx_ref(n);
  ref_backward(ToDouble(x).data(), yd.data(), dyd.data(), dx_ref.data());
  for (std::size_t i = 0; i < n; ++i) tolerance[i] = ulps * backward_scale(yd[i], dyd[i]);
  Guarded dx(std::vector<float>(n, nan));
  backward(x.data(), y_kernel.data(), dy.data(), dx.begin());
  ExpectClose(dx, dx_ref, tolerance, "backward");
}

double ScaleOfDy(double, double dy) { return std::abs(dy); }
// 1 - y^2 without a fused multiply-add loses eps * y^2 to cancellation.
double ScaleOfTanh(double y, double dy) { return std::abs(dy) * (1 + y * y); }

using SoftmaxKernel = void (*)(const float* x, float* y);
using SoftmaxBackwardKernel = void (*)(const float* x, const float* y, const float* dy, float* dx);

void CheckSoftmax(Shape s, SoftmaxKernel forward, SoftmaxBackwardKernel backward, bool special,
                  std::mt19937& rng) {
  SCOPED_TRACE(testing::Message() << "Softmax " << s.c << "x" << s.h << "x" << s.w
                                  << (special ? " special" : ""));
  const std::size_t n = s.size(), plane = std::size_t(s.h) * s.w;
  const std::vector<float> x = MakeInput(n, 8.0f, special, rng);
  const std::vector<float> dy = MakeInput(n, 2.0f, false, rng);
  const std::vector<double> xd = ToDouble(x), dyd = ToDouble(dy);
  const float nan = std::numeric_limits<float>::quiet_NaN();

  // Relative error of y: the sum over channels, a few roundings, and
  // exp(x - max) whose argument is rounded to float.
  std::vector<double> y_ref(n), tolerance(n);
  ref::softmax_forward(s, xd.data(), y_ref.data());
  for (std::size_t p = 0; p < plane; ++p) {
    double max = xd[p];
    for (int c = 1; c < s.c; ++c) max = std::max(max, xd[c * plane + p]);
    for (int c = 0; c < s.c; ++c) {
      const std::size_t i = c * plane + p;
      tolerance[i] = y_ref[i] * (s.c + 4 + std::abs(xd[i] - max));
    }
  }
  Guarded y(std::vector<float>(n, nan));
  forward(x.data(), y.begin());
  ExpectClose(y, y_ref, tolerance, "SoftmaxForward");
  ExpectInPlaceSame(forward, x, y, "SoftmaxForward");

  std::vector<float> y_kernel(n);
  for (std::size_t i = 0; i < n; ++i) y_kernel[i] = y[i];
  const std::vector<double> yd = ToDouble(y_kernel);
  std::vector<double> dx_ref(n);
  ref::softmax_backward(s, xd.data(), yd.data(), dyd.data(), dx_ref.data());
  for (std::size_t p = 0; p < plane; ++p) {
    double dot_magnitude = 0;
    for (int c = 0; c < s.c; ++c) dot_magnitude += std::abs(dyd[c * plane + p] * yd[c * plane + p]);
    for (int c = 0; c < s.c; ++c) {
      const std::size_t i = c * plane + p;
      tolerance[i] = (s.c + 3) * yd[i] * (std::abs(dyd[i]) + dot_magnitude);
    }
  }
  Guarded dx(std::vector<float>(n, nan));
  backward(x.data(), y_kernel.data(), dy.data(), dx.begin());
  ExpectClose(dx, dx_ref, tolerance, "SoftmaxBackward");
}

}  // namespace staticnn::activation_test
#endif  // STATICNN_TESTS_ACTIVATION_TEST_ONCE_

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {

using namespace staticnn::activation_test;  // NOLINT

// The slope is a run-time argument; these pin it for the function pointers.
constexpr float kSlope = 0.125f;
template <std::size_t N>
void LeakyForward(const float* x, float* y) {
  LeakyReluForward<N>(x, y, kSlope);
}
template <std::size_t N>
void LeakyBackward(const float* x, const float* y, const float* dy, float* dx) {
  LeakyReluBackward<N>(x, y, dy, dx, kSlope);
}

template <std::size_t N>
void CheckActivations(std::mt19937& rng) {
  for (bool special : {false, true}) {
    CheckElementwise(
        "ReLU", N, &ReluForward<N>, &ReluBackward<N>,
        [](const double* x, double* y) { ref::relu_forward(N, x, y); },
        [](const double* x, const double* y, const double* dy, double* dx) {
          ref::relu_backward(N, x, y, dy, dx);
        },
        0.0, ScaleOfDy, special, rng);
    CheckElementwise(
        "LeakyReLU", N, &LeakyForward<N>, &LeakyBackward<N>,
        [](const double* x, double* y) { ref::leaky_relu_forward(N, x, y, double(kSlope)); },
        [](const double* x, const double* y, const double* dy, double* dx) {
          ref::leaky_relu_backward(N, x, y, dy, dx, double(kSlope));
        },
        1.0, ScaleOfDy, special, rng);
    CheckElementwise(
        "Sigmoid", N, &SigmoidForward<N>, &SigmoidBackward<N>,
        [](const double* x, double* y) { ref::sigmoid_forward(N, x, y); },
        [](const double* x, const double* y, const double* dy, double* dx) {
          ref::sigmoid_backward(N, x, y, dy, dx);
        },
        4.0, ScaleOfDy, special, rng);
    CheckElementwise(
        "Tanh", N, &TanhForward<N>, &TanhBackward<N>,
        [](const double* x, double* y) { ref::tanh_forward(N, x, y); },
        [](const double* x, const double* y, const double* dy, double* dx) {
          ref::tanh_backward(N, x, y, dy, dx);
        },
        8.0, ScaleOfTanh, special, rng);
  }
}

void TestElementwiseActivations() {
  std::mt19937 rng(777);
  CheckActivations<1>(rng);
  CheckActivations<3>(rng);
  CheckActivations<7>(rng);
  CheckActivations<15>(rng);
  CheckActivations<16>(rng);
  CheckActivations<17>(rng);
  CheckActivations<31>(rng);
  CheckActivations<33>(rng);
  CheckActivations<100>(rng);
  CheckActivations<4099>(rng);
}

template <Shape S>
void CheckSoftmaxShape(std::mt19937& rng) {
  CheckSoftmax(S, &SoftmaxForward<S>, &SoftmaxBackward<S>, false, rng);
  CheckSoftmax(S, &SoftmaxForward<S>, &SoftmaxBackward<S>, true, rng);
}

void TestSoftmax() {
  std::mt19937 rng(778);
  // Flat inputs: over features.
  CheckSoftmaxShape<Shape{1, 1, 1}>(rng);
  CheckSoftmaxShape<Shape{3, 1, 1}>(rng);
  CheckSoftmaxShape<Shape{10, 1, 1}>(rng);
  CheckSoftmaxShape<Shape{16, 1, 1}>(rng);
  CheckSoftmaxShape<Shape{17, 1, 1}>(rng);
  CheckSoftmaxShape<Shape{33, 1, 1}>(rng);
  CheckSoftmaxShape<Shape{100, 1, 1}>(rng);
  // Spatial inputs: over channels at each position.
  CheckSoftmaxShape<Shape{1, 3, 3}>(rng);
  CheckSoftmaxShape<Shape{3, 1, 2}>(rng);
  CheckSoftmaxShape<Shape{7, 3, 5}>(rng);
  CheckSoftmaxShape<Shape{3, 4, 16}>(rng);
  CheckSoftmaxShape<Shape{2, 5, 17}>(rng);
  CheckSoftmaxShape<Shape{5, 1, 33}>(rng);
  CheckSoftmaxShape<Shape{10, 7, 7}>(rng);
}

// Softmax of equal huge values is uniform; one huge value takes everything.
void TestSoftmaxLargeInputs() {
  constexpr Shape kFlat{5, 1, 1}, kSpatial{3, 2, 17};
  std::vector<float> x(kSpatial.size(), 1e30f), y(x.size());
  SoftmaxForward<kSpatial>(x.data(), y.data());
  for (float v : y) EXPECT_NEAR(v, 1.0f / 3, 1e-7f);
  SoftmaxForward<kFlat>(x.data(), y.data());
  for (int i = 0; i < 5; ++i) EXPECT_NEAR(y[i], 0.2f, 1e-7f);
  x[3] = 3e38f;
  x[1] = -3e38f;
  SoftmaxForward<kFlat>(x.data(), y.data());
  for (int i = 0; i < 5; ++i) EXPECT_EQ(y[i], i == 3 ? 1.0f : 0.0f);
}

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace staticnn {
HWY_BEFORE_TEST(ActivationTest);
HWY_EXPORT_AND_TEST_P(ActivationTest, TestElementwiseActivations);
HWY_EXPORT_AND_TEST_P(ActivationTest, TestSoftmax);
HWY_EXPORT_AND_TEST_P(ActivationTest, TestSoftmaxLargeInputs);
}  // namespace staticnn
#endif
