// What the int8 firmware examples do with their network: run it on an int8
// input from a static workspace (static dispatch: the translation unit's own
// Highway target), print each int8 output with its dequantized logit (bits
// and decimal, as examples/firmware.hpp prints float logits), the memory and
// the class, and exit 1 unless the outputs are those an independent
// implementation computed (LiteRT's). Integer arithmetic gives the same bits
// on every target, so tests/cross compares the board's outputs with the
// host's as well.
//
//   constexpr auto q = staticnn::int8::quantize<QNet>(float_weights, ranges);  // .rodata
//   int main() { return firmware::classify_int8<QNet>(q, input, expected, "LiteRT's"); }
#pragma once

#include <cstdint>
#include <cstdio>

#include "examples/firmware.hpp"
#include "hwy/highway.h"
#include "staticnn/int8/network-inl.h"
#include "staticnn/int8/network.hpp"

namespace firmware {

// Per network: in .bss.
template <class QNet>
staticnn::int8::Workspace<QNet> int8_workspace;

template <class QNet>
int classify_int8(const staticnn::int8::Parameters<QNet>& q, const std::int8_t* x,
                  const std::int8_t* expected, const char* reference) {
  namespace int8 = staticnn::int8;
  const std::int8_t* y =
      staticnn::HWY_NAMESPACE::int8_network::Forward<QNet>(q, x, int8_workspace<QNet>);
  constexpr int outputs = QNet::output_shape.size();
  float logits[outputs];
  int8::DequantizeOutput<QNet>(q, y, logits);
  int best = 0, differences = 0;
  for (int k = 0; k < outputs; ++k) {
    std::printf("output %d: %d\n", k, int{y[k]});
    print_logit(k, logits[k]);
    best = y[k] > y[best] ? k : best;
    differences += y[k] != expected[k];
  }
  std::printf("parameters: %lu bytes, workspace: %lu bytes\n",
              static_cast<unsigned long>(QNet::flash_bytes),
              static_cast<unsigned long>(QNet::ram_bytes));
  std::printf("class %d (int8, Highway target %s)\n", best, hwy::TargetName(HWY_TARGET));
  if (differences != 0) {
    std::printf("error: %d of %d int8 outputs differ from %s:\n", differences, outputs, reference);
    for (int k = 0; k < outputs; ++k) std::printf("expected %d: %d\n", k, int{expected[k]});
    return 1;
  }
  std::printf("int8 outputs identical to %s\n", reference);
  return 0;
}

}  // namespace firmware
