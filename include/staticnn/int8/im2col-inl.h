// int8 Conv2d with one input channel and rows narrower than a vector (DS-CNN's
// first layer: 1 -> 64 channels, 10x4 stride 2, 25x5 outputs) as a GEMM over
// the kernel's taps, per Highway target except SCALAR.
//
// The row kernel (conv2d-inl.h) runs one output row at a time: 5 positions of
// a 16-lane vector, each output channel's row through memory. grid-inl.h groups
// input channels, and one channel would group with zeros. Here the taps group
// instead: per block of output positions, taps kDepth * j .. kDepth * j +
// kDepth - 1 are staged as the lanes (gemm_tile-inl.h) of the inputs they read
// (im2col, the zero point where they read padding), and pointwise-inl.h's
// PositionsGemm runs the positions in the lanes with the weights' taps as its
// depth. Staging costs kernel.h * kernel.w
// gathers per output, which only pays where the rows waste lanes (a LeNet-5
// row of 28 fills them: it stays on the row kernel).

#if defined(STATICNN_INT8_IM2COL_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef STATICNN_INT8_IM2COL_INL_H_
#undef STATICNN_INT8_IM2COL_INL_H_
#else
#define STATICNN_INT8_IM2COL_INL_H_
#endif

#include <algorithm>
#include <cstdint>

#include "hwy/highway.h"
#include "staticnn/geometry.hpp"
#include "staticnn/int8/gemm_tile-inl.h"
#include "staticnn/int8/pointwise-inl.h"
#include "staticnn/int8/requantize-inl.h"
#include "staticnn/int8/requantize.hpp"

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {
namespace int8_kernels {

#if HWY_TARGET != HWY_SCALAR
constexpr bool Im2colPays(const Conv2dGeometry& g) {
  return g.groups == 1 && g.in.c == 1 && g.out.w < kLanes32;
}

template <Conv2dGeometry G>
void Im2colForward(const std::int8_t* HWY_RESTRICT x, std::int32_t x_zero_point,
                   const std::int8_t* HWY_RESTRICT w, const std::int32_t* HWY_RESTRICT b,
                   const int8::Requantization* HWY_RESTRICT r, std::int8_t* HWY_RESTRICT y) {
  static_assert(Im2colPays(G));
  constexpr int KH = G.y.kernel, KW = G.x.kernel, kTaps = KH * KW;
  constexpr int kPlane = G.out.h * G.out.w;
  // Tap t's centered inputs for positions q0 .. q0 + count, zero where it
  // reads padding.
  const auto gather = [&](int t, int q0, int count, std::int16_t* HWY_RESTRICT row) {
    for (int j = 0; j < count; ++j) row[j] = 0;
    const int kh = t / KW, kw = t % KW;
    // The output columns whose input column is inside the input.
    const int column = kw * G.x.dilation - G.x.pad;  // of output column 0
    const int ow_first = std::max(0, (-column + G.x.stride - 1) / G.x.stride);
    const int last = G.in.w - 1 - column;  // can be negative: the right padding
    const int ow_end = last < 0 ? 0 : std::min(G.out.w, last / G.x.stride + 1);
    for (int oh = q0 / G.out.w; oh * G.out.w < q0 + count; ++oh) {
      const int ih = oh * G.y.stride - G.y.pad + kh * G.y.dilation;
      if (ih < 0 || ih >= G.in.h) continue;
      const int first = std::max(q0, oh * G.out.w + ow_first);
      const int end = std::min(q0 + count, oh * G.out.w + ow_end);
      const int at = ih * G.in.w + column;  // the input of output column 0
      for (int q = first; q < end; ++q) {
        row[q - q0] = static_cast<std::int16_t>(x[at + (q - oh * G.out.w) * G.x.stride] -
                                                x_zero_point);
      }
    }
  };
  // Row j of the stage: the lanes of taps kDepth * j + i, i < kDepth (zeros
  // past the last tap).
  const auto stage_taps = [&]<int kBlock>(int q0, int count, std::int32_t* HWY_RESTRICT stage) {
    HWY_ALIGN std::int16_t taps[kDepth][kBlock];
    for (int j = 0; j < (kTaps + kDepth - 1) / kDepth; ++j) {
      for (int i = 0; i < kDepth; ++i) {
        if (kDepth * j + i < kTaps) {
          gather(kDepth * j + i, q0, count, taps[i]);
        } else {
          for (int q = 0; q < count; ++q) taps[i][q] = 0;
        }
      }
      std::int32_t* HWY_RESTRICT row = stage + j * kBlock;
      for (int q = 0; q < count; ++q) {
        std::int32_t centered[kDepth];
        for (int i = 0; i < kDepth; ++i) centered[i] = taps[i][q];
        row[q] = PackLane(centered, x_zero_point);
      }
    }
  };
  PositionsGemm<kTaps, G.out.c, kPlane, G.bias>(stage_taps, x_zero_point, w, b, r, y);
}
#endif

}  // namespace int8_kernels
// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#endif  // STATICNN_INT8_IM2COL_INL_H_
