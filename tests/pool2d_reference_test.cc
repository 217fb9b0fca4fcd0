// The pooling oracle's gradients against central finite differences in
// double, plus PyTorch's tie, padding and divisor rules on small cases.
#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <numeric>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "staticnn/geometry.hpp"
#include "tests/reference/pool2d.hpp"

namespace staticnn {
namespace {

namespace ref = staticnn::reference;

// out size by PyTorch's floor rule; the kernels get the same geometry.
Pool2dGeometry Geometry(Shape in, WindowAxis y, WindowAxis x, bool count_include_pad = true) {
  const int oh = (in.h + 2 * y.pad - y.kernel) / y.stride + 1;
  const int ow = (in.w + 2 * x.pad - x.kernel) / x.stride + 1;
  return {in, {in.c, oh, ow}, y, x, count_include_pad};
}

// Inputs with pairwise distinct values at least 0.01 apart, so that a
// finite-difference step cannot change any window's argmax.
std::vector<double> DistinctValues(int n, std::mt19937& rng) {
  std::vector<double> v(n);
  std::iota(v.begin(), v.end(), 0.0);
  std::shuffle(v.begin(), v.end(), rng);
  for (double& e : v) e = 0.01 * e - 0.005 * n;
  return v;
}

std::vector<double> Uniform(int n, std::mt19937& rng) {
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  std::vector<double> v(n);
  for (double& e : v) e = u(rng);
  return v;
}

// L(x) = sum_i r_i f(x)_i; checks d/dx of L by central differences against
// `grad` (the backward pass applied to r).
void ExpectGradientMatches(const std::function<void(const double*, double*)>& forward,
                           std::vector<double> x, int out_size, const std::vector<double>& r,
                           const std::vector<double>& grad) {
  const double h = 1e-6;
  std::vector<double> y(out_size);
  const auto loss = [&](const std::vector<double>& at) {
    forward(at.data(), y.data());
    double l = 0;
    for (int i = 0; i < out_size; ++i) l += r[i] * y[i];
    return l;
  };
  for (std::size_t j = 0; j < x.size(); ++j) {
    const double saved = x[j];
    x[j] = saved + h;
    const double up = loss(x);
    x[j] = saved - h;
    const double down = loss(x);
    x[j] = saved;
    const double numeric = (up - down) / (2 * h);
    EXPECT_NEAR(grad[j], numeric, 1e-6 * std::max(1.0, std::abs(numeric))) << "input " << j;
  }
}

const Pool2dGeometry kGeometries[] = {
    Geometry({1, 4, 4}, {2, 2, 0}, {2, 2, 0}),             // tiling
    Geometry({3, 7, 7}, {3, 2, 1}, {3, 2, 1}),             // overlap and padding
    Geometry({2, 5, 6}, {3, 1, 1}, {3, 1, 1}),             // stride 1
    Geometry({2, 6, 9}, {2, 2, 1}, {3, 3, 1}),             // rectangular
    Geometry({1, 5, 7}, {2, 2, 0}, {2, 2, 0}),             // floor: last row/column unused
    Geometry({2, 7, 7}, {3, 2, 1}, {3, 2, 1}, false),      // count_include_pad = False
    Geometry({1, 3, 11}, {1, 1, 0}, {5, 5, 2}),            // wide stride
};

TEST(Pool2dReference, MaxPoolGradientMatchesFiniteDifferences) {
  std::mt19937 rng(1);
  for (const Pool2dGeometry& g : kGeometries) {
    const std::vector<double> x = DistinctValues(g.in.size(), rng);
    const std::vector<double> r = Uniform(g.out.size(), rng);
    std::vector<double> dx(g.in.size(), std::numeric_limits<double>::quiet_NaN());
    ref::max_pool2d_backward(g, x.data(), r.data(), dx.data());
    ExpectGradientMatches([&](const double* in, double* out) { ref::max_pool2d_forward(g, in, out); },
                          x, g.out.size(), r, dx);
  }
}

TEST(Pool2dReference, AvgPoolGradientMatchesFiniteDifferences) {
  std::mt19937 rng(2);
  for (Pool2dGeometry g : kGeometries) {
    for (bool include_pad : {true, false}) {
      g.count_include_pad = include_pad;
      const std::vector<double> x = Uniform(g.in.size(), rng);
      const std::vector<double> r = Uniform(g.out.size(), rng);
      std::vector<double> dx(g.in.size(), std::numeric_limits<double>::quiet_NaN());
      ref::avg_pool2d_backward(g, r.data(), dx.data());
      ExpectGradientMatches(
          [&](const double* in, double* out) { ref::avg_pool2d_forward(g, in, out); }, x,
          g.out.size(), r, dx);
    }
  }
}

TEST(Pool2dReference, GlobalAvgPoolGradientMatchesFiniteDifferences) {
  std::mt19937 rng(3);
  for (const Shape in : {Shape{1, 1, 1}, Shape{3, 4, 5}, Shape{7, 1, 9}}) {
    const std::vector<double> x = Uniform(in.size(), rng);
    const std::vector<double> r = Uniform(in.c, rng);
    std::vector<double> dx(in.size(), std::numeric_limits<double>::quiet_NaN());
    ref::global_avg_pool2d_backward(in, r.data(), dx.data());
    ExpectGradientMatches(
        [&](const double* i, double* o) { ref::global_avg_pool2d_forward(in, i, o); }, x, in.c,
        r, dx);
  }
}

// Ties: the first maximum in row-major window order takes the whole gradient.
TEST(Pool2dReference, MaxPoolTieGoesToFirstMaximum) {
  const Pool2dGeometry g = Geometry({1, 2, 4}, {2, 2, 0}, {2, 2, 0});
  const double x[] = {1, 5, 3, 7,  //
                      5, 5, 7, 7};
  const double dy[] = {10, 20};
  double dx[8];
  ref::max_pool2d_backward(g, x, dy, dx);
  const double expected[] = {0, 10, 0, 20, 0, 0, 0, 0};
  for (int i = 0; i < 8; ++i) EXPECT_EQ(dx[i], expected[i]) << i;
}

// Padding never wins, even against -inf: the window's first real cell does.
TEST(Pool2dReference, MaxPoolPaddingNeverWins) {
  const Pool2dGeometry g = Geometry({1, 2, 2}, {2, 2, 1}, {2, 2, 1});  // 2x2 windows of one cell
  ASSERT_EQ(g.out, (Shape{1, 2, 2}));
  const double inf = std::numeric_limits<double>::infinity();
  const double x[] = {-inf, -inf, -inf, -inf};
  const double dy[] = {1, 2, 3, 4};
  double y[4], dx[4];
  ref::max_pool2d_forward(g, x, y);
  ref::max_pool2d_backward(g, x, dy, dx);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(y[i], -inf);
    EXPECT_EQ(dx[i], dy[i]);
  }
}

// A constant input: count_include_pad = False averages to the constant
// everywhere; True divides by the window positions inside [-pad, size + pad).
TEST(Pool2dReference, AvgPoolDivisors) {
  Pool2dGeometry g = Geometry({1, 3, 3}, {3, 1, 1}, {3, 1, 1});
  const std::vector<double> x(9, 1.0);
  double y[9];
  g.count_include_pad = false;
  ref::avg_pool2d_forward(g, x.data(), y);
  for (double v : y) EXPECT_DOUBLE_EQ(v, 1.0);
  g.count_include_pad = true;
  ref::avg_pool2d_forward(g, x.data(), y);
  EXPECT_DOUBLE_EQ(y[0], 4.0 / 9.0);  // corner: 4 real cells of 9
  EXPECT_DOUBLE_EQ(y[1], 6.0 / 9.0);  // edge
  EXPECT_DOUBLE_EQ(y[4], 1.0);        // centre
  // A window past the padded input (as TensorFlow's `same` pads at the end):
  // width 4, kernel 3, stride 2, pad 0, two outputs; the second window covers
  // columns 2, 3 and 4, of which only 2 and 3 lie in [-0, 4 + 0).
  const Pool2dGeometry tail{{1, 1, 4}, {1, 1, 2}, {1, 1, 0}, {3, 2, 0}, true};
  const double row[] = {1, 2, 3, 4};
  double out[2];
  ref::avg_pool2d_forward(tail, row, out);
  EXPECT_DOUBLE_EQ(out[0], 2.0);
  EXPECT_DOUBLE_EQ(out[1], 3.5);
}

}  // namespace
}  // namespace staticnn
