// The int8 Highway kernels (include/staticnn/int8/*-inl.h) against the scalar
// oracle (tests/reference/int8.hpp), bit for bit, on every Highway target:
//   - the vector requantization against int8::Requantize on accumulators that
//     cover the int32 range and its ends, multipliers with shifts from -31 to
//     +3, and the one saturating product (INT32_MIN * INT32_MIN); its
//     multiply (both roundings) in int32, before the clamp, with ties;
//   - Conv2d: padded, strided (TFLite's asymmetric SAME padding), dilated,
//     pointwise, grouped, depthwise with a multiplier, rows of 1, lanes + 1
//     and 3 * lanes - 1 columns, random per-channel requantizations and clamps;
//     depthwise layers through each of their kernels that fits (planes, and
//     on x86 floats), whichever the layer takes; the largest kernel the
//     floats hold exactly (22x22) with products of one sign;
//   - Linear: in and out features around the vector lengths;
//   - max and average pooling: strides, padding (TFLite's SAME, where the
//     average divides by the inputs inside), a global 25x5 window, clamps;
//   - add: lengths around the vector length, random quantizations;
// every output surrounded by canaries, and no heap allocation in a call.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "tests/int8_kernels_test.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "hwy/tests/test_util-inl.h"
#include "staticnn/int8/add-inl.h"
#include "staticnn/int8/conv2d-inl.h"
#include "staticnn/int8/linear-inl.h"
#include "staticnn/int8/pool2d-inl.h"
#include "staticnn/int8/requantize-inl.h"
#include "tests/reference/int8.hpp"

// Target-independent helpers, compiled once.
#ifndef STATICNN_TESTS_INT8_KERNELS_TEST_ONCE_
#define STATICNN_TESTS_INT8_KERNELS_TEST_ONCE_
#include "tests/support/allocation_counter.hpp"

namespace staticnn::int8_kernels_test {

constexpr int kCanary = 16;
constexpr std::int8_t kCanaryValue = 0x5a;

std::vector<std::int8_t> RandomInt8(int n, std::mt19937& rng) {
  std::uniform_int_distribution<int> u(-128, 127);
  std::vector<std::int8_t> v(n);
  for (auto& e : v) e = static_cast<std::int8_t>(u(rng));
  return v;
}

// A requantization as a calibrated layer would have one: a multiplier of
// 2^-18 .. 2^-6 (accumulators of thousands to int8), a zero point, and a
// clamp that is sometimes a ReLU or ReLU6.
int8::Requantization RandomRequantization(std::mt19937& rng) {
  std::uniform_real_distribution<double> mantissa(0.5, 1.0);
  std::uniform_int_distribution<int> exponent(-18, -6), zero_point(-30, 30), kind(0, 2);
  const std::int32_t zp = zero_point(rng);
  const int8::ActivationClamp clamps[] = {{}, {zp, 127}, {zp, zp + 60}};
  return {int8::QuantizeMultiplier(std::ldexp(mantissa(rng), exponent(rng))), zp,
          clamps[kind(rng)]};
}

// Every input and weight -128 or 127 (by sign), the zero point -128 or 127:
// centered inputs of +-255, the largest int16 pair products (2 * 255 * 128)
// the kernels' pairwise multiply-add ever sums, and quads' offset inputs
// (x + 128) of 0 and 255 with a padding of 0 or 255.
void MakeExtreme(std::vector<std::int8_t>& x, std::vector<std::int8_t>& w,
                 std::int32_t& x_zero_point) {
  for (auto& e : x) e = e < 0 ? -128 : 127;
  for (auto& e : w) e = e < 0 ? -128 : 127;
  x_zero_point = x_zero_point < 0 ? -128 : 127;
}

// The kernel's output y (with canaries) equals the oracle's.
void ExpectSame(const std::vector<std::int8_t>& guarded, const std::vector<std::int8_t>& expected,
                const char* what) {
  int mismatches = 0;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    if (guarded[kCanary + i] != expected[i] && ++mismatches <= 5) {
      ADD_FAILURE() << what << ": y[" << i << "] = " << int{guarded[kCanary + i]}
                    << ", oracle " << int{expected[i]};
    }
  }
  EXPECT_EQ(mismatches, 0) << what;
  for (int i = 0; i < kCanary; ++i) {
    EXPECT_EQ(guarded[i], kCanaryValue) << what << ": wrote before its output";
    EXPECT_EQ(guarded[kCanary + expected.size() + i], kCanaryValue) << what << ": wrote after";
  }
}

}  // namespace staticnn::int8_kernels_test
#endif  // STATICNN_TESTS_INT8_KERNELS_TEST_ONCE_

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {
namespace {

using namespace int8_kernels_test;  // NOLINT(build/namespaces): test helpers

void TestRequantizeRow() {
  std::mt19937 rng(101);
  constexpr int kN = int8_kernels::PadToVectors(61);
  std::uniform_int_distribution<std::int32_t> any(int8::kInt32Min, int8::kInt32Max);
  std::uniform_int_distribution<std::int32_t> small(-(1 << 20), 1 << 20);
  std::vector<int8::QuantizedMultiplier> multipliers = {
      {int8::kInt32Min, 0}, {int8::kInt32Max, 0}, {1 << 30, -31}, {1 << 30, 0}, {1 << 30, 3},
      {1 << 30, -7}};  // 2^-8: accumulators 128 mod 256 are ties
  std::uniform_real_distribution<double> mantissa(0.5, 1.0);
  std::uniform_int_distribution<int> exponent(-32, 3);
  for (int i = 0; i < 40; ++i) {
    multipliers.push_back(int8::QuantizeMultiplier(std::ldexp(mantissa(rng), exponent(rng))));
  }
  for (const auto& m : multipliers) {
    std::int32_t acc[kN];
    for (int i = 0; i < kN; ++i) acc[i] = i % 3 ? small(rng) : any(rng);
    acc[0] = int8::kInt32Min, acc[1] = int8::kInt32Max, acc[2] = -1, acc[3] = 0;
    acc[4] = 16256, acc[5] = -18560;
    const int8::Requantization r{m, -5, {-100, 120}};
    std::int8_t out[kN], once[kN];
    int8_kernels::RequantizeRow<kN>(acc, r, out);
    int8_kernels::RequantizeRow<kN, /*kRoundOnce=*/true>(acc, r, once);
    for (int i = 0; i < kN; ++i) {
      ASSERT_EQ(out[i], int8::Requantize(acc[i], r))
          << "acc " << acc[i] << " multiplier " << m.multiplier << " shift " << m.shift;
      ASSERT_EQ(once[i], int8::RequantizeFullyConnected(acc[i], r))
          << "acc " << acc[i] << " multiplier " << m.multiplier << " shift " << m.shift;
    }
  }
}

// The int32 result of the vector MultiplyByQuantizedMultiplier (both
// roundings in one 64-bit shift, requantize-inl.h) against the scalar
// definition, before any clamp could hide a difference: every shift from
// -31 to +3, multipliers of either sign and at the int32 ends, accumulators
// at the int32 ends, near zero (products within 2^30 of 0, where the sign
// test reads the product's sign for the high multiply's), and exact ties of
// both roundings (multiples of 2^(e-1) times an odd number after a multiplier
// of 2^30, and products of 2^30 mod 2^31).
void TestMultiplyByQuantizedMultiplier() {
  std::mt19937 rng(103);
  constexpr int L = int8_kernels::kLanes32;
  const int lanes = static_cast<int>(hn::Lanes(int8_kernels::D32()));
  std::uniform_int_distribution<std::int32_t> any(int8::kInt32Min, int8::kInt32Max);
  std::uniform_int_distribution<std::int32_t> small(-4096, 4096), odd(-1000, 1000);
  std::uniform_int_distribution<int> shift(-31, 3);
  for (int trial = 0; trial < 3000; ++trial) {
    int8::QuantizedMultiplier m{any(rng), shift(rng)};
    if (trial % 7 == 0) m.multiplier = 1 << 30;
    if (trial % 11 == 0) m.multiplier = int8::kInt32Max;
    if (trial % 13 == 0) m.multiplier = int8::kInt32Min;
    if (trial % 17 == 0) m.multiplier = -(1 << 30);
    const int e = std::max(-m.shift, 0);
    HWY_ALIGN std::int32_t x[L], y[L];
    for (int i = 0; i < lanes; ++i) {
      switch ((trial + i) % 5) {
        case 0: x[i] = any(rng); break;
        case 1: x[i] = small(rng); break;
        case 2: {  // ties: an odd multiple of 2^(e-1), in the int32 range
          const std::int64_t power = std::int64_t{1} << (e > 0 ? e - 1 : 0);
          const std::int64_t tie = std::int64_t{2 * odd(rng) + 1} * power;
          x[i] = static_cast<std::int32_t>(
              std::clamp<std::int64_t>(tie, -(std::int64_t{1} << 30), std::int64_t{1} << 30));
          break;
        }
        case 3: x[i] = -(1 + i % 3); break;  // with 2^30: a product of -2^30
        default: x[i] = i % 2 ? int8::kInt32Min : int8::kInt32Max;
      }
    }
    hn::Store(int8_kernels::MultiplyByQuantizedMultiplier(
                  int8_kernels::D32(), hn::Load(int8_kernels::D32(), x), m),
              int8_kernels::D32(), y);
    for (int i = 0; i < lanes; ++i) {
      ASSERT_EQ(y[i], int8::MultiplyByQuantizedMultiplier(x[i], m))
          << "x " << x[i] << " multiplier " << m.multiplier << " shift " << m.shift;
    }
  }
}

// With `extremes`, MakeExtreme's operands.
template <Conv2dGeometry G>
void CheckConv2d(std::mt19937& rng, bool extremes = false, bool same_sign = false) {
  SCOPED_TRACE(::testing::Message()
               << G.in.c << "x" << G.in.h << "x" << G.in.w << " -> " << G.out.c << "x" << G.out.h
               << "x" << G.out.w << ", kernel " << G.y.kernel << "x" << G.x.kernel << ", stride "
               << G.y.stride << "x" << G.x.stride << ", padding " << G.y.pad << "x" << G.x.pad
               << ", dilation " << G.y.dilation << "x" << G.x.dilation << ", groups " << G.groups
               << (extremes ? ", extreme operands" : "") << (same_sign ? ", one sign" : ""));
  auto x = RandomInt8(G.in.size(), rng);
  auto w = RandomInt8(G.weight_count(), rng);
  std::uniform_int_distribution<std::int32_t> bias(-5000, 5000), zero_point(-40, 40);
  std::vector<std::int32_t> b(G.out.c);
  for (auto& e : b) e = bias(rng);
  std::vector<int8::Requantization> r;
  for (int c = 0; c < G.out.c; ++c) r.push_back(RandomRequantization(rng));
  std::int32_t x_zero_point = zero_point(rng);
  if (extremes) MakeExtreme(x, w, x_zero_point);
  if (same_sign) {  // every product 255 * 127: one sign, odd
    std::fill(x.begin(), x.end(), std::int8_t{127});
    std::fill(w.begin(), w.end(), std::int8_t{127});
    x_zero_point = -128;
    // A scale of 1 and a bias that cancels a whole window's sum: an error of
    // one in a sum shows in y.
    for (auto& e : b) e = -G.y.kernel * G.x.kernel * 255 * 127;
    for (auto& e : r) e = {{1 << 30, 1}, 0, {}};
  }

  std::vector<std::int8_t> expected(G.out.size());
  reference::int8_conv2d(G, x.data(), x_zero_point, w.data(), b.data(), r.data(), expected.data());
  const auto check = [&](const char* what, auto kernel) {
    std::vector<std::int8_t> y(G.out.size() + 2 * kCanary, kCanaryValue);
    int allocations;
    {
      const test::AllocationScope scope;
      kernel(x.data(), x_zero_point, w.data(), G.bias ? b.data() : nullptr, r.data(),
             y.data() + kCanary);
      allocations = scope.count();
    }
    EXPECT_EQ(allocations, 0) << what;
    ExpectSame(y, expected, what);
  };
  check("conv2d", int8_kernels::Conv2dForward<G>);
  // Both depthwise kernels where each fits, whichever the layer takes.
#if HWY_TARGET != HWY_SCALAR
  if constexpr (int8_kernels::IsDepthwise(G) && int8_kernels::DepthwisePlaneFits<G>()) {
    check("planes (depthwise-inl.h)", int8_kernels::DepthwiseForward<G>);
  }
  if constexpr (int8_kernels::DepthwiseByFloatFits<G>()) {
    check("float (depthwise_float-inl.h)", int8_kernels::DepthwiseByFloat<G>);
  }
#endif
}

constexpr WindowAxis Axis(int kernel, int stride = 1, int pad = 0, int dilation = 1) {
  return {kernel, stride, pad, dilation};
}

void TestConv2d() {
  std::mt19937 rng(102);
  constexpr int L = int8_kernels::kLanes32;
  // 3x3, padding 1, odd sizes.
  CheckConv2d<Conv2dGeometry{{3, 9, 7}, {5, 9, 7}, Axis(3, 1, 1), Axis(3, 1, 1)}>(rng);
  // Stride 2 with TFLite's SAME padding: nothing before, one column after.
  CheckConv2d<Conv2dGeometry{{4, 8, 8}, {6, 4, 4}, Axis(3, 2, 0), Axis(3, 2, 0)}>(rng);
  // Stride 2 and 3, 5x5 and 1x3 windows, padding on both sides.
  CheckConv2d<Conv2dGeometry{{2, 11, 13}, {3, 6, 7}, Axis(5, 2, 2), Axis(5, 2, 2)}>(rng);
  CheckConv2d<Conv2dGeometry{{2, 5, 3 * L + 2}, {4, 5, L + 1}, Axis(1), Axis(3, 3, 1)}>(rng);
  // Dilation 2.
  CheckConv2d<Conv2dGeometry{{3, 9, 10}, {2, 9, 10}, Axis(3, 1, 2, 2), Axis(3, 1, 2, 2)}>(rng);
  // Pointwise, rows of 1, L + 1 and 3L - 1 columns.
  CheckConv2d<Conv2dGeometry{{7, 5, 5}, {17, 5, 5}, Axis(1), Axis(1)}>(rng);
  CheckConv2d<Conv2dGeometry{{3, 4, 1}, {5, 4, 1}, Axis(1), Axis(1)}>(rng);
  CheckConv2d<Conv2dGeometry{{5, 2, L + 1}, {9, 2, L + 1}, Axis(1), Axis(1)}>(rng);
  // Pointwise as pointwise-inl.h tiles it: DS-CNN's layer (whole tiles of
  // channels, a plane ending inside a vector); a plane larger than the stage
  // (blocks of positions, the last one short) with output channels that end
  // inside a tile; a dilation that a 1x1 kernel ignores.
  CheckConv2d<Conv2dGeometry{{64, 25, 5}, {64, 25, 5}, Axis(1), Axis(1)}>(rng);
  CheckConv2d<Conv2dGeometry{{40, 20, 20}, {6, 20, 20}, Axis(1), Axis(1)}>(rng);
  CheckConv2d<Conv2dGeometry{{6, 3, 3}, {7, 3, 3}, Axis(1, 1, 0, 2), Axis(1, 1, 0, 2)}>(rng);
  CheckConv2d<Conv2dGeometry{{2, 3, 3 * L - 1}, {3, 3, 3 * L - 1}, Axis(3, 1, 1), Axis(3, 1, 1)}>(rng);
  // Strided 1x1 (pointwise-inl.h picks every stride-th staged lane): odd
  // sizes at stride 2, stride 3 along x only (whole vectors staged, then
  // picked), stride 2 along y only, and blocks of positions that end inside
  // an output row (80 channels: the stage holds fewer than the plane's 380).
  CheckConv2d<Conv2dGeometry{{5, 9, 7}, {6, 5, 4}, Axis(1, 2, 0), Axis(1, 2, 0)}>(rng);
  CheckConv2d<Conv2dGeometry{{4, 5, 3 * L + 2}, {5, 5, L + 1}, Axis(1), Axis(1, 3, 0)}>(rng);
  CheckConv2d<Conv2dGeometry{{3, 7, 6}, {4, 4, 6}, Axis(1, 2, 0), Axis(1)}>(rng);
  CheckConv2d<Conv2dGeometry{{80, 40, 38}, {6, 20, 19}, Axis(1, 2, 0), Axis(1, 2, 0)}>(rng);
  // Grouped, depthwise, depthwise with a multiplier of 2, depthwise stride 2.
  CheckConv2d<Conv2dGeometry{{4, 6, 6}, {6, 6, 6}, Axis(3, 1, 1), Axis(3, 1, 1), 2}>(rng);
  CheckConv2d<Conv2dGeometry{{5, 7, 9}, {5, 7, 9}, Axis(3, 1, 1), Axis(3, 1, 1), 5}>(rng);
  CheckConv2d<Conv2dGeometry{{3, 7, 6}, {6, 7, 6}, Axis(3, 1, 1), Axis(3, 1, 1), 3}>(rng);
  CheckConv2d<Conv2dGeometry{{5, 9, 9}, {5, 4, 4}, Axis(3, 2, 0), Axis(3, 2, 0), 5}>(rng);
  // One group, as grid-inl.h stages pairs of channels: ResNet-8's
  // 3x3 (whole tiles of channels), LeNet-5's second 5x5 (valid), a 2x2 kernel
  // with SAME padding after the input only.
  CheckConv2d<Conv2dGeometry{{16, 8, 8}, {16, 8, 8}, Axis(3, 1, 1), Axis(3, 1, 1)}>(rng);
  CheckConv2d<Conv2dGeometry{{6, 14, 14}, {16, 10, 10}, Axis(5), Axis(5)}>(rng);
  CheckConv2d<Conv2dGeometry{{4, 6, 6}, {5, 6, 6}, Axis(2), Axis(2)}>(rng);
  // Stride 1 with one plane per kernel column (grid-inl.h's ColumnPlanes):
  // dilation 2 with padding 2, and a 3x5 kernel with padding 1 and 2.
  CheckConv2d<Conv2dGeometry{{5, 9, 11}, {3, 9, 11}, Axis(3, 1, 2, 2), Axis(3, 1, 2, 2)}>(rng);
  CheckConv2d<Conv2dGeometry{{7, 6, 9}, {4, 6, 9}, Axis(3, 1, 1), Axis(5, 1, 2)}>(rng);
  // Strided, on phase planes: ResNet-8's 3x3 stride 2 and 1x1 stride-2
  // shortcut, MobileNet's first layer (3 channels: a pair half zeros), stride 2
  // with dilation 2. (Above: stride 2 with SAME padding, 5x5 stride 2, and
  // stride 3 along x only.)
  CheckConv2d<Conv2dGeometry{{16, 16, 16}, {32, 8, 8}, Axis(3, 2, 1), Axis(3, 2, 1)}>(rng);
  CheckConv2d<Conv2dGeometry{{8, 8, 8}, {6, 4, 4}, Axis(1, 2, 0), Axis(1, 2, 0)}>(rng);
  CheckConv2d<Conv2dGeometry{{3, 20, 20}, {8, 10, 10}, Axis(3, 2, 1), Axis(3, 2, 1)}>(rng);
  CheckConv2d<Conv2dGeometry{{4, 11, 11}, {3, 4, 4}, Axis(3, 2, 0, 2), Axis(3, 2, 0, 2)}>(rng);
  // Grids of 5, 6 and 7 vectors (rows of L - 2 outputs, L with the padding):
  // tiles of 4 vectors then one, two or three (2 then one, none, one).
  constexpr int kNarrow = L > 2 ? L - 2 : 1;
  CheckConv2d<Conv2dGeometry{{3, 5, kNarrow}, {4, 5, kNarrow}, Axis(3, 1, 1), Axis(3, 1, 1)}>(rng);
  CheckConv2d<Conv2dGeometry{{3, 6, kNarrow}, {4, 6, kNarrow}, Axis(3, 1, 1), Axis(3, 1, 1)}>(rng);
  CheckConv2d<Conv2dGeometry{{3, 7, kNarrow}, {4, 7, kNarrow}, Axis(3, 1, 1), Axis(3, 1, 1)}>(rng);
#if HWY_TARGET != HWY_SCALAR
  constexpr Conv2dGeometry kLeNet2{{6, 14, 14}, {16, 10, 10}, Axis(5), Axis(5)};
  constexpr Conv2dGeometry kSame{{4, 8, 8}, {6, 4, 4}, Axis(3, 2, 0), Axis(3, 2, 0)};
  static_assert(int8_kernels::GridFits<kLeNet2>() && int8_kernels::GridFits<kSame>());
  // The layouts these cases take: column planes where a tenth of the grid's
  // positions would be dropped, not on ResNet-8's 32x32 planes.
  constexpr Conv2dGeometry kResNet32{{16, 32, 32}, {16, 32, 32}, Axis(3, 1, 1), Axis(3, 1, 1)};
  static_assert(int8_kernels::ColumnPlanesPay<kLeNet2>() &&
                int8_kernels::ColumnPlanesPay<
                    Conv2dGeometry{{16, 8, 8}, {16, 8, 8}, Axis(3, 1, 1), Axis(3, 1, 1)}>() &&
                !int8_kernels::ColumnPlanesPay<kResNet32>() &&
                int8_kernels::GridFits<kResNet32>() && !int8_kernels::ColumnPlanesPay<kSame>());
#endif
  // One input channel in rows narrower than a vector, as im2col-inl.h pairs
  // taps: DS-CNN's first layer (10x4 stride 2, padding 5 and 1), dilation 2.
  CheckConv2d<Conv2dGeometry{{1, 49, 10}, {64, 25, 5}, Axis(10, 2, 5), Axis(4, 2, 1)}>(rng);
  CheckConv2d<Conv2dGeometry{{1, 9, 7}, {3, 5, 3}, Axis(3, 1, 0, 2), Axis(3, 1, 0, 2)}>(rng);
  // A tap that reads only the right padding (one input column, stride 2).
  CheckConv2d<Conv2dGeometry{{1, 5, 1}, {2, 3, 1}, Axis(3, 2, 1), Axis(3, 2, 1)}>(rng);
  // Depthwise as depthwise-inl.h stages whole planes: DS-CNN's layer,
  // 5x5 padding 2, dilation 2, no padding, and a 2x2 kernel whose SAME
  // padding is one row and column after the input only.
  CheckConv2d<Conv2dGeometry{{64, 25, 5}, {64, 25, 5}, Axis(3, 1, 1), Axis(3, 1, 1), 64}>(rng);
  CheckConv2d<Conv2dGeometry{{3, 8, 7}, {3, 8, 7}, Axis(5, 1, 2), Axis(5, 1, 2), 3}>(rng);
  CheckConv2d<Conv2dGeometry{{2, 9, 10}, {2, 9, 10}, Axis(3, 1, 2, 2), Axis(3, 1, 2, 2), 2}>(rng);
  CheckConv2d<Conv2dGeometry{{4, 6, 2 * L + 3}, {4, 4, 2 * L + 1}, Axis(3), Axis(3), 4}>(rng);
  CheckConv2d<Conv2dGeometry{{3, 6, 6}, {3, 6, 6}, Axis(2), Axis(2), 3}>(rng);
  // Strided depthwise on phase planes: MobileNet's stride 2 with padding 1.
  // (Above: stride 2 with SAME padding.)
  CheckConv2d<Conv2dGeometry{{16, 12, 12}, {16, 6, 6}, Axis(3, 2, 1), Axis(3, 2, 1), 16}>(rng);
  // Stride 2 along rows as StageDepthwisePlane splits their columns: rows of
  // more than two vectors of int16 (the last split ends inside a vector), an
  // odd width with padding 1, stride 2 along x only, stride 2 along y only.
  CheckConv2d<Conv2dGeometry{{2, 5, 4 * L + 7}, {2, 3, 2 * L + 3}, Axis(3, 2, 1),
                             Axis(3, 2, 0), 2}>(rng);
  CheckConv2d<Conv2dGeometry{{3, 9, 11}, {3, 5, 6}, Axis(3, 2, 1), Axis(3, 2, 1), 3}>(rng);
  CheckConv2d<Conv2dGeometry{{3, 6, 9}, {3, 6, 5}, Axis(3, 1, 1), Axis(3, 2, 1), 3}>(rng);
  CheckConv2d<Conv2dGeometry{{3, 9, 6}, {3, 5, 6}, Axis(3, 2, 1), Axis(3, 1, 1), 3}>(rng);
  // Padding 2 and 3 at stride 2 along x: both phases of a row start past
  // the padding, one or two values in.
  CheckConv2d<Conv2dGeometry{{2, 7, 2 * L + 5}, {2, 7, L + 3}, Axis(3, 1, 1), Axis(5, 2, 2), 2}>(
      rng);
  CheckConv2d<Conv2dGeometry{{2, 7, 2 * L + 5}, {2, 7, L + 3}, Axis(3, 1, 1), Axis(7, 2, 3), 2}>(
      rng);
  // Channels in several groups (DepthwiseStage::kGroup), the last one short:
  // MobileNetV1's 6x6 layers at stride 1 and 2, and its 3x3 one.
  CheckConv2d<Conv2dGeometry{{128, 6, 6}, {128, 6, 6}, Axis(3, 1, 1), Axis(3, 1, 1), 128}>(rng);
  CheckConv2d<Conv2dGeometry{{128, 6, 6}, {128, 3, 3}, Axis(3, 2, 1), Axis(3, 2, 1), 128}>(rng);
  CheckConv2d<Conv2dGeometry{{256, 3, 3}, {256, 3, 3}, Axis(3, 1, 1), Axis(3, 1, 1), 256}>(rng);
  // Taps that do not pair (DepthwiseTapPairs): 5 columns at stride 3 along
  // x, where (kw, kw + 1) are a plane apart for kw = 0 and not for kw = 2,
  // and a kernel one column wide.
  CheckConv2d<Conv2dGeometry{{3, 7, 10}, {3, 7, 3}, Axis(3, 1, 1), Axis(5, 3, 1), 3}>(rng);
  CheckConv2d<Conv2dGeometry{{2, 6, 5}, {2, 4, 5}, Axis(3), Axis(1), 2}>(rng);
  // Without bias.
  CheckConv2d<Conv2dGeometry{{3, 6, 5}, {4, 6, 5}, Axis(3, 1, 1), Axis(3, 1, 1), 1, false}>(rng);
  CheckConv2d<Conv2dGeometry{{4, 6, 5}, {5, 6, 5}, Axis(1), Axis(1), 1, false}>(rng);
  // One input channel, 5x5 padding 2 (LeNet-5's first): an odd number of
  // kernel rows, pairs wholly in the padding.
  CheckConv2d<Conv2dGeometry{{1, 9, 11}, {3, 9, 11}, Axis(5, 1, 2), Axis(5, 1, 2)}>(rng);
  // The extreme operands, regular and depthwise; with quads (gemm_tile-inl.h),
  // a stride-2 grid whose second quad is one channel and the padding.
  // The largest kernel whose float sums are exact (depthwise_float-inl.h):
  // with odd products of one sign, 22 * 22 * 255 * 127, just under 2^24
  // (with a 23x23 kernel, odd sums above it, the floats get it wrong).
  CheckConv2d<Conv2dGeometry{{2, 22, 22}, {2, 1, 1}, Axis(22), Axis(22), 2}>(rng, false, true);
  for (int i = 0; i < 4; ++i) {
    CheckConv2d<Conv2dGeometry{{2, 22, 22}, {2, 1, 1}, Axis(22), Axis(22), 2}>(rng, true);
    CheckConv2d<Conv2dGeometry{{3, 9, 7}, {5, 9, 7}, Axis(3, 1, 1), Axis(3, 1, 1)}>(rng, true);
    CheckConv2d<Conv2dGeometry{{5, 9, 9}, {6, 5, 5}, Axis(3, 2, 1), Axis(3, 2, 1)}>(rng, true);
    CheckConv2d<Conv2dGeometry{{5, 7, 9}, {5, 7, 9}, Axis(3, 1, 1), Axis(3, 1, 1), 5}>(rng, true);
    CheckConv2d<Conv2dGeometry{{9, 4, 5}, {6, 4, 5}, Axis(1), Axis(1)}>(rng, true);
    CheckConv2d<Conv2dGeometry{{9, 7, 9}, {6, 4, 5}, Axis(1, 2, 0), Axis(1, 2, 0)}>(rng, true);
    CheckConv2d<Conv2dGeometry{{1, 49, 10}, {64, 25, 5}, Axis(10, 2, 5), Axis(4, 2, 1)}>(rng, true);
  }
}

// With `extremes`, MakeExtreme's operands.
template <LinearGeometry G>
void CheckLinear(std::mt19937& rng, bool extremes = false) {
  auto x = RandomInt8(G.in_features, rng);
  auto w = RandomInt8(G.weight_count(), rng);
  std::uniform_int_distribution<std::int32_t> bias(-5000, 5000), zero_point(-40, 40);
  std::vector<std::int32_t> b(G.out_features);
  for (auto& e : b) e = bias(rng);
  const int8::Requantization r = RandomRequantization(rng);
  std::int32_t x_zero_point = zero_point(rng);
  if (extremes) MakeExtreme(x, w, x_zero_point);
  const std::vector<int8::Requantization> per_output(G.out_features, r);

  std::vector<std::int8_t> expected(G.out_features);
  reference::int8_linear(G, x.data(), x_zero_point, w.data(), b.data(), per_output.data(),
                         expected.data());
  std::vector<std::int8_t> y(G.out_features + 2 * kCanary, kCanaryValue);
  int allocations;
  {
    const test::AllocationScope scope;
    int8_kernels::LinearForward<G>(x.data(), x_zero_point, w.data(), G.bias ? b.data() : nullptr,
                                   r, y.data() + kCanary);
    allocations = scope.count();
  }
  EXPECT_EQ(allocations, 0);
  ExpectSame(y, expected, "linear");
}

void TestLinear() {
  std::mt19937 rng(103);
  constexpr int L = int8_kernels::kLanes32;
  CheckLinear<LinearGeometry{1, 1, true}>(rng);
  CheckLinear<LinearGeometry{37, 10, true}>(rng);
  CheckLinear<LinearGeometry{L, L + 1, true}>(rng);
  CheckLinear<LinearGeometry{L + 1, (L > 1 ? L - 1 : 1), false}>(rng);
  CheckLinear<LinearGeometry{3 * L - 1, 3, true}>(rng);
  CheckLinear<LinearGeometry{400, 120, true}>(rng);
  // Four rows at a time (StoreSumsOfFour), then the rest one at a time: the
  // autoencoder's 128x128, an odd number of int16 vectors and a tail.
  CheckLinear<LinearGeometry{128, 128, true}>(rng);
  CheckLinear<LinearGeometry{6 * L + 5, 7, false}>(rng);
  // AVX3_DL's quads: 16 rows at a time, then 4, then 1; rows of whole 64-byte
  // vectors, and a masked tail of the last row; the autoencoder's 128 -> 640.
  CheckLinear<LinearGeometry{4 * L + 3, 2 * 16 + 4 + 3, true}>(rng);
  CheckLinear<LinearGeometry{8 * L, 16, false}>(rng);
  CheckLinear<LinearGeometry{128, 640, true}>(rng);
  for (int i = 0; i < 4; ++i) {
    CheckLinear<LinearGeometry{3 * L - 1, 3, true}>(rng, true);
    CheckLinear<LinearGeometry{4 * L + 1, 9, true}>(rng, true);
    CheckLinear<LinearGeometry{4 * L + 3, 2 * 16 + 4 + 3, true}>(rng, true);
  }
}

template <Pool2dGeometry G>
void CheckPool2d(std::mt19937& rng) {
  const auto x = RandomInt8(G.in.size(), rng);
  std::uniform_int_distribution<std::int32_t> zero_point(-40, 40);
  const std::int32_t zp = zero_point(rng);
  for (const int8::ActivationClamp clamp : {int8::ActivationClamp{}, int8::ActivationClamp{zp, 127},
                                            int8::ActivationClamp{zp, zp + 50}}) {
    for (const bool max : {true, false}) {
      std::vector<std::int8_t> expected(G.out.size());
      (max ? reference::int8_max_pool2d : reference::int8_avg_pool2d)(G, x.data(), clamp,
                                                                       expected.data());
      std::vector<std::int8_t> y(G.out.size() + 2 * kCanary, kCanaryValue);
      int allocations;
      {
        const test::AllocationScope scope;
        (max ? int8_kernels::MaxPool2dForward<G> : int8_kernels::AvgPool2dForward<G>)(
            x.data(), clamp, y.data() + kCanary);
        allocations = scope.count();
      }
      EXPECT_EQ(allocations, 0);
      ExpectSame(y, expected, max ? "max_pool2d" : "avg_pool2d");
    }
  }
}

void TestPool2d() {
  std::mt19937 rng(104);
  constexpr int L = int8_kernels::kLanes32;
  constexpr auto Axis = [](int kernel, int stride, int pad) { return WindowAxis{kernel, stride, pad}; };
  CheckPool2d<Pool2dGeometry{{3, 8, 6}, {3, 4, 3}, Axis(2, 2, 0), Axis(2, 2, 0), false}>(rng);
  CheckPool2d<Pool2dGeometry{{4, 7, 5}, {4, 7, 5}, Axis(3, 1, 1), Axis(3, 1, 1), false}>(rng);
  CheckPool2d<Pool2dGeometry{{2, 9, 9}, {2, 5, 5}, Axis(3, 2, 1), Axis(3, 2, 1), false}>(rng);
  CheckPool2d<Pool2dGeometry{{2, 4, 2 * L + 3}, {2, 2, L + 1}, Axis(2, 2, 0), Axis(3, 2, 0), false}>(rng);
  // A global average over DS-CNN's 25x5 map: windows of 125.
  CheckPool2d<Pool2dGeometry{{5, 25, 5}, {5, 1, 1}, Axis(25, 25, 0), Axis(5, 5, 0), false}>(rng);
  // One window per channel that leaves rows or columns out: DS-CNN's 24x5 over
  // 25x5, a 3x6 window over 4x7 (a run per row), and MobileNet's global 3x3.
  CheckPool2d<Pool2dGeometry{{6, 25, 5}, {6, 1, 1}, Axis(24, 24, 0), Axis(5, 5, 0), false}>(rng);
  CheckPool2d<Pool2dGeometry{{3, 4, 7}, {3, 1, 1}, Axis(3, 3, 0), Axis(6, 6, 0), false}>(rng);
  CheckPool2d<Pool2dGeometry{{7, 3, 3}, {7, 1, 1}, Axis(3, 3, 0), Axis(3, 3, 0), false}>(rng);
}

// The add's inputs in 32-bit lanes (InputScale) against TFLite's
// MultiplyByQuantizedMultiplier of (a - zero point) << 20, for every int8 a:
// at the add's output a unit of this sum rarely moves a rounding, so the
// sums themselves are compared. Multipliers from 1/2 (shift 0) down to
// 2^-32 (flushed to zero), and random ones in between.
void TestAddInputScale() {
  std::mt19937 rng(107);
  const int8_kernels::D32 d;
  constexpr int L = int8_kernels::kLanes32;
  const int lanes = static_cast<int>(hn::Lanes(d));
  std::vector<double> ratios = {0.5, 0.4999999, 0.25, 0.3, 1.0 / 3, 0.0};
  for (int k = 2; k <= 33; ++k) {
    ratios.push_back(std::ldexp(1.0, -k));
    ratios.push_back(std::ldexp(1.7, -k));
  }
  std::uniform_real_distribution<double> random_ratio(1e-4, 0.5);
  for (int i = 0; i < 40; ++i) ratios.push_back(random_ratio(rng));
  std::uniform_int_distribution<std::int32_t> any_zero_point(-128, 127);
  for (const double ratio : ratios) {
    const int8::QuantizedMultiplier m = int8::QuantizeMultiplier(ratio);
    for (const std::int32_t zero_point : {-128, -1, 0, 1, 127, any_zero_point(rng)}) {
      const int8_kernels::InputScale scale(zero_point, m);
      for (int a0 = -128; a0 < 128; a0 += lanes) {
        HWY_ALIGN std::int32_t scaled[L];
        hn::Store(scale(hn::Iota(d, a0)), d, scaled);
        for (int i = 0; i < lanes && a0 + i < 128; ++i) {
          const std::int32_t shifted = (a0 + i - zero_point) * (1 << 20);
          ASSERT_EQ(scaled[i], int8::MultiplyByQuantizedMultiplier(shifted, m))
              << "a " << a0 + i << ", zero point " << zero_point << ", multiplier "
              << m.multiplier << " * 2^" << m.shift;
        }
      }
    }
  }
}

// tweak(r) may change what AddParameters made: parameters it never makes
// take AddForward's general path (64-bit products), the others 32-bit lanes.
template <int kN, class Tweak = void (*)(int8::AddRequantization&)>
void CheckAdd(std::mt19937& rng, Tweak tweak = [](int8::AddRequantization&) {}) {
  const auto a = RandomInt8(kN, rng), b = RandomInt8(kN, rng);
  std::uniform_real_distribution<float> scale(0.005f, 0.1f);
  std::uniform_int_distribution<std::int32_t> zero_point(-40, 40);
  const auto random_quantization = [&] {
    return int8::TensorQuantization{scale(rng), zero_point(rng)};
  };
  for (const auto activation : {int8::Activation::kNone, int8::Activation::kReLU}) {
    int8::AddRequantization r = int8::AddParameters(
        random_quantization(), random_quantization(), random_quantization(), activation);
    tweak(r);
    std::vector<std::int8_t> expected(kN);
    reference::int8_add(kN, a.data(), b.data(), r, expected.data());
    std::vector<std::int8_t> y(kN + 2 * kCanary, kCanaryValue);
    int allocations;
    {
      const test::AllocationScope scope;
      int8_kernels::AddForward<kN>(a.data(), b.data(), r, y.data() + kCanary);
      allocations = scope.count();
    }
    EXPECT_EQ(allocations, 0);
    ExpectSame(y, expected, "add");
  }
}

void TestAdd() {
  std::mt19937 rng(105);
  constexpr int L = int8_kernels::kLanes32;
  CheckAdd<1>(rng);
  CheckAdd<(L > 1 ? L - 1 : 2)>(rng);
  CheckAdd<L + 1>(rng);
  CheckAdd<3 * L + 2>(rng);
  CheckAdd<1000>(rng);
  // The general path: another shift, and a multiplier of 1 or more.
  CheckAdd<3 * L + 2>(rng, [](int8::AddRequantization& r) { r.left_shift = 16; });
  CheckAdd<3 * L + 2>(rng, [](int8::AddRequantization& r) {
    r.left_shift = 12;
    r.b_scale.shift = 1;
  });
}

}  // namespace
// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace staticnn {
HWY_BEFORE_TEST(Int8KernelsTest);
HWY_EXPORT_AND_TEST_P(Int8KernelsTest, TestRequantizeRow);
HWY_EXPORT_AND_TEST_P(Int8KernelsTest, TestMultiplyByQuantizedMultiplier);
HWY_EXPORT_AND_TEST_P(Int8KernelsTest, TestConv2d);
HWY_EXPORT_AND_TEST_P(Int8KernelsTest, TestLinear);
HWY_EXPORT_AND_TEST_P(Int8KernelsTest, TestPool2d);
HWY_EXPORT_AND_TEST_P(Int8KernelsTest, TestAddInputScale);
HWY_EXPORT_AND_TEST_P(Int8KernelsTest, TestAdd);
}  // namespace staticnn
#endif
