// The activation and Softmax oracle's gradients against central finite
// differences in double, and their behaviour at large |x|.
#include <cmath>
#include <functional>
#include <limits>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "staticnn/shape.hpp"
#include "tests/reference/activation.hpp"

namespace staticnn {
namespace {

namespace ref = staticnn::reference;

using Forward = std::function<void(const double* x, double* y)>;
using Backward = std::function<void(const double* x, const double* y, const double* dy, double* dx)>;

// Values in [-3, 3] at least 1e-3 away from 0 (ReLU's kink).
std::vector<double> AwayFromZero(std::size_t n, std::mt19937& rng) {
  std::uniform_real_distribution<double> u(1e-3, 3.0);
  std::bernoulli_distribution sign(0.5);
  std::vector<double> v(n);
  for (double& e : v) e = sign(rng) ? u(rng) : -u(rng);
  return v;
}

// L(x) = sum_i r_i f(x)_i; backward(x, f(x), r) must be its gradient.
void ExpectGradientMatches(const Forward& forward, const Backward& backward, std::size_t n,
                           std::mt19937& rng) {
  std::vector<double> x = AwayFromZero(n, rng);
  const std::vector<double> r = AwayFromZero(n, rng);
  std::vector<double> y(n), dx(n, std::numeric_limits<double>::quiet_NaN());
  forward(x.data(), y.data());
  backward(x.data(), y.data(), r.data(), dx.data());
  const auto loss = [&] {
    std::vector<double> out(n);
    forward(x.data(), out.data());
    double l = 0;
    for (std::size_t i = 0; i < n; ++i) l += r[i] * out[i];
    return l;
  };
  const double h = 1e-6;
  for (std::size_t j = 0; j < n; ++j) {
    const double saved = x[j];
    x[j] = saved + h;
    const double up = loss();
    x[j] = saved - h;
    const double down = loss();
    x[j] = saved;
    const double numeric = (up - down) / (2 * h);
    EXPECT_NEAR(dx[j], numeric, 1e-6 * std::max(1.0, std::abs(numeric))) << "input " << j;
  }
}

TEST(ActivationReference, ElementwiseGradientsMatchFiniteDifferences) {
  std::mt19937 rng(21);
  const std::size_t n = 37;
  ExpectGradientMatches([&](const double* x, double* y) { ref::relu_forward(n, x, y); },
                        [&](const double* x, const double* y, const double* dy, double* dx) {
                          ref::relu_backward(n, x, y, dy, dx);
                        },
                        n, rng);
  for (double slope : {0.01, 0.2, -0.5}) {
    ExpectGradientMatches(
        [&](const double* x, double* y) { ref::leaky_relu_forward(n, x, y, slope); },
        [&](const double* x, const double* y, const double* dy, double* dx) {
          ref::leaky_relu_backward(n, x, y, dy, dx, slope);
        },
        n, rng);
  }
  ExpectGradientMatches([&](const double* x, double* y) { ref::sigmoid_forward(n, x, y); },
                        [&](const double* x, const double* y, const double* dy, double* dx) {
                          ref::sigmoid_backward(n, x, y, dy, dx);
                        },
                        n, rng);
  ExpectGradientMatches([&](const double* x, double* y) { ref::tanh_forward(n, x, y); },
                        [&](const double* x, const double* y, const double* dy, double* dx) {
                          ref::tanh_backward(n, x, y, dy, dx);
                        },
                        n, rng);
}

TEST(ActivationReference, SoftmaxGradientMatchesFiniteDifferences) {
  std::mt19937 rng(22);
  for (const Shape s : {Shape{1, 1, 1}, Shape{10, 1, 1}, Shape{3, 2, 3}, Shape{4, 1, 5}}) {
    ExpectGradientMatches([&](const double* x, double* y) { ref::softmax_forward(s, x, y); },
                          [&](const double* x, const double* y, const double* dy, double* dx) {
                            ref::softmax_backward(s, x, y, dy, dx);
                          },
                          std::size_t(s.size()), rng);
  }
}

// Softmax sums to one over the channels at every position.
TEST(ActivationReference, SoftmaxNormalisesOverChannels) {
  std::mt19937 rng(23);
  const Shape s{5, 3, 4};
  const std::vector<double> x = AwayFromZero(s.size(), rng);
  std::vector<double> y(x.size());
  ref::softmax_forward(s, x.data(), y.data());
  for (int p = 0; p < s.h * s.w; ++p) {
    double sum = 0;
    for (int c = 0; c < s.c; ++c) sum += y[c * s.h * s.w + p];
    EXPECT_NEAR(sum, 1.0, 1e-15);
  }
}

// No overflow for large |x|: the limits, never NaN or inf.
TEST(ActivationReference, LargeInputsStayFinite) {
  const double big[] = {-1e300, -800.0, 800.0, 1e300};
  double y[4];
  ref::sigmoid_forward(4, big, y);
  EXPECT_EQ(y[0], 0.0);
  EXPECT_EQ(y[1], 0.0);
  EXPECT_EQ(y[2], 1.0);
  EXPECT_EQ(y[3], 1.0);
  ref::tanh_forward(4, big, y);
  EXPECT_EQ(y[0], -1.0);
  EXPECT_EQ(y[3], 1.0);
  ref::softmax_forward(Shape{4, 1, 1}, big, y);
  EXPECT_EQ(y[3], 1.0);
  for (double v : y) EXPECT_TRUE(std::isfinite(v));
}

}  // namespace
}  // namespace staticnn
