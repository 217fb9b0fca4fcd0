// Parameter initialisation as torch.nn does by default for Conv2d and Linear:
// weights and biases uniform in [-1/sqrt(fan_in), 1/sqrt(fan_in)] (kaiming_uniform
// with a = sqrt(5)). Deterministic for a seed, no heap, no <random>.
#pragma once

#include <cmath>
#include <cstdint>
#include <utility>

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

template <class Net, std::size_t I>
constexpr int fan_in() {
  using L = typename Net::template layer<I>;
  constexpr Shape in = Net::plan.layers[I].in;
  if constexpr (L::kind == LayerKind::conv2d) {
    constexpr Conv2dGeometry g = L::geometry(in);
    return g.in_per_group() * g.y.kernel * g.x.kernel;
  } else {
    return in.size();
  }
}

template <class Net>
void init_parameters(typename Net::Parameters& p, std::uint64_t seed) {
  SplitMix64 rng{seed};
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    (
        [&] {
          constexpr long count = Net::template layer_params<I>;
          if constexpr (count > 0) {
            const float bound = 1.0f / std::sqrt(float(fan_in<Net, I>()));
            float* w = p.template weight<I>();
            for (long i = 0; i < count; ++i) w[i] = bound * rng.symmetric();
          }
        }(),
        ...);
  }(std::make_index_sequence<Net::layer_count>{});
}

}  // namespace staticnn
