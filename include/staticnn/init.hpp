// Parameter initialisation as torch.nn does by default: Conv2d and Linear
// weights and biases uniform in [-1/sqrt(fan_in), 1/sqrt(fan_in)] (kaiming_uniform
// with a = sqrt(5)); other tensors as their layer says (ones, zeros).
// Deterministic for a seed, no heap, no <random>.
#pragma once

#include <cmath>
#include <cstdint>

#include "staticnn/storage.hpp"

namespace staticnn {

// SplitMix64: tiny, fast, and good enough to initialise weights.
struct SplitMix64 {
  std::uint64_t state;
  constexpr std::uint64_t next() {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [-1, 1).
  constexpr float symmetric() { return float(next() >> 40) * (2.0f / 16777216.0f) - 1.0f; }
};

// Fills every tensor by its init rule (layers/tensor.hpp), in state_dict
// order: parameters and buffers (BatchNorm's running statistics start at 0 and 1).
template <class Net>
void init_parameters(typename Net::Parameters& p, std::uint64_t seed) {
  SplitMix64 rng{seed};
  for (const Tensor& t : Net::tensors) {
    float* data = (t.role == TensorRole::parameter ? p.values : p.buffers) + t.offset;
    const float bound = 1.0f / std::sqrt(float(t.fan_in));
    for (long i = 0; i < t.count(); ++i) {
      data[i] = t.init == Init::ones    ? 1.0f
                : t.init == Init::zeros ? 0.0f
                                        : bound * rng.symmetric();
    }
  }
}

}  // namespace staticnn
