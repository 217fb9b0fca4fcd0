// The register tile of the int8 GEMM kernels (pointwise-inl.h, im2col-inl.h,
// grid-inl.h), per Highway target except SCALAR. Inputs are staged along the
// GEMM's depth (input channels, or taps) kDepth to an int32 lane, the weights
// as the matching groups, and each step of the tile is one multiply-add of a
// staged vector by a broadcast weight group:
//   - AVX3_DL (AVX-512 VNNI): quads of bytes, one vpdpbusd (unsigned by signed
//     bytes, four products into each int32 lane): twice the multiply-adds per
//     instruction of pairs, half the staged bytes. The inputs must be
//     unsigned: they are staged as x + 128 (x with its sign bit flipped), so
//     each sum holds (128 + zero point) * (the sum of the channel's weights)
//     more than TFLite's, which the bias takes back (ChannelLaneWeights::
//     Offset). Padding is staged as the zero point + 128, and adds nothing.
//   - elsewhere: pairs of int16, the inputs centered (int8 minus the zero
//     point fits), one MultiplyAddPairs (x86: vpmaddwd).
// The sums are exact integers (int32 arithmetic wraps, and TFLite's sum fits):
// TFLite's bits in any order.
//   kDepth, PackLane, StagedZero  the staged lanes
//   ChannelLaneWeights  the weight groups of every (output channel, group, tap)
//   StageLaneRow        one row of staged lanes from kDepth input rows
//   LaneTile            kTileChannels output channels x NV vectors of positions

#if defined(STATICNN_INT8_GEMM_TILE_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef STATICNN_INT8_GEMM_TILE_INL_H_
#undef STATICNN_INT8_GEMM_TILE_INL_H_
#else
#define STATICNN_INT8_GEMM_TILE_INL_H_
#endif

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "hwy/highway.h"
#include "staticnn/int8/multiply_add_pairs-inl.h"
#include "staticnn/int8/requantize-inl.h"
#include "staticnn/kernels/vectors-inl.h"

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {
namespace int8_kernels {

#if HWY_TARGET != HWY_SCALAR
// Output channels x vectors of positions per tile: 4 x 4 accumulators (x 2
// where NEON's widening multiply-add fills a second sum) with the 4 staged
// vectors and a broadcast fit 32 registers, 4 x 2 AVX2's and SSE4's 16. On
// AVX2, 4 x 2 took ResNet-8's 16x32x32 layer from 65.2 to 58.1 us against 3 x
// 2 (six loads per eight multiply-adds, where 3 x 2 had five per six); 5 x 2,
// 6 x 2 and 4 x 3 spilled (67.5, 70.1 and 65.6 us) while the multiply-adds
// were intrinsics (see kGridTileChannels).
inline constexpr bool kSixteenRegisters = HWY_ARCH_X86 && HWY_TARGET > HWY_AVX3;
inline constexpr int kTileChannels = 4;
// The grid's tiles (grid-inl.h: taps and groups in one loop, the rows of the
// shifted planes) have 5 output channels on AVX2: with its multiply-adds in
// asm (multiply_add_pairs-inl.h) 5 x 2 takes 10 sums in registers and 7
// loads per 10 multiply-adds, where g++ 12 kept one of 4 x 2's sums on the
// stack and moved the others between registers (Zen 3: ResNet-8's 16x32x32
// 3x3 layer 78 -> 63 us, LeNet-5's conv2 11.0 -> 7.9 us, int8 ResNet-8
// inference 485 -> 373 us). The pointwise tiles stay 4 x 2: 5 x 2 made
// MobileNetV1 2% slower (its channels are multiples of 8).
inline constexpr int kGridTileChannels = HWY_TARGET == HWY_AVX2 ? 5 : kTileChannels;
inline constexpr int kMaxTileVectors = kSixteenRegisters ? 2 : 4;

// Depth values per staged int32 lane.
inline constexpr int kDepth = HWY_TARGET == HWY_AVX3_DL ? 4 : 2;

// The lane of kDepth inputs, given centered, x - zero point (0 in the padding
// and past the depth's end).
HWY_INLINE std::int32_t PackLane(const std::int32_t (&centered)[kDepth],
                                 std::int32_t x_zero_point) {
  if constexpr (kDepth == 4) {
    std::uint32_t lane = 0;
    for (int i = 0; i < kDepth; ++i) {
      lane |= std::uint32_t{static_cast<std::uint8_t>(centered[i] + x_zero_point + 128)} << 8 * i;
    }
    return static_cast<std::int32_t>(lane);
  } else {
    return PackPair(centered[0], centered[1]);
  }
}

// The lane of a position in the padding.
HWY_INLINE std::int32_t StagedZero(std::int32_t x_zero_point) {
  return PackLane({}, x_zero_point);
}

// The sum of kN int8 weights: the bytes offset to unsigned (w + 128) summed
// by SumsOf8 (psadbw: eight bytes to a 64-bit lane in one instruction), one
// horizontal sum, the offset taken back; the last vector a masked load (no
// byte past the row is read). Widened to int32 lanes and summed
// horizontally per row, g++'s loop took 7% of MobileNetV1's 128 -> 128
// pointwise layers (VNNI, Zen 4).
template <int kN>
HWY_INLINE std::int32_t SumOfWeights(const std::int8_t* HWY_RESTRICT row) {
  const hn::ScalableTag<std::uint8_t> du8;
  const hn::Repartition<std::uint64_t, decltype(du8)> du64;
  const int lanes = static_cast<int>(hn::Lanes(du8));
  const auto* HWY_RESTRICT bytes = reinterpret_cast<const std::uint8_t*>(row);
  const auto offset = hn::Set(du8, 0x80);
  auto sums = hn::Zero(du64);
  int i = 0;
  for (; i + lanes <= kN; i += lanes) {
    sums = hn::Add(sums, hn::SumsOf8(hn::Xor(hn::LoadU(du8, bytes + i), offset)));
  }
  if (i < kN) {  // the masked-off lanes count as 0 ^ 0x80 = 128, as if w = 0
    const auto last = hn::MaskedLoad(hn::FirstN(du8, kN - i), du8, bytes + i);
    sums = hn::Add(sums, hn::SumsOf8(hn::Xor(last, offset)));
    i += lanes;
  }
  const auto offset_sum = static_cast<std::int64_t>(hn::GetLane(hn::SumOfLanes(du64, sums)));
  return static_cast<std::int32_t>(offset_sum - std::int64_t{128} * i);
}

// values[co][g * kTaps + t]: w[co][kDepth * g + i][t] in part i of the lane
// (0 past the last input channel), from w [cout][cin][taps]. Packed per call:
// quads are bytes moved (x86 is little-endian: byte i is part i), one tap's a
// row as it lies.
template <int kCin, int kCout, int kTaps>
struct ChannelLaneWeights {
  static constexpr int kGroups = (kCin + kDepth - 1) / kDepth;
  std::int32_t values[kCout][kGroups * kTaps];
  std::int32_t sums[kCout];  // of each channel's weights (quads)

  explicit ChannelLaneWeights(const std::int8_t* HWY_RESTRICT w) {
    for (int co = 0; co < kCout; ++co) {
      const std::int8_t* HWY_RESTRICT row = w + co * kCin * kTaps;
      if constexpr (kDepth == 4) {
        sums[co] = SumOfWeights<kCin * kTaps>(row);
        auto* HWY_RESTRICT bytes = reinterpret_cast<std::uint8_t*>(values[co]);
        if constexpr (kTaps == 1) {
          values[co][kGroups - 1] = 0;  // zeros past the last input channel
          std::memcpy(bytes, row, kCin);
        } else {
          for (int g = 0; g < kGroups; ++g) {
            InterleaveQuads(row + g * 4 * kTaps, w + kCout * kCin * kTaps, g, bytes);
          }
        }
      } else if constexpr (kTaps == 1) {
        PairRow(row, values[co]);
      } else {
        for (int g = 0; g < kGroups; ++g) {
          for (int t = 0; t < kTaps; ++t) {
            const std::int8_t second = 2 * g + 1 < kCin ? row[(2 * g + 1) * kTaps + t] : 0;
            values[co][g * kTaps + t] = PackPair(row[2 * g * kTaps + t], second);
          }
        }
      }
    }
  }

  // The pairs of one tap's row: each weight sign-extended to int16 in
  // order, which is PackPair(row[2g], row[2g + 1]) in lane g (little-endian),
  // a vector of int16 at a time. Pair by pair, the packing took 15% of
  // MobileNetV1's 128 -> 128 pointwise layers (int8, AVX2, Zen 3).
  static void PairRow(const std::int8_t* HWY_RESTRICT row, std::int32_t* HWY_RESTRICT lanes) {
    const hn::ScalableTag<std::int16_t> d16;
    const hn::Rebind<std::int8_t, decltype(d16)> d8;
    const hn::Repartition<std::int32_t, decltype(d16)> d32;
    const int n = static_cast<int>(hn::Lanes(d16));
    int k = 0;
    for (; k + n <= kCin; k += n) {
      hn::StoreU(hn::BitCast(d32, hn::PromoteTo(d16, hn::LoadU(d8, row + k))), d32,
                 lanes + k / 2);
    }
    for (; k < kCin; k += 2) lanes[k / 2] = PackPair(row[k], k + 1 < kCin ? row[k + 1] : 0);
  }

  // The quads of group g from its channels' rows of taps (4 or fewer, from
  // group; the weights end at end): byte i of lane t is group[i * kTaps + t],
  // 16 taps at a time with two rounds of interleaves, loaded where they lie
  // (the bytes past a row's taps make quads past its lanes, not stored).
  // A byte at a time, the weights of a 64 -> 64 3x3 layer took a third of its
  // time; copied into a buffer first, each load waited for the copy's stores.
  static void InterleaveQuads(const std::int8_t* HWY_RESTRICT group,
                              const std::int8_t* HWY_RESTRICT end, int g,
                              std::uint8_t* HWY_RESTRICT bytes) {
    const hn::Full128<std::uint8_t> d8;
    const hn::Full128<std::uint16_t> d16;
    constexpr int kPadded = (kTaps + 15) / 16 * 16;
    const auto load = [&](int i, int t0) {
      if (4 * g + i >= kCin) return hn::Zero(d8);
      const std::int8_t* from = group + i * kTaps + t0;
      if (end - from >= 16) return hn::LoadU(d8, reinterpret_cast<const std::uint8_t*>(from));
      HWY_ALIGN std::uint8_t last[16] = {};  // the weights' last row
      std::memcpy(last, from, static_cast<std::size_t>(end - from));
      return hn::Load(d8, last);
    };
    for (int t0 = 0; t0 < kPadded; t0 += 16) {
      const auto a = load(0, t0), b = load(1, t0), c = load(2, t0), e = load(3, t0);
      const auto ab_low = hn::BitCast(d16, hn::InterleaveLower(d8, a, b));
      const auto ab_high = hn::BitCast(d16, hn::InterleaveUpper(d8, a, b));
      const auto ce_low = hn::BitCast(d16, hn::InterleaveLower(d8, c, e));
      const auto ce_high = hn::BitCast(d16, hn::InterleaveUpper(d8, c, e));
      // Taps t0 + 4k .. t0 + 4k + 3, those of them before kTaps.
      const auto store = [&](int k, hn::Vec<decltype(d16)> quads) {
        const int taps = std::min(4, kTaps - t0 - 4 * k);
        std::uint8_t* HWY_RESTRICT to = bytes + (g * kTaps + t0 + 4 * k) * 4;
        if (taps == 4) {
          hn::StoreU(hn::BitCast(d8, quads), d8, to);
        } else if (taps > 0) {
          hn::BlendedStore(hn::BitCast(d8, quads), hn::FirstN(d8, 4 * taps), d8, to);
        }
      };
      store(0, hn::InterleaveLower(d16, ab_low, ce_low));
      store(1, hn::InterleaveUpper(d16, ab_low, ce_low));
      store(2, hn::InterleaveLower(d16, ab_high, ce_high));
      store(3, hn::InterleaveUpper(d16, ab_high, ce_high));
    }
  }

  // What channel co's bias adds to a tile's sums: minus the 128 + zero point
  // times its weights that the quads' unsigned inputs added (in uint32, where
  // the product wraps as the sums do).
  std::int32_t Offset(int co, std::int32_t x_zero_point) const {
    if constexpr (kDepth == 4) {
      return static_cast<std::int32_t>(0u - static_cast<std::uint32_t>(x_zero_point + 128) *
                                                static_cast<std::uint32_t>(sums[co]));
    } else {
      (void)co, (void)x_zero_point;
      return 0;
    }
  }
};

// out[j] = the lane of rows[i][j], i < kDepth (a null row: past the depth's
// end) for j < count; whole vectors, then the last ones one at a time (no
// read past a row).
HWY_INLINE void StageLaneRow(const std::int8_t* HWY_RESTRICT const (&rows)[kDepth], int count,
                             std::int32_t x_zero_point, std::int32_t* HWY_RESTRICT out) {
  const D32 d;
  const hn::Rebind<std::int8_t, D32> d8;
  const int lanes = static_cast<int>(hn::Lanes(d));
  const auto zero_point = hn::Set(d, x_zero_point);
  int j = 0;
  for (; j + lanes <= count; j += lanes) {
    // Part i of the lanes: the raw bytes (quads) or the centered inputs
    // (pairs). A lambda, not an array: SVE's vectors are sizeless.
    const auto part = [&](int i) {
      const auto v = rows[i] != nullptr ? hn::PromoteTo(d, hn::LoadU(d8, rows[i] + j))
                                        : zero_point;
      return kDepth == 4 ? v : hn::Sub(v, zero_point);
    };
    if constexpr (kDepth == 4) {
      // The bytes' sign bits flipped: x + 128.
      const auto byte = hn::Set(d, 0xFF);
      const auto low = hn::Or(hn::And(part(0), byte), hn::ShiftLeft<8>(hn::And(part(1), byte)));
      const auto high = hn::Or(hn::And(part(2), byte), hn::ShiftLeft<8>(part(3)));
      hn::StoreU(hn::Xor(hn::Or(low, hn::ShiftLeft<16>(high)),
                         hn::Set(d, static_cast<std::int32_t>(0x80808080u))),
                 d, out + j);
    } else {
      hn::StoreU(hn::Or(hn::And(part(0), hn::Set(d, 0xFFFF)), hn::ShiftLeft<16>(part(1))), d,
                 out + j);
    }
  }
  for (; j < count; ++j) {
    std::int32_t centered[kDepth];
    for (int i = 0; i < kDepth; ++i) {
      centered[i] = rows[i] != nullptr ? rows[i][j] - x_zero_point : 0;
    }
    out[j] = PackLane(centered, x_zero_point);
  }
}

// sum0 + the products of in's and weight's lanes, part by part (sum1: a second
// sum where MultiplyAddPairs needs one).
HWY_INLINE hn::Vec<D32> MultiplyAddLanes(hn::Vec<D32> in, hn::Vec<D32> weight, hn::Vec<D32> sum0,
                                         hn::Vec<D32>& sum1) {
#if HWY_TARGET == HWY_AVX3_DL
  (void)sum1;
  return MultiplyAddQuads(in, weight, sum0);
#else
  const D16 d16;
  return MultiplyAddPairs(D32(), hn::BitCast(d16, in), hn::BitCast(d16, weight), sum0, sum1);
#endif
}

// acc[m][v] = sum over groups g and taps t of the weight lane weights[m][g *
// kTaps + t] times the staged vector at stage + g * kGroupStride + shift[t] +
// v * lanes (a tap reads the group's plane shifted), m < MR.
template <int MR, int kGroups, int kTaps, int kGroupStride, int NV>
HWY_INLINE void LaneTile(const std::int32_t* HWY_RESTRICT stage, const int* HWY_RESTRICT shift,
                         const std::int32_t* const* HWY_RESTRICT weights,
                         VecTile<D32, MR, NV>& acc) {
  const D32 d;
  const int lanes = static_cast<int>(hn::Lanes(d));
  VecTile<D32, MR, NV> sum1;
#pragma GCC unroll 4
  for (int m = 0; m < MR; ++m) {
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc.Set(m, v, hn::Zero(d)), sum1.Set(m, v, hn::Zero(d));
  }
  // Not unrolled: g++ then sums a step's products across taps in a tree of
  // its own, which spilled AVX2's accumulators (ResNet-8's 16x32x32 layer
  // took 1.5x the row kernel's time).
#pragma GCC unroll 1
  for (int g = 0; g < kGroups; ++g) {
#pragma GCC unroll 1
    for (int t = 0; t < kTaps; ++t) {
      const std::int32_t* HWY_RESTRICT at = stage + g * kGroupStride + shift[t];
      VecTile<D32, NV> in;
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) in.Set(v, hn::LoadU(d, at + v * lanes));
#pragma GCC unroll 4
      for (int m = 0; m < MR; ++m) {
        const auto weight = hn::Set(d, weights[m][g * kTaps + t]);
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) {
          auto odd = sum1.Get(m, v);
          acc.Set(m, v, MultiplyAddLanes(in.Get(v), weight, acc.Get(m, v), odd));
          sum1.Set(m, v, odd);
        }
      }
    }
  }
#pragma GCC unroll 4
  for (int m = 0; m < MR; ++m) {
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      acc.Set(m, v, hn::RearrangeToOddPlusEven(acc.Get(m, v), sum1.Get(m, v)));
    }
  }
}
#endif

}  // namespace int8_kernels
// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#endif  // STATICNN_INT8_GEMM_TILE_INL_H_
