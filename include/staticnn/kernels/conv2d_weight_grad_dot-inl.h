// Conv2d backward params with fewer than a vector of output channels per
// group (a few filters; depthwise layers too narrow for their own tile): every
// (co, k) pair is a dot product of dy[co] with the shifted row of x that
// k = (input channel, tap) reads, reduced once at the end. The tile is MR rows
// of dy x NK rows of x. x is laid out as forward lays it out: unfolded into
// one copy per kernel column where that pays (then the rows have dy's width
// and dy is read in place: LeNet-5's conv1 spent 4 of 32 columns on the
// padded width and copied dy there), else the phase planes, over whose padded
// width dy is copied with zeros in the discarded columns.

#if defined(STATICNN_KERNELS_CONV2D_WEIGHT_GRAD_DOT_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef STATICNN_KERNELS_CONV2D_WEIGHT_GRAD_DOT_INL_H_
#undef STATICNN_KERNELS_CONV2D_WEIGHT_GRAD_DOT_INL_H_
#else
#define STATICNN_KERNELS_CONV2D_WEIGHT_GRAD_DOT_INL_H_
#endif

#include <algorithm>

#include "hwy/highway.h"
#include "staticnn/kernels/memory-inl.h"
#include "staticnn/kernels/vectors-inl.h"

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;
namespace conv2d_impl {
// Rows of x for MR rows of dy: the tile (MR x NK accumulators), the MR loaded
// dy vectors and one x vector fill the target's registers.
constexpr int DotTileColumns(int mr) {
  return std::clamp((kVectorRegisters - 1 - mr) / mr, 1, 16);
}

// Rows of dy per tile for a panel of MR output channels: half of them when
// that makes more accumulators (16 registers: 6 rows as two 3 x 4 tiles, not
// one 6 x 1; LeNet-5's first layer ran at 48% of peak on AVX2 with 6 x 1).
constexpr int DotTileRows(int mr) {
  return mr % 2 == 0 && mr / 2 * DotTileColumns(mr / 2) > mr * DotTileColumns(mr) ? mr / 2
                                                                                   : mr;
}

template <int MR, int NK, class D>
HWY_INLINE void DotTile(D d, const float* const* HWY_RESTRICT dy_rows,
                        const float* const* HWY_RESTRICT x_rows, int vectors,
                        float* HWY_RESTRICT sums) {
  using V = hn::Vec<D>;
  constexpr int N = static_cast<int>(hn::MaxLanes(d));
  const float* HWY_RESTRICT a_row[MR];
  const float* HWY_RESTRICT b_row[NK];
  VecTile<D, MR, NK> acc;
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r) {
    a_row[r] = dy_rows[r];
#pragma GCC unroll 16
    for (int k = 0; k < NK; ++k) acc.Set(r, k, hn::Zero(d));
  }
#pragma GCC unroll 16
  for (int k = 0; k < NK; ++k) b_row[k] = x_rows[k];
  for (int i = 0; i < vectors * N; i += N) {
    VecTile<D, MR> a;
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) a.Set(r, hn::LoadU(d, a_row[r] + i));  // dy in place
#pragma GCC unroll 16
    for (int k = 0; k < NK; ++k) {
      const V b = InRegister(hn::LoadU(d, b_row[k] + i));
#pragma GCC unroll 16
      for (int r = 0; r < MR; ++r) acc.Set(r, k, hn::MulAdd(a.Get(r), b, acc.Get(r, k)));
    }
  }
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r) {
#pragma GCC unroll 16
    for (int k = 0; k < NK; ++k) sums[r * NK + k] = hn::GetLane(hn::SumOfLanes(d, acc.Get(r, k)));
  }
}

struct DotGradSpec {
  int out_channels, taps, plane, cols, qeff, out_h, out_w;
  int dy_row;               // qeff rounded up to whole vectors of any target
                            // (the rows' stride, when dy is read in place)
  int samples;              // of the batch
  int x_sample, dy_sample;  // floats from one sample of x / dy to the next
};

// dw[r][k0 + j] += the dot products of dy_rows[r] and the rows of x for
// columns k0 + j, j < W, r < rows.
template <int R, int W, int K>
HWY_INLINE void DotTileAt(int k0, const float* const* HWY_RESTRICT dy_rows,
                          const float* HWY_RESTRICT xs, const int* HWY_RESTRICT tap_offset,
                          const DotGradSpec& s, int rows, float* HWY_RESTRICT dw) {
  const KernelTag d;
  constexpr int N = static_cast<int>(hn::MaxLanes(d));
  const float* x_rows[W];
#pragma GCC unroll 16
  for (int j = 0; j < W; ++j) {
    x_rows[j] = xs + (k0 + j) / s.taps * s.plane + tap_offset[(k0 + j) % s.taps];
  }
  float sums[R * W];
  DotTile<R, W>(d, dy_rows, x_rows, s.dy_row / N, sums);
  for (int r = 0; r < rows; ++r) {
#pragma GCC unroll 16
    for (int j = 0; j < W; ++j) dw[r * K + k0 + j] += sums[r * W + j];
  }
}

// The columns of dw[co][0, K) from R rows of dy: tiles of NK rows of x, the
// last one only as wide as the columns left. LeNet-5's conv1 (25 taps) ran
// 9 + 9 + 9 columns on AVX-512 and 7 x 4 on AVX2; 9 + 9 + 7 and 6 x 4 + 1
// made its weight gradient 5% faster on both (Zen 4, batch 1 and 16).
template <int R, int NK, int K>
HWY_INLINE void DotTilesAlongK(const float* const* HWY_RESTRICT dy_rows,
                               const float* HWY_RESTRICT xs, const int* HWY_RESTRICT tap_offset,
                               const DotGradSpec& s, int rows, float* HWY_RESTRICT dw) {
  int k0 = 0;
  // One copy of the tile's code, however many tiles.
#pragma GCC unroll 1
  for (; k0 + NK <= K; k0 += NK) DotTileAt<R, NK, K>(k0, dy_rows, xs, tap_offset, s, rows, dw);
  if constexpr (K % NK != 0) {
    DotTileAt<R, K % NK, K>(k0, dy_rows, xs, tap_offset, s, rows, dw);
  }
}

// One sample (x and dy: the group's channels; xs: x in forward's layout);
// K = in channels x taps, dw's row length.
template <int MR, int K>
HWY_NOINLINE void WeightGradDotSample(const float* HWY_RESTRICT xs,
                                      const int* HWY_RESTRICT tap_offset,
                                      const float* HWY_RESTRICT dy, const DotGradSpec& s,
                                      float* HWY_RESTRICT dyflat, float* HWY_RESTRICT dw) {
  constexpr int R = DotTileRows(MR), NK = DotTileColumns(R);
  // In place when rows of dy_row floats are dy's channels (no discarded
  // column, no tail to zero).
  const bool in_place = s.cols == s.out_w && s.dy_row == s.qeff;
  if (!in_place) {
    for (int co = 0; co < s.out_channels; ++co) {
      float* HWY_RESTRICT row = dyflat + co * s.dy_row;
      for (int oh = 0; oh < s.out_h; ++oh) {
        CopyFloats(dy + (co * s.out_h + oh) * s.out_w, row + oh * s.cols, s.out_w);
        const int end = std::min((oh + 1) * s.cols, s.dy_row);
        ZeroFloats(row + oh * s.cols + s.out_w, end - oh * s.cols - s.out_w);
      }
      ZeroFloats(row + s.qeff, s.dy_row - s.qeff);
    }
  }
  const float* HWY_RESTRICT dy_flat = in_place ? dy : dyflat;
  const float* dy_rows[R];
  for (int co0 = 0; co0 < s.out_channels; co0 += R) {
    for (int r = 0; r < R; ++r) {
      dy_rows[r] = dy_flat + std::min(co0 + r, s.out_channels - 1) * s.dy_row;
    }
    DotTilesAlongK<R, NK, K>(dy_rows, xs, tap_offset, s, std::min(R, s.out_channels - co0),
                             dw + co0 * K);
  }
}

// Every sample of the batch in turn, copied into xs by copy_input(x, xs); x
// and dy: the group's channels of the first sample. Keeping the sums of the
// pairs as vectors over the batch (one horizontal sum per pair per batch)
// gained 1-3% on AVX3 and lost up to 3% on AVX2: not done.
template <int MR, int K, class CopyInput>
HWY_INLINE void WeightGradDot(const CopyInput& copy_input, const float* HWY_RESTRICT x,
                              float* HWY_RESTRICT xs, const int* HWY_RESTRICT tap_offset,
                              const float* HWY_RESTRICT dy, const DotGradSpec& s,
                              float* HWY_RESTRICT dyflat, float* HWY_RESTRICT dw) {
  for (int b = 0; b < s.samples; ++b, x += s.x_sample, dy += s.dy_sample) {
    copy_input(x, xs);
    WeightGradDotSample<MR, K>(xs, tap_offset, dy, s, dyflat, dw);
  }
}

}  // namespace conv2d_impl
}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#endif  // STATICNN_KERNELS_CONV2D_WEIGHT_GRAD_DOT_INL_H_
