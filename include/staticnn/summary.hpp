// print_summary<Net>(): a network's table, like Keras' model.summary() or
// torchinfo: one row per layer (index, name with its spec, output shape,
// parameters, MACs), then the totals (parameters and their bytes, MACs,
// activation memory for one sample).
//
// Only snprintf/fprintf into fixed stack buffers: no iostream, no heap, so it
// works on a firmware target whose stdout is a UART.
#pragma once

#include <cstdarg>
#include <cstddef>
#include <cstdio>
#include <utility>

#include "staticnn/layers/activations.hpp"
#include "staticnn/layers/conv2d.hpp"
#include "staticnn/layers/layer_step.hpp"
#include "staticnn/layers/linear.hpp"
#include "staticnn/layers/pool2d.hpp"
#include "staticnn/network.hpp"
#include "staticnn/shape.hpp"

namespace staticnn {
namespace summary_detail {

// A fixed-size line buffer; appending past the end truncates, never overflows.
struct Text {
  char s[112] = {};
  std::size_t len = 0;

#if defined(__GNUC__)
  __attribute__((format(printf, 2, 3)))
#endif
  void
  add(const char* format, ...) {
    if (len + 1 >= sizeof(s)) return;
    std::va_list args;
    va_start(args, format);
    const int n = std::vsnprintf(s + len, sizeof(s) - len, format, args);
    va_end(args);
    if (n > 0) len = len + std::size_t(n) < sizeof(s) ? len + std::size_t(n) : sizeof(s) - 1;
  }
};

// 1234567 -> "1,234,567".
inline Text grouped(long value) {
  char digits[24];
  const int n = std::snprintf(digits, sizeof(digits), "%ld", value < 0 ? -value : value);
  Text t;
  if (value < 0) t.add("-");
  for (int i = 0; i < n; ++i) {
    if (i > 0 && (n - i) % 3 == 0) t.add(",");
    t.add("%c", digits[i]);
  }
  return t;
}

// "5x5" for a window, but "2" for a square stride or padding (as torch prints).
inline void add_size(Text& t, const char* key, Size2 v, bool always_both) {
  if (always_both || v.h != v.w) {
    t.add(", %s=%dx%d", key, v.h, v.w);
  } else {
    t.add(", %s=%d", key, v.h);
  }
}

inline void add_padding(Text& t, Padding p) {
  if (p.mode == PadMode::same) {
    t.add(", p=same");
  } else if (p.mode == PadMode::valid) {
    t.add(", p=valid");
  } else {
    add_size(t, "p", Size2{p.h, p.w}, false);
  }
}

// The layer's name and spec, e.g. "Conv2d(1->6, k=5x5, s=1, p=2)". Options at
// their default are left out, except the kernel, stride and padding.
template <class Layer>
Text describe(Shape in) {
  Text t;
  constexpr LayerKind kind = Layer::kind;
  if constexpr (kind == LayerKind::conv2d) {
    constexpr Conv2dSpec spec = Layer::spec;
    t.add("%s(%d->%d", Layer::name, in.c, spec.out_channels);
    add_size(t, "k", spec.kernel_size, true);
    add_size(t, "s", spec.stride, false);
    add_padding(t, spec.padding);
    if (spec.dilation != Size2{1}) add_size(t, "d", spec.dilation, false);
    if (spec.groups != 1) t.add(", g=%d", spec.groups);
    if (!spec.bias) t.add(", no bias");
    if (spec.rounding == Rounding::floor) t.add(", floor");
    t.add(")");
  } else if constexpr (kind == LayerKind::max_pool2d || kind == LayerKind::avg_pool2d) {
    constexpr Pool2dSpec spec = Layer::spec;
    t.add("%s(", Layer::name);
    t.add("k=%dx%d", spec.kernel_size.h, spec.kernel_size.w);
    add_size(t, "s", Layer::stride, false);
    if (spec.padding != Padding{0}) add_padding(t, spec.padding);
    if (kind == LayerKind::avg_pool2d && !spec.count_include_pad) t.add(", exclude_pad");
    if (spec.rounding == Rounding::floor) t.add(", floor");
    t.add(")");
  } else if constexpr (kind == LayerKind::linear) {
    t.add("%s(%d->%d", Layer::name, in.size(), Layer::spec.out_features);
    if (!Layer::spec.bias) t.add(", no bias");
    t.add(")");
  } else if constexpr (kind == LayerKind::leaky_relu) {
    t.add("%s(%g)", Layer::name, double{Layer::spec.negative_slope});
  } else {
    t.add("%s", Layer::name);
  }
  return t;
}

// "[6, 28, 28]" for a plane, "[120]" for a flat output (after Flatten/Linear).
inline Text shape_text(Shape s, bool flat) {
  Text t;
  if (flat) {
    t.add("[%d]", s.c);
  } else {
    t.add("[%d, %d, %d]", s.c, s.h, s.w);
  }
  return t;
}

inline constexpr const char* kRule =
    "----------------------------------------------------------------------------------------------";
inline constexpr const char* kRowFormat = "%5s  %-44s %-16s %12s %12s\n";

template <class Net, std::size_t I>
void print_row(std::FILE* out) {
  using Layer = typename Net::template layer<I>;
  char index[8];
  std::snprintf(index, sizeof(index), "%zu", I);
  std::fprintf(out, kRowFormat, index, describe<Layer>(Net::template shape_before<I>).s,
               shape_text(Net::template shape_after<I>, Net::plan.layers[I].flat).s,
               grouped(Net::template layer_params<I>).s, grouped(Net::template layer_macs<I>).s);
}

}  // namespace summary_detail

// Prints Net's table to `out`. Net must be a valid Network (an invalid one does
// not compile anyway).
template <class Net>
void print_summary(std::FILE* out = stdout) {
  namespace sd = summary_detail;
  std::fprintf(out, sd::kRowFormat, "Layer", "Type (spec)", "Output shape", "Params", "MACs");
  std::fprintf(out, "%s\n", sd::kRule);
  std::fprintf(out, "%5s  %-44s %s\n", "", "Input", sd::shape_text(Net::input_shape, false).s);
  [out]<std::size_t... I>(std::index_sequence<I...>) {
    (sd::print_row<Net, I>(out), ...);
  }(std::make_index_sequence<std::size_t(Net::layer_count)>{});
  std::fprintf(out, "%s\n", sd::kRule);
  std::fprintf(out, "Total params:             %s\n", sd::grouped(Net::param_count).s);
  std::fprintf(out, "Param bytes (float32):    %s\n", sd::grouped(long(Net::param_bytes)).s);
  std::fprintf(out, "Total MACs:               %s\n", sd::grouped(Net::macs).s);
  std::fprintf(out, "Inference activations:    %s bytes (batch 1)\n",
               sd::grouped(long(Net::template inference_activation_bytes<1>)).s);
  std::fprintf(out, "Training activations:     %s bytes (batch 1)\n",
               sd::grouped(long(Net::template training_activation_bytes<1>)).s);
}

}  // namespace staticnn
