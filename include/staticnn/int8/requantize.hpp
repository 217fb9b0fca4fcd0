// Quantization arithmetic of TFLite's int8 scheme, so that TFLite's reference
// kernels are an independent oracle, bit for bit:
//   real = scale * (q - zero_point)
// Activations: int8 per tensor, asymmetric (a zero point). Weights: int8 per
// output channel, symmetric (zero point 0, range [-127, 127]). Bias: int32 with
// scale input_scale * weight_scale[c] and zero point 0. An int32 accumulator
// goes back to int8 through a fixed-point multiplier (a Q0.31 significand and
// a power-of-two shift), rounded as gemmlowp rounds, then the output zero point
// is added and the result clamped to the activation range (ReLU and ReLU6 are
// folded into that clamp).
//
// Everything is constexpr so that a converted network's parameters can be
// computed at compile time and baked into flash. The arithmetic on int32 uses
// two's complement wrapping and arithmetic right shifts, both defined in C++20.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>

namespace staticnn::int8 {

inline constexpr std::int32_t kInt32Min = std::numeric_limits<std::int32_t>::min();
inline constexpr std::int32_t kInt32Max = std::numeric_limits<std::int32_t>::max();
inline constexpr std::int32_t kInt8Min = -128;
inline constexpr std::int32_t kInt8Max = 127;

// real multiplier ~= multiplier * 2^(shift - 31), multiplier in [2^30, 2^31)
// (or 0). A positive shift is a left shift before the multiplication, a
// negative one a rounding right shift after it (TFLite's convention).
struct QuantizedMultiplier {
  std::int32_t multiplier = 0;
  int shift = 0;
  constexpr bool operator==(const QuantizedMultiplier&) const = default;
};

namespace detail {

// std::round (halves away from zero) for |x| < 2^62; std::round is not
// constexpr in C++20. The fraction x - trunc(x) is exact in double.
constexpr std::int64_t RoundHalfAwayFromZero(double x) {
  const auto truncated = static_cast<std::int64_t>(x);
  const double fraction = x - static_cast<double>(truncated);
  if (fraction >= 0.5) return truncated + 1;
  if (fraction <= -0.5) return truncated - 1;
  return truncated;
}

// std::frexp for a finite x > 0: x = fraction * 2^exponent, fraction in
// [0.5, 1). Scaling by two is exact, so the loop gives frexp's bits.
struct Frexp {
  double fraction;
  int exponent;
};
constexpr Frexp FrexpPositive(double x) {
  int exponent = 0;
  while (x >= 1.0) x *= 0.5, ++exponent;
  while (x < 0.5) x *= 2.0, --exponent;
  return {x, exponent};
}

}  // namespace detail

// TFLite's QuantizeMultiplier (quantization_util.cc): frexp, the significand
// rounded to 31 fractional bits, 1.0 renormalised to 0.5 * 2, and multipliers
// below 2^-32 flushed to zero (every product would shift out).
constexpr QuantizedMultiplier QuantizeMultiplier(double real) {
  if (real == 0.0) return {};
  const bool negative = real < 0.0;
  auto [fraction, shift] = detail::FrexpPositive(negative ? -real : real);
  std::int64_t fixed = detail::RoundHalfAwayFromZero(fraction * double(std::int64_t{1} << 31));
  if (fixed == (std::int64_t{1} << 31)) fixed /= 2, ++shift;
  if (shift < -31) return {};
  return {static_cast<std::int32_t>(negative ? -fixed : fixed), shift};
}

// gemmlowp's SaturatingRoundingDoublingHighMul: a * b / 2^31 rounded to
// nearest. The nudge 1 - 2^30 for negative products, followed by a division
// that truncates, sends ties upward (-1.5 -> -1, 1.5 -> 2): this is
// floor(a * b / 2^31 + 1/2). The only overflow, INT32_MIN * INT32_MIN,
// saturates to INT32_MAX.
constexpr std::int32_t SaturatingRoundingDoublingHighMul(std::int32_t a, std::int32_t b) {
  if (a == kInt32Min && b == kInt32Min) return kInt32Max;
  const std::int64_t product = std::int64_t{a} * std::int64_t{b};
  const std::int64_t nudge = product >= 0 ? (std::int64_t{1} << 30) : 1 - (std::int64_t{1} << 30);
  // Division truncates toward zero, as gemmlowp's does.
  return static_cast<std::int32_t>((product + nudge) / (std::int64_t{1} << 31));
}

// gemmlowp's RoundingDivideByPOT: x / 2^exponent rounded to nearest, ties
// away from zero, for exponent in [0, 31].
constexpr std::int32_t RoundingDivideByPOT(std::int32_t x, int exponent) {
  const std::int32_t mask = static_cast<std::int32_t>((std::int64_t{1} << exponent) - 1);
  const std::int32_t remainder = x & mask;
  const std::int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

// TFLite's MultiplyByQuantizedMultiplier (the double-rounding form, which its
// int8 convolutions and adds use): x * real, rounded. The left shift wraps on
// overflow as the hardware TFLite runs on does.
constexpr std::int32_t MultiplyByQuantizedMultiplier(std::int32_t x, QuantizedMultiplier m) {
  const int left = m.shift > 0 ? m.shift : 0;
  const int right = m.shift > 0 ? 0 : -m.shift;
  const auto shifted = static_cast<std::int32_t>(static_cast<std::uint32_t>(x) << left);
  return RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(shifted, m.multiplier), right);
}

// x * real rounded once to the nearest, ties toward zero: what LiteRT 2.3's
// reference int8 FULLY_CONNECTED computes. Measured against LiteRT, not read
// in its source: where the double rounding above is off by one (a product
// within 2^-31 of a half), LiteRT's FullyConnected gives the nearest integer
// and its CONV_2D the double rounding's; on exact ties (a real multiplier of
// 2^-8 and accumulators 128 mod 256) it goes toward zero on both signs
// (tests/data/int8/linear_ties.gold, mlperf_autoencoder.gold;
// tools/make_int8_golden.py). The product is exact in 64 bits; the result is
// truncated to 32 bits as TFLite's int32 result is.
constexpr std::int32_t MultiplyByQuantizedMultiplierRoundingOnce(std::int32_t x,
                                                                 QuantizedMultiplier m) {
  const int total_shift = 31 - m.shift;
  const std::int64_t half = std::int64_t{1} << (total_shift - 1);
  // A tie rounds down for x >= 0 (half - 1 added), up for x < 0.
  const std::int64_t product = std::int64_t{x} * m.multiplier + half - (x >= 0 ? 1 : 0);
  return static_cast<std::int32_t>(product >> total_shift);
}

// The int8 range an output is clamped to: [-128, 127], narrowed by a fused
// ReLU or ReLU6.
struct ActivationClamp {
  std::int32_t min = kInt8Min, max = kInt8Max;
  constexpr bool operator==(const ActivationClamp&) const = default;
};

// The int8 value of an accumulator: requantized, offset by the output zero
// point, clamped.
struct Requantization {
  QuantizedMultiplier scale;
  std::int32_t output_zero_point = 0;
  ActivationClamp clamp;
};

// The zero point is added with wrapping, as TFLite's int32 addition does on
// its hardware and as the vector kernels do (only accumulators near the int32
// limits can overflow here, never those of an int8 layer).
constexpr std::int8_t OffsetAndClamp(std::int32_t scaled, const Requantization& r) {
  const auto q = static_cast<std::int32_t>(static_cast<std::uint32_t>(scaled) +
                                           static_cast<std::uint32_t>(r.output_zero_point));
  return static_cast<std::int8_t>(std::clamp(q, r.clamp.min, r.clamp.max));
}
constexpr std::int8_t Requantize(std::int32_t accumulator, const Requantization& r) {
  return OffsetAndClamp(MultiplyByQuantizedMultiplier(accumulator, r.scale), r);
}
// A FullyConnected's (Linear's) output: rounded once (see above).
constexpr std::int8_t RequantizeFullyConnected(std::int32_t accumulator, const Requantization& r) {
  return OffsetAndClamp(MultiplyByQuantizedMultiplierRoundingOnce(accumulator, r.scale), r);
}

// ----------------------------------------------------------------- parameters

// A tensor's quantization: real = scale * (q - zero_point).
struct TensorQuantization {
  float scale = 1.0f;
  std::int32_t zero_point = 0;
};

enum class Activation { kNone, kReLU, kReLU6 };

// TFLite's CalculateActivationRangeQuantized for int8: the clamp a fused
// ReLU/ReLU6 becomes, real 0 and 6 quantized (6 with a float division).
constexpr ActivationClamp ActivationRange(Activation activation, TensorQuantization output) {
  if (activation == Activation::kNone) return {};
  ActivationClamp clamp{std::max(kInt8Min, output.zero_point), kInt8Max};
  if (activation == Activation::kReLU6) {
    const std::int64_t six = detail::RoundHalfAwayFromZero(6.0f / output.scale);
    clamp.max = static_cast<std::int32_t>(std::min<std::int64_t>(kInt8Max, output.zero_point + six));
  }
  return clamp;
}

// The multiplier of a convolution's output channel (TFLite's
// PopulateConvolutionQuantizationParams, per channel): the product of the
// input and weight scales over the output scale, in double.
constexpr QuantizedMultiplier ConvolutionMultiplier(float input_scale, float weight_scale,
                                                    float output_scale) {
  return QuantizeMultiplier(double(input_scale) * double(weight_scale) / double(output_scale));
}

// The multiplier of TFLite's FullyConnected with one weight scale
// (GetQuantizedConvolutionMultipler): there the scales' product is taken in
// float, then divided in double.
constexpr QuantizedMultiplier FullyConnectedMultiplier(float input_scale, float weight_scale,
                                                       float output_scale) {
  return QuantizeMultiplier(double(input_scale * weight_scale) / double(output_scale));
}

// An elementwise add of two int8 tensors (TFLite's add.cc, Prepare): both
// inputs go to the common scale 2 * max(scale_a, scale_b) with 20 bits of
// headroom, which makes their multipliers at most 1/2; the sum's multiplier
// undoes the headroom and goes to the output scale.
struct AddRequantization {
  std::int32_t a_zero_point = 0, b_zero_point = 0;
  int left_shift = 20;
  QuantizedMultiplier a_scale, b_scale;
  Requantization output;
};

constexpr AddRequantization AddParameters(TensorQuantization a, TensorQuantization b,
                                          TensorQuantization output, Activation activation) {
  AddRequantization r;
  r.a_zero_point = a.zero_point;
  r.b_zero_point = b.zero_point;
  const double twice_max_scale = 2.0 * double(std::max(a.scale, b.scale));
  r.a_scale = QuantizeMultiplier(double(a.scale) / twice_max_scale);
  r.b_scale = QuantizeMultiplier(double(b.scale) / twice_max_scale);
  // TFLite multiplies 2^20 by the float scale in float (exact: a power of two).
  const float shifted_output_scale = float(1 << r.left_shift) * output.scale;
  r.output = {QuantizeMultiplier(twice_max_scale / double(shifted_output_scale)),
              output.zero_point, ActivationRange(activation, output)};
  return r;
}

// Symmetric per-channel weight quantization: the channel's largest magnitude
// maps to 127 (an all-zero channel gets scale 1, so nothing divides by zero).
constexpr float SymmetricScale(float max_abs) { return max_abs > 0.0f ? max_abs / 127.0f : 1.0f; }

constexpr std::int8_t QuantizeWeight(float w, float scale) {
  const std::int64_t q = detail::RoundHalfAwayFromZero(double(w / scale));
  return static_cast<std::int8_t>(std::clamp<std::int64_t>(q, -kInt8Max, kInt8Max));
}

// A bias in the accumulator's scale, input_scale * weight_scale, zero point 0.
constexpr std::int32_t QuantizeBias(float b, float input_scale, float weight_scale) {
  const std::int64_t q = detail::RoundHalfAwayFromZero(double(b) / (double(input_scale) * weight_scale));
  return static_cast<std::int32_t>(std::clamp<std::int64_t>(q, kInt32Min, kInt32Max));
}

// Asymmetric activation quantization of a calibrated range [lo, hi], widened
// to contain 0 so that zero padding and ReLU are exact: scale = (hi - lo)/255,
// the zero point rounded and clamped to int8 (TFLite's converter nudges the
// same way).
constexpr TensorQuantization AsymmetricQuantization(float lo, float hi) {
  lo = std::min(lo, 0.0f);
  hi = std::max(hi, 0.0f);
  if (hi == lo) return {1.0f, 0};
  const float scale = (hi - lo) / 255.0f;
  const std::int64_t zero_point = detail::RoundHalfAwayFromZero(double(kInt8Min) - double(lo / scale));
  return {scale, static_cast<std::int32_t>(std::clamp<std::int64_t>(zero_point, kInt8Min, kInt8Max))};
}

constexpr std::int8_t QuantizeActivation(float x, TensorQuantization q) {
  const std::int64_t v = detail::RoundHalfAwayFromZero(double(x / q.scale)) + q.zero_point;
  return static_cast<std::int8_t>(std::clamp<std::int64_t>(v, kInt8Min, kInt8Max));
}

constexpr float Dequantize(std::int8_t q, TensorQuantization t) {
  return t.scale * float(std::int32_t{q} - t.zero_point);
}

}  // namespace staticnn::int8
