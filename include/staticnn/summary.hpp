// print_summary<Net>(): a network's table, like Keras' model.summary() or
// torchinfo: one row per layer (index, name with its spec, output shape,
// parameters, MACs), then the totals (parameters and their bytes, MACs,
// activation memory for one sample). A block's row is followed by its
// children's, indented and named by their state_dict path ("3.main.0"), so
// the table shows where every parameter lives.
//
// Only snprintf/fprintf into fixed stack buffers: no iostream, no heap, so it
// works on a firmware target whose stdout is a UART.
#pragma once

#include <cstddef>
#include <cstdio>
#include <utility>

#include "staticnn/layers/layer.hpp"
#include "staticnn/network.hpp"
#include "staticnn/shape.hpp"
#include "staticnn/text_line.hpp"

namespace staticnn {
namespace summary_detail {

using Text = TextLine;

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

// The layer's name and spec, e.g. "Conv2d(1->6, k=5x5, s=1, p=2)": the layer
// describes itself (layers/layer.hpp).
template <class Layer>
Text describe(Shape in) {
  Text t;
  detail::describe_layer<Layer>(t, in);
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

// The rule under the header and above the totals, as wide as a row.
inline void print_rule(std::FILE* out) {
  for (int i = 0; i < 102; ++i) std::fputc('-', out);
  std::fputc('\n', out);
}
inline constexpr const char* kRowFormat = "%5s  %-52s %-16s %12s %12s\n";

// The rows of a block's children, then theirs, one indent per level.
template <class Layer>
void print_children(std::FILE* out, const TensorName& path, Shape in, bool flat, int depth) {
  if constexpr (detail::has_children<Layer>) {
    Layer::children(in, flat, [&]<class Child>(const TensorName& key,
                                               const detail::LayerRecord& r, bool flat_in) {
      const TensorName child_path = key.under(path);
      Text name;
      name.add("%*s%s %s", 2 * depth, "", child_path.s, describe<Child>(r.in).s);
      std::fprintf(out, kRowFormat, "", name.s, shape_text(r.out, r.flat).s, grouped(r.params).s,
                   grouped(r.macs).s);
      print_children<Child>(out, child_path, r.in, flat_in, depth + 1);
    });
  }
}

template <class Net, std::size_t I>
void print_row(std::FILE* out) {
  using Layer = typename Net::template layer<I>;
  const detail::LayerRecord& r = Net::plan.layers[I];
  TensorName path;
  path.append(int(I));
  std::fprintf(out, kRowFormat, path.s, describe<Layer>(r.in).s, shape_text(r.out, r.flat).s,
               grouped(r.params).s, grouped(r.macs).s);
  const bool flat_in = I == 0 ? Net::chain::input_flat : Net::plan.layers[I - 1].flat;
  print_children<Layer>(out, path, r.in, flat_in, 1);
}

}  // namespace summary_detail

// Prints Net's table to `out`. Net must be a valid Network (an invalid one does
// not compile anyway).
template <class Net>
void print_summary(std::FILE* out = stdout) {
  namespace sd = summary_detail;
  std::fprintf(out, sd::kRowFormat, "Layer", "Type (spec)", "Output shape", "Params", "MACs");
  sd::print_rule(out);
  std::fprintf(out, "%5s  %-52s %s\n", "", "Input",
               sd::shape_text(Net::input_shape, Net::chain::input_flat).s);
  [out]<std::size_t... I>(std::index_sequence<I...>) {
    (sd::print_row<Net, I>(out), ...);
  }(std::make_index_sequence<std::size_t(Net::layer_count)>{});
  sd::print_rule(out);
  std::fprintf(out, "Total params:             %s\n", sd::grouped(Net::param_count).s);
  std::fprintf(out, "Param bytes (float32):    %s\n", sd::grouped(long(Net::param_bytes)).s);
  std::fprintf(out, "Total MACs:               %s\n", sd::grouped(Net::macs).s);
  std::fprintf(out, "Inference activations:    %s bytes (batch 1)\n",
               sd::grouped(long(Net::template inference_activation_bytes<1>)).s);
  std::fprintf(out, "Training activations:     %s bytes (batch 1)\n",
               sd::grouped(long(Net::template training_activation_bytes<1>)).s);
  std::fprintf(out, "Inference RAM:            %s bytes (batch 1)\n",
               sd::grouped(long(Net::template inference_ram_bytes<1>)).s);
  if (Net::buffer_count > 0) {
    std::fprintf(out, "Buffers:                  %s (not trained: running statistics)\n",
                 sd::grouped(Net::buffer_count).s);
  }
}

}  // namespace staticnn
