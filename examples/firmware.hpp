// What every firmware example does with its network: classify one fixed
// synthetic input with weights baked into read-only data (bake_weights) and a
// static workspace, and print the logits (exact bits and decimal), the memory
// it took and the class. Nothing is allocated and nothing is loaded at run
// time. The same source runs on the host, on aarch64 and on the Cortex-M
// boards of boards/; tests/cross compares the printed bits across them.
//
//   int main() { return firmware::classify<Net>(baked_weights); }
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include "staticnn/budget.hpp"
#include "staticnn/passes.hpp"

namespace firmware {

// Per network: in .bss (a namespace-scope variable, so no guard is needed).
template <class Net>
typename Net::template InferenceWorkspace<1> workspace;
template <class Net>
float input[Net::input_shape.size()];

// newlib-nano's printf has no %a, nor %f unless linked with -u _printf_float:
// the exact bits in hex (what the cross-machine tests compare), then the value
// in millionths with integer arithmetic.
inline void print_logit(int k, float v) {
  std::uint32_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  const long micro = std::lround(double(v) * 1e6);
  const unsigned long magnitude = static_cast<unsigned long>(micro < 0 ? -micro : micro);
  std::printf("logit %d: 0x%08lx %s%lu.%06lu\n", k, static_cast<unsigned long>(bits),
              micro < 0 ? "-" : "", magnitude / 1000000, magnitude % 1000000);
}

template <class Net>
int classify(const typename Net::Parameters& weights) {
  constexpr int n = Net::input_shape.size();
  float* x = input<Net>;
  for (int i = 0; i < n; ++i) x[i] = float((i * 37) % 256) / 255.0f - 0.5f;
  const float* logits = staticnn::forward<Net, 1>(weights, x, workspace<Net>);
  constexpr int classes = Net::output_shape.size();
  int best = 0;
  for (int k = 0; k < classes; ++k) {
    print_logit(k, logits[k]);
    best = logits[k] > logits[best] ? k : best;
  }
  using Needs = staticnn::MemoryNeeds<Net, 1>;
  std::printf("parameters: %lu bytes, workspace: %lu bytes\n",
              static_cast<unsigned long>(Needs::flash_bytes),
              static_cast<unsigned long>(Needs::inference_ram_bytes));
  std::printf("class %d\n", best);
  return 0;
}

}  // namespace firmware
