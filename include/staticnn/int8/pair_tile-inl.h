// The register tile of the int8 GEMM kernels (pointwise-inl.h, im2col-inl.h,
// grid-inl.h), per Highway target except SCALAR. Inputs are staged as int16
// pairs along the GEMM's depth (input channels 2p and 2p + 1, or two taps),
// centered (int8 minus an int8 zero point fits int16), one pair per int32
// lane, and the weights as the matching pairs, so each step of the tile is
// one ReorderWidenMulAccumulate (x86: vpmaddwd) of a staged vector by a
// broadcast weight pair. Integer sums are exact: TFLite's bits in any order.
//   ChannelPairWeights  the weight pairs of every (output channel, pair, tap)
//   StagePairRow        one row of staged pairs from two input rows
//   PairTile            kTileChannels output channels x NV vectors of positions

#if defined(STATICNN_INT8_PAIR_TILE_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef STATICNN_INT8_PAIR_TILE_INL_H_
#undef STATICNN_INT8_PAIR_TILE_INL_H_
#else
#define STATICNN_INT8_PAIR_TILE_INL_H_
#endif

#include <algorithm>
#include <cstdint>

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
// vectors and a broadcast fit 32 registers, 3 x 2 AVX2's and SSE4's 16.
inline constexpr bool kSixteenRegisters = HWY_ARCH_X86 && HWY_TARGET > HWY_AVX3;
inline constexpr int kTileChannels = kSixteenRegisters ? 3 : 4;
inline constexpr int kMaxTileVectors = kSixteenRegisters ? 2 : 4;

// values[co][p * kTaps + t]: w[co][2p][t] in the low half, w[co][2p + 1][t]
// (or 0 past the last input channel) in the high half, from w
// [cout][cin][taps].
template <int kCin, int kCout, int kTaps>
struct ChannelPairWeights {
  static constexpr int kPairs = (kCin + 1) / 2;
  std::int32_t values[kCout][kPairs * kTaps];

  explicit ChannelPairWeights(const std::int8_t* HWY_RESTRICT w) {
    for (int co = 0; co < kCout; ++co) {
      for (int p = 0; p < kPairs; ++p) {
        for (int t = 0; t < kTaps; ++t) {
          const std::int8_t first = w[(co * kCin + 2 * p) * kTaps + t];
          const std::int8_t second = 2 * p + 1 < kCin ? w[(co * kCin + 2 * p + 1) * kTaps + t] : 0;
          values[co][p * kTaps + t] = PackPair(first, second);
        }
      }
    }
  }
};

// out[j] = the int16 pair (first[j] - zero point, second[j] - zero point) for
// j < count, or (first[j] - zero point, 0) without a second row; whole
// vectors, then the last ones one at a time (no read past either row).
HWY_INLINE void StagePairRow(const std::int8_t* HWY_RESTRICT first,
                             const std::int8_t* HWY_RESTRICT second, int count,
                             std::int32_t x_zero_point, std::int32_t* HWY_RESTRICT out) {
  const D32 d;
  const hn::Rebind<std::int8_t, D32> d8;
  const int lanes = static_cast<int>(hn::Lanes(d));
  const auto zero_point = hn::Set(d, x_zero_point);
  const auto low_half = hn::Set(d, 0xFFFF);
  int j = 0;
  for (; j + lanes <= count; j += lanes) {
    const auto low = hn::Sub(hn::PromoteTo(d, hn::LoadU(d8, first + j)), zero_point);
    const auto high = second != nullptr
                          ? hn::Sub(hn::PromoteTo(d, hn::LoadU(d8, second + j)), zero_point)
                          : hn::Zero(d);
    hn::StoreU(hn::Or(hn::And(low, low_half), hn::ShiftLeft<16>(high)), d, out + j);
  }
  for (; j < count; ++j) {
    out[j] = PackPair(first[j] - x_zero_point, second != nullptr ? second[j] - x_zero_point : 0);
  }
}

// acc[m][v] = sum over pairs p and taps t of the weight pair weights[m][p *
// kTaps + t] times the staged vector at stage + p * kPairStride + shift[t] + v
// * lanes (a tap reads the pair's plane shifted).
template <int kPairs, int kTaps, int kPairStride, int NV>
HWY_INLINE void PairTile(const std::int32_t* HWY_RESTRICT stage, const int* HWY_RESTRICT shift,
                         const std::int32_t* const* HWY_RESTRICT weights,
                         VecTile<D32, kTileChannels, NV>& acc) {
  constexpr int MR = kTileChannels;
  const D32 d;
  const D16 d16;
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
  for (int p = 0; p < kPairs; ++p) {
#pragma GCC unroll 1
    for (int t = 0; t < kTaps; ++t) {
      const std::int32_t* HWY_RESTRICT at = stage + p * kPairStride + shift[t];
      VecTile<D16, NV> in;
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) in.Set(v, hn::BitCast(d16, hn::LoadU(d, at + v * lanes)));
#pragma GCC unroll 4
      for (int m = 0; m < MR; ++m) {
        const auto weight = hn::BitCast(d16, hn::Set(d, weights[m][p * kTaps + t]));
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) {
          auto odd = sum1.Get(m, v);
          acc.Set(m, v, MultiplyAddPairs(d, in.Get(v), weight, acc.Get(m, v), odd));
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

#endif  // STATICNN_INT8_PAIR_TILE_INL_H_
