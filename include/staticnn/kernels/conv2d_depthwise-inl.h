// Conv2d with one output channel per group (depthwise layers, and the dx of a
// layer with a single input channel per group), stride 1, dilation 1.
//
// With a single row of weights the row tile (conv2d_row_tile-inl.h) gets no
// reuse from its MR rows and loads one vector per FMA. These tiles keep R
// output rows in registers instead and load each input row once for the KH
// taps that read it: (R + KH - 1) * KW loads per R * KH * KW FMAs.
//   OutputPlane           one output plane: R rows x NV vectors
//   DepthwiseForward      forward, OutputPlane per group (several input channels
//                         per output channel: depthwise layers proper take the
//                         channels-in-lanes path, conv2d_depthwise_lanes-inl.h)
//   DepthwiseBackwardInput  dx of a single input channel per group: OutputPlane
//                         over the zero-padded dy with the flipped kernels
//   DepthwiseWeightGrad   dw of one channel: R rows of dy x one vector

#if defined(STATICNN_KERNELS_CONV2D_DEPTHWISE_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef STATICNN_KERNELS_CONV2D_DEPTHWISE_INL_H_
#undef STATICNN_KERNELS_CONV2D_DEPTHWISE_INL_H_
#else
#define STATICNN_KERNELS_CONV2D_DEPTHWISE_INL_H_
#endif

#include <algorithm>

#include "hwy/highway.h"
#include "staticnn/geometry.hpp"
#include "staticnn/kernels/activation-inl.h"
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

using cd::kPlaneRows;
constexpr int PlaneTileVectors() { return kVectorRegisters == 32 ? 2 : 1; }
// Output rows of OutputPlane's tiles of KH kernel rows for a plane of `rows`,
// from kPlaneRows to the most that fit the registers (R * NV accumulators, KH
// weights, the loaded vector; at most 8 with 32 registers, 10 with 16): the
// least time, then the most rows (each input row is loaded for KH + R - 1 of
// R rows' taps). A band of R rows (the last one overlaps the one before) takes
// the time of R * NV accumulators, or of kFmaChains where fewer: each is a
// chain of KH * KW dependent FMAs. With 16 registers (one vector a row) the
// fewest rows computed chose 7 for LeNet-5's 28 rows, 7 chains: 10 rows in 3
// bands took its conv1 dx from 3.79 to 3.51 us (AVX2, Zen 3).
template <int KH>
constexpr int PlaneTileRows(int rows) {
  constexpr int NV = PlaneTileVectors();
  constexpr int kMostRows = kVectorRegisters == 32 ? 8 : std::min(10, kVectorRegisters - KH - 1);
  const auto time = [&](int r) { return (rows + r - 1) / r * std::max(r * NV, kFmaChains); };
  int best = kPlaneRows;
  for (int r = kPlaneRows; r <= std::min(rows, kMostRows); ++r) {
    if (time(r) <= time(best)) best = r;
  }
  return best;
}

// R output rows x NV vectors: out[j][x] = bias + sum over channels c, kh, kw of
// w[c][kh][kw] * in[c][j + kh][x + kw] (planes channel_stride apart, rows kInCols /
// out_cols apart); stores only `count` columns if fewer than NV*N. kInCols is
// a constant so that every load is one base and a displacement: with a run-time
// row length, the kernel column loop's R + KH - 1 row offsets were spilled and
// reloaded, a load per vector loaded.
template <int KH, int KW, int R, int NV, int kInCols, bool kRelu, class D>
HWY_INLINE void PlaneTile(D d, const float* HWY_RESTRICT in, int channels, int channel_stride,
                          const float* HWY_RESTRICT w, float bias,
                          float* HWY_RESTRICT out, int out_cols, int count) {
  using V = hn::Vec<D>;
  constexpr int N = static_cast<int>(hn::MaxLanes(d));
  VecTile<D, R, NV> acc;
#pragma GCC unroll 16
  for (int j = 0; j < R; ++j) {
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc.Set(j, v, hn::Set(d, bias));
  }
  for (int c = 0; c < channels; ++c, in += channel_stride, w += KH * KW) {
    // A kernel column at a time: its KH weights broadcast once, held in
    // registers for every row. Rows outermost, the weights were broadcast
    // again for each (a load per FMA): LeNet-5's conv1 dx ran at 47% of peak.
#pragma GCC unroll 16
    for (int kw = 0; kw < KW; ++kw) {
      VecTile<D, KH> weight;
#pragma GCC unroll 16
      for (int kh = 0; kh < KH; ++kh) weight.Set(kh, hn::Set(d, w[kh * KW + kw]));
#pragma GCC unroll 16
      for (int i = 0; i < R + KH - 1; ++i) {
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) {
          const V x = InRegister(hn::LoadU(d, in + i * kInCols + kw + v * N));
#pragma GCC unroll 16
          for (int kh = 0; kh < KH; ++kh) {
            if (i - kh < 0 || i - kh >= R) continue;
            acc.Set(i - kh, v, hn::MulAdd(weight.Get(kh), x, acc.Get(i - kh, v)));
          }
        }
      }
    }
  }
  if constexpr (kRelu) {
#pragma GCC unroll 16
    for (int j = 0; j < R; ++j) {
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc.Set(j, v, Relu(d, acc.Get(j, v)));
    }
  }
  StoreTile(d, acc, R, out, out_cols, count);
}

// One output channel: out [out_h][out_w] from `channels` zero-padded planes `in`
// (out_h + KH - 1 rows of kInCols, read up to kMaxTileCols past the last one) and
// weights [channels][KH][KW]. out_h >= R: the last band of rows, and the last
// chunk of a wide enough row, overlap the previous one instead of running short.
template <int KH, int KW, int R, int kInCols, bool kRelu = false>
HWY_NOINLINE void OutputPlane(const float* HWY_RESTRICT in, int channels, int channel_stride,
                              const float* HWY_RESTRICT w, float bias,
                              float* HWY_RESTRICT out, int out_h, int out_w) {
  const KernelTag d;
  constexpr int NV = PlaneTileVectors();
  constexpr int kCols = NV * static_cast<int>(hn::MaxLanes(d));
  for (int oh = 0; oh < out_h; oh += R) {
    const int top = std::min(oh, out_h - R);
    for (int ox = 0; ox < out_w; ox += kCols) {
      const int left = out_w >= kCols ? std::min(ox, out_w - kCols) : ox;
      PlaneTile<KH, KW, R, NV, kInCols, kRelu>(d, in + top * kInCols + left, channels, channel_stride,
                                        w, bias, out + top * out_w + left, out_w, out_w - left);
    }
  }
}

// acc[kh][kw] += sum over R rows x one vector of dy[j][x] * in[j + kh][x + kw],
// with the first `skip` lanes of dy left out (already counted by the previous
// vector of the row); dy_sum += those dy (the bias gradient, from the loads
// the taps make anyway: a pass of its own over dy took 13% of the 64x56x56
// weight gradient).
template <int KH, int KW, int R, class D>
HWY_INLINE void DepthwiseGradTile(D d, const float* HWY_RESTRICT in, int in_cols,
                                  const float* HWY_RESTRICT dy, int dy_cols, int skip,
                                  VecTile<D, KH, KW>& acc, hn::Vec<D>& dy_sum) {
  using V = hn::Vec<D>;
  VecTile<D, R> g;
#pragma GCC unroll 16
  for (int j = 0; j < R; ++j) {
    g.Set(j, hn::IfThenZeroElse(hn::FirstN(d, static_cast<size_t>(skip)),
                                hn::LoadU(d, dy + j * dy_cols)));
    dy_sum = hn::Add(dy_sum, g.Get(j));
  }
#pragma GCC unroll 16
  for (int i = 0; i < R + KH - 1; ++i) {
#pragma GCC unroll 16
    for (int kw = 0; kw < KW; ++kw) {
      const V x = InRegister(hn::LoadU(d, in + i * in_cols + kw));
#pragma GCC unroll 16
      for (int kh = 0; kh < KH; ++kh) {
        if (i - kh < 0 || i - kh >= R) continue;
        acc.Set(kh, kw, hn::MulAdd(g.Get(i - kh), x, acc.Get(kh, kw)));
      }
    }
  }
}

// dw[kh][kw] += sum over the plane of dy[oh][ox] * in[oh + kh][ox + kw] and,
// unless db is null, db[0] += sum of dy; out_w >= lanes.
template <int KH, int KW>
HWY_NOINLINE void DepthwiseWeightGrad(const float* HWY_RESTRICT in, int in_cols,
                                      const float* HWY_RESTRICT dy, int out_h, int out_w,
                                      float* HWY_RESTRICT dw, float* HWY_RESTRICT db) {
  const KernelTag d;
  constexpr int R = kPlaneRows;
  constexpr int N = static_cast<int>(hn::MaxLanes(d));
  hn::Vec<KernelTag> dy_sum = hn::Zero(d);
  VecTile<KernelTag, KH, KW> acc;
#pragma GCC unroll 16
  for (int kh = 0; kh < KH; ++kh) {
#pragma GCC unroll 16
    for (int kw = 0; kw < KW; ++kw) acc.Set(kh, kw, hn::Zero(d));
  }
  const int banded = out_h - out_h % R;
  for (int oh = 0; oh < banded; oh += R) {
    for (int ox = 0; ox < out_w; ox += N) {
      const int left = std::min(ox, out_w - N);
      DepthwiseGradTile<KH, KW, R>(d, in + oh * in_cols + left, in_cols,
                                   dy + oh * out_w + left, out_w, ox - left, acc, dy_sum);
    }
  }
  for (int oh = banded; oh < out_h; ++oh) {
    for (int ox = 0; ox < out_w; ox += N) {
      const int left = std::min(ox, out_w - N);
      DepthwiseGradTile<KH, KW, 1>(d, in + oh * in_cols + left, in_cols,
                                   dy + oh * out_w + left, out_w, ox - left, acc, dy_sum);
    }
  }
  for (int kh = 0; kh < KH; ++kh) {
    for (int kw = 0; kw < KW; ++kw) {
      dw[kh * KW + kw] += hn::GetLane(hn::SumOfLanes(d, acc.Get(kh, kw)));
    }
  }
  if (db != nullptr) db[0] += hn::GetLane(hn::SumOfLanes(d, dy_sum));
}

// Geometries the plane tiles handle; `rows` = rows of the pass's output planes.
constexpr bool PlaneTilesFit(const Conv2dGeometry& g, int rows) {
  return cd::plane_tiles_fit(g, rows);
}

// Forward with one output channel per group (PlaneTilesFit(G, G.out.h)), from
// the plane copy of each group's input (cd::PlaneCopyPlan); kRelu: max(0, .)
// of the sums, in registers.
template <Conv2dGeometry G, bool kRelu = false>
HWY_INLINE void DepthwiseForward(const float* HWY_RESTRICT x, const float* HWY_RESTRICT w,
                                 const float* HWY_RESTRICT b, float* HWY_RESTRICT y,
                                 float* HWY_RESTRICT scratch) {
  constexpr cd::PlaneCopyPlan p = cd::plane_copy_plan(G);
  static_assert(p.used && p.front >= G.x.pad);
  constexpr int kCin = G.in_per_group(), kTaps = G.y.kernel * G.x.kernel;
  ZeroFloats(scratch, p.front);
  for (int g = 0; g < G.groups; ++g) {
    PadPhases<PadSpec{kCin, G.in.h, G.in.w, 1, 1, G.y.pad, 0, p.rows, p.cols, 1, 1}>(
        x + g * kCin * G.in.h * G.in.w, scratch + p.front);
    OutputPlane<G.y.kernel, G.x.kernel, PlaneTileRows<G.y.kernel>(G.out.h), p.cols, kRelu>(
        scratch + p.front - G.x.pad, kCin, p.plane, w + g * kCin * kTaps,
        G.bias ? b[g] : 0.0f, y + g * G.out.h * G.out.w, G.out.h, G.out.w);
  }
}

// dx of a group's single input channel (PlaneTilesFit(G, G.in.h)): the
// forward of the transposed geometry (cd::input_transposed: dy padded by
// kernel - 1 - pad) with the flipped kernels, from forward's plane copy of dy.
template <Conv2dGeometry G>
HWY_INLINE void DepthwiseBackwardInput(const float* HWY_RESTRICT dy,
                                       const float* HWY_RESTRICT w, float* HWY_RESTRICT dx,
                                       float* HWY_RESTRICT scratch) {
  constexpr Conv2dGeometry kTransposed = cd::input_transposed(G);
  constexpr cd::PlaneCopyPlan p = cd::plane_copy_plan(kTransposed);
  static_assert(p.used && p.front >= kTransposed.x.pad);
  constexpr int kCout = G.out_per_group(), kTaps = G.y.kernel * G.x.kernel;
  float* HWY_RESTRICT flipped = scratch + cd::aligned(p.floats);  // [kCout][kTaps]
  ZeroFloats(scratch, p.front);
  for (int g = 0; g < G.groups; ++g) {
    PadPhases<PadSpec{kCout, G.out.h, G.out.w, 1, 1, kTransposed.y.pad, 0, p.rows, p.cols, 1,
                      1}>(dy + g * kCout * G.out.h * G.out.w, scratch + p.front);
    const float* HWY_RESTRICT wg = w + g * kCout * kTaps;
    for (int i = 0; i < kCout * kTaps; i += kTaps) {
      for (int t = 0; t < kTaps; ++t) flipped[i + t] = wg[i + kTaps - 1 - t];
    }
    OutputPlane<G.y.kernel, G.x.kernel, PlaneTileRows<G.y.kernel>(G.in.h), p.cols>(
        scratch + p.front - kTransposed.x.pad, kCout, p.plane, flipped, 0.0f,
        dx + g * G.in.h * G.in.w, G.in.h, G.in.w);
  }
}

}  // namespace conv2d_impl
}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#endif  // STATICNN_KERNELS_CONV2D_DEPTHWISE_INL_H_
