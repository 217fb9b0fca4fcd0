// Depthwise Conv2d forward (one input and one output channel per group,
// dilation 1, any stride, padding and kernel) with the channels in the vector
// lanes, as XNNPACK computes NHWC depthwise layers.
//
// The planar tiles (conv2d_depthwise-inl.h, the row tile) put columns in the
// lanes: a DS-CNN plane of 25x5 fills 5 of 16 lanes, and each plane needs its
// own zero-padded copy. Here, per block of N channels, the input is transposed
// into scratch as xt[padded row][padded column][N] (zeros around it), so that
// an output position of all N channels is bias + one FMA per tap with
// whole vectors, the taps' weights are KH*KW vectors that stay in registers,
// and a row of T outputs loads each input vector once for the KW taps that
// read it (kRelu: max(0, .) of them, a ReLU fused into the layer). The
// outputs yt[position][N] are transposed back into PyTorch's
// NCHW y. The two transposes (transpose_blocks-inl.h) cost about what the
// FMAs do at 3x3; the lanes are full on every plane size and stride. A plane
// too large for L1 runs in bands of output rows (conv2d_scratch.hpp,
// depthwise_lanes_plan), each transposing the input rows its windows read.
//   DepthwiseLanesTile     T consecutive outputs of one row, N channels
//   DepthwiseLanesForward  the layer: per block of channels and band of rows,
//                          transpose in, tiles, transpose out

#if defined(STATICNN_KERNELS_CONV2D_DEPTHWISE_LANES_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef STATICNN_KERNELS_CONV2D_DEPTHWISE_LANES_INL_H_
#undef STATICNN_KERNELS_CONV2D_DEPTHWISE_LANES_INL_H_
#else
#define STATICNN_KERNELS_CONV2D_DEPTHWISE_LANES_INL_H_
#endif

#include <algorithm>
#include <cstddef>

#include "hwy/highway.h"
#include "staticnn/geometry.hpp"
#include "staticnn/kernels/activation-inl.h"
#include "staticnn/kernels/conv2d_scratch.hpp"
#include "staticnn/kernels/memory-inl.h"
#include "staticnn/kernels/transpose_blocks-inl.h"
#include "staticnn/kernels/vectors-inl.h"

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;
namespace conv2d_impl {
namespace cd = ::staticnn::conv2d_detail;

// Outputs per tile: the weights (KH*KW vectors), T accumulators and the input
// vector fit 32 registers with T = 8 at 3x3, 16 with T = 4.
inline constexpr int kLanesTileOutputs = kVectorRegisters == 32 ? 8 : 4;

// out[t][lane] = bias + sum over kh, kw of w[kh][kw] * in[kh][t*S + kw] for
// t < T, where in[r][c] is the vector at in + r * in_row + c * N: input column
// i is loaded once per kernel row, for the kernel columns kw with
// (i - kw) % S == 0; max(0, .) of it with kRelu.
template <int KH, int KW, int S, int T, bool kRelu, class D>
HWY_INLINE void DepthwiseLanesTile(D d, const float* HWY_RESTRICT in, int in_row,
                                   const VecTile<D, KH * KW>& w, hn::Vec<D> bias,
                                   float* HWY_RESTRICT out) {
  constexpr int N = static_cast<int>(hn::MaxLanes(d));
  VecTile<D, T> acc;
#pragma GCC unroll 16
  for (int t = 0; t < T; ++t) acc.Set(t, bias);
#pragma GCC unroll 16
  for (int kh = 0; kh < KH; ++kh) {
#pragma GCC unroll 64
    for (int i = 0; i < (T - 1) * S + KW; ++i) {
      const auto x = InRegister(hn::Load(d, in + kh * in_row + i * N));
#pragma GCC unroll 16
      for (int kw = 0; kw < KW; ++kw) {
        if (i < kw || (i - kw) % S != 0 || (i - kw) / S >= T) continue;
        const int t = (i - kw) / S;
        acc.Set(t, hn::MulAdd(w.Get(kh * KW + kw), x, acc.Get(t)));
      }
    }
  }
#pragma GCC unroll 16
  for (int t = 0; t < T; ++t) hn::Store(kRelu ? Relu(d, acc.Get(t)) : acc.Get(t), d, out + t * N);
}

// Vectors of channels: at most one vector of the target, at most 16 lanes
// (the plan's bound), and no more lanes than channels (MobileNet's 8).
template <Conv2dGeometry G>
using DepthwiseLanesTag =
    hn::CappedTag<float, std::min<std::size_t>(hn::MaxLanes(KernelTag()),
                                               cd::lanes_for(G.in.c))>;

// y = depthwise conv(x, w) + b (max(0, .) of it with kRelu),
// cd::depthwise_lanes_plan(G).used. Flattened: the transposes inline with
// their constant sizes (g++ left some out of line, depending on what else the
// translation unit holds: DS-CNN's layer took 15% longer).
template <Conv2dGeometry G, bool kRelu = false>
HWY_FLATTEN HWY_INLINE void DepthwiseLanesForward(const float* HWY_RESTRICT x, const float* HWY_RESTRICT w,
                                      const float* HWY_RESTRICT b, float* HWY_RESTRICT y,
                                      float* HWY_RESTRICT scratch) {
  using D = DepthwiseLanesTag<G>;
  const D d;
  constexpr int N = static_cast<int>(hn::MaxLanes(d));
  constexpr cd::DepthwiseLanesPlan p = cd::depthwise_lanes_plan(G);
  constexpr int KH = G.y.kernel, KW = G.x.kernel, kTaps = KH * KW;
  constexpr int S = G.x.stride, kRow = p.cols * N;
  constexpr int kInPlane = G.in.h * G.in.w, kOutPlane = G.out.h * G.out.w;
  constexpr int kBand = p.band, kBands = cd::ceil_div(G.out.h, kBand);
  // Input columns inside the padded extent (floor rounding may drop the last).
  constexpr int kColsIn = std::min(G.in.w, p.cols - G.x.pad);
  // Rows narrower than Transpose's 4x4 blocks (MobileNet's 3x3 planes) went
  // one float at a time; when all of them are inside the padded extent, the
  // plane (in one band) is transposed in one piece in 8x8 blocks, each
  // position to its place in xt: 1.5x faster at 256x3x3. At DS-CNN's 25x5
  // planes (rows of a 4x4 block and one float) it took 18% more time, and a
  // contiguous transpose copied into place 8% more.
  constexpr bool kWholePlane = kTransposeBlocksOf8 && G.in.w < 4 && kColsIn == G.in.w &&
                               kBands == 1 && p.rows - G.y.pad >= G.in.h;
  // Columns of a row in the fewest tiles of at most kLanesTileOutputs; the last
  // tile overlaps the previous one when they do not divide the row.
  constexpr int kChunks = cd::ceil_div(G.out.w, kLanesTileOutputs);
  constexpr int T = cd::ceil_div(G.out.w, kChunks);
  float* HWY_RESTRICT xt = scratch + p.xt;
  float* HWY_RESTRICT yt = scratch + p.yt;
  // wt[t][c] = w[c][t], zeros past in.c, for all blocks at once: a block's 16
  // x 9 weights transposed just before their loads ended in a scalar column
  // (tap 8) whose stores the next vector load waited for (a fifth of
  // MobileNet's 256x3x3 in perf).
  float* HWY_RESTRICT wt = scratch + p.wt;
  TransposeBlocks(w, kTaps, G.in.c, kTaps, wt, p.channels);
  if constexpr (p.channels > G.in.c) {
    for (int t = 0; t < kTaps; ++t) ZeroFloats(wt + t * p.channels + G.in.c, p.channels - G.in.c);
  }
  for (int c0 = 0; c0 < G.in.c; c0 += N) {
    const int lanes = std::min(N, G.in.c - c0);
    const float* HWY_RESTRICT xc = x + c0 * kInPlane;
    for (int band = 0; band < kBands; ++band) {
      const int oh0 = std::min(band * kBand, G.out.h - kBand);
      // xt row i is input row oh0 * stride + i - pad.y; zeros outside x.
      const int first = oh0 * G.y.stride - G.y.pad;
      // The unused lanes of a partial block read zeros, not stale scratch.
      if (lanes < N) ZeroFloats(xt, p.rows * kRow);
      for (int i = 0; i < p.rows; ++i) {
        float* HWY_RESTRICT row = xt + i * kRow;
        const int r = first + i;
        if (r < 0 || r >= G.in.h) {
          ZeroFloats(row, kRow);
          continue;
        }
        ZeroFloats(row, G.x.pad * N);
        if constexpr (!kWholePlane) {
          TransposeBlocks(xc + r * G.in.w, kInPlane, lanes, kColsIn, row + G.x.pad * N, N);
        }
        ZeroFloats(row + (G.x.pad + kColsIn) * N, (p.cols - G.x.pad - kColsIn) * N);
      }
      if constexpr (kWholePlane) {
        float* HWY_RESTRICT interior = xt + (G.y.pad * p.cols + G.x.pad) * N;
        TransposeBlocksTo(xc, kInPlane, lanes, kInPlane, [interior](int i) {
          return interior + (i / G.in.w * p.cols + i % G.in.w) * N;
        });
      }
      VecTile<D, kTaps> wv;
#pragma GCC unroll 64
      for (int t = 0; t < kTaps; ++t) wv.Set(t, hn::LoadU(d, wt + t * p.channels + c0));
      const auto bias = G.bias ? LoadFirstN(d, b + c0, static_cast<size_t>(lanes)) : hn::Zero(d);
      for (int oh = 0; oh < kBand; ++oh) {
        const float* HWY_RESTRICT in = xt + oh * G.y.stride * kRow;
        for (int c = 0; c < kChunks; ++c) {
          const int ox = std::min(c * T, G.out.w - T);
          DepthwiseLanesTile<KH, KW, S, T, kRelu>(d, in + ox * S * N, kRow, wv, bias,
                                                  yt + (oh * G.out.w + ox) * N);
        }
      }
      TransposeBlocks(yt, N, kBand * G.out.w, lanes, y + c0 * kOutPlane + oh0 * G.out.w,
                      kOutPlane);
    }
  }
}

}  // namespace conv2d_impl
}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#endif  // STATICNN_KERNELS_CONV2D_DEPTHWISE_LANES_INL_H_
