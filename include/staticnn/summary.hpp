// print_summary<Net>(): a network's table, like Keras' model.summary() or
// torchinfo: one row per layer (index, name with its spec, output shape,
// parameters, MACs), then the totals (parameters and their bytes, MACs,
// activation memory for one sample).
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
  std::fprintf(out, "Inference RAM:            %s bytes (batch 1)\n",
               sd::grouped(long(Net::template inference_ram_bytes<1>)).s);
  if (Net::buffer_count > 0) {
    std::fprintf(out, "Buffers:                  %s (not trained: running statistics)\n",
                 sd::grouped(Net::buffer_count).s);
  }
}

}  // namespace staticnn
