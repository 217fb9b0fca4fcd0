// Conv2d: the row tile, the GEMM at the heart of forward and backward input.
//
// A register tile of MR output channels x NV vectors of outputs runs over
// every (channel, tap), loading NV vectors of one shifted row of the phase
// planes (conv2d_copy-inl.h) and broadcasting MR weights: a GEMM whose B
// operand is never built. Forward runs it over the padded input with the
// weights read in place; backward input over the zero-padded dy with the
// weights transposed into a packed panel and only the taps that reach each
// phase of the input positions (full tiles read w in place instead);
// Winograd uses it with a single tap as a plain GEMM over packed panels, the
// valid convolution's backward input as one over w in place that adds its
// products to the values out holds.
// Outputs live on the padded width (a few discarded columns per row). Only
// the register tiles are templates, of their sizes and of the kernel's tap
// count; the loops around them take the geometry's other constants as
// arguments, so a network's layers share their code. Tile sizes follow the
// target's vector registers (16 on AVX2 and SSE, 32 on AVX-512 and AArch64).

#if defined(STATICNN_KERNELS_CONV2D_ROW_TILE_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef STATICNN_KERNELS_CONV2D_ROW_TILE_INL_H_
#undef STATICNN_KERNELS_CONV2D_ROW_TILE_INL_H_
#else
#define STATICNN_KERNELS_CONV2D_ROW_TILE_INL_H_
#endif

#include <algorithm>

#include "hwy/highway.h"
#include "staticnn/kernels/activation-inl.h"
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
// One step per (channel, tap), in that order: step (c, t) multiplies
// src[c * channel_stride + tap_offset[t] + q] by the weight of row r, at
// weights[r * kRowStride + step * kStepStride]: either a packed panel, one
// row of MR weights per step (kRowStride 1, kStepStride MR), or the weight
// matrix [rows][k] read in place (kRowStride k, kStepStride 1: every row at a
// constant displacement from one pointer, nothing packed per call), and
// kChannelSkip more after each channel's steps; with kWeightTaps, step t of a
// channel reads at weight_tap[t] from the channel's start instead (backward
// input's w^T read in place, RowTileOverOutputsTransposed). Rows
// start at init[r] (init null: at zero), or with kAccumulate at the values
// out holds (whole vectors of all R rows: out must hold them past a short
// last chunk of columns and past `rows`). Stores rows [0, rows) and columns
// [0, cols) of the tile (cols may be short at the end of a plane), so it can
// write straight into a caller's tensor; kRelu stores max(0, .) of them (a
// ReLU fused into forward's output while it is in registers).

// Vectors of columns for an R-row tile: as many as the accumulators allow while
// the tile, one loaded row of inputs and the broadcast weight fit the target's
// registers (R*NV + NV + 1; with 16 registers a 3 x 4 tile spilled: Lecture's
// backward input ran at 38% of peak on AVX2), and at most kMaxTileCols columns.
template <class D>
constexpr int RowTileVectors(D d, int rows) {
  const int widest = cd::kMaxTileCols / static_cast<int>(hn::MaxLanes(d));
  const int fitting = (kVectorRegisters - 1) / (rows + 1);
  return std::clamp(std::min(kTileAccumulators / rows, fitting), 1, widest);
}

// One step of the tile: acc[r][v] += a[r * kRowStride] * b[v * N].
template <int R, int NV, int kRowStride, class D>
HWY_INLINE void RowTileStep(D d, const float* HWY_RESTRICT b, const float* HWY_RESTRICT a,
                            VecTile<D, R, NV>& acc) {
  constexpr int N = static_cast<int>(hn::MaxLanes(d));
  VecTile<D, NV> bv;
#pragma GCC unroll 16
  for (int v = 0; v < NV; ++v) bv.Set(v, hn::LoadU(d, b + v * N));
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) {
    const hn::Vec<D> weight = hn::Set(d, a[r * kRowStride]);
#pragma GCC unroll 16
    for (int v = 0; v < NV; ++v) acc.Set(r, v, hn::MulAdd(weight, bv.Get(v), acc.Get(r, v)));
  }
}

template <int R, int NV, int kTaps, int kRowStride, int kStepStride, bool kRelu,
          int kChannelSkip, bool kWeightTaps, bool kAccumulate, class D>
HWY_INLINE void RowTile(D d, const float* HWY_RESTRICT src, int channels, int channel_stride,
                        const int* HWY_RESTRICT tap_offset, int taps,
                        const float* HWY_RESTRICT init, const float* HWY_RESTRICT weights,
                        const int* HWY_RESTRICT weight_tap, float* HWY_RESTRICT out,
                        int out_stride, int rows, int cols) {
  constexpr int N = static_cast<int>(hn::MaxLanes(d));
  VecTile<D, R, NV> acc;
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) {
    const hn::Vec<D> start = init != nullptr ? hn::Set(d, init[r]) : hn::Zero(d);
#pragma GCC unroll 16
    for (int v = 0; v < NV; ++v) {
      acc.Set(r, v, kAccumulate ? hn::LoadU(d, out + r * out_stride + v * N) : start);
    }
  }
  const float* HWY_RESTRICT a = weights;
  if constexpr (kTaps > 0) {
    // A constant count: the offsets stay at hand and the tap loop unrolls (3x3
    // 64->64 at 56x56 on AVX2: +9% forward and backward input, +3% of which is
    // the local copy of the offsets); one tap makes one loop over channels (+4%).
    int offset[kTaps];
    for (int t = 0; t < kTaps; ++t) offset[t] = tap_offset[t];
    for (int c = 0; c < channels; ++c) {
      const float* HWY_RESTRICT plane = src + c * channel_stride;
      // Hidden from the optimizer once per channel: without it g++ 12 loaded
      // the weights as scalars into stack slots and copied them from slot to
      // slot inside the loop (RowTileRows<8, 9, 27, 1>: 736 stack accesses,
      // 176 with it; MobileNetV1's first layer, 3 -> 8 channels 3x3 stride 2
      // at 96x96, AVX2: 28.9 -> 14.2 us).
      a = Unshared(a);
#pragma GCC unroll 16
      for (int t = 0; t < kTaps; ++t, a += kStepStride) {
        RowTileStep<R, NV, kRowStride>(d, plane + offset[t], a, acc);
      }
      a += kChannelSkip;
    }
  } else {
    for (int c = 0; c < channels; ++c) {
      const float* HWY_RESTRICT plane = src + c * channel_stride;
      for (int t = 0; t < taps; ++t, a += kStepStride) {
        RowTileStep<R, NV, kRowStride>(d, plane + tap_offset[t],
                                       kWeightTaps ? a + weight_tap[t] : a, acc);
      }
      a += kChannelSkip;
    }
  }
  if constexpr (kRelu) {
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
#pragma GCC unroll 16
      for (int v = 0; v < NV; ++v) acc.Set(r, v, Relu(d, acc.Get(r, v)));
    }
  }
  StoreTile(d, acc, rows, out, out_stride, cols);
}

// RowTile<R, vectors, ...> for 1 <= vectors <= NV.
template <int R, int NV, int kTaps, int kRowStride, int kStepStride, bool kRelu,
          int kChannelSkip, bool kWeightTaps, bool kAccumulate, class D>
HWY_INLINE void RowTileOfWidth(D d, int vectors, const float* HWY_RESTRICT src, int channels,
                               int channel_stride, const int* HWY_RESTRICT tap_offset,
                               int taps, const float* HWY_RESTRICT init,
                               const float* HWY_RESTRICT weights,
                               const int* HWY_RESTRICT weight_tap, float* HWY_RESTRICT out,
                               int out_stride, int rows, int cols) {
  if constexpr (NV > 1) {
    if (vectors < NV) {
      RowTileOfWidth<R, NV - 1, kTaps, kRowStride, kStepStride, kRelu, kChannelSkip,
                     kWeightTaps, kAccumulate>(d, vectors, src, channels, channel_stride,
                                               tap_offset, taps, init, weights, weight_tap,
                                               out, out_stride, rows, cols);
      return;
    }
  }
  RowTile<R, NV, kTaps, kRowStride, kStepStride, kRelu, kChannelSkip, kWeightTaps,
          kAccumulate>(d, src, channels, channel_stride, tap_offset, taps, init, weights,
                       weight_tap, out, out_stride, rows, cols);
}

// Outputs per block when the tiles write straight into the output (no
// discarded columns: 1x1, kernel.w = 1, a valid convolution's dx): every tile
// of rows runs over a block while its inputs are in L1/L2, the panel repacked
// per block. A tile running over the whole plane before the next one re-read
// every input from L2 per tile: 1x1 64->64 at 56x56 on AVX2 ran at 70% of peak
// forward and backward, 80% with blocks of 192 (96: 78%, 384: 79%).
inline constexpr int kDirectBlockOutputs = 192;

// Accumulators of an R-row tile.
template <class D>
constexpr int RowTileAccumulators(D d, int rows) { return rows * RowTileVectors(d, rows); }

// Outputs [0, count) of rows [0, rows) of an MR-row tile of weights laid out
// as RowTile says. When half the rows make a tile of more accumulators, the
// rows run as two passes of them, reusing the loaded inputs from L1: with 16
// vector registers 8 rows run as two 4 x 3 tiles (12 accumulators) rather
// than one 8 x 1 (8); 6 rows stay 6 x 2 (12, where 3 x 3 has 9). kTaps > 0:
// every call has that many taps (`taps` is kTaps); 0: `taps` varies (backward
// input by phases). Only targets of 16 vector registers take the constant
// count (AVX2: +9% on 3x3 64->64; AVX-512's 8 x 3 tile lost 3% with it), and
// only up to kMaxFixedTaps taps, to keep the copy of the offsets on the stack
// small; one tap (the plain GEMMs: Winograd, valid backward input) is constant
// on every target, so the channel loop has no inner loop of one step.
inline constexpr int kMaxFixedTaps = 64;
template <int MR, int kTaps, int kRowStride, int kStepStride, bool kRelu = false,
          int kChannelSkip = 0, bool kWeightTaps = false, bool kAccumulate = false>
HWY_NOINLINE void RowTileRows(const float* HWY_RESTRICT src, int channels, int channel_stride,
                              const int* HWY_RESTRICT tap_offset, int taps,
                              const float* HWY_RESTRICT init, const float* HWY_RESTRICT weights,
                              int count, float* HWY_RESTRICT out, int out_stride, int rows,
                              const int* HWY_RESTRICT weight_tap = nullptr) {
  const KernelTag d;
  constexpr int kPasses =
      MR % 2 == 0 && RowTileAccumulators(d, MR / 2) > RowTileAccumulators(d, MR) ? 2 : 1;
  constexpr int R = MR / kPasses;
  constexpr int NV = RowTileVectors(d, R);
  constexpr int kCols = NV * static_cast<int>(hn::MaxLanes(d));
  static_assert(kCols <= cd::kMaxTileCols, "scratch is sized for kMaxTileCols");
  constexpr int N = static_cast<int>(hn::MaxLanes(d));
  // A table of weight taps (strided backward input) takes the loop of a
  // varying count.
  constexpr int kFixedTaps =
      !kWeightTaps && (kTaps == 1 || (kVectorRegisters == 16 && kTaps <= kMaxFixedTaps)) ? kTaps
                                                                                       : 0;
  int vectors = 0;  // of the current chunk of columns
  for (int q = 0; q < count; q += vectors * N) {
    // The vectors left are split into the fewest chunks of at most NV, of
    // near-equal widths (64 columns on AVX-512: 2 + 2 vectors, not 3 + 1,
    // whose 8 x 1 tile loads a vector and 8 weights per 8 FMAs).
    const int left = (count - q + N - 1) / N;
    const int chunks = (left + NV - 1) / NV;
    vectors = (left + chunks - 1) / chunks;
    for (int pass = 0; pass < kPasses && pass * R < rows; ++pass) {
      RowTileOfWidth<R, NV, kFixedTaps, kRowStride, kStepStride, kRelu, kChannelSkip,
                     kWeightTaps, kAccumulate>(
          d, vectors, src + q, channels, channel_stride, tap_offset, taps,
          init != nullptr ? init + pass * R : nullptr, weights + pass * R * kRowStride,
          weight_tap, out + pass * R * out_stride + q, out_stride, rows - pass * R, count - q);
    }
  }
}

// Over a packed panel [MR initial values][steps][MR weights].
template <int MR, int kTaps>
HWY_INLINE void RowTileOverOutputs(const float* HWY_RESTRICT src, int channels,
                                   int channel_stride, const int* HWY_RESTRICT tap_offset,
                                   int taps, const float* HWY_RESTRICT panel, int count,
                                   float* HWY_RESTRICT out, int out_stride, int rows) {
  RowTileRows<MR, kTaps, 1, MR>(src, channels, channel_stride, tap_offset, taps, panel,
                                panel + MR, count, out, out_stride, rows);
}

// Backward input at stride 1 over MR rows of w^T read in place: row r is
// input channel r of w [channels][kCin][kTaps] (w at the tile's first input
// channel), step (co, t) weight w[co][r][t]. Every row must be inside w (a
// full tile): the rows past a short tile's end would read past it. Packing
// the panel ([co][tap][MR], PackTransposedPanel) was a tenth of ResNet-8's
// 64->64 3x3 dx at 8x8, and it was packed again for every sample.
template <int MR, int kTaps, int kCin>
HWY_INLINE void RowTileOverOutputsTransposed(const float* HWY_RESTRICT src, int channels,
                                             int channel_stride,
                                             const int* HWY_RESTRICT tap_offset,
                                             const float* HWY_RESTRICT w, int count,
                                             float* HWY_RESTRICT out, int out_stride) {
  RowTileRows<MR, kTaps, kTaps, 1, false, (kCin - 1) * kTaps>(
      src, channels, channel_stride, tap_offset, kTaps, nullptr, w, count, out, out_stride, MR);
}

// The same for a stride phase that `taps` taps of the kernel reach: step t of
// an output channel is w's tap weight_tap[t] (a tile's panels of every phase
// were a sixth of ResNet-8's 32x16x16 3x3 stride-2 dx).
template <int MR, int kTaps, int kCin>
HWY_INLINE void RowTileOverPhaseTransposed(const float* HWY_RESTRICT src, int channels,
                                           int channel_stride,
                                           const int* HWY_RESTRICT tap_offset, int taps,
                                           const int* HWY_RESTRICT weight_tap,
                                           const float* HWY_RESTRICT w, int count,
                                           float* HWY_RESTRICT out, int out_stride) {
  RowTileRows<MR, 0, kTaps, 0, false, kCin * kTaps, true>(src, channels, channel_stride,
                                                         tap_offset, taps, nullptr, w, count,
                                                         out, out_stride, MR, weight_tap);
}

// Over MR whole rows of a weight matrix [rows][kK] read in place, each row
// starting at its bias (or zero: `bias` null); kRelu: a fused ReLU.
template <int MR, int kTaps, int kK, bool kRelu = false>
HWY_INLINE void RowTileOverOutputsInPlace(const float* HWY_RESTRICT src, int channels,
                                          int channel_stride,
                                          const int* HWY_RESTRICT tap_offset,
                                          const float* HWY_RESTRICT w,
                                          const float* HWY_RESTRICT bias, int count,
                                          float* HWY_RESTRICT out, int out_stride) {
  RowTileRows<MR, kTaps, kK, 1, kRelu>(src, channels, channel_stride, tap_offset, kTaps, bias, w,
                                count, out, out_stride, MR);
}

}  // namespace conv2d_impl
}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#endif  // STATICNN_KERNELS_CONV2D_ROW_TILE_INL_H_
