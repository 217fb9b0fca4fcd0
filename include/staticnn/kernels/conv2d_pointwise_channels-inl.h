// Pointwise Conv2d forward (1x1, stride 1, no padding, one group) on small
// planes, with the output channels in the vector lanes.
//
// The pointwise GEMM (conv2d_pointwise-inl.h) puts positions in the lanes:
// MobileNetV1's 6x6 planes (36 positions) take 3 vectors of 16 and its 3x3
// planes 2 vectors of 8, so a quarter and almost half of their FMAs are
// discarded. Output channels fill whole vectors there (128, 256). Per block of
// NV vectors of output channels, the block's weights are packed [in.c][block]
// (in chunks of input channels that stay in L1; each packed weight is read
// once per tile of positions), a tile of R positions x NV vectors broadcasts
// each x[ci][q] from x in place, and the tiles' outputs [position][block] are
// transposed into y. The packing costs less than the lanes it fills (AVX-512:
// 128x6x6 13.6 -> 11.7 us, 256x3x3 18.1 -> 14.2 us).
//   PositionsWasteLanes       whether positions fill the GEMM's lanes badly
//   PointwiseChannelsPay      whether a geometry takes this path on the target
//   PointwiseChannelTile      R positions x NV vectors of output channels
//   PointwiseChannelsForward  the layer: per block of channels, pack, tiles,
//                             transpose out

#if defined(STATICNN_KERNELS_CONV2D_POINTWISE_CHANNELS_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef STATICNN_KERNELS_CONV2D_POINTWISE_CHANNELS_INL_H_
#undef STATICNN_KERNELS_CONV2D_POINTWISE_CHANNELS_INL_H_
#else
#define STATICNN_KERNELS_CONV2D_POINTWISE_CHANNELS_INL_H_
#endif

#include <algorithm>

#include "hwy/highway.h"
#include "staticnn/geometry.hpp"
#include "staticnn/kernels/activation-inl.h"
#include "staticnn/kernels/conv2d_scratch.hpp"
#include "staticnn/kernels/transpose_blocks-inl.h"
#include "staticnn/kernels/vectors-inl.h"

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;
namespace conv2d_impl {
namespace cd = ::staticnn::conv2d_detail;

// Vectors of output channels per tile: 2 x 12 positions with 32 registers,
// 1 x 12 with 16 (accumulators, the step's weights and one broadcast).
inline constexpr int kPointwiseChannelVectors = kVectorRegisters == 32 ? 2 : 1;

// Whether the positions would fill less than 80% of the lanes of the vectors
// the pointwise GEMM runs them in.
constexpr bool PositionsWasteLanes(const Conv2dGeometry& g) {
  constexpr int kLanes = static_cast<int>(hn::MaxLanes(KernelTag()));
  const int positions = g.out.h * g.out.w;
  const int lanes = std::min(kLanes, cd::lanes_for(positions));
  const int vectors = cd::ceil_div(positions, lanes);
  return 5 * positions < 4 * vectors * lanes;
}

// Output channels in whole blocks, positions that waste lanes.
constexpr bool PointwiseChannelsPay(const Conv2dGeometry& g) {
  constexpr int kLanes = static_cast<int>(hn::MaxLanes(KernelTag()));
  return cd::pointwise_channels_plan(g).used &&
         g.out.c % (kPointwiseChannelVectors * kLanes) == 0 && PositionsWasteLanes(g);
}

// out[r][j] = start[j] + sum over k < count of x[k * Q + r] * wt[k * NV*N + j]
// for r < R, j < NV*N, where start is bias[j] (zero if bias is nullptr) on the
// first chunk of input channels and out[r][j] on the others (x at the tile's
// first position and the chunk's first channel); `relu` (the last chunk of a
// layer with a fused ReLU) stores max(0, .) of it.
template <int R, int NV, int Q, class D>
HWY_INLINE void PointwiseChannelTile(D d, const float* HWY_RESTRICT x, int count,
                                     const float* HWY_RESTRICT wt, bool first, bool relu,
                                     const float* HWY_RESTRICT bias, float* HWY_RESTRICT out) {
  constexpr int N = static_cast<int>(hn::MaxLanes(d)), kBlock = NV * N;
  VecTile<D, R, NV> acc;
#pragma GCC unroll 4
  for (int v = 0; v < NV; ++v) {
    const auto b = bias != nullptr ? hn::LoadU(d, bias + v * N) : hn::Zero(d);
#pragma GCC unroll 32
    for (int r = 0; r < R; ++r) acc.Set(r, v, first ? b : hn::Load(d, out + r * kBlock + v * N));
  }
  for (int k = 0; k < count; ++k) {
    VecTile<D, NV> w;
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) w.Set(v, hn::Load(d, wt + k * kBlock + v * N));
#pragma GCC unroll 32
    for (int r = 0; r < R; ++r) {
      const auto value = hn::Set(d, x[k * Q + r]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc.Set(r, v, hn::MulAdd(w.Get(v), value, acc.Get(r, v)));
    }
  }
#pragma GCC unroll 32
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      const auto sum = acc.Get(r, v);
      hn::Store(relu ? Relu(d, sum) : sum, d, out + r * kBlock + v * N);
    }
  }
}

// y = conv1x1(x, w) + b (max(0, .) of it with kRelu), PointwiseChannelsPay(G).
template <Conv2dGeometry G, bool kRelu = false>
HWY_INLINE void PointwiseChannelsForward(const float* HWY_RESTRICT x,
                                         const float* HWY_RESTRICT w,
                                         const float* HWY_RESTRICT b, float* HWY_RESTRICT y,
                                         float* HWY_RESTRICT scratch) {
  static_assert(PointwiseChannelsPay(G));
  const KernelTag d;
  constexpr int N = static_cast<int>(hn::MaxLanes(d));
  constexpr int NV = kPointwiseChannelVectors, kBlock = NV * N;
  constexpr int Q = G.out.h * G.out.w, K = G.in.c;
  // Positions in the fewest tiles of at most kTileAccumulators / NV, the last
  // one overlapping the previous when they do not divide the plane (its
  // outputs are stored twice with the same values).
  constexpr int kTiles = cd::ceil_div(Q, kTileAccumulators / NV);
  constexpr int R = cd::ceil_div(Q, kTiles);
  constexpr cd::PointwiseChannelsPlan p = cd::pointwise_channels_plan(G);
  float* HWY_RESTRICT wt = scratch + p.weights;
  float* HWY_RESTRICT yt = scratch + p.outputs;
  for (int c0 = 0; c0 < G.out.c; c0 += kBlock) {
    for (int k0 = 0; k0 < K; k0 += p.chunk) {
      const int count = std::min(p.chunk, K - k0);
      // wt[k][j] = w[c0 + j][k0 + k]
      TransposeBlocks(w + c0 * K + k0, K, kBlock, count, wt, kBlock);
      for (int t = 0; t < kTiles; ++t) {
        const int q = std::min(t * R, Q - R);
        PointwiseChannelTile<R, NV, Q>(d, x + k0 * Q + q, count, wt, k0 == 0,
                                       kRelu && k0 + count == K, G.bias ? b + c0 : nullptr, yt + q * kBlock);
      }
    }
    TransposeBlocks(yt, kBlock, Q, kBlock, y + c0 * Q, Q);  // y[c0 + j][q] = yt[q][j]
  }
}

}  // namespace conv2d_impl
}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#endif  // STATICNN_KERNELS_CONV2D_POINTWISE_CHANNELS_INL_H_
