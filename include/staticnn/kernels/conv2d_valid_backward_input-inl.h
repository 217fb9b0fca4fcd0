// Conv2d backward input of a valid convolution (stride 1, dilation 1, no
// padding). The correlation of the zero-padded dy with the transposed kernel
// (conv2d-inl.h's general path) would spend most of its MACs on the zero
// border of dy. Instead, per input channel ci, a GEMM
//   T[tap][q] = sum_co w[co][ci][tap] * dy[co][q]
// over the output positions q laid out on the input's width (the row tile with
// a single tap), then dx[ci][p] = sum over taps of T[tap][p - offset(tap)],
// reading zeros outside the computed part of each T row (ValidInputPlan in
// conv2d_scratch.hpp lays T out).

#if defined(STATICNN_KERNELS_CONV2D_VALID_BACKWARD_INPUT_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef STATICNN_KERNELS_CONV2D_VALID_BACKWARD_INPUT_INL_H_
#undef STATICNN_KERNELS_CONV2D_VALID_BACKWARD_INPUT_INL_H_
#else
#define STATICNN_KERNELS_CONV2D_VALID_BACKWARD_INPUT_INL_H_
#endif

#include <algorithm>

#include "hwy/highway.h"
#include "staticnn/geometry.hpp"
#include "staticnn/kernels/conv2d_row_tile-inl.h"
#include "staticnn/kernels/conv2d_scratch.hpp"
#include "staticnn/kernels/memory-inl.h"
#include "staticnn/kernels/vectors-inl.h"

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;
namespace conv2d_impl {
namespace cd = ::staticnn::conv2d_detail;

// Backward input of a valid convolution, one group (see ValidInputPlan):
// dx [cin][in.h][in.w] from dy [cout][out.h][out.w] and w [cout][cin][taps].
template <Conv2dGeometry G>
HWY_NOINLINE void ValidBackwardInput(const float* HWY_RESTRICT dy,
                                     const float* HWY_RESTRICT w, float* HWY_RESTRICT dx,
                                     float* HWY_RESTRICT scratch) {
  constexpr cd::ValidInputPlan p = cd::valid_input_plan(G);
  constexpr int kCin = G.in_per_group(), kCout = G.out_per_group();
  constexpr int KW = G.x.kernel, kTaps = G.y.kernel * KW, MR = p.mr;
  constexpr int W = G.in.w, kPlane = G.in.h * W, OW = G.out.w;
  const KernelTag d;
  const int N = static_cast<int>(hn::Lanes(d));
  float* HWY_RESTRICT dyw = scratch + p.dyw;
  float* HWY_RESTRICT panel = scratch + p.panel;
  float* HWY_RESTRICT t = scratch + p.t;

  // dy on the input's width, zeros in the columns past out.w and up to qd_r.
  for (int co = 0; co < kCout; ++co) {
    float* HWY_RESTRICT row = dyw + co * p.qd_r;
    for (int oy = 0; oy < G.out.h; ++oy) {
      CopyFloats(dy + (co * G.out.h + oy) * OW, row + oy * W, OW);
      if (oy + 1 < G.out.h) ZeroFloats(row + oy * W + OW, W - OW);
    }
    ZeroFloats(row + p.qd, p.qd_r - p.qd);
  }
  // The zeros around the rows of T: before the first, and after each row up
  // to the start of the next one's values.
  ZeroFloats(t, p.front);
  for (int r = 0; r < kTaps; ++r) {
    ZeroFloats(t + r * p.t_stride + p.front + p.qd_r, p.t_stride - p.qd_r);
  }
  static constexpr int kSingleTap[1] = {0};
  for (int ci = 0; ci < kCin; ++ci) {
    for (int t0 = 0; t0 < kTaps; t0 += MR) {
      const int valid = std::min(MR, kTaps - t0);
      // panel: [MR zeros][co][MR weights w[co][ci][t0 + r]].
      ZeroFloats(panel, MR);
      for (int co = 0; co < kCout; ++co) {
        const float* HWY_RESTRICT from = w + (co * kCin + ci) * kTaps + t0;
        float* HWY_RESTRICT a = panel + MR + co * MR;
        for (int r = 0; r < MR; ++r) a[r] = r < valid ? from[r] : 0.0f;
      }
      RowTileOverOutputs<MR, 1>(dyw, kCout, p.qd_r, kSingleTap, 1, panel, p.qd_r,
                                t + t0 * p.t_stride + p.front, p.t_stride, valid);
    }
    // dx[p] = sum over taps of T[tap][p - offset(tap)]; the last vectors of the
    // plane overlap the previous ones (stores, not sums: the same values).
    constexpr int kVectors = 4;
    float* HWY_RESTRICT out = dx + ci * kPlane;
    for (int q = 0; q < kPlane; q += kVectors * N) {
      int pos[kVectors];
      VecTile<KernelTag, kVectors> acc;
#pragma GCC unroll 4
      for (int j = 0; j < kVectors; ++j) {
        pos[j] = std::min(q + j * N, kPlane - N);
        acc.Set(j, hn::Zero(d));
      }
      for (int tap = 0; tap < kTaps; ++tap) {
        const float* HWY_RESTRICT row =
            t + tap * p.t_stride + p.front - (tap / KW * W + tap % KW);
#pragma GCC unroll 4
        for (int j = 0; j < kVectors; ++j) {
          acc.Set(j, hn::Add(acc.Get(j), hn::LoadU(d, row + pos[j])));
        }
      }
#pragma GCC unroll 4
      for (int j = 0; j < kVectors; ++j) hn::StoreU(acc.Get(j), d, out + pos[j]);
    }
  }
}

}  // namespace conv2d_impl
}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#endif  // STATICNN_KERNELS_CONV2D_VALID_BACKWARD_INPUT_INL_H_
