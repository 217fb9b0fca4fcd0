// TFLite's int8 MEAN over the plane (what Keras' GlobalAveragePooling2D
// converts to), as its reference kernel (reference_ops::QuantizedMeanOrSum)
// computes it: the sum of (x - input zero point) over the plane's N values,
// times input_scale / output_scale folded with 1 / N into one fixed-point
// multiplier, plus the output zero point, clamped. Unlike AVERAGE_POOL_2D,
// which rounds sum / N to an integer in the input's quantization, MEAN may
// requantize and rounds once: the two differ by one step on about one
// output in ten even with equal quantizations (tools/make_int8_golden.py,
// mean_* cases).
#pragma once

#include <algorithm>
#include <cstdint>

#include "staticnn/int8/requantize.hpp"

namespace staticnn::int8 {

// input_scale / output_scale, then divided by count in the integer
// significand: shifted left by floor(log2(count)) (at most 32, and at most
// what keeps the shift within 31) before the integer division, so the
// quotient keeps its bits.
constexpr QuantizedMultiplier MeanMultiplier(float input_scale, float output_scale, long count) {
  QuantizedMultiplier m = QuantizeMultiplier(double(input_scale) / double(output_scale));
  int shift = 0;
  while ((long{2} << shift) <= count) ++shift;
  shift = std::min({shift, 32, 31 + m.shift});
  m.multiplier = static_cast<std::int32_t>((std::int64_t{m.multiplier} << shift) / count);
  m.shift -= shift;
  return m;
}

}  // namespace staticnn::int8
