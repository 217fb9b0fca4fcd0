// int8 Conv2d with one group (any kernel, stride, padding and dilation:
// ResNet-8's 3x3 layers, LeNet-5's second, MobileNet's first) as a GEMM in
// registers, per Highway target except SCALAR:
//   y[co][oh][ow] = Requantize(b[co] + sum w[co][ci][kh][kw] * (x[ci][ih][iw] - x_zero_point),
//                              r[co])
//
// Each group of kDepth input channels is staged once as lanes (gemm_tile-inl.h)
// in a plane of kWidth columns padded with the zero point, the columns the outputs read (with
// a stride S, S x S phase planes: the rows and columns of each remainder mod
// S). The outputs are computed on the same grid, output (oh, ow) at oh *
// kWidth + ow, so tap (kh, kw) of every output is one flat shift of one phase
// plane (at stride 1, kh * dilation * kWidth + kw * dilation): the tile's
// inputs are whole loads, with no copy per tap (no im2col). The kWidth -
// out.w columns past each output row are computed and dropped, or, at stride
// 1 where they are many, each kernel column has a plane of its own, out.w
// wide (ColumnPlanes). The planes stay on the stack within kMaxGridBytes
// (GridFits); larger ones take the row kernel.

#if defined(STATICNN_INT8_GRID_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef STATICNN_INT8_GRID_INL_H_
#undef STATICNN_INT8_GRID_INL_H_
#else
#define STATICNN_INT8_GRID_INL_H_
#endif

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "hwy/highway.h"
#include "staticnn/geometry.hpp"
#include "staticnn/int8/gemm_tile-inl.h"
#include "staticnn/int8/requantize-inl.h"
#include "staticnn/int8/requantize.hpp"
#include "staticnn/kernels/vectors-inl.h"

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {
namespace int8_kernels {

// The staged planes of a layer: the padded rows and columns its outputs read
// (from -pad on), split by stride into phase planes (rows a mod Sy, columns b
// mod Sx: one plane at stride 1) of kRows x kWidth; the outputs' grid, padded
// to whole tiles of kTileVectors vectors (the last tile loads them all); a
// phase plane's values, with room for the shifted loads of the grid's last
// tile; and where tap (kh, kw) reads: its phase plane, shifted.
template <Conv2dGeometry G, int kTileVectors = 1>
struct GridPlane {
  static constexpr int Sy = G.y.stride, Sx = G.x.stride, kPhases = Sy * Sx;
  static constexpr int kRowsRead = (G.out.h - 1) * Sy + (G.y.kernel - 1) * G.y.dilation + 1;
  static constexpr int kColsRead = (G.out.w - 1) * Sx + (G.x.kernel - 1) * G.x.dilation + 1;
  static constexpr int kRows = (kRowsRead + Sy - 1) / Sy;
  static constexpr int kWidth = (kColsRead + Sx - 1) / Sx;
  static constexpr int kTile = kTileVectors * kLanes32;
  static constexpr int kGrid = (G.out.h * kWidth + kTile - 1) / kTile * kTile;
  static constexpr int kLastTap = (G.y.kernel - 1) * G.y.dilation / Sy * kWidth +
                                  (G.x.kernel - 1) * G.x.dilation / Sx;
  static constexpr int kValues = std::max(kRows * kWidth, kGrid + kLastTap);
  static constexpr int Shift(int kh, int kw) {
    const int row = kh * G.y.dilation, col = kw * G.x.dilation;
    return (row % Sy * Sx + col % Sx) * kValues + row / Sy * kWidth + col / Sx;
  }
};

// One input channel would group with zeros, most multiplies for nothing:
// the row kernel pairs its kernel rows instead (LeNet-5's first layer: 2.7 us
// there, 2.9 us here, AVX-512).
constexpr bool IsDenseGrid(const Conv2dGeometry& g) {
  return g.groups == 1 && g.in.c > 1;
}

#if HWY_TARGET != HWY_SCALAR
inline constexpr int kMaxGridBytes = 128 * 1024;

// At stride 1, one plane per kernel column instead of GridPlane's one: plane
// kw holds, at (row, ow), the padded input column ow + kw * dilation of that
// row, so the planes are out.w wide and tap (kh, kw) is plane kw shifted by
// kh * dilation rows. GridPlane's kWidth - out.w columns per output row,
// computed and dropped, are gone, for kernel.w copies of each staged row.
template <Conv2dGeometry G>
struct ColumnPlanes {
  static constexpr int Sy = 1, Sx = 1, kPhases = G.x.kernel;  // planes per group
  static constexpr int kRowsRead = (G.out.h - 1) + (G.y.kernel - 1) * G.y.dilation + 1;
  static constexpr int kColsRead = (G.out.w - 1) + (G.x.kernel - 1) * G.x.dilation + 1;
  static constexpr int kWidth = G.out.w;
  static constexpr int kGrid = PadToVectors(G.out.h * kWidth);
  static constexpr int kLastTap = (G.y.kernel - 1) * G.y.dilation * kWidth;
  static constexpr int kValues = std::max(kRowsRead * kWidth, kGrid + kLastTap);
  static constexpr int Shift(int kh, int kw) {
    return kw * kValues + kh * G.y.dilation * kWidth;
  }
};

// The groups' bytes on the stack in a layout P.
template <Conv2dGeometry G, class P>
constexpr bool PlanesFit() {
  return (G.in.c + kDepth - 1) / kDepth * P::kPhases * P::kValues * 4 <= kMaxGridBytes;
}

// Column planes where GridPlane would drop at least a tenth of its positions
// and they fit. Zen 4, alternating runs: ResNet-8's 8x8 outputs (80
// positions for 64) and 16x16 (288 for 256), int8 ResNet-8 inference 121-124
// -> 116-117 us on AVX3_DL and 323-349 -> 305-318 us on AVX2; LeNet-5's conv2
// (140 for 100) 3.14-3.21 -> 2.91-3.03 us and 6.6-8.1 -> 5.5-5.8 us. Its
// 32x32 layers (6%) lost more to the copies than they gained (24.8% -> 27.8%
// of ResNet-8's time, AVX3_DL), so they keep GridPlane.
template <Conv2dGeometry G>
constexpr bool ColumnPlanesPay() {
  constexpr int kDropped = (G.x.kernel - 1) * G.x.dilation;
  return G.y.stride == 1 && G.x.stride == 1 && 10 * kDropped >= G.out.w + kDropped &&
         PlanesFit<G, ColumnPlanes<G>>();
}

template <Conv2dGeometry G>
using GridPlanes = std::conditional_t<ColumnPlanesPay<G>(), ColumnPlanes<G>, GridPlane<G>>;

template <Conv2dGeometry G>
constexpr bool GridFits() {
  return PlanesFit<G, GridPlanes<G>>();
}

// Vectors of positions per tile: up to kMaxTileVectors, no more than the grid.
// The last tile takes the vectors left (fewer: a grid of 80 positions, 5
// vectors of 16, ran 128 of them in two tiles of 64).
template <Conv2dGeometry G>
constexpr int GridTileVectors() {
  return std::min(kMaxTileVectors, PadToVectors(G.out.h * GridPlanes<G>::kWidth) / kLanes32);
}

// The groups of input channels into their phase planes (filled with the
// staged zero before: the padding and what no tap reads stay so).
template <Conv2dGeometry G>
HWY_INLINE void StageGrid(const std::int8_t* HWY_RESTRICT x, std::int32_t x_zero_point,
                          std::int32_t* HWY_RESTRICT stage) {
  using P = GridPlanes<G>;
  constexpr int kCin = G.in.c, kPlane = G.in.h * G.in.w;
  constexpr int kGroups = (kCin + kDepth - 1) / kDepth;
  // The input rows and columns inside what the outputs read.
  constexpr int kRowEnd = std::min(G.in.h, P::kRowsRead - G.y.pad);
  constexpr int kCols = std::min(G.in.w, P::kColsRead - G.x.pad);
  for (int g = 0; g < kGroups; ++g) {
    std::int32_t* HWY_RESTRICT planes = stage + g * P::kPhases * P::kValues;
    for (int ih = 0; ih < kRowEnd; ++ih) {
      const std::int8_t* rows[kDepth];
      for (int i = 0; i < kDepth; ++i) {
        const int c = kDepth * g + i;
        rows[i] = c < kCin ? x + c * kPlane + ih * G.in.w : nullptr;
      }
      const int row = ih + G.y.pad;
      std::int32_t* HWY_RESTRICT phase_row =
          planes + row % P::Sy * P::Sx * P::kValues + row / P::Sy * P::kWidth;
      if constexpr (ColumnPlanesPay<G>()) {
        // The row from padded column 0, the padding and what follows the
        // input the staged zero; then each plane's out.w columns of it.
        constexpr int kStaged = P::kColsRead;
        HWY_ALIGN std::int32_t cols[kStaged];
        const std::int32_t zero = StagedZero(x_zero_point);
        for (int i = 0; i < kStaged; ++i) cols[i] = zero;
        StageLaneRow(rows, kCols, x_zero_point, cols + G.x.pad);
        for (int kw = 0; kw < G.x.kernel; ++kw) {
          std::memcpy(planes + kw * P::kValues + row * P::kWidth, cols + kw * G.x.dilation,
                      sizeof(std::int32_t) * P::kWidth);
        }
      } else if constexpr (P::kPhases == 1) {
        StageLaneRow(rows, kCols, x_zero_point, planes + row * P::kWidth + G.x.pad);
      } else if constexpr (P::Sx == 2) {
        // Column col = iw + pad of the row goes to plane col % 2 at col / 2
        // (the padding is the staged zero already): the row staged, then its
        // even and odd lanes gathered a vector at a time. A lane at a time it
        // was 39% of MobileNetV1's first layer (3 -> 8 channels at 96x96,
        // stride 2), 4% of the int8 network (AVX2, Zen 3). The gathers load
        // what the staging stored, vector for vector: staged from the padding
        // on, their loads straddled two stores each, which the CPU cannot
        // forward (15% of ResNet-8's 16x32x32 stride-2 layer, AVX3_DL).
        // cols has a vector pair of room past the row: the last pair's loads.
        constexpr int kStaged = G.x.pad + kCols;
        HWY_ALIGN std::int32_t cols[kCols + 2 * kLanes32] = {};
        StageLaneRow(rows, kCols, x_zero_point, cols);
        const D32 d;
        const int lanes = static_cast<int>(hn::Lanes(d));
        for (int phase = 0; phase < 2; ++phase) {
          // Element j of the plane's row is input column 2 j + phase - pad:
          // from j0 on, whose column, parity, is 0 or 1.
          const int j0 = std::max(0, (G.x.pad - phase + 1) / 2);
          const int parity = 2 * j0 + phase - G.x.pad;
          const int count = (kStaged - phase + 1) / 2 - j0;
          std::int32_t* HWY_RESTRICT to = phase_row + phase * P::kValues + j0;
          // The last vector's store masked (lane by lane, g++ moved the lanes
          // through the stack, forwarding nothing either).
          for (int k = 0; k < count; k += lanes) {
            const auto lo = hn::Load(d, cols + 2 * k), hi = hn::Load(d, cols + 2 * k + lanes);
            const auto v = parity == 0 ? hn::ConcatEven(d, hi, lo) : hn::ConcatOdd(d, hi, lo);
            if (k + lanes <= count) {
              hn::StoreU(v, d, to + k);
            } else {
              hn::BlendedStore(v, hn::FirstN(d, count - k), d, to + k);
            }
          }
        }
      } else {
        // A stride's columns land in different planes: the row is staged in
        // whole vectors, then each lane copied to its plane (simpler than
        // packing a lane at a time; under 1% of ResNet-8).
        HWY_ALIGN std::int32_t lanes[kCols];
        StageLaneRow(rows, kCols, x_zero_point, lanes);
        for (int iw = 0; iw < kCols; ++iw) {
          const int col = iw + G.x.pad;
          phase_row[col % P::Sx * P::kValues + col / P::Sx] = lanes[iw];
        }
      }
    }
  }
}

template <Conv2dGeometry G>
void GridForward(const std::int8_t* HWY_RESTRICT x, std::int32_t x_zero_point,
                 const std::int8_t* HWY_RESTRICT w, const std::int32_t* HWY_RESTRICT b,
                 const int8::Requantization* HWY_RESTRICT r, std::int8_t* HWY_RESTRICT y) {
  static_assert(IsDenseGrid(G) && GridFits<G>());
  using P = GridPlanes<G>;
  constexpr int KH = G.y.kernel, KW = G.x.kernel, kTaps = KH * KW;
  constexpr int kCin = G.in.c, kCout = G.out.c, kOutPlane = G.out.h * G.out.w;
  using Weights = ChannelLaneWeights<kCin, kCout, kTaps>;
  constexpr int kGroups = Weights::kGroups, MR = kGridTileChannels;
  constexpr int NV = GridTileVectors<G>(), kPositions = G.out.h * P::kWidth;
  const D32 d;
  const hn::Rebind<std::int8_t, D32> d8;
  const int lanes = static_cast<int>(hn::Lanes(d));  // kLanes32 bounds it (SVE)
  int shift[kTaps];
  for (int kh = 0; kh < KH; ++kh) {
    for (int kw = 0; kw < KW; ++kw) shift[kh * KW + kw] = P::Shift(kh, kw);
  }
  const Weights weights(w);
  HWY_ALIGN std::int32_t stage[kGroups * P::kPhases * P::kValues];
  const std::int32_t zero = StagedZero(x_zero_point);
  for (int i = 0; i < kGroups * P::kPhases * P::kValues; ++i) stage[i] = zero;
  StageGrid<G>(x, x_zero_point, stage);
  // A tile's outputs on the grid, all of it, then its rows into y.
  HWY_ALIGN std::int8_t out[MR][P::kGrid];
  for (int co0 = 0; co0 < kCout; co0 += MR) {
    // Rows past kCout repeat the last channel's weights, unstored.
    const std::int32_t* rows[MR];
    for (int m = 0; m < MR; ++m) rows[m] = weights.values[std::min(co0 + m, kCout - 1)];
    // The tile of TV vectors at position q0 of the grid.
    const auto tile = [&]<int TV>(int q0) {
      VecTile<D32, MR, TV> acc;
      LaneTile<MR, kGroups, kTaps, P::kPhases * P::kValues, TV>(stage + q0, shift, rows, acc);
#pragma GCC unroll 4
      for (int m = 0; m < MR; ++m) {
        const int co = std::min(co0 + m, kCout - 1);
        const auto bias = hn::Set(d, (G.bias ? b[co] : 0) + weights.Offset(co, x_zero_point));
        if constexpr (TV == 4 && kPacksFour) {
          RequantizeFour(d, hn::Add(bias, acc.Get(m, 0)), hn::Add(bias, acc.Get(m, 1)),
                         hn::Add(bias, acc.Get(m, 2)), hn::Add(bias, acc.Get(m, 3)), r[co],
                         out[m] + q0);
          continue;
        }
#pragma GCC unroll 4
        for (int v = 0; v < TV; ++v) {
          hn::Store(hn::DemoteTo(d8, Requantize(d, hn::Add(bias, acc.Get(m, v)), r[co])), d8,
                    out[m] + q0 + v * lanes);
        }
      }
    };
    // Tiles of NV vectors, then the vectors left, fewer (a run-time count on
    // SVE).
    const int vectors = (kPositions + lanes - 1) / lanes;
    int q0 = 0;
    for (; q0 + NV * lanes <= vectors * lanes; q0 += NV * lanes) tile.template operator()<NV>(q0);
    const int left = vectors - q0 / lanes;
    if (NV > 3 && left == 3) tile.template operator()<std::min(3, NV)>(q0);
    if (NV > 2 && left == 2) tile.template operator()<std::min(2, NV)>(q0);
    if (NV > 1 && left == 1) tile.template operator()<1>(q0);
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
