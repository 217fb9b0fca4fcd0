// Conv2d forward, the general path: y = conv(x, w) + b for one sample, one
// group at a time (a grouped plane stays in cache from copy to crop).
//
// The group's input is copied into its phase planes (conv2d_copy-inl.h);
// then, per tile of MR output channels, the row tile (conv2d_row_tile-inl.h)
// reads MR rows of w [out.c][k = (input channel, tap)] in place (packing them
// into a panel per call took about a tenth of 3x3 128->128 at 8x8, and scratch)
// and computes the outputs on the padded width, which are cropped into y,
// unless there are no columns to discard (1x1, kernel.w = 1, or the input
// unfolded into one copy per kernel column: small planes and strided layers,
// see unfold_columns_pays): then the tiles write straight into y, a block of
// outputs at a time (see kDirectBlockOutputs). When MR does not divide the
// output channels, the last tile overlaps the one before (it starts at
// out_per_group - MR), so that no tile reads past w and all tiles are whole.
// kRelu (only where the tiles write straight into y, RowTilesFuseRelu): the
// tiles store max(0, .), a ReLU fused into the layer.

#if defined(STATICNN_KERNELS_CONV2D_FORWARD_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef STATICNN_KERNELS_CONV2D_FORWARD_INL_H_
#undef STATICNN_KERNELS_CONV2D_FORWARD_INL_H_
#else
#define STATICNN_KERNELS_CONV2D_FORWARD_INL_H_
#endif

#include <algorithm>

#include "hwy/highway.h"
#include "staticnn/geometry.hpp"
#include "staticnn/kernels/conv2d_copy-inl.h"
#include "staticnn/kernels/conv2d_row_tile-inl.h"
#include "staticnn/kernels/conv2d_scratch.hpp"
#include "staticnn/kernels/memory-inl.h"

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;
namespace conv2d_impl {
namespace cd = ::staticnn::conv2d_detail;

// Whether the tiles write straight into y (no crop), so that a ReLU can be
// applied in them.
template <Conv2dGeometry G>
constexpr bool RowTilesFuseRelu() {
  constexpr cd::ForwardPlan p = cd::ForwardTables<G, cd::unfold_columns_pays(G)>::plan;
  return p.cols == G.out.w;
}

// Output channels per tile. A plane of exactly 4 vectors of outputs (8x8 with
// AVX-512) runs as 6 rows x 4 vectors (24 accumulators, 4 loads and 6
// broadcasts per 24 FMAs) rather than 8 rows x 2 + 2 vectors (16, 10 loads
// per 16 FMAs); the last tile overlaps the one before when 6 does not divide
// the channels, by at most 1/16 of them (more rows computed twice cost more
// than the wider tile gains).
template <Conv2dGeometry G>
constexpr int ForwardTileRows() {
  constexpr cd::ForwardPlan p = cd::ForwardTables<G, cd::unfold_columns_pays(G)>::plan;
  constexpr int kLanes = static_cast<int>(hn::MaxLanes(KernelTag()));
  constexpr int kBlock = RowTilesFuseRelu<G>() ? kDirectBlockOutputs : p.qeff;
  constexpr int kVectors = cd::ceil_div(std::min(kBlock, p.qeff), kLanes);
  constexpr int kCout = G.out_per_group();
  return kVectorRegisters == 32 && kVectors == 4 && p.co.mr == 8 &&
                 16 * cd::round_up(kCout, 6) <= 17 * kCout
             ? 6
             : p.co.mr;
}

template <Conv2dGeometry G, bool kRelu = false>
HWY_INLINE void ForwardByRowTiles(const float* HWY_RESTRICT x, const float* HWY_RESTRICT w,
                                  const float* HWY_RESTRICT b, float* HWY_RESTRICT y,
                                  float* HWY_RESTRICT scratch) {
  using Tables = cd::ForwardTables<G, cd::unfold_columns_pays(G)>;
  constexpr cd::ForwardPlan p = Tables::plan;
  constexpr int kCin = G.in_per_group(), kCout = G.out_per_group(), MR = ForwardTileRows<G>();
  constexpr int kTiles = cd::ceil_div(kCout, MR);
  constexpr int kOutPlane = G.out.h * G.out.w;
  // Without discarded columns the tiles write straight into y.
  constexpr bool kDirect = RowTilesFuseRelu<G>();
  static_assert(!kRelu || kDirect, "a ReLU is fused only into tiles that write y");
  float* HWY_RESTRICT xs = scratch + p.xs;
  float* HWY_RESTRICT ybuf = scratch + p.ybuf;
  for (int g = 0; g < G.groups; ++g) {
    const float* HWY_RESTRICT xg = x + g * kCin * G.in.h * G.in.w;
    if constexpr (p.unfolded) {
      UnfoldColumns<G>(xg, xs);
    } else {
      PadPhases<PadSpec{kCin, G.in.h, G.in.w, G.y.stride, G.x.stride, G.y.pad, G.x.pad, p.rows,
                        p.cols, PhasesRead(G.y), PhasesRead(G.x)}>(xg, xs);
    }
    constexpr int kBlock = kDirect ? kDirectBlockOutputs : p.qeff;
    for (int q0 = 0; q0 < p.qeff; q0 += kBlock) {
      const int count = std::min(kBlock, p.qeff - q0);
      for (int t = 0; t < kTiles; ++t) {
        const int co0 = g * kCout + std::min(t * MR, kCout - MR);
        float* HWY_RESTRICT out = kDirect ? y + co0 * kOutPlane : ybuf;
        RowTileOverOutputsInPlace<MR, p.taps, p.k, kRelu>(xs + q0, kCin, p.plane,
                                                   Tables::tap_offset.data(), w + co0 * p.k,
                                                   G.bias ? b + co0 : nullptr, count,
                                                   out + q0, p.qeff);
        if constexpr (!kDirect) {
          ScatterRows<ScatterSpec{G.out.h, G.out.w, p.qeff, p.cols, 0, 0, 1, 1, G.out.h,
                                  G.out.w}>(ybuf, MR, y + co0 * kOutPlane);
        }
      }
    }
  }
}

}  // namespace conv2d_impl
}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#endif  // STATICNN_KERNELS_CONV2D_FORWARD_INL_H_
