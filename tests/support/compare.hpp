// Random test data and the error measure the whole-network tests compare
// with (network_test, network_layers_test, partial_batch_test).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "staticnn/init.hpp"

namespace staticnn::test {

// n values uniform in [offset - scale, offset + scale).
template <class T>
std::vector<T> random_vector(std::size_t n, std::uint64_t seed, T scale = T(1), T offset = T(0)) {
  SplitMix64 rng{seed};
  std::vector<T> v(n);
  for (T& x : v) x = offset + scale * T(float(rng.symmetric()));
  return v;
}

// max |a - b| / max(max |b|, floor): an error relative to the tensor's scale.
template <class B>
double relative_error(const float* a, const B* b, std::size_t n, double floor = 1e-3) {
  double diff = 0, scale = floor;
  for (std::size_t i = 0; i < n; ++i) {
    diff = std::max(diff, std::abs(double(a[i]) - double(b[i])));
    scale = std::max(scale, std::abs(double(b[i])));
  }
  return diff / scale;
}

}  // namespace staticnn::test
