// Firmware-style inference: the weights are a constexpr array baked into the
// binary's read-only data by bake_weights, every buffer is static, and the
// build uses -fno-exceptions -fno-rtti with static dispatch. Nothing is
// allocated and nothing is loaded at run time.
//
// It classifies a synthetic image and prints the logits; with the baked
// initial weights (seed 42) the numbers match `init_parameters(seed 42)`,
// which the firmware test checks.
#include <cstdio>

#include "examples/fashion_mnist.hpp"
#include "lenet_weights.hpp"  // generated: inline constexpr example::LeNet::Parameters lenet_weights
#include "staticnn/passes.hpp"

namespace {
example::LeNet::InferenceWorkspace<1> workspace;
float image[example::kPixels];
}  // namespace

int main() {
  for (int i = 0; i < example::kPixels; ++i) image[i] = float((i * 37) % 256) / 255.0f - 0.5f;
  const float* logits = staticnn::forward<example::LeNet, 1>(lenet_weights, image, workspace);
  int best = 0;
  for (int k = 0; k < 10; ++k) {
    std::printf("%a\n", double(logits[k]));
    best = logits[k] > logits[best] ? k : best;
  }
  std::printf("class %d\n", best);
  return 0;
}
