// int8 pointwise Conv2d (1x1, no padding, one group, any stride) as a GEMM in
// registers, per Highway target except SCALAR:
//   y[co][q] = Requantize(b[co] + sum_ci w[co][ci] * (x[ci][q'] - x_zero_point), r[co])
// with q' the input position of output q (q itself at stride 1).
//
// conv2d-inl.h's row kernel keeps an output row's accumulators in memory and
// adds one input row pair into every output channel's row in turn: a load,
// a multiply-add and a store per vector per pair of input channels, and a
// DS-CNN row is 5 positions of a 16-lane vector. Here the positions of the
// whole plane run in the lanes, and a tile of kTileChannels output channels x
// NV vectors of positions stays in registers over every input channel
// (gemm_tile-inl.h). The staged lanes are on the stack and bounded
// (kStageBytes): a plane too large for them runs in blocks of positions.

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
#include "staticnn/int8/gemm_tile-inl.h"
#include "staticnn/int8/requantize-inl.h"
#include "staticnn/int8/requantize.hpp"
#include "staticnn/kernels/vectors-inl.h"

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {
namespace int8_kernels {

// Whether a convolution is a 1x1 one without padding (dilation does not
// matter), at any stride: ResNet-8's stride-2 shortcuts took the grid
// (grid-inl.h), which stages every phase plane of the input a lane at a time
// where one plane is read: 8.7 us of ResNet-8's 144 for 131 K multiply-adds.
constexpr bool IsPointwise(const Conv2dGeometry& g) {
  return g.y.kernel == 1 && g.x.kernel == 1 && g.y.pad == 0 && g.x.pad == 0 && g.groups == 1;
}

#if HWY_TARGET != HWY_SCALAR
inline constexpr int kStageBytes = 16 * 1024;

// y[co][q] = Requantize(b[co] + sum_k w[co][k] * x_k(q), r[co]) for q < kPlane
// and k < kK, w [kCout][kK]: blocks of positions, each staged by
// stage_lanes(q0, count, stage) as kBlock-long rows of the lanes of x_kDepth*g+i
// (q0 + j), i < kDepth, for j < count (zeros after them), then tiles.
template <int kK, int kCout, int kPlane, bool kBias, class StageLanes>
HWY_INLINE void PositionsGemm(const StageLanes& stage_lanes, std::int32_t x_zero_point,
                              const std::int8_t* HWY_RESTRICT w,
                              const std::int32_t* HWY_RESTRICT b,
                              const int8::Requantization* HWY_RESTRICT r,
                              std::int8_t* HWY_RESTRICT y) {
  using Weights = ChannelLaneWeights<kK, kCout, 1>;
  constexpr int kGroups = Weights::kGroups, L = kLanes32, MR = kTileChannels;
  constexpr int NV = std::min(kMaxTileVectors, PadToVectors(kPlane) / L);
  // Blocks of whole tiles of positions, as many as the stage holds (at least
  // one tile), no more than the plane needs.
  constexpr int kTile = NV * L;
  constexpr int kFits = std::max(1, kStageBytes / (kGroups * 4 * kTile));
  constexpr int kBlock = std::min(kFits, (kPlane + kTile - 1) / kTile) * kTile;
  static constexpr int kNoShift[1] = {0};
  const D32 d;
  const hn::Rebind<std::int8_t, D32> d8;
  const int lanes = static_cast<int>(hn::Lanes(d));  // kLanes32 bounds it (SVE)
  const Weights weights(w);
  HWY_ALIGN std::int32_t stage[kGroups * kBlock];
  for (int q0 = 0; q0 < kPlane; q0 += kBlock) {
    const int count = std::min(kBlock, kPlane - q0);
    stage_lanes.template operator()<kBlock>(q0, count, stage);
    for (int g = 0; g < kGroups; ++g) {
      for (int j = count; j < kBlock; ++j) stage[g * kBlock + j] = 0;
    }
    for (int co0 = 0; co0 < kCout; co0 += MR) {
      // Rows past kCout repeat the last channel's weights, unstored.
      const std::int32_t* rows[MR];
      for (int m = 0; m < MR; ++m) rows[m] = weights.values[std::min(co0 + m, kCout - 1)];
      // The tile of TV vectors at position j0 of the block.
      const auto tile = [&]<int TV>(int j0) {
        VecTile<D32, MR, TV> acc;
        LaneTile<MR, kGroups, 1, kBlock, TV>(stage + j0, kNoShift, rows, acc);
        for (int m = 0; m < MR && co0 + m < kCout; ++m) {
          const int co = co0 + m;
          const auto bias = hn::Set(d, (kBias ? b[co] : 0) + weights.Offset(co, x_zero_point));
          if constexpr (TV == 4 && kPacksFour) {
            // The block's last positions too, by a masked store: lane by lane
            // they took a seventh of DS-CNN's 64x25x5 pointwise layer.
            RequantizeFour(d, hn::Add(bias, acc.Get(m, 0)), hn::Add(bias, acc.Get(m, 1)),
                           hn::Add(bias, acc.Get(m, 2)), hn::Add(bias, acc.Get(m, 3)), r[co],
                           y + co * kPlane + q0 + j0, std::min(4 * lanes, count - j0));
            continue;
          }
          for (int v = 0; v < TV && j0 + v * lanes < count; ++v) {
            const int q = q0 + j0 + v * lanes;
            const auto out = hn::DemoteTo(d8, Requantize(d, hn::Add(bias, acc.Get(m, v)), r[co]));
            if (q + lanes <= kPlane) {
              hn::StoreU(out, d8, y + co * kPlane + q);
            } else if constexpr (kPacksFour) {  // a masked store on AVX-512
              hn::BlendedStore(out, hn::FirstN(d8, kPlane - q), d8, y + co * kPlane + q);
            } else {
              HWY_ALIGN std::int8_t last[L];
              hn::Store(out, d8, last);
              for (int i = 0; i < L && q + i < kPlane; ++i) y[co * kPlane + q + i] = last[i];
            }
          }
        }
      };
      // Tiles of NV vectors; the block's last positions in a tile of as few
      // vectors as they need (MobileNetV1's 6x6 planes, 36 positions: AVX2's
      // tiles of 2 vectors of 8 computed 48 lanes, now 40).
      int j0 = 0;
      for (; j0 + NV * lanes <= count; j0 += NV * lanes) tile.template operator()<NV>(j0);
      const int left = (count - j0 + lanes - 1) / lanes;  // at most NV
      if (left == NV) {
        tile.template operator()<NV>(j0);
      } else if (left == 3) {
        tile.template operator()<std::min(3, NV)>(j0);
      } else if (left == 2) {
        tile.template operator()<std::min(2, NV)>(j0);
      } else if (left == 1) {
        tile.template operator()<1>(j0);
      }
    }
  }
}

template <Conv2dGeometry G>
void PointwiseForward(const std::int8_t* HWY_RESTRICT x, std::int32_t x_zero_point,
                      const std::int8_t* HWY_RESTRICT w, const std::int32_t* HWY_RESTRICT b,
                      const int8::Requantization* HWY_RESTRICT r, std::int8_t* HWY_RESTRICT y) {
  static_assert(IsPointwise(G));
  constexpr int kCin = G.in.c, kInPlane = G.in.h * G.in.w, kPlane = G.out.h * G.out.w;
  constexpr int Sy = G.y.stride, Sx = G.x.stride;
  // The groups of input channels: as they lie at stride 1; else a piece of
  // an output row at a time, from its input row, every Sx-th lane of that
  // row's staged piece (all of it staged in whole vectors, then picked).
  const auto stage_lanes = [&]<int kBlock>(int q0, int count, std::int32_t* HWY_RESTRICT stage) {
    for (int g = 0; g < (kCin + kDepth - 1) / kDepth; ++g) {
      const auto rows_at = [&](int offset, const std::int8_t* (&rows)[kDepth]) {
        for (int i = 0; i < kDepth; ++i) {
          const int c = kDepth * g + i;
          rows[i] = c < kCin ? x + c * kInPlane + offset : nullptr;
        }
      };
      const std::int8_t* rows[kDepth];
      if constexpr (Sy == 1 && Sx == 1) {
        rows_at(q0, rows);
        StageLaneRow(rows, count, x_zero_point, stage + g * kBlock);
        continue;
      }
      for (int q = q0; q < q0 + count;) {
        const int oh = q / G.out.w, ow = q % G.out.w;
        const int n = std::min(G.out.w - ow, q0 + count - q);
        rows_at(oh * Sy * G.in.w + ow * Sx, rows);
        std::int32_t* HWY_RESTRICT to = stage + g * kBlock + (q - q0);
        if constexpr (Sx == 1) {
          StageLaneRow(rows, n, x_zero_point, to);
        } else {
          // Whole vectors: g++ 12 cannot see that a row shorter than a vector
          // stores none, and warned of the store past it.
          HWY_ALIGN std::int32_t piece[(G.in.w + kLanes32 - 1) / kLanes32 * kLanes32];
          StageLaneRow(rows, (n - 1) * Sx + 1, x_zero_point, piece);
          for (int j = 0; j < n; ++j) to[j] = piece[j * Sx];
        }
        q += n;
      }
    }
  };
  PositionsGemm<kCin, G.out.c, kPlane, G.bias>(stage_lanes, x_zero_point, w, b, r, y);
}
#endif

}  // namespace int8_kernels
// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#endif  // STATICNN_INT8_POINTWISE_INL_H_
