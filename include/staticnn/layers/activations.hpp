// Element-wise activations and Softmax (over channels, torch's dim=1).
#pragma once

#include "staticnn/layers/layer_step.hpp"

namespace staticnn {

// Shape-preserving layers share this step.
template <LayerKind Kind>
struct ElementwiseLayer {
  static constexpr LayerKind kind = Kind;
  static constexpr LayerStep step(Shape in, bool flat) {
    LayerStep s;
    s.out = in;
    s.flat = flat;
    return s;
  }
};

struct ReLU : ElementwiseLayer<LayerKind::relu> {
  static constexpr const char* name = "ReLU";
};
struct Sigmoid : ElementwiseLayer<LayerKind::sigmoid> {
  static constexpr const char* name = "Sigmoid";
};
struct Tanh : ElementwiseLayer<LayerKind::tanh> {
  static constexpr const char* name = "Tanh";
};
// Normalises over channels at every position; for a flat input, over features.
struct Softmax : ElementwiseLayer<LayerKind::softmax> {
  static constexpr const char* name = "Softmax";
};

struct LeakyReLUSpec {
  float negative_slope = 0.01f;
};
template <LeakyReLUSpec Spec = LeakyReLUSpec{}>
struct LeakyReLU : ElementwiseLayer<LayerKind::leaky_relu> {
  static constexpr LeakyReLUSpec spec = Spec;
  static constexpr const char* name = "LeakyReLU";
};

}  // namespace staticnn
