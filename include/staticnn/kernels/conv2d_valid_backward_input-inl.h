// Conv2d backward input of a valid convolution (stride 1, dilation 1, no
// padding). The correlation of the zero-padded dy with the transposed kernel
// (conv2d-inl.h's general path) would spend most of its MACs on the zero
// border of dy. Instead, per input channel ci, a GEMM
//   T[tap][q] = sum_co w[co][ci][tap] * dy[co][q]
// over the output positions q, dense (the row tile with a single tap), then
// the shifted sums dx[ci][iy][ix] = sum over taps (kh, kw) of
// T[tap][iy - kh][ix - kw] in two passes of whole vectors: the taps of a
// kernel column first (a shift by whole rows of dy is a flat shift of T),
// then the columns, each masked to the ix - kw that dy has (ValidInputPlan in
// conv2d_scratch.hpp lays T and S out). Summing each (row of dx, kernel
// column) from the taps directly, kernel.h * kernel.w loads per vector of dx,
// spent a quarter of LeNet-5's conv2 backward input there. T on the input's
// width instead (so that every shifted row was a plain read) spent 4 of 14
// columns of LeNet-5's conv2 on the GEMM for zeros. The GEMM reads its
// weights in place when the blocks of taps divide the kernel
// (ValidPanelsInPlace), else from panels packed once per batch.

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

// S[kw][iy * out.w + j] = sum_kh T[(kh, kw)][(iy - kh) * out.w + j] for
// every kernel column kw (T: its first row of values at t, rows t_stride
// apart; S: at s, rows s_stride apart).
template <Conv2dGeometry G, class D>
HWY_INLINE void ValidSumKernelRows(D d, const float* HWY_RESTRICT t, int t_stride,
                                   float* HWY_RESTRICT s, int s_stride) {
  constexpr int KH = G.y.kernel, KW = G.x.kernel, OW = G.out.w;
  constexpr int N = static_cast<int>(hn::MaxLanes(d));
  constexpr int kValues = G.in.h * OW;
  for (int kw = 0; kw < KW; ++kw) {
    const float* HWY_RESTRICT column = t + kw * t_stride;
    for (int p = 0; p < kValues; p += N) {
      hn::Vec<D> sum = hn::LoadU(d, column + p);
#pragma GCC unroll 16
      for (int kh = 1; kh < KH; ++kh) {
        sum = hn::Add(sum, hn::LoadU(d, column + kh * KW * t_stride + p - kh * OW));
      }
      hn::Store(sum, d, s + kw * s_stride + p);
    }
  }
}

// dx[iy][ix] = sum_kw S[kw][iy * out.w + ix - kw] over the kw with
// 0 <= ix - kw < out.w, for one input channel (S as above).
template <Conv2dGeometry G, class D>
HWY_INLINE void ValidSumKernelColumns(D d, const float* HWY_RESTRICT s, int s_stride,
                                      float* HWY_RESTRICT dx) {
  constexpr int KW = G.x.kernel, OW = G.out.w, IW = G.in.w;
  constexpr int N = static_cast<int>(hn::MaxLanes(d));
  static_assert(KW - 1 <= cd::kMaxLanes, "S has kMaxLanes zeros before its values");
  for (int x0 = 0; x0 < IW; x0 += N) {
    // A row narrower than a vector is one partial vector; a wider one's last
    // vector overlaps the previous one (stores of the same values).
    const int left = IW >= N ? std::min(x0, IW - N) : 0;
    const hn::Vec<D> ix = hn::Iota(d, static_cast<float>(left));
    for (int iy = 0; iy < G.in.h; ++iy) {
      const float* HWY_RESTRICT row = s + iy * OW + left;
      hn::Vec<D> sum = hn::Zero(d);
#pragma GCC unroll 16
      for (int kw = 0; kw < KW; ++kw) {
        const auto in_dy = hn::And(hn::Ge(ix, hn::Set(d, static_cast<float>(kw))),
                                   hn::Lt(ix, hn::Set(d, static_cast<float>(kw + OW))));
        sum = hn::Add(sum, hn::IfThenElseZero(in_dy, hn::LoadU(d, row + kw * s_stride - kw)));
      }
      float* HWY_RESTRICT out = dx + iy * IW + left;
      if constexpr (IW >= N) {
        hn::StoreU(sum, d, out);
      } else {
        StoreFirstN(d, sum, out, IW);
      }
    }
  }
}

// The tiles' rows are a block of MR taps of one input channel, w[co][ci][t0 +
// r]: consecutive floats of w, a step of kCin * kTaps per output channel, so
// whole blocks read w in place (packing them was 8% of LeNet-5's conv2
// backward input at batch 1). A last short block would read past them.
template <Conv2dGeometry G>
constexpr bool ValidPanelsInPlace() {
  return G.y.kernel * G.x.kernel % cd::valid_input_plan(G).mr == 0;
}

// The GEMM's panels of one group (unless ValidPanelsInPlace), for every
// input channel and block of MR taps (packed once for a whole batch: they are
// the same for every sample), from w [cout][cin][taps]: panel (ci, block) at
// panels + (ci * blocks + block) * panel_floats is [MR zeros][co][MR weights
// w[co][ci][t0 + r]].
template <Conv2dGeometry G>
HWY_NOINLINE void PackValidPanels(const float* HWY_RESTRICT w, float* HWY_RESTRICT panels) {
  constexpr cd::ValidInputPlan p = cd::valid_input_plan(G);
  constexpr int kCin = G.in_per_group(), kCout = G.out_per_group();
  constexpr int kTaps = G.y.kernel * G.x.kernel, MR = p.mr;
  for (int ci = 0; ci < kCin; ++ci) {
    for (int t0 = 0; t0 < kTaps; t0 += MR, panels += p.panel_floats) {
      const int valid = std::min(MR, kTaps - t0);
      ZeroFloats(panels, MR);
      for (int co = 0; co < kCout; ++co) {
        const float* HWY_RESTRICT from = w + (co * kCin + ci) * kTaps + t0;
        float* HWY_RESTRICT a = panels + MR + co * MR;
        // Whole blocks as a copy of a constant count (vector moves): a select
        // per float cost 11% of LeNet-5's conv2 backward input at batch 1.
        if (valid == MR) {
          for (int r = 0; r < MR; ++r) a[r] = from[r];
        } else {
          for (int r = 0; r < MR; ++r) a[r] = r < valid ? from[r] : 0.0f;
        }
      }
    }
  }
}

// Backward input of a valid convolution, one group of one sample (see
// ValidInputPlan): dx [cin][in.h][in.w] from dy [cout][out.h][out.w] and the
// group's weights w [cout][cin][taps] or, unless ValidPanelsInPlace, its
// panels (PackValidPanels, at scratch + plan.panel).
template <Conv2dGeometry G>
HWY_NOINLINE void ValidBackwardInput(const float* HWY_RESTRICT dy, const float* HWY_RESTRICT w,
                                     float* HWY_RESTRICT dx, float* HWY_RESTRICT scratch) {
  constexpr cd::ValidInputPlan p = cd::valid_input_plan(G);
  constexpr int kCin = G.in_per_group(), kCout = G.out_per_group();
  constexpr int kTaps = G.y.kernel * G.x.kernel, MR = p.mr;
  constexpr int kPlane = G.in.h * G.in.w;
  const KernelTag d;
  float* HWY_RESTRICT dyw = scratch + p.dyw;
  const float* HWY_RESTRICT panel = scratch + p.panel;
  float* HWY_RESTRICT t = scratch + p.t;

  // dy with each channel padded with zeros to qd_r.
  for (int co = 0; co < kCout; ++co) {
    CopyFloats(dy + co * p.qd, dyw + co * p.qd_r, p.qd);
    ZeroFloats(dyw + co * p.qd_r + p.qd, p.qd_r - p.qd);
  }
  // The zeros around the rows of T: before the first, and after each row up
  // to the start of the next one's values; around the values of S.
  ZeroFloats(t, p.lead);
  for (int r = 0; r < kTaps; ++r) {
    ZeroFloats(t + r * p.t_stride + p.lead + p.qd_r, p.t_stride - p.qd_r);
  }
  float* HWY_RESTRICT s = scratch + p.s;
  for (int kw = 0; kw < G.x.kernel; ++kw) {
    ZeroFloats(s + kw * p.s_stride, cd::kMaxLanes);
    ZeroFloats(s + kw * p.s_stride + cd::kMaxLanes + p.s_values,
               p.s_stride - cd::kMaxLanes - p.s_values);
  }
  static constexpr int kSingleTap[1] = {0};
  for (int ci = 0; ci < kCin; ++ci) {
    for (int t0 = 0; t0 < kTaps; t0 += MR, panel += p.panel_floats) {
      float* HWY_RESTRICT out = t + t0 * p.t_stride + p.lead;
      if constexpr (ValidPanelsInPlace<G>()) {
        RowTileRows<MR, 1, 1, kCin * kTaps>(dyw, kCout, p.qd_r, kSingleTap, 1, nullptr,
                                            w + ci * kTaps + t0, p.qd_r, out, p.t_stride, MR);
      } else {
        const int valid = std::min(MR, kTaps - t0);
        RowTileOverOutputs<MR, 1>(dyw, kCout, p.qd_r, kSingleTap, 1, panel, p.qd_r, out,
                                  p.t_stride, valid);
      }
    }
    ValidSumKernelRows<G>(d, t + p.lead, p.t_stride, s + cd::kMaxLanes, p.s_stride);
    ValidSumKernelColumns<G>(d, s + cd::kMaxLanes, p.s_stride, dx + ci * kPlane);
  }
}

}  // namespace conv2d_impl
}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#endif  // STATICNN_KERNELS_CONV2D_VALID_BACKWARD_INPUT_INL_H_
