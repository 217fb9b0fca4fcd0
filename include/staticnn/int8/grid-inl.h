// int8 Conv2d with one group and stride 1 (any kernel, padding and dilation:
// ResNet-8's 3x3 layers, LeNet-5's 5x5) as a GEMM in registers, per Highway
// target except SCALAR:
//   y[co][oh][ow] = Requantize(b[co] + sum w[co][ci][kh][kw] * (x[ci][ih][iw] - x_zero_point),
//                              r[co])
//
// Each pair of input channels is staged once as int16 pairs (pair_tile-inl.h)
// in a zero-padded plane of kWidth columns, the columns the outputs read. The
// outputs are computed on the same grid, output (oh, ow) at oh * kWidth + ow,
// so tap (kh, kw) of every output is the flat shift kh * dilation * kWidth +
// kw * dilation of the plane: the tile's inputs are whole loads, with no
// copy per tap (no im2col). The kWidth - out.w columns past each output row
// are computed and dropped. The planes stay on the stack within
// kMaxGridBytes (GridFits); larger ones take the row kernel.

#if defined(STATICNN_INT8_GRID_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef STATICNN_INT8_GRID_INL_H_
#undef STATICNN_INT8_GRID_INL_H_
#else
#define STATICNN_INT8_GRID_INL_H_
#endif

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "hwy/highway.h"
#include "staticnn/geometry.hpp"
#include "staticnn/int8/pair_tile-inl.h"
#include "staticnn/int8/requantize-inl.h"
#include "staticnn/int8/requantize.hpp"
#include "staticnn/kernels/vectors-inl.h"

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {
namespace int8_kernels {

// The staged plane of a stride-1 layer: the rows and columns its outputs
// read, from -pad on; the outputs' grid, padded to whole vectors; and the
// plane's values, with room for the shifted loads of the grid's last vector.
template <Conv2dGeometry G>
struct GridPlane {
  static constexpr int kRows = G.out.h + (G.y.kernel - 1) * G.y.dilation;
  static constexpr int kWidth = G.out.w + (G.x.kernel - 1) * G.x.dilation;
  static constexpr int kGrid = PadToVectors(G.out.h * kWidth);
  static constexpr int kLastTap = (G.y.kernel - 1) * G.y.dilation * kWidth +
                                  (G.x.kernel - 1) * G.x.dilation;
  static constexpr int kValues = std::max(kRows * kWidth, kGrid + kLastTap);
};

// One input channel would pair with zeros, half the multiplies for nothing:
// the row kernel pairs its kernel rows instead (LeNet-5's first layer: 2.7 us
// there, 2.9 us here, AVX-512).
constexpr bool IsDenseStride1(const Conv2dGeometry& g) {
  return g.groups == 1 && g.in.c > 1 && g.y.stride == 1 && g.x.stride == 1 &&
         g.y.kernel * g.x.kernel > 1;
}

#if HWY_TARGET != HWY_SCALAR
inline constexpr int kMaxGridBytes = 64 * 1024;

template <Conv2dGeometry G>
constexpr bool GridFits() {
  return (G.in.c + 1) / 2 * GridPlane<G>::kValues * 4 <= kMaxGridBytes;
}

template <Conv2dGeometry G>
void GridForward(const std::int8_t* HWY_RESTRICT x, std::int32_t x_zero_point,
                 const std::int8_t* HWY_RESTRICT w, const std::int32_t* HWY_RESTRICT b,
                 const int8::Requantization* HWY_RESTRICT r, std::int8_t* HWY_RESTRICT y) {
  static_assert(IsDenseStride1(G) && GridFits<G>());
  using P = GridPlane<G>;
  constexpr int KH = G.y.kernel, KW = G.x.kernel, kTaps = KH * KW;
  constexpr int kCin = G.in.c, kCout = G.out.c, kOutPlane = G.out.h * G.out.w;
  using Weights = ChannelPairWeights<kCin, kCout, kTaps>;
  constexpr int kPairs = Weights::kPairs, L = kLanes32, MR = kTileChannels;
  constexpr int NV = std::min(kMaxTileVectors, P::kGrid / L);
  const D32 d;
  const hn::Rebind<std::int8_t, D32> d8;
  const int lanes = static_cast<int>(hn::Lanes(d));  // kLanes32 bounds it (SVE)
  int shift[kTaps];
  for (int kh = 0; kh < KH; ++kh) {
    for (int kw = 0; kw < KW; ++kw) {
      shift[kh * KW + kw] = kh * G.y.dilation * P::kWidth + kw * G.x.dilation;
    }
  }
  const Weights weights(w);
  // The input rows and columns that land inside the staged plane.
  constexpr int kRowEnd = std::min(P::kRows, G.in.h + G.y.pad);
  constexpr int kCols = std::min(P::kWidth, G.in.w + G.x.pad) - G.x.pad;
  HWY_ALIGN std::int32_t stage[kPairs * P::kValues];
  for (int i = 0; i < kPairs * P::kValues; ++i) stage[i] = 0;
  for (int p = 0; p < kPairs; ++p) {
    for (int row = G.y.pad; row < kRowEnd; ++row) {
      const std::int8_t* HWY_RESTRICT first = x + (2 * p * G.in.h + row - G.y.pad) * G.in.w;
      StagePairRow(first, 2 * p + 1 < kCin ? first + G.in.h * G.in.w : nullptr, kCols,
                   x_zero_point, stage + p * P::kValues + row * P::kWidth + G.x.pad);
    }
  }
  // A tile's outputs on the grid, all of it, then its rows into y.
  HWY_ALIGN std::int8_t out[MR][P::kGrid + NV * L];
  for (int co0 = 0; co0 < kCout; co0 += MR) {
    // Rows past kCout repeat the last channel's weights, unstored.
    const std::int32_t* rows[MR];
    for (int m = 0; m < MR; ++m) rows[m] = weights.values[std::min(co0 + m, kCout - 1)];
    for (int q0 = 0; q0 < G.out.h * P::kWidth; q0 += NV * lanes) {
      VecTile<D32, MR, NV> acc;
      PairTile<kPairs, kTaps, P::kValues, NV>(stage + q0, shift, rows, acc);
#pragma GCC unroll 4
      for (int m = 0; m < MR; ++m) {
        const int co = std::min(co0 + m, kCout - 1);
        const auto bias = hn::Set(d, G.bias ? b[co] : 0);
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) {
          hn::Store(hn::DemoteTo(d8, Requantize(d, hn::Add(bias, acc.Get(m, v)), r[co])), d8,
                    out[m] + q0 + v * lanes);
        }
      }
    }
    for (int m = 0; m < MR && co0 + m < kCout; ++m) {
      for (int oh = 0; oh < G.out.h; ++oh) {
        std::memcpy(y + (co0 + m) * kOutPlane + oh * G.out.w, out[m] + oh * P::kWidth,
                    G.out.w);
      }
    }
  }
}
#endif

}  // namespace int8_kernels
// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#endif  // STATICNN_INT8_GRID_INL_H_
