// Conv2d backward params with fewer than a vector of output channels per
// group (a few filters; depthwise layers too narrow for their own tile): every
// (co, k) pair is a dot product of dy[co] with the shifted row of the phase
// planes that k = (input channel, tap) reads, over the padded width (dy is
// copied there with zeros in the discarded columns). The tile is MR rows of dy
// x NK rows of x.
//
// The batch is folded in: every pair keeps one vector of partial sums in
// scratch over all samples, reduced across lanes once at the end, so a batch
// of 64 pays one horizontal sum per pair, not 64.

#if defined(STATICNN_KERNELS_CONV2D_WEIGHT_GRAD_DOT_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef STATICNN_KERNELS_CONV2D_WEIGHT_GRAD_DOT_INL_H_
#undef STATICNN_KERNELS_CONV2D_WEIGHT_GRAD_DOT_INL_H_
#else
#define STATICNN_KERNELS_CONV2D_WEIGHT_GRAD_DOT_INL_H_
#endif

#include <algorithm>

#include "hwy/highway.h"
#include "staticnn/kernels/conv2d_copy-inl.h"
#include "staticnn/kernels/conv2d_scratch.hpp"
#include "staticnn/kernels/memory-inl.h"
#include "staticnn/kernels/vectors-inl.h"

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;
namespace conv2d_impl {
namespace cd = ::staticnn::conv2d_detail;

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

// partial[r * ld + j * kMaxLanes] += row r of dy times row j of x, lane by
// lane, for the first `rows` x `cols` pairs of the tile.
template <int MR, int NK, class D>
HWY_INLINE void DotTile(D d, const float* const* HWY_RESTRICT dy_rows,
                        const float* const* HWY_RESTRICT x_rows, int vectors, int rows,
                        int cols, float* HWY_RESTRICT partial, int ld) {
  using V = hn::Vec<D>;
  constexpr int N = static_cast<int>(hn::MaxLanes(d));
  static_assert(N <= cd::kMaxLanes, "a partial sum holds kMaxLanes floats");
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
    for (int r = 0; r < MR; ++r) a.Set(r, hn::Load(d, a_row[r] + i));
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
    for (int k = 0; k < NK; ++k) {
      if (r < rows && k < cols) {
        float* HWY_RESTRICT p = partial + r * ld + k * cd::kMaxLanes;
        hn::Store(hn::Add(hn::Load(d, p), acc.Get(r, k)), d, p);
      }
    }
  }
}

struct DotGradSpec {
  int out_channels, k, taps, plane, cols, qeff, out_h, out_w;
  int dy_row;               // qeff rounded up to whole vectors of any target
  int samples;              // of the batch
  int x_sample, dy_sample;  // floats from one sample of x / dy to the next
};

// One sample: its dy on the padded width into dyflat, then every tile over
// the phase planes xs, into the partial sums (ld floats per output channel).
template <int R, int NK, class D>
HWY_INLINE void DotSample(D d, const float* HWY_RESTRICT xs, const int* HWY_RESTRICT tap_offset,
                          const float* HWY_RESTRICT dy, const DotGradSpec& s,
                          float* HWY_RESTRICT dyflat, float* HWY_RESTRICT partial, int ld) {
  constexpr int N = static_cast<int>(hn::MaxLanes(d));
  for (int co = 0; co < s.out_channels; ++co) {
    float* HWY_RESTRICT row = dyflat + co * s.dy_row;
    for (int oh = 0; oh < s.out_h; ++oh) {
      CopyFloats(dy + (co * s.out_h + oh) * s.out_w, row + oh * s.cols, s.out_w);
      const int end = std::min((oh + 1) * s.cols, s.dy_row);
      ZeroFloats(row + oh * s.cols + s.out_w, end - oh * s.cols - s.out_w);
    }
    ZeroFloats(row + s.qeff, s.dy_row - s.qeff);
  }
  const float* dy_rows[R];
  const float* x_rows[NK];
  for (int co0 = 0; co0 < s.out_channels; co0 += R) {
    for (int r = 0; r < R; ++r) {
      dy_rows[r] = dyflat + std::min(co0 + r, s.out_channels - 1) * s.dy_row;
    }
    for (int k0 = 0; k0 < s.k; k0 += NK) {
      for (int j = 0; j < NK; ++j) {
        const int k = std::min(k0 + j, s.k - 1);  // pairs past k are computed, unused
        x_rows[j] = xs + (k / s.taps) * s.plane + tap_offset[k % s.taps];
      }
      DotTile<R, NK>(d, dy_rows, x_rows, s.dy_row / N, s.out_channels - co0, s.k - k0,
                     partial + co0 * ld + k0 * cd::kMaxLanes, ld);
    }
  }
}

// x and dy: the group's channels of the first sample; xs: the phase planes
// (`pad` says how x is copied there); partial: out_channels * k vectors of
// kMaxLanes floats.
template <int MR>
HWY_NOINLINE void WeightGradDot(const float* HWY_RESTRICT x, const PadSpec& pad,
                                float* HWY_RESTRICT xs, const int* HWY_RESTRICT tap_offset,
                                const float* HWY_RESTRICT dy, const DotGradSpec& s,
                                float* HWY_RESTRICT dyflat, float* HWY_RESTRICT partial,
                                float* HWY_RESTRICT dw) {
  const KernelTag d;
  constexpr int R = DotTileRows(MR), NK = DotTileColumns(R);
  const int ld = s.k * cd::kMaxLanes;
  ZeroFloats(partial, s.out_channels * ld);
  for (int b = 0; b < s.samples; ++b, x += s.x_sample, dy += s.dy_sample) {
    PadPhases(x, pad, xs);
    DotSample<R, NK>(d, xs, tap_offset, dy, s, dyflat, partial, ld);
  }
  for (int i = 0; i < s.out_channels * s.k; ++i) {
    dw[i] += hn::GetLane(hn::SumOfLanes(d, hn::Load(d, partial + i * cd::kMaxLanes)));
  }
}

}  // namespace conv2d_impl
}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#endif  // STATICNN_KERNELS_CONV2D_WEIGHT_GRAD_DOT_INL_H_
