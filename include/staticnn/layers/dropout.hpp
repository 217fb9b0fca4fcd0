// Dropout with torch.nn.Dropout's semantics: in training mode each element is
// zeroed with probability p and the kept ones are scaled by 1 / (1 - p); in
// inference mode it is the identity. Backward multiplies by the same mask.
//
// The mask is drawn from the training workspace's random state
// (TrainingWorkspace::rng, ForwardArgs::rng), so the same seed gives the same
// masks. The generator, exactly (an oracle reproduces it):
//   for each element of the batch in memory order ([b][c][h][w]):
//     state += 0x9E3779B97F4A7C15;                       // SplitMix64
//     z = state;
//     z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
//     z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
//     z ^= z >> 31;
//     keep = (z >> 40) >= dropout_threshold(p)           // u = (z >> 40) / 2^24 >= p
// One draw per element in training mode whatever p is (p = 0 keeps all, p = 1
// drops all: zeros, as PyTorch gives). PyTorch's generator differs, so masks
// are not PyTorch's; their statistics and the scaling are.
#pragma once

#include <cstdint>

#include "staticnn/layers/layer.hpp"

namespace staticnn {

struct DropoutSpec {
  float p = 0.5f;
};

// The next SplitMix64 output of `state` (advanced by one step).
constexpr std::uint64_t splitmix64_next(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// An element is kept iff the draw's top 24 bits, as u in [0, 1), are >= p:
// (z >> 40) >= ceil(p * 2^24). P(keep) = 1 - ceil(p 2^24) / 2^24.
constexpr std::uint64_t dropout_threshold(float p) {
  const double scaled = double(p) * 16777216.0;
  const auto t = std::uint64_t(scaled);
  return double(t) < scaled ? t + 1 : t;
}

template <DropoutSpec Spec = DropoutSpec{}>
struct Dropout {
  static_assert(Spec.p >= 0.0f && Spec.p <= 1.0f,
                "staticnn: Dropout's probability p must be in [0, 1]");
  static constexpr DropoutSpec spec = Spec;
  static constexpr const char* name = "Dropout";
  // Inference networks skip it (chain.hpp); the kernel copies x in a training
  // workspace's Mode::inference.
  static constexpr bool identity_in_inference = true;
  static constexpr std::uint64_t threshold = dropout_threshold(Spec.p);
  // What kept elements are multiplied by (PyTorch: x * (1 / (1 - p))).
  static constexpr float scale = Spec.p < 1.0f ? 1.0f / (1.0f - Spec.p) : 0.0f;

  static constexpr LayerStep step(Shape in, bool flat) {
    LayerStep s;
    s.out = in;
    s.flat = flat;
    return s;
  }

  // Kept for backward: the multiplier of every element (0 or scale), then a
  // flag: 1 if forward ran in training mode, 0 if it was the identity.
  static constexpr LayerMemory memory(Shape in, int batch) {
    return {0, long(batch) * in.size() + 1, 0};
  }

  static void describe(TextLine& t, Shape /*in*/) { t.add("%s(p=%g)", name, double{Spec.p}); }
};

}  // namespace staticnn
