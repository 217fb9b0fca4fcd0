// Requantization of int32 accumulators to int8, per Highway target, bit for
// bit the scalar definition of int8/requantize.hpp (TFLite's
// MultiplyByQuantizedMultiplier, then the zero point and the clamp):
//   RequantizeRow<kN>(acc, r, out)   out[i] = Requantize(acc[i], r), i < kN
//   Requantize(d, acc, r), MultiplyByQuantizedMultiplier(d, x, m)   one vector
//   PrepareMultiplier(m)   the multiplier's constants, for a loop to hoist
//   RequantizeFour(d, acc0, .., acc3, r, out)   four vectors' int8, packed
//                                               together on AVX-512 (PackFour)
// and with kRoundOnce = true, RequantizeFullyConnected's single rounding
// (MultiplyByQuantizedMultiplierRoundingOnce).
// kN is a multiple of the int32 vector length (the int8 kernels pad their
// rows to it), so there is no tail. One multiplier per call: a convolution's
// output channel, or a whole FullyConnected output.
//
// The 64-bit product of SaturatingRoundingDoublingHighMul comes from MulEven
// (the only 32x32->64 multiply Highway 1.0.3 has on every target: no MulOdd
// on x86), once on the even lanes and once on the odd lanes moved down.
// floor((p + 2^30) / 2^31) is the same number as gemmlowp's nudge-and-truncate
// (see requantize.hpp), so an arithmetic shift replaces the division, and the
// shift of RoundingDivideByPOT joins it (MultiplyByQuantizedMultiplier).

#if defined(STATICNN_INT8_REQUANTIZE_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef STATICNN_INT8_REQUANTIZE_INL_H_
#undef STATICNN_INT8_REQUANTIZE_INL_H_
#else
#define STATICNN_INT8_REQUANTIZE_INL_H_
#endif

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "hwy/highway.h"
#include "staticnn/int8/requantize.hpp"

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {
namespace int8_kernels {
namespace hn = hwy::HWY_NAMESPACE;

// The int32 vector of the int8 kernels, and its length bound (row padding).
using D32 = hn::ScalableTag<std::int32_t>;
constexpr int kLanes32 = static_cast<int>(hn::MaxLanes(D32()));
// The int16 pairs that ReorderWidenMulAccumulate widens into D32 (SCALAR:
// one lane, one product).
#if HWY_TARGET == HWY_SCALAR
using D16 = hn::Rebind<std::int16_t, D32>;
#else
using D16 = hn::Repartition<std::int16_t, D32>;
#endif

constexpr int PadToVectors(int n) { return (n + kLanes32 - 1) / kLanes32 * kLanes32; }

#if HWY_ARCH_X86 && HWY_TARGET > HWY_AVX3
// x86 has a 64-bit arithmetic shift only from AVX-512 on; Highway's emulation
// is four instructions per vector. Given `low`, the low 32 bits of 64-bit
// logical shifts by `right`, the low 32 bits of the arithmetic shifts:
// the same but for their top right - 32 bits, the sign (bit 63, moved to bit
// 63 - right), which a 32-bit shift left and arithmetic shift right by
// right - 32 copy there, for both halves at once. The same bits with 4
// instructions per vector where there were 8.
template <class V>
HWY_INLINE V SignFilled(V low, int right) {
  const int sign_bits = right > 32 ? right - 32 : 0;
  return hn::ShiftRightSame(hn::ShiftLeftSame(low, sign_bits), sign_bits);
}
#endif

#if HWY_TARGET != HWY_SCALAR
// (a * multiplier + round) >> shift per lane, in 64 bits, truncated to 32.
template <class D>
HWY_INLINE hn::Vec<D> ProductShifted(D d, hn::Vec<D> a, std::int32_t multiplier, std::int64_t round,
                                     int shift) {
  const hn::Repartition<std::int64_t, D> d64;
  const hn::Repartition<std::uint64_t, D> du64;
  const auto m = hn::Set(d, multiplier);
  const auto r = hn::Set(d64, round);
  const auto a_odd = hn::BitCast(d, hn::ShiftRight<32>(hn::BitCast(du64, a)));
#if HWY_ARCH_X86 && HWY_TARGET > HWY_AVX3
  const auto even = hn::ShiftRightSame(hn::BitCast(du64, hn::Add(hn::MulEven(a, m), r)), shift);
  const auto odd = hn::ShiftRightSame(hn::BitCast(du64, hn::Add(hn::MulEven(a_odd, m), r)), shift);
  return SignFilled(hn::OddEven(hn::BitCast(d, hn::ShiftLeft<32>(odd)), hn::BitCast(d, even)),
                    shift);
#else
  const auto even = hn::ShiftRightSame(hn::Add(hn::MulEven(a, m), r), shift);
  const auto odd = hn::ShiftRightSame(hn::Add(hn::MulEven(a_odd, m), r), shift);
  // Each result is the low half of its 64-bit lane.
  return hn::OddEven(hn::BitCast(d, hn::ShiftLeft<32>(odd)), hn::BitCast(d, even));
#endif
}
#endif

// MultiplyByQuantizedMultiplier's constants for one multiplier, worked out
// once per multiplier: given the multiplier inside a loop, g++ rebuilt them
// for every vector, with a branch on the shift's sign (ResNet-8's int8 adds).
struct MultiplierConstants {
  int8::QuantizedMultiplier m;
  int left;                   // the shift before the multiply
  int right;                  // 31 + e, the one shift after it
  std::int32_t floor;         // of the multiplied value (see below)
  std::int64_t nudge, minus;  // added to every product, and to the negative ones
};

HWY_INLINE MultiplierConstants PrepareMultiplier(int8::QuantizedMultiplier m) {
  const int e = m.shift > 0 ? 0 : -m.shift;
  const std::int64_t half = e > 0 ? std::int64_t{1} << (30 + e) : 0;  // 2^(e-1) * 2^31
  return {m,
          m.shift > 0 ? m.shift : 0,
          31 + e,
          m.multiplier == int8::kInt32Min ? int8::kInt32Min + 1 : int8::kInt32Min,
          (std::int64_t{1} << 30) + half,
          e > 0 ? -(std::int64_t{1} << 31) : 0};
}

#if HWY_TARGET != HWY_SCALAR
// Both of TFLite's roundings in one 64-bit shift per lane (the high multiply's
// floor((p + 2^30) / 2^31) = h, then h / 2^e with ties away from zero):
//   floor((p + 2^30 + (2^(e-1) - [p < 0]) * 2^31) / 2^(31 + e))   (e > 0)
// as floor((floor(y / A) + k) / B) = floor((y + k * A) / (A * B)), and
// h / 2^e rounded is floor((h + 2^(e-1) - [h < 0]) / 2^e). [p < 0] stands for
// [h < 0]: where they differ, -2^30 <= p < 0, h is 0 and both give 0. |p| <=
// 2^62: no overflow. Half the shifts of the two steps one by one (AVX-512 runs
// its shifts and multiplies on one port), the odd lanes moved by shuffles.
//
// The one product that saturates, INT32_MIN * INT32_MIN, is made
// (INT32_MIN + 1) * INT32_MIN (k.floor), which gives the saturated h
// (INT32_MAX) with no branch: a branch for it in every vector's
// requantization had cost ResNet-8 6% of its time.
template <class D>
HWY_INLINE hn::Vec<D> MultiplyByQuantizedMultiplier(D d, hn::Vec<D> x,
                                                    const MultiplierConstants& k) {
  const hn::Repartition<std::int64_t, D> d64;
  const auto a = hn::Max(hn::ShiftLeftSame(x, k.left), hn::Set(d, k.floor));
  const auto multiplier = hn::Set(d, k.m.multiplier);
  const auto nudge = hn::Set(d64, k.nudge);
  const auto minus = hn::Set(d64, k.minus);
#if HWY_ARCH_X86 && HWY_TARGET > HWY_AVX3
  // Logical shifts, then the sign (SignFilled).
  const hn::Repartition<std::uint64_t, D> du64;
  const auto logical = [&](hn::Vec<decltype(d64)> p) {
    const auto up = hn::Add(p, nudge);
    return hn::ShiftRightSame(
        hn::BitCast(du64, hn::IfThenElse(hn::Lt(p, hn::Zero(d64)), hn::Add(up, minus), up)),
        k.right);
  };
  const auto even = logical(hn::MulEven(a, multiplier));
  const auto odd = logical(hn::MulEven(hn::Shuffle2301(a), multiplier));
  return SignFilled(hn::OddEven(hn::Shuffle2301(hn::BitCast(d, odd)), hn::BitCast(d, even)),
                    k.right);
#else
  const auto rounded = [&](hn::Vec<decltype(d64)> p) {
    const auto up = hn::Add(p, nudge);
    return hn::ShiftRightSame(hn::IfThenElse(hn::Lt(p, hn::Zero(d64)), hn::Add(up, minus), up),
                              k.right);
  };
  const auto even = rounded(hn::MulEven(a, multiplier));
  const auto odd = rounded(hn::MulEven(hn::Shuffle2301(a), multiplier));
  // Each result is the low half of its 64-bit lane.
  return hn::OddEven(hn::Shuffle2301(hn::BitCast(d, odd)), hn::BitCast(d, even));
#endif
}
#else
template <class D>
HWY_INLINE hn::Vec<D> MultiplyByQuantizedMultiplier(D d, hn::Vec<D> x,
                                                    const MultiplierConstants& k) {
  return hn::Set(d, int8::MultiplyByQuantizedMultiplier(hn::GetLane(x), k.m));
}
#endif

template <class D>
HWY_INLINE hn::Vec<D> MultiplyByQuantizedMultiplier(D d, hn::Vec<D> x,
                                                    int8::QuantizedMultiplier m) {
  return MultiplyByQuantizedMultiplier(d, x, PrepareMultiplier(m));
}

template <class D>
HWY_INLINE hn::Vec<D> MultiplyByQuantizedMultiplierRoundingOnce(D d, hn::Vec<D> x,
                                                               int8::QuantizedMultiplier m) {
#if HWY_TARGET == HWY_SCALAR
  return hn::Set(d, int8::MultiplyByQuantizedMultiplierRoundingOnce(hn::GetLane(x), m));
#else
  const int total_shift = 31 - m.shift;
  const std::int64_t half = std::int64_t{1} << (total_shift - 1);
  // Ties toward zero: up for negative x, down otherwise (one more product
  // per vector: a FullyConnected requantizes one row per sample).
  const auto up = ProductShifted(d, x, m.multiplier, half, total_shift);
  const auto down = ProductShifted(d, x, m.multiplier, half - 1, total_shift);
  return hn::IfThenElse(hn::Lt(x, hn::Zero(d)), up, down);
#endif
}

template <bool kRoundOnce = false, class D>
HWY_INLINE hn::Vec<D> Requantize(D d, hn::Vec<D> acc, const int8::Requantization& r) {
  const auto scaled = kRoundOnce ? MultiplyByQuantizedMultiplierRoundingOnce(d, acc, r.scale)
                                 : MultiplyByQuantizedMultiplier(d, acc, r.scale);
  const auto q = hn::Add(scaled, hn::Set(d, r.output_zero_point));
  return hn::Min(hn::Max(q, hn::Set(d, r.clamp.min)), hn::Set(d, r.clamp.max));
}

// Whether RequantizeFour packs its four vectors together: AVX-512's two
// saturating packs and one permute take 4 instructions for 64 outputs, where
// DemoteTo takes 3 per 16 and each vector is clamped on its own.
inline constexpr bool kPacksFour = HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL;

#if HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL
// out[0, count) = the int8 of q0 .. q3 clamped to [lo, hi], in order, the
// first count of the 4 vectors' lanes (a masked store: no byte past them is
// read or written). Packed, the clamp is taken in int8 after the packs'
// saturation, on all 64 outputs at once: clamp(sat8(sat16(q)), lo, hi) =
// clamp(q, lo, hi) for bounds in the int8 range (those outside it are
// clamped to it first, as DemoteTo would clamp their results).
HWY_INLINE void PackFour(hn::Vec<D32> q0, hn::Vec<D32> q1, hn::Vec<D32> q2, hn::Vec<D32> q3,
                         int8::ActivationClamp clamp, std::int8_t* HWY_RESTRICT out,
                         std::size_t count = 4 * kLanes32) {
  // Byte block k of the packs holds lanes 4k .. 4k + 3 of q0, q1, q2, q3 in
  // turn: dword 4k + j. Output dword i is lanes of q i / 4.
  const __m512i bytes = _mm512_packs_epi16(_mm512_packs_epi32(q0.raw, q1.raw),
                                           _mm512_packs_epi32(q2.raw, q3.raw));
  const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
  const auto bound = [](std::int32_t v) {
    return static_cast<char>(std::clamp(v, int8::kInt8Min, int8::kInt8Max));
  };
  const __m512i clamped = _mm512_min_epi8(
      _mm512_max_epi8(_mm512_permutexvar_epi32(order, bytes), _mm512_set1_epi8(bound(clamp.min))),
      _mm512_set1_epi8(bound(clamp.max)));
  if (count >= 4 * kLanes32) {
    _mm512_storeu_si512(out, clamped);
  } else {
    _mm512_mask_storeu_epi8(out, (std::uint64_t{1} << count) - 1, clamped);
  }
}
#endif

// out[0, 4 lanes) = the int8 of Requantize(acc0 .. acc3, r), in order; on
// AVX-512 (kPacksFour) only out[0, count), a masked store.
template <class D>
HWY_INLINE void RequantizeFour(D d, hn::Vec<D> acc0, hn::Vec<D> acc1, hn::Vec<D> acc2,
                               hn::Vec<D> acc3, const int8::Requantization& r,
                               std::int8_t* HWY_RESTRICT out,
                               [[maybe_unused]] std::size_t count = 4 * kLanes32) {
#if HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL
  const MultiplierConstants k = PrepareMultiplier(r.scale);
  const auto zero_point = hn::Set(d, r.output_zero_point);
  const auto q = [&](hn::Vec<D> acc) {
    return hn::Add(MultiplyByQuantizedMultiplier(d, acc, k), zero_point);
  };
  PackFour(q(acc0), q(acc1), q(acc2), q(acc3), r.clamp, out, count);
#else
  const hn::Rebind<std::int8_t, D> d8;
  const std::size_t lanes = hn::Lanes(d);
  hn::StoreU(hn::DemoteTo(d8, Requantize(d, acc0, r)), d8, out);
  hn::StoreU(hn::DemoteTo(d8, Requantize(d, acc1, r)), d8, out + lanes);
  hn::StoreU(hn::DemoteTo(d8, Requantize(d, acc2, r)), d8, out + 2 * lanes);
  hn::StoreU(hn::DemoteTo(d8, Requantize(d, acc3, r)), d8, out + 3 * lanes);
#endif
}

template <int kN, bool kRoundOnce = false>
HWY_INLINE void RequantizeRow(const std::int32_t* HWY_RESTRICT acc, const int8::Requantization& r,
                              std::int8_t* HWY_RESTRICT out) {
  static_assert(kN % kLanes32 == 0, "rows are padded to whole vectors");
  const D32 d;
  const hn::Rebind<std::int8_t, D32> d8;
  int i = 0;
  if constexpr (kPacksFour && !kRoundOnce) {
    constexpr int L = kLanes32;
    for (; i + 4 * L <= kN; i += 4 * L) {
      RequantizeFour(d, hn::LoadU(d, acc + i), hn::LoadU(d, acc + i + L),
                     hn::LoadU(d, acc + i + 2 * L), hn::LoadU(d, acc + i + 3 * L), r, out + i);
    }
  }
  for (; i < kN; i += static_cast<int>(hn::Lanes(d))) {
    hn::StoreU(hn::DemoteTo(d8, Requantize<kRoundOnce>(d, hn::LoadU(d, acc + i), r)), d8, out + i);
  }
}

}  // namespace int8_kernels
// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#endif  // STATICNN_INT8_REQUANTIZE_INL_H_
