// The check every oracle's backward gets: its gradient against central
// differences of the same scalar loss, in double.
//
// With h = 1e-6 the truncation error is O(h^2 f''') and the rounding error
// O(eps_double * |f| / h) ~ 1e-10 for losses of order one, so 1e-6 relative
// (plus 1e-6 absolute) separates a correct gradient from a wrong one by
// several orders of magnitude without flaking.
#pragma once

#include <cmath>
#include <cstddef>
#include <span>

#include "gtest/gtest.h"

namespace staticnn::test {

// sum_i c[i] * y[i]: a loss whose gradient with respect to y is c, so that the
// backward pass under test starts from a known, dense output gradient.
inline double weighted_sum(std::span<const double> c, std::span<const double> y) {
  double l = 0;
  for (std::size_t i = 0; i < y.size(); ++i) l += c[i] * y[i];
  return l;
}

// For every v[i]: (loss(v + h e_i) - loss(v - h e_i)) / 2h against analytic[i].
// v is restored exactly after each probe; loss() reads v.
template <class Loss>
void ExpectCentralDifferences(std::span<double> v, std::span<const double> analytic,
                              const Loss& loss, const char* what) {
  ASSERT_GE(analytic.size(), v.size()) << what;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const double h = 1e-6, keep = v[i];
    v[i] = keep + h;
    const double up = loss();
    v[i] = keep - h;
    const double down = loss();
    v[i] = keep;
    const double numeric = (up - down) / (2 * h);
    EXPECT_NEAR(analytic[i], numeric, 1e-6 * (1 + std::abs(numeric))) << what << " " << i;
  }
}

}  // namespace staticnn::test
