// What every layer tells the network about itself, given its input: the
// output shape, whether the output is flat, its MAC count, and the first shape
// rule it violates (if any). Its tensors, memory and summary line are the rest
// of the layer contract (layers/layer.hpp).
#pragma once

#include "staticnn/diagnostics.hpp"
#include "staticnn/shape.hpp"

namespace staticnn {

struct LayerStep {
  Shape out;
  bool flat = false;  // produced by Flatten/Linear: spatial layers may not follow
  long macs = 0;
  Violation violation;
};

// One spatial axis resolved: the window and the output size, or the violation.
struct AxisResolution {
  int out = 0;
  int pad = 0;  // padding before the first element
  Violation violation;
};

// The lecture's rule W2 = (W1 - F + 2P) / S + 1 with F = D (K - 1) + 1, which
// must be a positive integer unless `rounding` is floor. `same` pads so that
// W2 = ceil(W1 / S) (extra padding at the end, as TensorFlow does).
constexpr AxisResolution resolve_axis(char axis, int in, int kernel, int stride,
                                      int pad, PadMode mode, int dilation,
                                      Rounding rounding) {
  AxisResolution r;
  if (in <= 0 || kernel <= 0 || stride <= 0 || dilation <= 0 || pad < 0) {
    r.violation = {Rule::invalid_size, axis, {}};
    return r;
  }
  const int extent = dilation * (kernel - 1) + 1;
  if (mode == PadMode::same) {
    r.out = (in + stride - 1) / stride;
    const int total = (r.out - 1) * stride + extent - in;
    r.pad = total > 0 ? total / 2 : 0;
    return r;
  }
  r.pad = mode == PadMode::valid ? 0 : pad;
  const int span = in + 2 * r.pad - extent;
  if (span < 0) {
    r.violation = {Rule::window_larger_than_input, axis, {in, extent, r.pad, stride}};
    return r;
  }
  if (span % stride != 0 && rounding == Rounding::exact) {
    r.violation = {Rule::window_does_not_tile, axis, {in, extent, r.pad, stride}};
    return r;
  }
  r.out = span / stride + 1;
  return r;
}

}  // namespace staticnn
