// MaxPool2d, AvgPool2d (torch.nn names; stride defaults to kernel_size) and
// GlobalAvgPool2d (torch.nn.AdaptiveAvgPool2d(1)).
#pragma once

#include "staticnn/geometry.hpp"
#include "staticnn/layers/layer.hpp"
#include "staticnn/layers/spec_text.hpp"

namespace staticnn {

struct Pool2dSpec {
  Size2 kernel_size = 0;
  Size2 stride = 0;  // 0: same as kernel_size
  Padding padding = 0;
  bool count_include_pad = true;  // AvgPool2d only
  Rounding rounding = Rounding::exact;
};
using MaxPool2dSpec = Pool2dSpec;
using AvgPool2dSpec = Pool2dSpec;

// What MaxPool2d and AvgPool2d share: the window rules and geometry.
template <Pool2dSpec Spec, bool Max>
struct Pool2d {
  static constexpr Pool2dSpec spec = Spec;
  static constexpr const char* name = Max ? "MaxPool2d" : "AvgPool2d";
  static constexpr bool takes_relu_backward = Max;  // Kernel::BackwardAfterRelu
  static constexpr Size2 stride{Spec.stride.h == 0 ? Spec.kernel_size.h : Spec.stride.h,
                                Spec.stride.w == 0 ? Spec.kernel_size.w : Spec.stride.w};

  static constexpr AxisResolution axis_y(Shape in) {
    return resolve_axis('H', in.h, Spec.kernel_size.h, stride.h, Spec.padding.h,
                        Spec.padding.mode, 1, Spec.rounding);
  }
  static constexpr AxisResolution axis_x(Shape in) {
    return resolve_axis('W', in.w, Spec.kernel_size.w, stride.w, Spec.padding.w,
                        Spec.padding.mode, 1, Spec.rounding);
  }

  static constexpr Pool2dGeometry geometry(Shape in) {
    const AxisResolution ry = axis_y(in), rx = axis_x(in);
    return {in,
            {in.c, ry.out, rx.out},
            {Spec.kernel_size.h, stride.h, ry.pad, 1},
            {Spec.kernel_size.w, stride.w, rx.pad, 1},
            Spec.count_include_pad};
  }

  static constexpr LayerStep step(Shape in, bool flat) {
    LayerStep s;
    if (flat) { s.violation = {Rule::spatial_after_flatten}; return s; }
    if (Spec.stride.h < 0 || Spec.stride.w < 0) { s.violation = {Rule::invalid_size}; return s; }
    // PyTorch's limit; beyond it a window could lie entirely in the padding.
    // Checked before the tiling rule, whose advice would not help here.
    if (Spec.padding.mode == PadMode::explicit_ && Spec.padding.h > Spec.kernel_size.h / 2 &&
        Spec.kernel_size.h > 0) {
      s.violation = {Rule::pool_padding_too_large, 'H', {Spec.padding.h, Spec.kernel_size.h}};
      return s;
    }
    if (Spec.padding.mode == PadMode::explicit_ && Spec.padding.w > Spec.kernel_size.w / 2 &&
        Spec.kernel_size.w > 0) {
      s.violation = {Rule::pool_padding_too_large, 'W', {Spec.padding.w, Spec.kernel_size.w}};
      return s;
    }
    const AxisResolution ry = axis_y(in), rx = axis_x(in);
    if (!ry.violation.ok()) { s.violation = ry.violation; return s; }
    if (!rx.violation.ok()) { s.violation = rx.violation; return s; }
    s.out = geometry(in).out;
    return s;
  }

  static void describe(TextLine& t, Shape /*in*/) {
    t.add("%s(k=%dx%d", name, Spec.kernel_size.h, Spec.kernel_size.w);
    add_size(t, "s", stride, false);
    if (Spec.padding != Padding{0}) add_padding(t, Spec.padding);
    if (!Max && !Spec.count_include_pad) t.add(", exclude_pad");
    if (Spec.rounding == Rounding::floor) t.add(", floor");
    t.add(")");
  }
};

// Named types (not aliases) so that diagnostics print "MaxPool2d<...>".
template <Pool2dSpec Spec>
struct MaxPool2d : Pool2d<Spec, true> {
  static constexpr bool max_pool = true;  // fused into a layer before it that fuses_max_pool
};
template <Pool2dSpec Spec>
struct AvgPool2d : Pool2d<Spec, false> {};

// Average over each channel's whole plane: C x H x W -> C x 1 x 1.
struct GlobalAvgPool2d {
  static constexpr const char* name = "GlobalAvgPool2d";
  static constexpr LayerStep step(Shape in, bool flat) {
    LayerStep s;
    if (flat) { s.violation = {Rule::spatial_after_flatten}; return s; }
    s.out = {in.c, 1, 1};
    return s;
  }
};

}  // namespace staticnn
