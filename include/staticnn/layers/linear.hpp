// Linear (torch.nn.Linear; in_features is inferred) and Flatten.
#pragma once

#include "staticnn/geometry.hpp"
#include "staticnn/layers/layer_step.hpp"

namespace staticnn {

struct LinearSpec {
  int out_features = 0;
  bool bias = true;
};

template <LinearSpec Spec>
struct Linear {
  static constexpr LinearSpec spec = Spec;
  static constexpr LayerKind kind = LayerKind::linear;
  static constexpr const char* name = "Linear";

  static constexpr LinearGeometry geometry(Shape in) {
    return {in.size(), Spec.out_features, Spec.bias};
  }
  static constexpr LayerStep step(Shape in, bool /*flat*/) {
    LayerStep s;
    if (Spec.out_features <= 0) { s.violation = {Rule::invalid_size}; return s; }
    if (in.h != 1 || in.w != 1) { s.violation = {Rule::linear_needs_flat_input}; return s; }
    s.out = {Spec.out_features, 1, 1};
    s.flat = true;
    s.params = geometry(in).param_count();
    s.macs = geometry(in).macs();
    return s;
  }
};

// C x H x W -> (C*H*W) x 1 x 1, in PyTorch's order. Moves no data.
struct Flatten {
  static constexpr LayerKind kind = LayerKind::flatten;
  static constexpr const char* name = "Flatten";
  static constexpr LayerStep step(Shape in, bool /*flat*/) {
    LayerStep s;
    s.out = {in.size(), 1, 1};
    s.flat = true;
    return s;
  }
};

}  // namespace staticnn
