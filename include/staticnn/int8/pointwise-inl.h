// int8 pointwise Conv2d (1x1, stride 1, no padding, one group) as a GEMM in
// registers, per Highway target except SCALAR:
//   y[co][q] = Requantize(b[co] + sum_ci w[co][ci] * (x[ci][q] - x_zero_point), r[co])
//
// conv2d-inl.h's row kernel keeps an output row's accumulators in memory and
// adds one input row pair into every output channel's row in turn: a load,
// a multiply-add and a store per vector per pair of input channels, and a
// DS-CNN row is 5 positions of a 16-lane vector. Here the positions of the
// whole plane run in the lanes, and a tile of kTileChannels output channels x
// NV vectors of positions stays in registers over every input channel.
// Inputs are staged once per block of positions as int16 pairs of input
// channels (2p, 2p + 1), centered (int8 minus an int8 zero point fits int16),
// so each step is one ReorderWidenMulAccumulate (x86: vpmaddwd) of a staged
// vector by a broadcast weight pair (PackedWeightPairs). Integer sums are
// exact: TFLite's bits in any order. The stage is on the stack and bounded
// (kStageBytes): a plane too large for it runs in blocks of positions.

#if defined(STATICNN_INT8_POINTWISE_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef STATICNN_INT8_POINTWISE_INL_H_
#undef STATICNN_INT8_POINTWISE_INL_H_
#else
#define STATICNN_INT8_POINTWISE_INL_H_
#endif

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "hwy/highway.h"
#include "staticnn/geometry.hpp"
#include "staticnn/int8/requantize-inl.h"
#include "staticnn/int8/requantize.hpp"
#include "staticnn/kernels/vectors-inl.h"

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {
namespace int8_kernels {

// Whether a convolution is a plain 1x1 one (dilation does not matter).
constexpr bool IsPointwise(const Conv2dGeometry& g) {
  return g.y.kernel == 1 && g.x.kernel == 1 && g.y.stride == 1 && g.x.stride == 1 &&
         g.y.pad == 0 && g.x.pad == 0 && g.groups == 1;
}

#if HWY_TARGET != HWY_SCALAR
inline constexpr int kStageBytes = 16 * 1024;
inline constexpr int kTileChannels = 4;
// Vectors of positions per tile: 4 x 4 accumulators (x 2 where NEON's widening
// multiply-add fills a second sum) with the 4 staged vectors and a broadcast
// fit 32 registers; 4 x 2 fit AVX2's and SSE4's 16.
inline constexpr int kMaxTileVectors = HWY_ARCH_X86 && HWY_TARGET > HWY_AVX3 ? 2 : 4;

// The weight pair of (co, p): w[co][2p] in the low half, w[co][2p + 1] (or 0
// past the last input channel) in the high half, as conv2d-inl.h packs them.
template <int kCin, int kCout>
struct PointwiseWeightPairs {
  static constexpr int kPairs = (kCin + 1) / 2;
  std::int32_t values[kCout][kPairs];

  explicit PointwiseWeightPairs(const std::int8_t* HWY_RESTRICT w) {
    for (int co = 0; co < kCout; ++co) {
      for (int p = 0; p < kPairs; ++p) {
        const std::int8_t first = w[co * kCin + 2 * p];
        const std::int8_t second = 2 * p + 1 < kCin ? w[co * kCin + 2 * p + 1] : 0;
        values[co][p] = static_cast<std::int32_t>(
            static_cast<std::uint32_t>(static_cast<std::uint16_t>(second)) << 16 |
            static_cast<std::uint16_t>(first));
      }
    }
  }
};

// stage[p][j] = the int16 pair (x[2p][q0 + j], x[2p + 1][q0 + j]) - zero point,
// j < kBlock; zeros past the plane and for a missing odd channel.
template <int kCin, int kPlane, int kBlock>
HWY_INLINE void StagePairs(const std::int8_t* HWY_RESTRICT x, std::int32_t x_zero_point, int q0,
                           std::int32_t* HWY_RESTRICT stage) {
  const D32 d;
  const hn::Rebind<std::int8_t, D32> d8;
  const int lanes = static_cast<int>(hn::Lanes(d));
  const auto zero_point = hn::Set(d, x_zero_point);
  const auto low_half = hn::Set(d, 0xFFFF);
  const int count = std::min(kBlock, kPlane - q0);
  for (int p = 0; p < (kCin + 1) / 2; ++p) {
    const std::int8_t* HWY_RESTRICT first = x + 2 * p * kPlane + q0;
    const std::int8_t* HWY_RESTRICT second = first + kPlane;
    const bool has_second = 2 * p + 1 < kCin;
    std::int32_t* HWY_RESTRICT row = stage + p * kBlock;
    int j = 0;
    for (; j + lanes <= count; j += lanes) {
      const auto low = hn::Sub(hn::PromoteTo(d, hn::LoadU(d8, first + j)), zero_point);
      const auto high = has_second
                            ? hn::Sub(hn::PromoteTo(d, hn::LoadU(d8, second + j)), zero_point)
                            : hn::Zero(d);
      hn::StoreU(hn::Or(hn::And(low, low_half), hn::ShiftLeft<16>(high)), d, row + j);
    }
    for (; j < count; ++j) {
      const auto low = static_cast<std::uint16_t>(first[j] - x_zero_point);
      const auto high = static_cast<std::uint16_t>(has_second ? second[j] - x_zero_point : 0);
      row[j] = static_cast<std::int32_t>(static_cast<std::uint32_t>(high) << 16 | low);
    }
    for (int j = count; j < kBlock; ++j) row[j] = 0;
  }
}

// Output channels co0 .. co0 + kTileChannels (rows past kCout are computed
// from the last channel's weights and not stored) x NV vectors of positions
// at q0 + j0 of the block, requantized into y.
template <int kPairs, int kCout, int kPlane, int kBlock, int NV, bool kBias>
HWY_INLINE void PointwiseTile(const std::int32_t* HWY_RESTRICT stage, int j0,
                              const std::int32_t (*HWY_RESTRICT pairs)[kPairs], int co0, int q0,
                              const std::int32_t* HWY_RESTRICT b,
                              const int8::Requantization* HWY_RESTRICT r,
                              std::int8_t* HWY_RESTRICT y) {
  constexpr int MR = kTileChannels;
  const D32 d;
  const D16 d16;
  const hn::Rebind<std::int8_t, D32> d8;
  constexpr int L = kLanes32;
  const int lanes = static_cast<int>(hn::Lanes(d));
  using V = hn::Vec<D32>;
  const std::int32_t* HWY_RESTRICT weights[MR];
  for (int m = 0; m < MR; ++m) weights[m] = pairs[std::min(co0 + m, kCout - 1)];
  VecTile<D32, MR, NV> sum0, sum1;
#pragma GCC unroll 4
  for (int m = 0; m < MR; ++m) {
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) sum0.Set(m, v, hn::Zero(d)), sum1.Set(m, v, hn::Zero(d));
  }
  for (int p = 0; p < kPairs; ++p) {
    VecTile<D16, NV> in;
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      in.Set(v, hn::BitCast(d16, hn::LoadU(d, stage + p * kBlock + j0 + v * lanes)));
    }
#pragma GCC unroll 4
    for (int m = 0; m < MR; ++m) {
      const auto weight = hn::BitCast(d16, hn::Set(d, weights[m][p]));
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) {
        auto odd = sum1.Get(m, v);
        sum0.Set(m, v, hn::ReorderWidenMulAccumulate(d, in.Get(v), weight, sum0.Get(m, v), odd));
        sum1.Set(m, v, odd);
      }
    }
  }
#pragma GCC unroll 4
  for (int m = 0; m < MR; ++m) {
    const int co = co0 + m;
    if (co >= kCout) break;
    const V bias = hn::Set(d, kBias ? b[co] : 0);
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      const int q = q0 + j0 + v * lanes;
      if (q >= kPlane) break;
      const V acc = hn::Add(bias, hn::RearrangeToOddPlusEven(sum0.Get(m, v), sum1.Get(m, v)));
      const auto out = hn::DemoteTo(d8, Requantize(d, acc, r[co]));
      std::int8_t* HWY_RESTRICT to = y + co * kPlane + q;
      if (q + lanes <= kPlane) {
        hn::StoreU(out, d8, to);
      } else {
        HWY_ALIGN std::int8_t last[L];
        hn::Store(out, d8, last);
        std::memcpy(to, last, static_cast<std::size_t>(kPlane - q));
      }
    }
  }
}

template <Conv2dGeometry G>
void PointwiseForward(const std::int8_t* HWY_RESTRICT x, std::int32_t x_zero_point,
                      const std::int8_t* HWY_RESTRICT w, const std::int32_t* HWY_RESTRICT b,
                      const int8::Requantization* HWY_RESTRICT r, std::int8_t* HWY_RESTRICT y) {
  static_assert(IsPointwise(G));
  constexpr int kCin = G.in.c, kCout = G.out.c, kPlane = G.out.h * G.out.w;
  using Pairs = PointwiseWeightPairs<kCin, kCout>;
  constexpr int kPairs = Pairs::kPairs;
  constexpr int L = kLanes32;
  constexpr int NV = std::min(kMaxTileVectors, PadToVectors(kPlane) / L);
  // Blocks of whole tiles of positions, as many as the stage holds (at least
  // one tile), no more than the plane needs.
  constexpr int kTile = NV * L;
  constexpr int kFits = std::max(1, kStageBytes / (kPairs * 4 * kTile));
  constexpr int kBlock = std::min(kFits, (kPlane + kTile - 1) / kTile) * kTile;
  const int lanes = static_cast<int>(hn::Lanes(D32()));  // kLanes32 bounds it (SVE)
  const Pairs pairs(w);
  HWY_ALIGN std::int32_t stage[kPairs * kBlock];
  for (int q0 = 0; q0 < kPlane; q0 += kBlock) {
    StagePairs<kCin, kPlane, kBlock>(x, x_zero_point, q0, stage);
    for (int co0 = 0; co0 < kCout; co0 += kTileChannels) {
      for (int j0 = 0; j0 < kBlock && q0 + j0 < kPlane; j0 += NV * lanes) {
        PointwiseTile<kPairs, kCout, kPlane, kBlock, NV, G.bias>(stage, j0, pairs.values, co0, q0,
                                                                 b, r, y);
      }
    }
  }
}
#endif

}  // namespace int8_kernels
// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#endif  // STATICNN_INT8_POINTWISE_INL_H_
