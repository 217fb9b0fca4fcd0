// Pointwise Conv2d forward (1x1, stride 1, no padding, one group): a GEMM
// y[co][q] = b[co] + sum over ci of w[co][ci] * x[ci][q] over the plane's
// positions q, read and written in place.
//
// The general path (conv2d_forward-inl.h) copies the input into its padded
// planes and packs each tile's weights into a panel first; for MobileNetV1's
// 128->128 at 6x6 and 256->256 at 3x3 the packing and copies cost a third of
// the layer. Here the tile broadcasts w[co][ci] straight from the weights
// (one broadcast load per row either way) and loads x where it lies: positions
// in vectors of at most the plane's size, the last vector of a row overlapping
// the previous one (outputs are written, not accumulated, so the overlap is
// computed twice and stored twice with the same values). kRelu stores
// max(0, .) of the sums (a ReLU fused into the layer: the ReLU's bits, one
// pass over y fewer).
//   PointwiseTileShape  MR x NV for the layer: 8 x 3, or with 16 registers
//                     6 x 2 or 4 x 3, whichever keeps the FMA pipes busier
//   PointwiseTile     MR output channels x NV vectors of positions
//   PointwiseForward  the layer: blocks of positions, tiles of channels
//   PointwiseBackwardInput  the forward of the transposed weights

#if defined(STATICNN_KERNELS_CONV2D_POINTWISE_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef STATICNN_KERNELS_CONV2D_POINTWISE_INL_H_
#undef STATICNN_KERNELS_CONV2D_POINTWISE_INL_H_
#else
#define STATICNN_KERNELS_CONV2D_POINTWISE_INL_H_
#endif

#include <algorithm>
#include <cstddef>

#include "hwy/highway.h"
#include "staticnn/geometry.hpp"
#include "staticnn/kernels/activation-inl.h"
#include "staticnn/kernels/conv2d_scratch.hpp"
#include "staticnn/kernels/memory-inl.h"
#include "staticnn/kernels/vectors-inl.h"

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;
namespace conv2d_impl {
namespace cd = ::staticnn::conv2d_detail;

// A tile's shape: MR output channels x NV vectors of positions.
struct PointwiseShape {
  int rows = 0, vectors = 0;
};

// FMA issue slots per input channel of a layer of M output channels over
// `vectors` vectors of positions in `shape`'s tiles: the blocks of NV vectors
// and the one of the vectors left, each in tiles of MR channels and one of the
// channels left; a tile of fewer than kFmaChains accumulators takes the time of
// kFmaChains.
constexpr int PointwiseTime(int M, int vectors, PointwiseShape shape) {
  const auto tiles = [&](int nv) {
    const int rest = M % shape.rows;
    return M / shape.rows * std::max(shape.rows * nv, kFmaChains) +
           (rest != 0 ? std::max(rest * nv, kFmaChains) : 0);
  };
  const int rest = vectors % shape.vectors;
  return vectors / shape.vectors * tiles(shape.vectors) + (rest != 0 ? tiles(rest) : 0);
}

// 8 x 3 with 32 registers. With 16, 12 accumulators beside the NV loaded
// vectors and the broadcast weight: 6 x 2 or 4 x 3 (3 x 4 spills one), 6 x 2
// unless 4 x 3 takes less time (PointwiseTime). At equal time 6 x 2 measured
// faster, with two vector loads a step (and six broadcasts) against three (and
// four). Zen 3, AVX2, alternating runs: DS-CNN's 64 -> 64 on 25x5 (16
// vectors) 11.4 -> 10.8 us and DS-CNN inference 69.1 -> 66.0 us; MobileNetV1's
// 8 -> 16 on 48x48 8.0 -> 7.3 us; 64 -> 64 on 56x56 unchanged. MobileNetV1's
// 128 -> 128 on 6x6 (5 vectors: 6 x 2 ends in a 6 x 1 tile, 6 chains) keeps
// 4 x 3 (one run each: 14.5 us against 15.7 with 6 x 2).
constexpr PointwiseShape PointwiseTileShape(int M, int vectors) {
  if (kVectorRegisters == 32) return {8, 3};
  const PointwiseShape wide{6, 2}, deep{4, 3};
  return PointwiseTime(M, vectors, deep) < PointwiseTime(M, vectors, wide) ? deep : wide;
}

constexpr bool PointwiseFits(const Conv2dGeometry& g) {
  return g.groups == 1 && g.y.kernel == 1 && g.x.kernel == 1 && g.y.stride == 1 &&
         g.x.stride == 1 && g.y.pad == 0 && g.x.pad == 0;
}

// out[r][start[v] + lane] = bias[r] + sum over k < K of w[r * K + k] *
// x[k * Q + start[v] + lane] for r < MR, v < NV (max(0, .) of it with kRelu);
// prefetches ahead[k * Q, k * Q + ahead_floats) for k < K unless ahead is null.
template <int MR, int NV, int K, int Q, bool kRelu, class D>
HWY_INLINE void PointwiseTile(D d, const float* HWY_RESTRICT x, const int* start,
                              const float* HWY_RESTRICT w, const float* HWY_RESTRICT b,
                              float* HWY_RESTRICT out, const float* ahead = nullptr,
                              int ahead_floats = 0) {
  VecTile<D, MR, NV> acc;
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r) {
    const auto bias = b != nullptr ? hn::Set(d, b[r]) : hn::Zero(d);
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc.Set(r, v, bias);
  }
  for (int k = 0; k < K; ++k) {
    VecTile<D, NV> in;
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) in.Set(v, hn::LoadU(d, x + k * Q + start[v]));
    if (ahead != nullptr) PrefetchFloats(ahead + k * Q, ahead_floats);
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) {
      const auto wr = hn::Set(d, w[r * K + k]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc.Set(r, v, hn::MulAdd(wr, in.Get(v), acc.Get(r, v)));
    }
  }
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r) {
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      const auto sum = acc.Get(r, v);
      hn::StoreU(kRelu ? Relu(d, sum) : sum, d, out + r * Q + start[v]);
    }
  }
}

// Rows [0, M) in tiles of MR, whose vectors start at start[0, NV).
template <int MR, int NV, int K, int Q, int M, bool kRelu, class D>
HWY_INLINE void PointwiseRows(D d, const float* HWY_RESTRICT x, const int* start,
                              const float* HWY_RESTRICT w, const float* HWY_RESTRICT b,
                              float* HWY_RESTRICT y, const float* ahead, int ahead_floats) {
  constexpr int kWhole = M - M % MR;
  for (int m = 0; m < kWhole; m += MR) {
    PointwiseTile<MR, NV, K, Q, kRelu>(d, x, start, w + m * K, b != nullptr ? b + m : nullptr,
                                y + m * Q, m == 0 ? ahead : nullptr, ahead_floats);
  }
  if constexpr (M % MR != 0) {
    PointwiseTile<M % MR, NV, K, Q, kRelu>(d, x, start, w + kWhole * K,
                                    b != nullptr ? b + kWhole : nullptr, y + kWhole * Q);
  }
}

// Vectors of positions: at most one vector of the target, and no more lanes
// than positions (MobileNet's 3x3 planes take 8 lanes).
template <Conv2dGeometry G>
using PointwiseTag =
    hn::CappedTag<float, std::min<std::size_t>(hn::MaxLanes(KernelTag()),
                                               cd::lanes_for(G.out.h * G.out.w))>;

// y = conv1x1(x, w) + b (max(0, .) of it with kRelu), PointwiseFits(G).
template <Conv2dGeometry G, bool kRelu = false>
HWY_INLINE void PointwiseForward(const float* HWY_RESTRICT x, const float* HWY_RESTRICT w,
                                 const float* HWY_RESTRICT b, float* HWY_RESTRICT y) {
  const PointwiseTag<G> d;
  constexpr int N = static_cast<int>(hn::MaxLanes(d));
  constexpr int Q = G.out.h * G.out.w, K = G.in.c, M = G.out.c;
  constexpr int kVectors = cd::ceil_div(Q, N);
  constexpr PointwiseShape kShape = PointwiseTileShape(M, kVectors);
  constexpr int MR = kShape.rows, NV = kShape.vectors;
  const float* HWY_RESTRICT bias = G.bias ? b : nullptr;
  // Inputs larger than L1 (64x56x56: 800 KB a sample) come from L2 or L3 in
  // K rows at once, more streams than the hardware prefetchers follow: the
  // first tile of a block asks for the next block's lines (64 -> 64 channels
  // on 56x56 at batch 16: 2.6 -> 1.9 ms). Planes that fit in L1 skip that.
  constexpr bool kAhead = std::size_t(K) * Q * sizeof(float) > 32 * 1024;
  // A block of NV vectors of positions: its inputs stay in L1 while every
  // tile of output channels reads them.
  for (int v0 = 0; v0 + NV <= kVectors; v0 += NV) {
    int start[NV];
    for (int v = 0; v < NV; ++v) start[v] = std::min((v0 + v) * N, Q - N);
    const int next = std::min(v0 + NV, kVectors) * N;
    const float* ahead = kAhead && next < Q ? x + next : nullptr;
    PointwiseRows<MR, NV, K, Q, M, kRelu>(d, x, start, w, bias, y, ahead,
                                      std::min(NV * N, Q - next));
  }
  if constexpr (kVectors % NV != 0) {
    constexpr int kRest = kVectors % NV;
    int start[kRest];
    for (int v = 0; v < kRest; ++v) start[v] = std::min((kVectors - kRest + v) * N, Q - N);
    PointwiseRows<MR, kRest, K, Q, M, kRelu>(d, x, start, w, bias, y, nullptr, 0);
  }
}

// The input gradient of a pointwise layer is the pointwise forward of the
// transposed weights, dx[ci][q] = sum over co of w[co][ci] * dy[co][q]: dy
// read in place, where the general path (conv2d_backward_input-inl.h) copies
// it into padded planes and packs panels per tile (64 -> 64 channels on
// 56x56, AVX-512: 121-124 -> 98-104 us; batch 16, 2.26-2.37 -> 1.64-1.69 ms;
// DS-CNN's 64 -> 64 on 25x5 5.3-5.6 -> 4.7-4.8 us, MobileNet's 8 -> 16 on
// 48x48 4.2-4.4 -> 2.7 us).
// Taken where that path's scratch holds the transposed weights (in.c x out.c
// floats).
constexpr bool PointwiseInputFits(const Conv2dGeometry& g) {
  return PointwiseFits(g) && g.in.c * g.out.c <= cd::backward_input_plan(g).floats;
}

// dx = conv1x1^T(dy, w) for Batch samples, PointwiseInputFits(G); the
// transposed weights are built once in scratch.
template <Conv2dGeometry G, int Batch>
HWY_INLINE void PointwiseBackwardInput(const float* HWY_RESTRICT dy, const float* HWY_RESTRICT w,
                                       float* HWY_RESTRICT dx, float* HWY_RESTRICT scratch) {
  static_assert(PointwiseInputFits(G));
  Transpose(w, G.in.c, G.out.c, G.in.c, scratch, G.out.c);
  for (int s = 0; s < Batch; ++s) {
    PointwiseForward<cd::input_transposed(G)>(dy + s * G.out.size(), scratch, nullptr,
                                              dx + s * G.in.size());
  }
}

}  // namespace conv2d_impl
}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#endif  // STATICNN_KERNELS_CONV2D_POINTWISE_INL_H_
