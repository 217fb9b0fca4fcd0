// Conv2d backward input of a valid convolution (stride 1, dilation 1, no
// padding). The correlation of the zero-padded dy with the transposed kernel
// (conv2d-inl.h's general path) would spend most of its MACs on the zero
// border of dy. Instead, per input channel ci, a GEMM over the output
// positions q, dense (the row tile with a single tap), whose register tile of
// one kernel row kh and a few kernel columns kw starts from the values of S
// and adds to them:
//   S[kw][kh * out.w + q] += sum_co w[co][ci][kh][kw] * dy[co][q]
// (a shift by whole rows of dy is a flat shift), then the columns,
// dx[ci][iy][ix] = sum_kw S[kw][iy * out.w + ix - kw], each kw masked to the
// ix - kw that dy has (ValidInputPlan in conv2d_scratch.hpp lays S out).
// Storing the GEMM's products T[tap][q] and summing its rows in a second pass
// left a fifth of LeNet-5's conv2 backward input outside the GEMM, a tenth
// now (perf, AVX-512 on Zen 4; the layer 5-6% faster at batch 1 and 16,
// medians of alternating runs, which vary by 15% on that VM). Summing each
// (row of dx, kernel column) from the taps directly, kernel.h * kernel.w
// loads per vector of dx, spent a quarter there. S on the input's width
// instead (so that every shifted row was a plain read) spent 4 of 14 columns
// of LeNet-5's conv2 on the GEMM for zeros. The GEMM reads w in place: a
// tile's rows are consecutive taps of one kernel row.

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

// Backward input of a valid convolution, one group of one sample (see
// ValidInputPlan): dx [cin][in.h][in.w] from dy [cout][out.h][out.w] and the
// group's weights w [cout][cin][taps].
template <Conv2dGeometry G>
HWY_NOINLINE void ValidBackwardInput(const float* HWY_RESTRICT dy, const float* HWY_RESTRICT w,
                                     float* HWY_RESTRICT dx, float* HWY_RESTRICT scratch) {
  constexpr cd::ValidInputPlan p = cd::valid_input_plan(G);
  constexpr int kCin = G.in_per_group(), kCout = G.out_per_group();
  constexpr int KH = G.y.kernel, KW = G.x.kernel, kTaps = KH * KW, MR = p.mr;
  constexpr int kPlane = G.in.h * G.in.w;
  const KernelTag d;
  float* HWY_RESTRICT dyw = scratch + p.dyw;
  float* HWY_RESTRICT s = scratch + p.s;

  // dy with each channel padded with zeros to qd_r.
  for (int co = 0; co < kCout; ++co) {
    CopyFloats(dy + co * p.qd, dyw + co * p.qd_r, p.qd);
    ZeroFloats(dyw + co * p.qd_r + p.qd, p.qd_r - p.qd);
  }
  // The zeros around the values of S.
  for (int kw = 0; kw < KW; ++kw) {
    ZeroFloats(s + kw * p.s_stride, cd::kMaxLanes);
    ZeroFloats(s + kw * p.s_stride + cd::kMaxLanes + p.s_values,
               p.s_stride - cd::kMaxLanes - p.s_values);
  }
  float* HWY_RESTRICT s_values = s + cd::kMaxLanes;
  static constexpr int kSingleTap[1] = {0};
  for (int ci = 0; ci < kCin; ++ci) {
    for (int kw = 0; kw < KW; ++kw) ZeroFloats(s_values + kw * p.s_stride, p.s_values);
    // From the last kernel row up: a tile's first chunk of columns then reads
    // no S that the previous tile's last chunk has just stored (a load that
    // would wait for stores in flight; on Zen 4 the difference was within
    // the noise).
    for (int kh = KH - 1; kh >= 0; --kh) {
      for (int kw0 = 0; kw0 < KW; kw0 += MR) {
        RowTileRows<MR, 1, 1, kCin * kTaps, false, 0, false, true>(
            dyw, kCout, p.qd_r, kSingleTap, 1, nullptr, w + ci * kTaps + kh * KW + kw0, p.qd_r,
            s_values + kw0 * p.s_stride + kh * G.out.w, p.s_stride, MR);
      }
    }
    ValidSumKernelColumns<G>(d, s_values, p.s_stride, dx + ci * kPlane);
  }
}

}  // namespace conv2d_impl
}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#endif  // STATICNN_KERNELS_CONV2D_VALID_BACKWARD_INPUT_INL_H_
