// Element-wise activations and Softmax (over channels, torch's dim=1).
#pragma once

#include "staticnn/layers/layer.hpp"

namespace staticnn {

// Shape-preserving layers share this step.
struct Elementwise {
  static constexpr LayerStep step(Shape in, bool flat) {
    LayerStep s;
    s.out = in;
    s.flat = flat;
    return s;
  }
};

struct ReLU : Elementwise {
  static constexpr const char* name = "ReLU";
  static constexpr bool relu = true;  // fused into a layer before it that fuses_relu
};
struct Sigmoid : Elementwise {
  static constexpr const char* name = "Sigmoid";
};
struct Tanh : Elementwise {
  static constexpr const char* name = "Tanh";
};
// Normalises over channels at every position; for a flat input, over features.
struct Softmax : Elementwise {
  static constexpr const char* name = "Softmax";
};

// min(max(x, 0), 6), torch.nn.ReLU6.
struct ReLU6 : Elementwise {
  static constexpr const char* name = "ReLU6";
};
// x * ReLU6(x + 3) / 6, torch.nn.Hardswish (MobileNetV3).
struct Hardswish : Elementwise {
  static constexpr const char* name = "Hardswish";
};

struct LeakyReLUSpec {
  float negative_slope = 0.01f;
};
template <LeakyReLUSpec Spec = LeakyReLUSpec{}>
struct LeakyReLU : Elementwise {
  static constexpr LeakyReLUSpec spec = Spec;
  static constexpr const char* name = "LeakyReLU";
  static void describe(TextLine& t, Shape /*in*/) {
    t.add("%s(%g)", name, double{Spec.negative_slope});
  }
};

}  // namespace staticnn
