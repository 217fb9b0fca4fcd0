// TFLite's quantization arithmetic (staticnn/int8/requantize.hpp) against
// independent definitions: exact integer formulas in 128-bit arithmetic for
// the fixed-point operations, and the C library's frexp/round for
// QuantizeMultiplier (TFLite's own code calls those).
#include "staticnn/int8/requantize.hpp"

#include <cmath>
#include <cstdint>
#include <random>

#include "gtest/gtest.h"

namespace staticnn::int8 {
namespace {

using i64 = std::int64_t;

i64 FloorDiv(__int128 a, i64 b) {
  const __int128 q = a / b;
  return static_cast<i64>((a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q);
}

// floor(a * b / 2^31 + 1/2), saturated: the definition the nudge implements.
std::int32_t HighMulOracle(std::int32_t a, std::int32_t b) {
  const i64 r = FloorDiv(__int128{a} * b + (i64{1} << 30), i64{1} << 31);
  return static_cast<std::int32_t>(std::min<i64>(r, kInt32Max));
}

// x / 2^e rounded to nearest, ties away from zero.
std::int32_t DivideOracle(std::int32_t x, int e) {
  const i64 magnitude = x < 0 ? -i64{x} : i64{x};
  const i64 q = e == 0 ? magnitude : (magnitude + (i64{1} << (e - 1))) >> e;
  return static_cast<std::int32_t>(x < 0 ? -q : q);
}

// TFLite's QuantizeMultiplier written with the C library, as TFLite has it.
QuantizedMultiplier QuantizeMultiplierOracle(double real) {
  if (real == 0.0) return {};
  int shift;
  const double q = std::frexp(real, &shift);
  i64 fixed = static_cast<i64>(std::round(q * static_cast<double>(i64{1} << 31)));
  if (fixed == (i64{1} << 31)) fixed /= 2, ++shift;
  if (shift < -31) return {};
  return {static_cast<std::int32_t>(fixed), shift};
}

// Compile time: the whole chain is constexpr (a converted network's
// parameters are computed by the compiler).
static_assert(QuantizeMultiplier(0.5) == QuantizedMultiplier{1 << 30, 0});
static_assert(QuantizeMultiplier(1.0) == QuantizedMultiplier{1 << 30, 1});
static_assert(QuantizeMultiplier(0.0) == QuantizedMultiplier{0, 0});
static_assert(MultiplyByQuantizedMultiplier(1000, QuantizeMultiplier(0.25)) == 250);
static_assert(Requantize(1000, {QuantizeMultiplier(0.25), -3, {-128, 127}}) == 127);

TEST(Int8Requantize, HighMulSaturatesOnlyAtMinTimesMin) {
  EXPECT_EQ(SaturatingRoundingDoublingHighMul(kInt32Min, kInt32Min), kInt32Max);
  EXPECT_EQ(SaturatingRoundingDoublingHighMul(kInt32Min, kInt32Max), -kInt32Max);
  EXPECT_EQ(SaturatingRoundingDoublingHighMul(kInt32Max, kInt32Max), kInt32Max - 1);
  EXPECT_EQ(SaturatingRoundingDoublingHighMul(kInt32Min, 1 << 30), -(1 << 30));
}

TEST(Int8Requantize, HighMulRoundsTiesUpward) {
  // b = 2^30 halves a: ties at odd a.
  EXPECT_EQ(SaturatingRoundingDoublingHighMul(3, 1 << 30), 2);
  EXPECT_EQ(SaturatingRoundingDoublingHighMul(-3, 1 << 30), -1);
  EXPECT_EQ(SaturatingRoundingDoublingHighMul(-5, 1 << 30), -2);
  EXPECT_EQ(SaturatingRoundingDoublingHighMul(-1, 1 << 30), 0);
  EXPECT_EQ(SaturatingRoundingDoublingHighMul(1, 1 << 30), 1);
}

TEST(Int8Requantize, DivideByPowerOfTwoRoundsTiesAwayFromZero) {
  EXPECT_EQ(RoundingDivideByPOT(3, 1), 2);
  EXPECT_EQ(RoundingDivideByPOT(-3, 1), -2);
  EXPECT_EQ(RoundingDivideByPOT(-5, 1), -3);
  EXPECT_EQ(RoundingDivideByPOT(-1, 1), -1);
  EXPECT_EQ(RoundingDivideByPOT(-6, 2), -2);  // -1.5
  EXPECT_EQ(RoundingDivideByPOT(-7, 2), -2);  // -1.75
  EXPECT_EQ(RoundingDivideByPOT(-5, 2), -1);  // -1.25
  // Exponent 0 is the identity, 31 the extreme.
  for (std::int32_t x : {kInt32Min, -7, -1, 0, 1, 7, kInt32Max}) {
    EXPECT_EQ(RoundingDivideByPOT(x, 0), x);
  }
  EXPECT_EQ(RoundingDivideByPOT(kInt32Min, 31), -1);
  EXPECT_EQ(RoundingDivideByPOT(kInt32Max, 31), 1);
  EXPECT_EQ(RoundingDivideByPOT(1 << 30, 31), 1);     // 0.5
  EXPECT_EQ(RoundingDivideByPOT(-(1 << 30), 31), -1);  // -0.5
  EXPECT_EQ(RoundingDivideByPOT((1 << 30) - 1, 31), 0);
  EXPECT_EQ(RoundingDivideByPOT(-(1 << 30) + 1, 31), 0);
}

TEST(Int8Requantize, FixedPointOperationsMatchExactDefinitions) {
  std::mt19937 rng(11);
  std::uniform_int_distribution<std::int32_t> any(kInt32Min, kInt32Max);
  std::uniform_int_distribution<std::int32_t> small(-300, 300);
  for (int i = 0; i < 200000; ++i) {
    const std::int32_t a = i % 2 ? any(rng) : small(rng), b = any(rng);
    ASSERT_EQ(SaturatingRoundingDoublingHighMul(a, b), HighMulOracle(a, b)) << a << " " << b;
    const int e = i % 32;
    ASSERT_EQ(RoundingDivideByPOT(a, e), DivideOracle(a, e)) << a << " " << e;
  }
}

TEST(Int8Requantize, QuantizeMultiplierIsTflites) {
  // 1 - 2^-33 rounds to a significand of 2^31: renormalised to 2^30, shift + 1.
  EXPECT_EQ(QuantizeMultiplier(1.0 - std::ldexp(1.0, -33)), (QuantizedMultiplier{1 << 30, 1}));
  // Below 2^-32 every product shifts out: TFLite flushes to zero.
  EXPECT_EQ(QuantizeMultiplier(std::ldexp(1.0, -33)), (QuantizedMultiplier{0, 0}));
  EXPECT_EQ(QuantizeMultiplier(std::ldexp(1.0, -32)), (QuantizedMultiplier{1 << 30, -31}));
  EXPECT_EQ(QuantizeMultiplier(3.0), (QuantizedMultiplier{3 << 29, 2}));
  std::mt19937 rng(12);
  std::uniform_real_distribution<double> mantissa(0.5, 1.0);
  std::uniform_int_distribution<int> exponent(-40, 8);
  for (int i = 0; i < 100000; ++i) {
    const double real = std::ldexp(mantissa(rng), exponent(rng));
    ASSERT_EQ(QuantizeMultiplier(real), QuantizeMultiplierOracle(real)) << real;
  }
}

TEST(Int8Requantize, MultiplyByQuantizedMultiplierIsCloseToTheProduct) {
  // Two roundings (the high multiply, then the shift): within one unit, and
  // exactly TFLite's composition of the two operations.
  std::mt19937 rng(13);
  std::uniform_int_distribution<std::int32_t> accumulator(-(1 << 22), 1 << 22);
  std::uniform_real_distribution<double> mantissa(0.5, 1.0);
  std::uniform_int_distribution<int> exponent(-24, 2);
  for (int i = 0; i < 100000; ++i) {
    const std::int32_t x = accumulator(rng);
    const double real = std::ldexp(mantissa(rng), exponent(rng));
    const QuantizedMultiplier m = QuantizeMultiplier(real);
    const std::int32_t y = MultiplyByQuantizedMultiplier(x, m);
    ASSERT_LE(std::abs(y - x * real), 1.0) << x << " * " << real;
    const int left = std::max(m.shift, 0), right = std::max(-m.shift, 0);
    ASSERT_EQ(y, DivideOracle(HighMulOracle(x * (1 << left), m.multiplier), right));
  }
  // Shift -31: the smallest multiplier that is not flushed.
  const QuantizedMultiplier tiny = QuantizeMultiplier(std::ldexp(1.0, -32));
  // Double rounding: 0.4999... is 2^30 after the high multiply, then 1.
  EXPECT_EQ(MultiplyByQuantizedMultiplier(kInt32Max, tiny), 1);
  EXPECT_EQ(MultiplyByQuantizedMultiplier(kInt32Min, tiny), -1);  // -0.5
  EXPECT_EQ(MultiplyByQuantizedMultiplier(123, QuantizeMultiplier(1.0)), 123);
}

TEST(Int8Requantize, RoundingOnceIsTheNearestWithTiesTowardZero) {
  std::mt19937 rng(17);
  std::uniform_int_distribution<std::int32_t> accumulator(-(1 << 22), 1 << 22);
  std::uniform_real_distribution<double> mantissa(0.5, 1.0);
  std::uniform_int_distribution<int> exponent(-24, 2);
  for (int i = 0; i < 100000; ++i) {
    const std::int32_t x = accumulator(rng);
    const QuantizedMultiplier m = QuantizeMultiplier(std::ldexp(mantissa(rng), exponent(rng)));
    // The real the fixed-point multiplier stands for, exactly (53 bits hold x * m).
    const double exact = std::ldexp(double(x) * double(m.multiplier), m.shift - 31);
    const std::int32_t y = MultiplyByQuantizedMultiplierRoundingOnce(x, m);
    ASSERT_LE(std::abs(y - exact), 0.5) << x << " * " << m.multiplier << " >> " << 31 - m.shift;
  }
  const QuantizedMultiplier quarter = QuantizeMultiplier(0.25);
  EXPECT_EQ(MultiplyByQuantizedMultiplierRoundingOnce(6, quarter), 1);    // 1.5
  EXPECT_EQ(MultiplyByQuantizedMultiplierRoundingOnce(-6, quarter), -1);  // -1.5
  EXPECT_EQ(MultiplyByQuantizedMultiplierRoundingOnce(7, quarter), 2);    // 1.75
  EXPECT_EQ(MultiplyByQuantizedMultiplier(-6, quarter), -2);  // double rounding: away
  EXPECT_EQ(RequantizeFullyConnected(-6, {quarter, 10, {-128, 127}}), 9);
}

TEST(Int8Requantize, ActivationRangesAreTflites) {
  const TensorQuantization q{0.05f, -20};
  EXPECT_EQ(ActivationRange(Activation::kNone, q), (ActivationClamp{-128, 127}));
  EXPECT_EQ(ActivationRange(Activation::kReLU, q), (ActivationClamp{-20, 127}));
  EXPECT_EQ(ActivationRange(Activation::kReLU6, q), (ActivationClamp{-20, 100}));
  // The clamp never leaves int8.
  EXPECT_EQ(ActivationRange(Activation::kReLU6, {0.01f, -128}), (ActivationClamp{-128, 127}));
  EXPECT_EQ(ActivationRange(Activation::kReLU, {0.01f, -200}), (ActivationClamp{-128, 127}));
}

TEST(Int8Requantize, RequantizeAddsTheZeroPointThenClamps) {
  const Requantization r{QuantizeMultiplier(0.5), 10, {0, 20}};
  EXPECT_EQ(Requantize(4, r), 12);
  EXPECT_EQ(Requantize(-3, r), 9);    // -1.5 -> -2 (ties away from zero), + 10
  EXPECT_EQ(Requantize(-100, r), 0);  // clamped below
  EXPECT_EQ(Requantize(100, r), 20);  // clamped above
}

TEST(Int8Requantize, ParameterQuantization) {
  // Weights: symmetric, largest magnitude at +-127.
  const float scale = SymmetricScale(0.5f);
  EXPECT_EQ(QuantizeWeight(0.5f, scale), 127);
  EXPECT_EQ(QuantizeWeight(-0.5f, scale), -127);
  EXPECT_EQ(QuantizeWeight(-2.0f, scale), -127);  // clamped: never -128
  EXPECT_EQ(QuantizeWeight(0.1f, scale), 25);     // 25.4
  EXPECT_EQ(SymmetricScale(0.0f), 1.0f);
  // Bias: accumulator scale, ties away from zero.
  EXPECT_EQ(QuantizeBias(-0.375f, 0.5f, 0.25f), -3);
  EXPECT_EQ(QuantizeBias(0.0625f, 0.5f, 0.25f), 1);  // 0.5 -> 1
  // Activations: the range widened to contain 0, which is exact.
  const TensorQuantization a = AsymmetricQuantization(-1.0f, 3.0f);
  EXPECT_FLOAT_EQ(a.scale, 4.0f / 255.0f);
  EXPECT_EQ(a.zero_point, -64);  // -128 + 63.75 = -64.25
  EXPECT_EQ(Dequantize(QuantizeActivation(0.0f, a), a), 0.0f);
  EXPECT_EQ(QuantizeActivation(3.0f, a), 127);
  EXPECT_EQ(QuantizeActivation(-1.0f, a), -128);
  EXPECT_EQ(QuantizeActivation(100.0f, a), 127);
  const TensorQuantization positive = AsymmetricQuantization(2.0f, 6.0f);
  EXPECT_EQ(positive.zero_point, -128);
  EXPECT_FLOAT_EQ(positive.scale, 6.0f / 255.0f);
}

}  // namespace
}  // namespace staticnn::int8
