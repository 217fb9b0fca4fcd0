// The Conv2d oracle checked on its own: forward on hand-computed values and
// against a dense (groups = 1) equivalent, both backward passes against central
// finite differences in double, and the dx-overwrite / dw,db-accumulate contract.
#include "tests/reference/conv2d.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace staticnn {
namespace {

constexpr int out_size(int in, const WindowAxis& a) {
  return (in + 2 * a.pad - a.extent()) / a.stride + 1;
}

// PyTorch-style geometry: symmetric padding, floor rounding.
constexpr Conv2dGeometry conv(Shape in, int out_c, WindowAxis y, WindowAxis x, int groups = 1,
                              bool bias = true) {
  return {in, {out_c, out_size(in.h, y), out_size(in.w, x)}, y, x, groups, bias};
}

std::vector<double> random_values(int n, std::mt19937& rng) {
  std::uniform_real_distribution<double> dist(-1.0, 1.0);
  std::vector<double> v(n);
  for (double& e : v) e = dist(rng);
  return v;
}

std::string describe(const Conv2dGeometry& g) {
  return "in " + std::to_string(g.in.c) + "x" + std::to_string(g.in.h) + "x" +
         std::to_string(g.in.w) + " out " + std::to_string(g.out.c) + "x" +
         std::to_string(g.out.h) + "x" + std::to_string(g.out.w) + " k " +
         std::to_string(g.y.kernel) + "x" + std::to_string(g.x.kernel) + " s " +
         std::to_string(g.y.stride) + "," + std::to_string(g.x.stride) + " p " +
         std::to_string(g.y.pad) + "," + std::to_string(g.x.pad) + " d " +
         std::to_string(g.y.dilation) + "," + std::to_string(g.x.dilation) + " groups " +
         std::to_string(g.groups) + (g.bias ? "" : " no bias");
}

TEST(Conv2dReference, ForwardMatchesHandComputedValues) {
  // x = 1..9 (3x3), w = [[1, 2], [3, 4]]: correlation, not flipped convolution.
  const std::vector<double> x = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  const std::vector<double> w = {1, 2, 3, 4};
  const std::vector<double> b = {0.5};
  std::vector<double> y(4);
  reference::conv2d_forward(conv({1, 3, 3}, 1, {2}, {2}), x.data(), w.data(), b.data(),
                            y.data());
  EXPECT_EQ(y, (std::vector<double>{37.5, 47.5, 67.5, 77.5}));

  // Stride 2 and padding 1 with a 3x3 window of ones: the four corner 2x2 sums.
  const double* no_bias = nullptr;
  const std::vector<double> ones(9, 1.0);
  reference::conv2d_forward(conv({1, 3, 3}, 1, {3, 2, 1}, {3, 2, 1}, 1, false), x.data(),
                            ones.data(), no_bias, y.data());
  EXPECT_EQ(y, (std::vector<double>{12, 16, 24, 28}));

  // Dilation 2 on a 5x5 input: the 3x3 window picks rows/columns 0, 2, 4.
  std::vector<double> x5(25);
  for (int i = 0; i < 25; ++i) x5[i] = i;
  std::vector<double> y1(1);
  reference::conv2d_forward(conv({1, 5, 5}, 1, {3, 1, 0, 2}, {3, 1, 0, 2}, 1, false),
                            x5.data(), ones.data(), no_bias, y1.data());
  EXPECT_EQ(y1[0], 0 + 2 + 4 + 10 + 12 + 14 + 20 + 22 + 24);
}

TEST(Conv2dReference, GroupsEqualBlockDiagonalDenseConvolution) {
  const Conv2dGeometry grouped = conv({6, 5, 4}, 4, {3, 1, 1}, {3, 1, 1}, 2);
  Conv2dGeometry dense = grouped;
  dense.groups = 1;
  std::mt19937 rng(7);
  const std::vector<double> x = random_values(grouped.in.size(), rng);
  const std::vector<double> w = random_values(grouped.weight_count(), rng);
  const std::vector<double> b = random_values(grouped.bias_count(), rng);
  std::vector<double> w_dense(dense.weight_count(), 0.0);
  const int taps = 9, cin = grouped.in_per_group(), cout = grouped.out_per_group();
  for (int co = 0; co < grouped.out.c; ++co) {
    for (int c = 0; c < cin; ++c) {
      for (int t = 0; t < taps; ++t) {
        const int ci = co / cout * cin + c;
        w_dense[(co * dense.in.c + ci) * taps + t] = w[(co * cin + c) * taps + t];
      }
    }
  }
  std::vector<double> y(grouped.out.size()), y_dense(dense.out.size());
  reference::conv2d_forward(grouped, x.data(), w.data(), b.data(), y.data());
  reference::conv2d_forward(dense, x.data(), w_dense.data(), b.data(), y_dense.data());
  for (int i = 0; i < grouped.out.size(); ++i) EXPECT_NEAR(y[i], y_dense[i], 1e-12) << i;
}

// loss = sum(upstream * forward(x, w, b)); its gradients by central differences.
struct Problem {
  Conv2dGeometry g;
  std::vector<double> x, w, b, upstream;

  double loss() const {
    std::vector<double> y(g.out.size());
    reference::conv2d_forward(g, x.data(), w.data(), b.data(), y.data());
    double sum = 0;
    for (int i = 0; i < g.out.size(); ++i) sum += upstream[i] * y[i];
    return sum;
  }
  // d loss / d v[i] for v one of x, w, b (of this problem).
  double numeric(std::vector<double>& v, int i) {
    constexpr double h = 1e-3;
    const double saved = v[i];
    v[i] = saved + h;
    const double plus = loss();
    v[i] = saved - h;
    const double minus = loss();
    v[i] = saved;
    return (plus - minus) / (2 * h);
  }
};

void expect_gradient(double analytic, double numeric, const char* what, int i) {
  EXPECT_NEAR(analytic, numeric, 1e-7 * (1.0 + std::abs(numeric))) << what << "[" << i << "]";
}

void check_gradients(const Conv2dGeometry& g, unsigned seed) {
  SCOPED_TRACE(describe(g));
  std::mt19937 rng(seed);
  Problem p{g, random_values(g.in.size(), rng), random_values(g.weight_count(), rng),
            random_values(g.bias_count(), rng), random_values(g.out.size(), rng)};

  // dx is overwritten: NaN left anywhere fails.
  std::vector<double> dx(g.in.size(), std::numeric_limits<double>::quiet_NaN());
  reference::conv2d_backward_input(g, p.upstream.data(), p.w.data(), dx.data());
  for (int i = 0; i < g.in.size(); ++i) expect_gradient(dx[i], p.numeric(p.x, i), "dx", i);

  // dw, db accumulate into a sentinel: an entry never written, or written with
  // `=`, shows up as a difference; a second call adds the same gradient again.
  constexpr double sentinel = 1e6;
  std::vector<double> dw(g.weight_count(), sentinel), db(g.bias_count(), sentinel);
  std::vector<double> numeric_dw(g.weight_count()), numeric_db(g.bias_count());
  for (int i = 0; i < g.weight_count(); ++i) numeric_dw[i] = p.numeric(p.w, i);
  for (int i = 0; i < g.bias_count(); ++i) numeric_db[i] = p.numeric(p.b, i);
  for (int call = 1; call <= 2; ++call) {
    reference::conv2d_backward_params(g, p.x.data(), p.upstream.data(), dw.data(),
                                      db.data());
    for (int i = 0; i < g.weight_count(); ++i) {
      expect_gradient((dw[i] - sentinel) / call, numeric_dw[i], "dw", i);
    }
    for (int i = 0; i < g.bias_count(); ++i) {
      expect_gradient((db[i] - sentinel) / call, numeric_db[i], "db", i);
    }
  }
}

TEST(Conv2dReference, BackwardMatchesFiniteDifferences) {
  const Conv2dGeometry geometries[] = {
      conv({2, 5, 6}, 3, {3, 1, 1}, {3, 1, 1}),                  // 3x3, padding 1
      conv({2, 7, 8}, 3, {3, 2, 1}, {3, 2, 1}),                  // stride 2
      conv({2, 8, 10}, 2, {3, 2, 0}, {3, 3, 0}),                 // stride 2/3, unused tail
      conv({2, 7, 7}, 2, {3, 1, 2, 2}, {3, 1, 2, 2}),            // dilation 2
      conv({2, 9, 9}, 2, {3, 2, 1, 2}, {3, 2, 2, 2}),            // dilation and stride
      conv({4, 5, 5}, 6, {3, 1, 1}, {3, 1, 1}, 2),               // groups 2
      conv({3, 5, 6}, 3, {3, 1, 1}, {3, 1, 1}, 3),               // depthwise
      conv({3, 4, 5}, 6, {3, 1, 1}, {3, 1, 1}, 3),               // depthwise, multiplier 2
      conv({2, 6, 5}, 3, {3, 1, 1}, {1, 1, 0}),                  // rectangular 3x1
      conv({3, 4, 5}, 2, {1}, {1}),                              // 1x1
      conv({2, 3, 4}, 2, {1, 1, 1}, {1, 1, 1}),                  // 1x1, padding beyond the window
      conv({2, 5, 6}, 3, {3, 1, 1}, {3, 1, 1}, 1, false),        // no bias
      {{2, 5, 5}, {2, 5, 5}, {4, 1, 1}, {2, 1, 0}, 1, true},    // `same` with even kernels
  };
  unsigned seed = 1;
  for (const Conv2dGeometry& g : geometries) check_gradients(g, seed++);
}

}  // namespace
}  // namespace staticnn
