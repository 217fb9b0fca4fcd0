// How tools/make_int8_golden.py draws an MLPerf Tiny model's folded float
// weights, repeated exactly in float32: its LCG, He-uniform weights and
// biases in [-0.1, 0.1), in state_dict order. The golden files keep only
// what LiteRT ran on these weights, so the int8 tests
// (tests/support/int8_mlperf_tiny.hpp) and the int8 firmware
// (examples/bake_weights.cc) both draw them again here. No GoogleTest.
#pragma once

#include <cmath>
#include <cstdint>

#include "staticnn/layers/tensor.hpp"

namespace staticnn::script_weights {

// The script's generator (make_int8_golden.py, Lcg): exact in float32.
struct Lcg {
  std::uint32_t state;
  float Uniform(float bound) {
    state = state * 1664525u + 1013904223u;
    return (float(state >> 8) * 0x1p-24f * 2.0f - 1.0f) * bound;
  }
};

// values[] of Net's parameters, as the script draws them (seed 2024).
template <class Net>
void Draw(float* values) {
  Lcg lcg{2024};
  for (const Tensor& t : Net::tensors) {
    const bool bias = t.rank == 1;
    const long fan_in = t.count() / t.dims[0];
    const float bound = bias ? 0.1f : std::sqrt(6.0f / float(fan_in));
    for (long i = 0; i < t.count(); ++i) values[t.offset + i] = lcg.Uniform(bound);
  }
}

}  // namespace staticnn::script_weights
