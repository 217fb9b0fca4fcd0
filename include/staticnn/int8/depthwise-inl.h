// int8 depthwise Conv2d (one input and one output channel per group, any
// kernel, stride, padding and dilation) over whole planes, per Highway target
// except SCALAR:
//   y[c][oh][ow] = Requantize(b[c] + sum w[c][kh][kw] * (x[c][ih][iw] - x_zero_point), r[c])
//
// conv2d-inl.h's row kernel runs one output row of one channel at a time: a
// DS-CNN row is 5 positions of a 16-lane vector, and every row pays for
// staging its inputs and requantizing. Here each channel's input is staged
// once, centered, as int32 in zero-padded planes laid out as grid-inl.h's
// GridPlane (the columns the outputs read; with a stride, one plane per
// remainder of the row and column), and the outputs are computed on the same
// grid: output (oh, ow) at oh * kWidth + ow, so tap (kh, kw) is one flat
// shift of one plane and every vector of outputs is one multiply-add per tap
// of whole loads. The kWidth - out.w columns past each output row are
// computed and dropped. The padding is zeroed once per call (every channel
// writes the same interior), and the planes stay on the stack within
// kMaxPlaneBytes (DepthwisePlaneFits); larger ones take the row kernel.
// Integer sums are exact: TFLite's bits.

#if defined(STATICNN_INT8_DEPTHWISE_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef STATICNN_INT8_DEPTHWISE_INL_H_
#undef STATICNN_INT8_DEPTHWISE_INL_H_
#else
#define STATICNN_INT8_DEPTHWISE_INL_H_
#endif

#include <algorithm>
#include <cstdint>

#include "hwy/highway.h"
#include "staticnn/geometry.hpp"
#include "staticnn/int8/grid-inl.h"
#include "staticnn/int8/requantize-inl.h"
#include "staticnn/int8/requantize.hpp"
#include "staticnn/kernels/vectors-inl.h"

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {
namespace int8_kernels {

inline constexpr int kMaxPlaneBytes = 32 * 1024;

constexpr bool IsDepthwise(const Conv2dGeometry& g) {
  return g.groups == g.in.c && g.groups == g.out.c;
}

#if HWY_TARGET != HWY_SCALAR
// The phase planes of one channel (int32) and its outputs' grid (int8).
template <Conv2dGeometry G>
constexpr bool DepthwisePlaneFits() {
  using P = GridPlane<G>;
  return P::kPhases * P::kValues * 4 + P::kGrid <= kMaxPlaneBytes;
}

template <Conv2dGeometry G>
void DepthwiseForward(const std::int8_t* HWY_RESTRICT x, std::int32_t x_zero_point,
                      const std::int8_t* HWY_RESTRICT w, const std::int32_t* HWY_RESTRICT b,
                      const int8::Requantization* HWY_RESTRICT r, std::int8_t* HWY_RESTRICT y) {
  static_assert(IsDepthwise(G) && DepthwisePlaneFits<G>());
  using P = GridPlane<G>;
  constexpr int KH = G.y.kernel, KW = G.x.kernel, kTaps = KH * KW;
  constexpr int kInPlane = G.in.h * G.in.w, kOutPlane = G.out.h * G.out.w;
  const D32 d;
  const hn::Rebind<std::int8_t, D32> d8;
  const int lanes = static_cast<int>(hn::Lanes(d));
  // The input rows and columns inside what the outputs read.
  constexpr int kRowEnd = std::min(G.in.h, P::kRowsRead - G.y.pad);
  constexpr int kCols = std::min(G.in.w, P::kColsRead - G.x.pad);
  HWY_ALIGN std::int32_t plane[P::kPhases * P::kValues];
  HWY_ALIGN std::int8_t grid[P::kGrid];
  for (int i = 0; i < P::kPhases * P::kValues; ++i) plane[i] = 0;
  for (int c = 0; c < G.out.c; ++c) {
    for (int ih = 0; ih < kRowEnd; ++ih) {
      const std::int8_t* HWY_RESTRICT from = x + c * kInPlane + ih * G.in.w;
      const int row = ih + G.y.pad;
      std::int32_t* HWY_RESTRICT to =
          plane + row % P::Sy * P::Sx * P::kValues + row / P::Sy * P::kWidth;
      for (int iw = 0; iw < kCols; ++iw) {
        const int col = iw + G.x.pad;
        to[col % P::Sx * P::kValues + col / P::Sx] = from[iw] - x_zero_point;
      }
    }
    VecTile<D32, kTaps> taps;
    for (int t = 0; t < kTaps; ++t) taps.Set(t, hn::Set(d, std::int32_t{w[c * kTaps + t]}));
    const auto bias = hn::Set(d, G.bias ? b[c] : 0);
    for (int q = 0; q < G.out.h * P::kWidth; q += lanes) {
      auto acc = bias;
#pragma GCC unroll 16
      for (int kh = 0; kh < KH; ++kh) {
#pragma GCC unroll 16
        for (int kw = 0; kw < KW; ++kw) {
          const auto in = hn::LoadU(d, plane + q + P::Shift(kh, kw));
          acc = hn::Add(acc, hn::Mul(taps.Get(kh * KW + kw), in));
        }
      }
      hn::StoreU(hn::DemoteTo(d8, Requantize(d, acc, r[c])), d8, grid + q);
    }
    std::int8_t* HWY_RESTRICT yc = y + c * kOutPlane;
    for (int oh = 0; oh < G.out.h; ++oh) {
      for (int ow = 0; ow < G.out.w; ++ow) yc[oh * G.out.w + ow] = grid[oh * P::kWidth + ow];
    }
  }
}
#endif

}  // namespace int8_kernels
// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#endif  // STATICNN_INT8_DEPTHWISE_INL_H_
