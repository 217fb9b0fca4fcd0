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
// read it. The outputs yt[position][N] are transposed back into PyTorch's
// NCHW y. The two transposes (4x4 blocks, memory-inl.h) cost about what the
// FMAs do at 3x3; the lanes are full on every plane size and stride.
//   DepthwiseLanesTile     T consecutive outputs of one row, N channels
//   DepthwiseLanesForward  the layer: per block of channels, transpose in,
//                          tiles, transpose out

#if defined(STATICNN_KERNELS_CONV2D_DEPTHWISE_LANES_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef STATICNN_KERNELS_CONV2D_DEPTHWISE_LANES_INL_H_
#undef STATICNN_KERNELS_CONV2D_DEPTHWISE_LANES_INL_H_
#else
#define STATICNN_KERNELS_CONV2D_DEPTHWISE_LANES_INL_H_
#endif

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "hwy/highway.h"
#include "staticnn/geometry.hpp"
#include "staticnn/kernels/conv2d_scratch.hpp"
#include "staticnn/kernels/memory-inl.h"
#include "staticnn/kernels/vectors-inl.h"

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;
namespace conv2d_impl {
namespace cd = ::staticnn::conv2d_detail;

// dst[i * dst_stride + r] = src[r * src_stride + i] for r < rows, i < cols, as
// Transpose (memory-inl.h), in 8x8 blocks where the target has 256-bit vectors
// of 128-bit blocks (AVX2, AVX-512): 8 loads, 24 shuffles and 8 stores per 64
// floats, where 4x4 blocks take 16, 32 and 16. The rest goes to Transpose.
inline void TransposeBlocks(const float* HWY_RESTRICT src, int src_stride, int rows, int cols,
                            float* HWY_RESTRICT dst, int dst_stride) {
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2
  const hn::FixedTag<float, 8> d;
  const hn::Repartition<uint64_t, decltype(d)> d64;
  const int r8 = rows & ~7, c8 = cols & ~7;
  for (int r = 0; r < r8; r += 8) {
    for (int i = 0; i < c8; i += 8) {
      const float* HWY_RESTRICT s = src + r * src_stride + i;
      const auto r0 = hn::LoadU(d, s), r1 = hn::LoadU(d, s + src_stride);
      const auto r2 = hn::LoadU(d, s + 2 * src_stride), r3 = hn::LoadU(d, s + 3 * src_stride);
      const auto r4 = hn::LoadU(d, s + 4 * src_stride), r5 = hn::LoadU(d, s + 5 * src_stride);
      const auto r6 = hn::LoadU(d, s + 6 * src_stride), r7 = hn::LoadU(d, s + 7 * src_stride);
      // Pairs of rows, per 128-bit block: t0 = r0[0] r1[0] r0[1] r1[1] | r0[4] ...
      const auto t0 = hn::BitCast(d64, hn::InterleaveLower(d, r0, r1));
      const auto t1 = hn::BitCast(d64, hn::InterleaveUpper(d, r0, r1));
      const auto t2 = hn::BitCast(d64, hn::InterleaveLower(d, r2, r3));
      const auto t3 = hn::BitCast(d64, hn::InterleaveUpper(d, r2, r3));
      const auto t4 = hn::BitCast(d64, hn::InterleaveLower(d, r4, r5));
      const auto t5 = hn::BitCast(d64, hn::InterleaveUpper(d, r4, r5));
      const auto t6 = hn::BitCast(d64, hn::InterleaveLower(d, r6, r7));
      const auto t7 = hn::BitCast(d64, hn::InterleaveUpper(d, r6, r7));
      // Quads of rows: u0 = column 0 of rows 0-3 | column 4 of rows 0-3.
      const auto u0 = hn::BitCast(d, hn::InterleaveLower(d64, t0, t2));
      const auto u1 = hn::BitCast(d, hn::InterleaveUpper(d64, t0, t2));
      const auto u2 = hn::BitCast(d, hn::InterleaveLower(d64, t1, t3));
      const auto u3 = hn::BitCast(d, hn::InterleaveUpper(d64, t1, t3));
      const auto u4 = hn::BitCast(d, hn::InterleaveLower(d64, t4, t6));
      const auto u5 = hn::BitCast(d, hn::InterleaveUpper(d64, t4, t6));
      const auto u6 = hn::BitCast(d, hn::InterleaveLower(d64, t5, t7));
      const auto u7 = hn::BitCast(d, hn::InterleaveUpper(d64, t5, t7));
      float* HWY_RESTRICT o = dst + i * dst_stride + r;
      hn::StoreU(hn::ConcatLowerLower(d, u4, u0), d, o);
      hn::StoreU(hn::ConcatLowerLower(d, u5, u1), d, o + dst_stride);
      hn::StoreU(hn::ConcatLowerLower(d, u6, u2), d, o + 2 * dst_stride);
      hn::StoreU(hn::ConcatLowerLower(d, u7, u3), d, o + 3 * dst_stride);
      hn::StoreU(hn::ConcatUpperUpper(d, u4, u0), d, o + 4 * dst_stride);
      hn::StoreU(hn::ConcatUpperUpper(d, u5, u1), d, o + 5 * dst_stride);
      hn::StoreU(hn::ConcatUpperUpper(d, u6, u2), d, o + 6 * dst_stride);
      hn::StoreU(hn::ConcatUpperUpper(d, u7, u3), d, o + 7 * dst_stride);
    }
  }
  Transpose(src + c8, src_stride, r8, cols - c8, dst + c8 * dst_stride, dst_stride);
  Transpose(src + r8 * src_stride, src_stride, rows - r8, cols, dst + r8, dst_stride);
#else
  Transpose(src, src_stride, rows, cols, dst, dst_stride);
#endif
}

// Outputs per tile: the weights (KH*KW vectors), T accumulators and the input
// vector fit 32 registers with T = 8 at 3x3, 16 with T = 4.
inline constexpr int kLanesTileOutputs = kVectorRegisters == 32 ? 8 : 4;

// out[t][lane] = bias + sum over kh, kw of w[kh][kw] * in[kh][t*S + kw] for
// t < T, where in[r][c] is the vector at in + r * in_row + c * N: input column
// i is loaded once per kernel row, for the kernel columns kw with
// (i - kw) % S == 0.
template <int KH, int KW, int S, int T, class D>
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
  for (int t = 0; t < T; ++t) hn::Store(acc.Get(t), d, out + t * N);
}

// Vectors of channels: at most one vector of the target, at most 16 lanes
// (the plan's bound), and no more lanes than channels (MobileNet's 8).
template <Conv2dGeometry G>
using DepthwiseLanesTag =
    hn::CappedTag<float, std::min<std::size_t>(hn::MaxLanes(KernelTag()),
                                               cd::lanes_for(G.in.c))>;

// y = depthwise conv(x, w) + b, cd::depthwise_lanes_plan(G).used.
template <Conv2dGeometry G>
HWY_INLINE void DepthwiseLanesForward(const float* HWY_RESTRICT x, const float* HWY_RESTRICT w,
                                      const float* HWY_RESTRICT b, float* HWY_RESTRICT y,
                                      float* HWY_RESTRICT scratch) {
  using D = DepthwiseLanesTag<G>;
  const D d;
  constexpr int N = static_cast<int>(hn::MaxLanes(d));
  constexpr cd::DepthwiseLanesPlan p = cd::depthwise_lanes_plan(G);
  constexpr int KH = G.y.kernel, KW = G.x.kernel, kTaps = KH * KW;
  constexpr int S = G.x.stride, kRow = p.cols * N;
  constexpr int kInPlane = G.in.h * G.in.w, kOutPlane = G.out.h * G.out.w;
  // Input rows and columns inside the padded extent (floor rounding may drop
  // the last ones).
  constexpr int kRowsIn = std::min(G.in.h, p.rows - G.y.pad);
  constexpr int kColsIn = std::min(G.in.w, p.cols - G.x.pad);
  // Columns of a row in the fewest tiles of at most kLanesTileOutputs; the last
  // tile overlaps the previous one when they do not divide the row.
  constexpr int kChunks = cd::ceil_div(G.out.w, kLanesTileOutputs);
  constexpr int T = cd::ceil_div(G.out.w, kChunks);
  float* HWY_RESTRICT xt = scratch + p.xt;
  float* HWY_RESTRICT yt = scratch + p.yt;
  HWY_ALIGN float wt[kTaps * N];
  for (int c0 = 0; c0 < G.in.c; c0 += N) {
    const int lanes = std::min(N, G.in.c - c0);
    // The unused lanes of a partial block read zeros, not stale scratch.
    if (lanes < N) ZeroFloats(xt, p.rows * kRow);
    ZeroFloats(xt, G.y.pad * kRow);
    for (int r = 0; r < kRowsIn; ++r) {
      float* HWY_RESTRICT row = xt + (G.y.pad + r) * kRow;
      ZeroFloats(row, G.x.pad * N);
      TransposeBlocks(x + c0 * kInPlane + r * G.in.w, kInPlane, lanes, kColsIn, row + G.x.pad * N, N);
      ZeroFloats(row + (G.x.pad + kColsIn) * N, (p.cols - G.x.pad - kColsIn) * N);
    }
    ZeroFloats(xt + (G.y.pad + kRowsIn) * kRow, (p.rows - G.y.pad - kRowsIn) * kRow);

    if (lanes < N) ZeroFloats(wt, kTaps * N);
    Transpose(w + c0 * kTaps, kTaps, lanes, kTaps, wt, N);
    VecTile<D, kTaps> wv;
#pragma GCC unroll 64
    for (int t = 0; t < kTaps; ++t) wv.Set(t, hn::Load(d, wt + t * N));
    const auto bias = G.bias ? LoadFirstN(d, b + c0, static_cast<size_t>(lanes)) : hn::Zero(d);

    for (int oh = 0; oh < G.out.h; ++oh) {
      const float* HWY_RESTRICT in = xt + oh * G.y.stride * kRow;
      for (int c = 0; c < kChunks; ++c) {
        const int ox = std::min(c * T, G.out.w - T);
        DepthwiseLanesTile<KH, KW, S, T>(d, in + ox * S * N, kRow, wv, bias,
                                         yt + (oh * G.out.w + ox) * N);
      }
    }
    TransposeBlocks(yt, N, kOutPlane, lanes, y + c0 * kOutPlane, kOutPlane);
  }
}

}  // namespace conv2d_impl
}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#endif  // STATICNN_KERNELS_CONV2D_DEPTHWISE_LANES_INL_H_
