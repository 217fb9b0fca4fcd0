// Linear (torch.nn.Linear; in_features is inferred) and Flatten.
#pragma once

#include "staticnn/geometry.hpp"
#include "staticnn/layers/layer.hpp"

namespace staticnn {

struct LinearSpec {
  int out_features = 0;
  bool bias = true;
};

template <LinearSpec Spec>
struct Linear {
  static constexpr LinearSpec spec = Spec;
  static constexpr const char* name = "Linear";
  static constexpr bool fuses_relu = true;  // Kernel::ForwardRelu

  static constexpr LinearGeometry geometry(Shape in) {
    return {in.size(), Spec.out_features, Spec.bias};
  }
  static constexpr LayerStep step(Shape in, bool /*flat*/) {
    LayerStep s;
    if (Spec.out_features <= 0) { s.violation = {Rule::invalid_size}; return s; }
    if (in.h != 1 || in.w != 1) { s.violation = {Rule::linear_needs_flat_input}; return s; }
    s.out = {Spec.out_features, 1, 1};
    s.flat = true;
    s.macs = geometry(in).macs();
    return s;
  }

  // weight [out][in], then bias [out].
  static constexpr auto tensors(Shape in) {
    const LinearGeometry g = geometry(in);
    std::array<Tensor, Spec.bias ? 2 : 1> t{};
    t[0] = parameter("weight", {g.out_features, g.in_features}, 2, g.in_features);
    if constexpr (Spec.bias) t[1] = parameter("bias", {g.out_features}, 1, g.in_features);
    return t;
  }

  static void describe(TextLine& t, Shape in) {
    t.add("%s(%d->%d", name, in.size(), Spec.out_features);
    if (!Spec.bias) t.add(", no bias");
    t.add(")");
  }
};

// C x H x W -> (C*H*W) x 1 x 1, in PyTorch's order. Moves no data.
struct Flatten {
  static constexpr const char* name = "Flatten";
  static constexpr bool aliases_input = true;
  static constexpr LayerStep step(Shape in, bool /*flat*/) {
    LayerStep s;
    s.out = {in.size(), 1, 1};
    s.flat = true;
    return s;
  }
};

}  // namespace staticnn
