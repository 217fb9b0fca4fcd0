// Resolved geometry of each layer family: what the kernels receive as a
// template argument once the network has checked the layer. Everything here is
// plain integers; the public layouts are PyTorch's:
//   activations   [C][H][W] per sample (NCHW for a batch)
//   Conv2d weight [out][in / groups][kernel_h][kernel_w], then bias [out]
//   Linear weight [out][in], then bias [out]
#pragma once

#include "staticnn/shape.hpp"

namespace staticnn {

// One spatial axis of a sliding window. `pad` is the padding before the first
// element; the padding after it is whatever the output size implies (PyTorch
// pads symmetrically and ignores the unused tail; `same` may pad one more at the
// end, as TensorFlow does). Positions outside [0, size) read as zero (or are
// skipped, for max pooling).
struct WindowAxis {
  int kernel = 1, stride = 1, pad = 0, dilation = 1;
  constexpr int extent() const { return dilation * (kernel - 1) + 1; }
  constexpr bool operator==(const WindowAxis&) const = default;
};

struct Conv2dGeometry {
  Shape in, out;
  WindowAxis y, x;
  int groups = 1;
  bool bias = true;

  constexpr int in_per_group() const { return in.c / groups; }
  constexpr int out_per_group() const { return out.c / groups; }
  constexpr int weight_count() const {
    return out.c * in_per_group() * y.kernel * x.kernel;
  }
  constexpr int bias_count() const { return bias ? out.c : 0; }
  constexpr int param_count() const { return weight_count() + bias_count(); }
  constexpr long macs() const {
    return long{out.size()} * in_per_group() * y.kernel * x.kernel;
  }
  constexpr bool operator==(const Conv2dGeometry&) const = default;
};

struct Pool2dGeometry {
  Shape in, out;  // in.c == out.c
  WindowAxis y, x;  // dilation is 1
  // Average pooling only: divide by the whole window (PyTorch's default) or by
  // the elements that lie inside the input.
  bool count_include_pad = true;
  constexpr bool operator==(const Pool2dGeometry&) const = default;
};

struct LinearGeometry {
  int in_features = 0, out_features = 0;
  bool bias = true;
  constexpr int weight_count() const { return in_features * out_features; }
  constexpr int bias_count() const { return bias ? out_features : 0; }
  constexpr int param_count() const { return weight_count() + bias_count(); }
  constexpr long macs() const { return long{in_features} * out_features; }
  constexpr bool operator==(const LinearGeometry&) const = default;
};

}  // namespace staticnn
