// Conv2d: hyperparameters named like torch.nn.Conv2d; in_channels is inferred.
#pragma once

#include "staticnn/geometry.hpp"
#include "staticnn/kernels/conv2d_scratch.hpp"
#include "staticnn/layers/layer.hpp"
#include "staticnn/layers/spec_text.hpp"

namespace staticnn {

struct Conv2dSpec {
  int out_channels = 0;
  Size2 kernel_size = 0;
  Size2 stride = 1;
  Padding padding = 0;
  Size2 dilation = 1;
  int groups = 1;
  bool bias = true;
  Rounding rounding = Rounding::exact;
};

template <Conv2dSpec Spec>
struct Conv2d {
  static constexpr Conv2dSpec spec = Spec;
  static constexpr const char* name = "Conv2d";
  static constexpr bool fuses_relu = true;  // Kernel::ForwardRelu
  static constexpr bool fuses_max_pool = true;  // inference: Kernel::ForwardPooled

  static constexpr AxisResolution axis_y(Shape in) {
    return resolve_axis('H', in.h, Spec.kernel_size.h, Spec.stride.h, Spec.padding.h,
                        Spec.padding.mode, Spec.dilation.h, Spec.rounding);
  }
  static constexpr AxisResolution axis_x(Shape in) {
    return resolve_axis('W', in.w, Spec.kernel_size.w, Spec.stride.w, Spec.padding.w,
                        Spec.padding.mode, Spec.dilation.w, Spec.rounding);
  }

  // Valid only for an input that step() accepted.
  static constexpr Conv2dGeometry geometry(Shape in) {
    const AxisResolution ry = axis_y(in), rx = axis_x(in);
    return {in,
            {Spec.out_channels, ry.out, rx.out},
            {Spec.kernel_size.h, Spec.stride.h, ry.pad, Spec.dilation.h},
            {Spec.kernel_size.w, Spec.stride.w, rx.pad, Spec.dilation.w},
            Spec.groups,
            Spec.bias};
  }

  static constexpr LayerStep step(Shape in, bool flat) {
    LayerStep s;
    if (flat) { s.violation = {Rule::spatial_after_flatten}; return s; }
    if (Spec.out_channels <= 0 || Spec.groups <= 0) {
      s.violation = {Rule::invalid_size};
      return s;
    }
    if (in.c % Spec.groups != 0 || Spec.out_channels % Spec.groups != 0) {
      s.violation = {Rule::groups_do_not_divide, ' ', {in.c, Spec.out_channels, Spec.groups}};
      return s;
    }
    const AxisResolution ry = axis_y(in), rx = axis_x(in);
    if (!ry.violation.ok()) { s.violation = ry.violation; return s; }
    if (!rx.violation.ok()) { s.violation = rx.violation; return s; }
    const Conv2dGeometry g = geometry(in);
    s.out = g.out;
    s.macs = g.macs();
    return s;
  }

  // weight [out][in / groups][kernel_h][kernel_w], then bias [out].
  static constexpr auto tensors(Shape in) {
    const Conv2dGeometry g = geometry(in);
    const int fan_in = g.in_per_group() * g.y.kernel * g.x.kernel;
    std::array<Tensor, Spec.bias ? 2 : 1> t{};
    t[0] = parameter("weight", {g.out.c, g.in_per_group(), g.y.kernel, g.x.kernel}, 4, fan_in);
    if constexpr (Spec.bias) t[1] = parameter("bias", {g.out.c}, 1, fan_in);
    return t;
  }

  // The kernels copy one sample at a time into scratch (backward params keeps
  // its sums over the batch there too, in a size independent of the batch),
  // but Winograd's blocks of a small plane take a few samples at once.
  // Inference holds only the forward pass's scratch.
  static constexpr LayerMemory memory(Shape in, int batch) {
    return {long(conv2d_forward_scratch_floats(geometry(in), batch)), 0,
            long(conv2d_scratch_floats(geometry(in), batch))};
  }

  static void describe(TextLine& t, Shape in) {
    t.add("%s(%d->%d", name, in.c, Spec.out_channels);
    add_size(t, "k", Spec.kernel_size, true);
    add_size(t, "s", Spec.stride, false);
    add_padding(t, Spec.padding);
    if (Spec.dilation != Size2{1}) add_size(t, "d", Spec.dilation, false);
    if (Spec.groups != 1) t.add(", g=%d", Spec.groups);
    if (!Spec.bias) t.add(", no bias");
    if (Spec.rounding == Rounding::floor) t.add(", floor");
    t.add(")");
  }
};

}  // namespace staticnn
