// The Linear oracle's gradients against central finite differences in
// double; parameter gradients accumulate (+=) into every entry.
#include <cmath>
#include <functional>
#include <limits>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "staticnn/geometry.hpp"
#include "tests/reference/linear.hpp"

namespace staticnn {
namespace {

namespace ref = staticnn::reference;

std::vector<double> Uniform(std::size_t n, std::mt19937& rng) {
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  std::vector<double> v(n);
  for (double& e : v) e = u(rng);
  return v;
}

// Central difference of L = sum_i r_i y_i with respect to v[j].
double NumericPartial(const std::function<double()>& loss, std::vector<double>& v, std::size_t j) {
  const double h = 1e-6, saved = v[j];
  v[j] = saved + h;
  const double up = loss();
  v[j] = saved - h;
  const double down = loss();
  v[j] = saved;
  return (up - down) / (2 * h);
}

void ExpectNear(double analytic, double numeric, const char* what, std::size_t j) {
  EXPECT_NEAR(analytic, numeric, 1e-6 * std::max(1.0, std::abs(numeric))) << what << " " << j;
}

struct Case {
  LinearGeometry g;
  int batch;
};

TEST(LinearReference, GradientsMatchFiniteDifferences) {
  std::mt19937 rng(11);
  for (const Case& c : {Case{{3, 2, true}, 1}, Case{{5, 4, true}, 3}, Case{{7, 3, false}, 2},
                        Case{{1, 1, true}, 4}}) {
    const LinearGeometry& g = c.g;
    const int in = g.in_features, out = g.out_features, batch = c.batch;
    std::vector<double> x = Uniform(std::size_t(batch) * in, rng);
    std::vector<double> w = Uniform(std::size_t(out) * in, rng);
    std::vector<double> b = Uniform(out, rng);
    const std::vector<double> r = Uniform(std::size_t(batch) * out, rng);
    std::vector<double> y(r.size());
    const auto loss = [&] {
      ref::linear_forward(g, batch, x.data(), w.data(), b.data(), y.data());
      double l = 0;
      for (std::size_t i = 0; i < y.size(); ++i) l += r[i] * y[i];
      return l;
    };

    // dx is overwritten: a NaN left anywhere would fail the comparison.
    std::vector<double> dx(x.size(), std::numeric_limits<double>::quiet_NaN());
    ref::linear_backward_input(g, batch, r.data(), w.data(), dx.data());
    for (std::size_t j = 0; j < x.size(); ++j) ExpectNear(dx[j], NumericPartial(loss, x, j), "x", j);

    // dw and db accumulate onto what was there.
    const std::vector<double> dw0 = Uniform(w.size(), rng), db0 = Uniform(b.size(), rng);
    std::vector<double> dw = dw0, db = db0;
    ref::linear_backward_params(g, batch, x.data(), r.data(), dw.data(), db.data());
    for (std::size_t j = 0; j < w.size(); ++j) {
      ExpectNear(dw[j] - dw0[j], NumericPartial(loss, w, j), "w", j);
    }
    for (std::size_t j = 0; j < b.size(); ++j) {
      const double expected = g.bias ? NumericPartial(loss, b, j) : 0.0;
      ExpectNear(db[j] - db0[j], expected, "b", j);
    }
  }
}

// A NaN sentinel in dw/db survives only if every entry is added to, never
// assigned; the second call adds the same gradient again.
TEST(LinearReference, ParamGradientsAccumulate) {
  std::mt19937 rng(12);
  const LinearGeometry g{6, 4, true};
  const int batch = 3;
  const std::vector<double> x = Uniform(batch * 6, rng), dy = Uniform(batch * 4, rng);
  std::vector<double> dw(24, std::numeric_limits<double>::quiet_NaN()), db(4, dw[0]);
  ref::linear_backward_params(g, batch, x.data(), dy.data(), dw.data(), db.data());
  for (double v : dw) EXPECT_TRUE(std::isnan(v));
  for (double v : db) EXPECT_TRUE(std::isnan(v));

  std::vector<double> once(24, 0.0), once_b(4, 0.0);
  ref::linear_backward_params(g, batch, x.data(), dy.data(), once.data(), once_b.data());
  std::vector<double> twice = once, twice_b = once_b;
  ref::linear_backward_params(g, batch, x.data(), dy.data(), twice.data(), twice_b.data());
  for (int i = 0; i < 24; ++i) EXPECT_DOUBLE_EQ(twice[i], 2 * once[i]);
  for (int i = 0; i < 4; ++i) EXPECT_DOUBLE_EQ(twice_b[i], 2 * once_b[i]);
}

}  // namespace
}  // namespace staticnn
