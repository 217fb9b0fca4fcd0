// Dropout's oracle. It reproduces the layer's masks from the generator that
// layers/dropout.hpp documents, written again here from that description
// (SplitMix64, keep iff u = (z >> 40) / 2^24 >= p), and draws from
// `oracle_rng`: the oracle's TrainingWorkspace::rng, shared by every Dropout
// of a network (and of its blocks) as the workspace's is. A test sets it to
// the workspace's seed before a training forward.
#pragma once

#include <cstdint>
#include <vector>

#include "tests/reference/layers.hpp"

namespace staticnn::reference {

inline std::uint64_t oracle_rng = 0x9E3779B97F4A7C15ull;  // TrainingWorkspace's initial value

// Vigna's SplitMix64.
inline std::uint64_t splitmix64(std::uint64_t& state) {
  state += 0x9E3779B97F4A7C15ull;
  std::uint64_t z = state;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

template <DropoutSpec Spec, class T>
struct Reference<Dropout<Spec>, T> {
  std::vector<T> mask;  // the multiplier of each element, from the last forward

  void forward(Shape in, int batch, const T*, T*, const T* x, T* y, bool training) {
    const std::size_t n = std::size_t(batch) * in.size();
    mask.assign(n, T(1));
    if (training) {
      const double p = Spec.p;
      // PyTorch multiplies by 1 / (1 - p) computed in the tensor's type (float).
      const T scale = Spec.p < 1.0f ? T(1.0f / (1.0f - Spec.p)) : T(0);
      for (std::size_t i = 0; i < n; ++i) {
        const double u = double(splitmix64(oracle_rng) >> 40) / 16777216.0;
        mask[i] = u >= p ? scale : T(0);
      }
    }
    for (std::size_t i = 0; i < n; ++i) y[i] = x[i] * mask[i];
  }
  void backward(Shape in, int batch, const T*, const T*, const T*, const T*, const T* dy, T* dx,
                T*) {
    const std::size_t n = std::size_t(batch) * in.size();
    for (std::size_t i = 0; i < n; ++i) dx[i] = dy[i] * mask[i];
  }
};

}  // namespace staticnn::reference
