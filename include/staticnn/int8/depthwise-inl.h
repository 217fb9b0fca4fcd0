// int8 depthwise Conv2d (one input and one output channel per group, stride
// 1, any kernel, padding and dilation) over whole planes, per Highway target
// except SCALAR:
//   y[c][oh][ow] = Requantize(b[c] + sum w[c][kh][kw] * (x[c][ih][iw] - x_zero_point), r[c])
//
// conv2d-inl.h's row kernel runs one output row of one channel at a time: a
// DS-CNN row is 5 positions of a 16-lane vector, and every row pays for
// staging its inputs and requantizing. Here each channel's input is staged
// once, centered, as int32 in a zero-padded plane of kWidth columns (the
// columns the outputs read, padding included), and the outputs are computed
// on the same grid: output (oh, ow) at oh * kWidth + ow, so tap (kh, kw) is
// the flat shift kh * dilation * kWidth + kw * dilation and every vector of
// outputs is one multiply-add per tap of whole loads. The kWidth - out.w
// columns past each output row are computed and dropped. The padding is
// zeroed once per call (every channel writes the same interior), and the
// plane stays on the stack within kMaxPlaneBytes (DepthwisePlaneFits); larger
// planes take the row kernel. Integer sums are exact: TFLite's bits.

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
#include "staticnn/int8/requantize-inl.h"
#include "staticnn/int8/requantize.hpp"
#include "staticnn/kernels/vectors-inl.h"

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {
namespace int8_kernels {

// The staged plane of a stride-1 depthwise layer: the rows and columns its
// outputs read, from -pad on; the outputs' grid, padded to whole vectors; and
// the plane's floats, room for the shifted loads of the grid's last vector.
template <Conv2dGeometry G>
struct DepthwisePlane {
  static constexpr int kRows = G.out.h + (G.y.kernel - 1) * G.y.dilation;
  static constexpr int kWidth = G.out.w + (G.x.kernel - 1) * G.x.dilation;
  static constexpr int kGrid = PadToVectors(G.out.h * kWidth);
  static constexpr int kLastTap = (G.y.kernel - 1) * G.y.dilation * kWidth +
                                  (G.x.kernel - 1) * G.x.dilation;
  static constexpr int kValues = std::max(kRows * kWidth, kGrid + kLastTap);
};

inline constexpr int kMaxPlaneBytes = 32 * 1024;

constexpr bool IsDepthwiseStride1(const Conv2dGeometry& g) {
  return g.groups == g.in.c && g.groups == g.out.c && g.y.stride == 1 && g.x.stride == 1;
}

#if HWY_TARGET != HWY_SCALAR
template <Conv2dGeometry G>
constexpr bool DepthwisePlaneFits() {
  using P = DepthwisePlane<G>;
  return (P::kValues + P::kGrid) * 4 <= kMaxPlaneBytes;
}

template <Conv2dGeometry G>
void DepthwiseForward(const std::int8_t* HWY_RESTRICT x, std::int32_t x_zero_point,
                      const std::int8_t* HWY_RESTRICT w, const std::int32_t* HWY_RESTRICT b,
                      const int8::Requantization* HWY_RESTRICT r, std::int8_t* HWY_RESTRICT y) {
  static_assert(IsDepthwiseStride1(G) && DepthwisePlaneFits<G>());
  using P = DepthwisePlane<G>;
  constexpr int KH = G.y.kernel, KW = G.x.kernel, kTaps = KH * KW;
  constexpr int kInPlane = G.in.h * G.in.w, kOutPlane = G.out.h * G.out.w;
  const D32 d;
  const hn::Rebind<std::int8_t, D32> d8;
  const int lanes = static_cast<int>(hn::Lanes(d));
  // The interior: input rows and columns that land inside the staged plane.
  constexpr int kRowFirst = G.y.pad, kColFirst = G.x.pad;
  constexpr int kRowEnd = std::min(P::kRows, G.in.h + G.y.pad);
  constexpr int kColEnd = std::min(P::kWidth, G.in.w + G.x.pad);
  HWY_ALIGN std::int32_t plane[P::kValues];
  HWY_ALIGN std::int8_t grid[P::kGrid];
  for (int i = 0; i < P::kValues; ++i) plane[i] = 0;
  for (int c = 0; c < G.out.c; ++c) {
    const std::int8_t* HWY_RESTRICT xc = x + c * kInPlane;
    for (int row = kRowFirst; row < kRowEnd; ++row) {
      const std::int8_t* HWY_RESTRICT from = xc + (row - G.y.pad) * G.in.w - G.x.pad;
      std::int32_t* HWY_RESTRICT to = plane + row * P::kWidth;
      for (int col = kColFirst; col < kColEnd; ++col) to[col] = from[col] - x_zero_point;
    }
    VecTile<D32, kTaps> taps;
    for (int t = 0; t < kTaps; ++t) taps.Set(t, hn::Set(d, std::int32_t{w[c * kTaps + t]}));
    const auto bias = hn::Set(d, G.bias ? b[c] : 0);
    for (int q = 0; q < P::kGrid; q += lanes) {
      auto acc = bias;
#pragma GCC unroll 16
      for (int kh = 0; kh < KH; ++kh) {
#pragma GCC unroll 16
        for (int kw = 0; kw < KW; ++kw) {
          const int shift = kh * G.y.dilation * P::kWidth + kw * G.x.dilation;
          acc = hn::Add(acc, hn::Mul(taps.Get(kh * KW + kw), hn::LoadU(d, plane + q + shift)));
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
