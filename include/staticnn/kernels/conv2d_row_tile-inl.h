// Conv2d: the row tile, the GEMM at the heart of forward and backward input.
//
// A register tile of MR output channels x NV vectors of outputs runs over
// every (channel, tap), loading NV vectors of one shifted row of the phase
// planes (conv2d_copy-inl.h) and broadcasting MR packed weights: a GEMM whose
// B operand is never built. Forward runs it over the padded input with the
// weights; backward input over the zero-padded dy with the weights transposed
// and only the taps that reach each phase of the input positions; the valid
// convolution's backward input uses it with a single tap as a plain GEMM.
// Outputs live on the padded width (a few discarded columns per row). Only
// the register tiles are templates of their sizes; the loops around them take
// the geometry's constants as arguments, so a network's layers share their code.

#if defined(STATICNN_KERNELS_CONV2D_ROW_TILE_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef STATICNN_KERNELS_CONV2D_ROW_TILE_INL_H_
#undef STATICNN_KERNELS_CONV2D_ROW_TILE_INL_H_
#else
#define STATICNN_KERNELS_CONV2D_ROW_TILE_INL_H_
#endif

#include <algorithm>

#include "hwy/highway.h"
#include "staticnn/kernels/conv2d_scratch.hpp"
#include "staticnn/kernels/memory-inl.h"
#include "staticnn/kernels/vectors-inl.h"

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;
namespace conv2d_impl {
namespace cd = ::staticnn::conv2d_detail;

// The tile: R output rows x NV vectors of consecutive flattened outputs.
//
// panel = [initial values][steps][weights], `panel_rows` floats per step (one step
// per (channel, tap) in that order); the tile takes R of those rows from `panel`
// on. Step (c, t) multiplies src[c * channel_stride + tap_offset[t] + q].
// Stores rows [0, rows) and columns [0, cols) of the tile (cols may be short at
// the end of a plane), so it can write straight into a caller's tensor.

constexpr int RowTileVectors(int rows) { return std::clamp(kTileAccumulators / rows, 1, 4); }

template <int R, int NV, class D>
HWY_INLINE void RowTile(D d, const float* HWY_RESTRICT src, int channels, int channel_stride,
                        const int* HWY_RESTRICT tap_offset, int taps,
                        const float* HWY_RESTRICT panel, int panel_rows,
                        float* HWY_RESTRICT out, int out_stride, int rows, int cols) {
  using V = hn::Vec<D>;
  constexpr int N = static_cast<int>(hn::MaxLanes(d));
  VecTile<D, R, NV> acc;
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) {
    const V init = hn::Set(d, panel[r]);
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc.Set(r, v, init);
  }
  const float* HWY_RESTRICT a = panel + panel_rows;
  for (int c = 0; c < channels; ++c) {
    const float* HWY_RESTRICT plane = src + c * channel_stride;
    for (int t = 0; t < taps; ++t, a += panel_rows) {
      const float* HWY_RESTRICT b = plane + tap_offset[t];
      VecTile<D, NV> bv;
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) bv.Set(v, hn::LoadU(d, b + v * N));
#pragma GCC unroll 16
      for (int r = 0; r < R; ++r) {
        const V weight = hn::Set(d, a[r]);
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) acc.Set(r, v, hn::MulAdd(weight, bv.Get(v), acc.Get(r, v)));
      }
    }
  }
  StoreTile(d, acc, rows, out, out_stride, cols);
}

// RowTile<R, vectors> for 1 <= vectors <= NV.
template <int R, int NV, class D>
HWY_INLINE void RowTileOfWidth(D d, int vectors, const float* HWY_RESTRICT src, int channels,
                               int channel_stride, const int* HWY_RESTRICT tap_offset,
                               int taps, const float* HWY_RESTRICT panel, int panel_rows,
                               float* HWY_RESTRICT out, int out_stride, int rows, int cols) {
  if constexpr (NV > 1) {
    if (vectors < NV) {
      RowTileOfWidth<R, NV - 1>(d, vectors, src, channels, channel_stride, tap_offset, taps,
                                panel, panel_rows, out, out_stride, rows, cols);
      return;
    }
  }
  RowTile<R, NV>(d, src, channels, channel_stride, tap_offset, taps, panel, panel_rows, out,
                 out_stride, rows, cols);
}

// Outputs [0, count) of rows [0, rows) of an MR-row panel. With 16 vector
// registers an 8- or 6-row panel runs as two passes of 4 x 3 or 3 x 4 vectors (12
// accumulators, reusing the loaded inputs from L1) rather than 8 x 1.
template <int MR>
HWY_NOINLINE void RowTileOverOutputs(const float* HWY_RESTRICT src, int channels,
                                     int channel_stride, const int* HWY_RESTRICT tap_offset,
                                     int taps, const float* HWY_RESTRICT panel, int count,
                                     float* HWY_RESTRICT out, int out_stride, int rows) {
  const KernelTag d;
  constexpr int kPasses = (kVectorRegisters == 16 && MR > 4 && MR % 2 == 0) ? 2 : 1;
  constexpr int R = MR / kPasses;
  constexpr int NV = RowTileVectors(R);
  constexpr int kCols = NV * static_cast<int>(hn::MaxLanes(d));
  static_assert(kCols <= cd::kMaxTileCols, "scratch is sized for kMaxTileCols");
  constexpr int N = static_cast<int>(hn::MaxLanes(d));
  for (int q = 0; q < count; q += kCols) {
    // The last chunk computes only the vectors it stores.
    const int vectors = std::min(NV, (count - q + N - 1) / N);
    for (int pass = 0; pass < kPasses && pass * R < rows; ++pass) {
      RowTileOfWidth<R, NV>(d, vectors, src + q, channels, channel_stride, tap_offset, taps,
                            panel + pass * R, MR, out + pass * R * out_stride + q, out_stride,
                            rows - pass * R, count - q);
    }
  }
}

}  // namespace conv2d_impl
}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#endif  // STATICNN_KERNELS_CONV2D_ROW_TILE_INL_H_
