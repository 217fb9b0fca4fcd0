// Conv2d forward with vectors along the output channels, for small unpadded
// planes whose output channels fill whole vectors (LeNet-5's conv2: 6 -> 16
// channels, 5x5, 10x10 outputs) and for a single padded or strided input
// plane (DS-CNN's first layer: 1x49x10 -> 64x25x5, 10x4 stride 2, padding
// 5x1; conv2d_scratch.hpp, channel_vectors_may_pay).
//
// The row tile (conv2d_row_tile-inl.h) puts output positions in the lanes: on
// 100 outputs it computes 7 vectors of 16 (12% of its FMAs discarded) and needs
// the input unfolded into one copy per kernel column (a tenth of the layer's
// time on AVX-512); on DS-CNN's strided 25x5 outputs it computes the 6-column
// rows of the stride phases (149 outputs for 125) and crops them. Here the
// lanes are the output channels, all of them used, and a tile of R positions
// broadcasts each input value straight from x (or from the zero-padded copy
// of the single plane): the positions and taps are compile-time offsets, so
// an unpadded x is not copied at all. Per (input channel, tap) step the tile
// loads the step's weights for its block of output channels (packed once per
// call: [k][out.c]) and does R x NV FMAs, one broadcast per position. The
// tiles' results, [position][channel], are transposed into y at the end.
//
// The padded plane runs one output row at a time (R positions along the row,
// the row a run-time offset): DS-CNN's layer is one tile instance of 40
// unrolled taps per block of channels, rather than one per tile of its 125
// positions (32 of them, each some 40 x 24 instructions: more code than the
// L1i holds).

#if defined(STATICNN_KERNELS_CONV2D_FORWARD_CHANNELS_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef STATICNN_KERNELS_CONV2D_FORWARD_CHANNELS_INL_H_
#undef STATICNN_KERNELS_CONV2D_FORWARD_CHANNELS_INL_H_
#else
#define STATICNN_KERNELS_CONV2D_FORWARD_CHANNELS_INL_H_
#endif

#include <algorithm>

#include "hwy/highway.h"
#include "staticnn/geometry.hpp"
#include "staticnn/kernels/activation-inl.h"
#include "staticnn/kernels/conv2d_copy-inl.h"
#include "staticnn/kernels/conv2d_scratch.hpp"
#include "staticnn/kernels/memory-inl.h"
#include "staticnn/kernels/pool2d-inl.h"
#include "staticnn/kernels/transpose_blocks-inl.h"
#include "staticnn/kernels/vectors-inl.h"

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;
namespace conv2d_impl {
namespace cd = ::staticnn::conv2d_detail;

// Vectors of output channels, when they fill whole vectors (unpadded: at most
// 2, with more too few positions per tile fit the registers); 0 otherwise.
constexpr int ChannelVectors(const Conv2dGeometry& g) {
  constexpr int kLanes = static_cast<int>(hn::MaxLanes(KernelTag()));
  const int vectors = g.out.c / kLanes;
  if (!cd::channel_vectors_may_pay(g) || g.out.c % kLanes != 0) return 0;
  return cd::channel_vectors_padded(g) || vectors <= 2 ? vectors : 0;
}

// Vectors of output channels per tile: the largest divisor of ChannelVectors
// up to 4 with 32 registers, 2 with 16 (more leaves 1 position per tile).
constexpr int ChannelBlockVectors(const Conv2dGeometry& g) {
  const int vectors = ChannelVectors(g);
  int block = std::min(vectors, kVectorRegisters == 32 ? 4 : 2);
  while (vectors % block != 0) --block;
  return block;
}

// Positions per tile, of `positions` in a row (padded) or in the plane:
// at most 16 accumulators, and the accumulators, the step's weights and one
// broadcast leave kChannelTileSpareRegisters of the target's registers free;
// tiles balanced (100 positions: 6 x 15 + 10 with AVX-512, 20 x 5 with AVX2).
// Neighbouring positions of a row read the same input at neighbouring taps,
// and g++ loads such a value once and keeps it in a register across the taps
// that use it: with 32 registers that is free, with 16 it spilled
// accumulators from 5 positions x 2 vectors up (LeNet-5 inference 12.3 us
// instead of 10.6, long ago). There the taps read x through Unshared
// pointers, so each broadcast is loaded at its FMAs, and 5 x 2 fits: LeNet-5
// inference with AVX2 code 9.3-9.5 -> 8.7-8.8 us, DS-CNN's first layer 8.1 ->
// 6.5 us (4 x 2 before, 3 + 2 per row). With AVX-512, 5 x 20 (24-accumulator
// budget) took 10.9 us instead of 10.3, long ago; unshared loads with 20 or
// 25 accumulators changed nothing measurable (the layer's share of LeNet-5
// inference stayed 42%).
// A padded plane's row tiles have 24 (the row is their tail anyway): DS-CNN's
// first layer with AVX-512 took 7.3-7.6 us with tiles of 5 positions x 4
// vectors, 7.8 with 16 accumulators' 3 + 2 positions.
inline constexpr bool kChannelTapsUnshared = kVectorRegisters == 16;
inline constexpr int kChannelTileSpareRegisters = kChannelTapsUnshared ? 4 : 5;
inline constexpr int kChannelTileAccumulators = 16;
inline constexpr int kChannelRowAccumulators = 24;
// Tiles of whole output rows when a row fits (a row's taps share broadcasts,
// a tile across rows shares fewer): LeNet-5's conv2 with AVX-512 in 10 tiles
// of 10 positions rather than 6 x 15 + 10: LeNet-5 inference 4.85-4.97 ->
// 4.80-4.86 us (medians of 5, three runs).
constexpr int ChannelTilePositions(int positions, int nv, int acc, int row) {
  int most = std::max(
      1, std::min(acc / nv, (kVectorRegisters - kChannelTileSpareRegisters - nv) / nv));
  if (row <= most) most = most / row * row;
  return cd::ceil_div(positions, cd::ceil_div(positions, most));
}

// Offset in x of output position p's window (input channel 0, tap 0).
constexpr int PositionOffset(const Conv2dGeometry& g, int p) {
  return p / g.out.w * g.y.stride * g.in.w + p % g.out.w * g.x.stride;
}

// outputs[p][co] = bias[co] + sum_k x[...] w[k][co] for positions [P0, P0 + R)
// and NV vectors of channels: weights, bias and outputs start at the block's
// first channel, their rows out.c apart; kRelu: max(0, .) of them.
template <Conv2dGeometry G, int NV, int P0, int R, bool kRelu>
HWY_INLINE void ChannelTile(const float* HWY_RESTRICT x, const float* HWY_RESTRICT weights,
                            const float* HWY_RESTRICT bias, float* HWY_RESTRICT outputs) {
  const KernelTag d;
  constexpr int N = static_cast<int>(hn::MaxLanes(d));
  constexpr int kCout = G.out.c;
  VecTile<KernelTag, R, NV> acc;
#pragma GCC unroll 32
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc.Set(r, v, G.bias ? hn::LoadU(d, bias + v * N) : hn::Zero(d));
  }
  const float* HWY_RESTRICT w = weights;
  for (int c = 0; c < G.in.c; ++c) {
    for (int kh = 0; kh < G.y.kernel; ++kh) {
      const float* HWY_RESTRICT row = x + (c * G.in.h + kh * G.y.dilation) * G.in.w;
#pragma GCC unroll 16
      for (int kw = 0; kw < G.x.kernel; ++kw, w += kCout) {
        const float* HWY_RESTRICT tap = row + kw * G.x.dilation;
        if constexpr (kChannelTapsUnshared) tap = Unshared(tap);
        VecTile<KernelTag, NV> wv;
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) wv.Set(v, hn::LoadU(d, w + v * N));
#pragma GCC unroll 32
        for (int r = 0; r < R; ++r) {
          const hn::Vec<KernelTag> value = hn::Set(d, tap[PositionOffset(G, P0 + r)]);
#pragma GCC unroll 4
          for (int v = 0; v < NV; ++v) acc.Set(r, v, hn::MulAdd(wv.Get(v), value, acc.Get(r, v)));
        }
      }
    }
  }
#pragma GCC unroll 32
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      const hn::Vec<KernelTag> out = acc.Get(r, v);
      hn::StoreU(kRelu ? Relu(d, out) : out, d, outputs + (P0 + r) * kCout + v * N);
    }
  }
}

// The tiles of positions [P0, G's positions), each its own instance
// (constant offsets).
template <Conv2dGeometry G, int NV, int P0, int kAcc, bool kRelu>
HWY_INLINE void ChannelTilesFrom(const float* HWY_RESTRICT x, const float* HWY_RESTRICT weights,
                                 const float* HWY_RESTRICT bias, float* HWY_RESTRICT outputs) {
  constexpr int kPositions = G.out.h * G.out.w;
  if constexpr (P0 < kPositions) {
    constexpr int R =
        std::min(ChannelTilePositions(kPositions, NV, kAcc, G.out.w), kPositions - P0);
    ChannelTile<G, NV, P0, R, kRelu>(x, weights, bias, outputs);
    ChannelTilesFrom<G, NV, P0 + R, kAcc, kRelu>(x, weights, bias, outputs);
  }
}

// One output row of the padded plane, as an unpadded geometry: its input the
// rows x cols copy, one output row (the caller offsets x and outputs).
template <Conv2dGeometry G>
constexpr Conv2dGeometry PaddedRowGeometry() {
  constexpr cd::ChannelVectorPlan p = cd::channel_vector_plan(G);
  Conv2dGeometry row = G;
  row.in = {1, p.rows, p.cols};
  row.out.h = 1;
  row.y.pad = 0;
  row.x.pad = 0;
  return row;
}

// kRelu: y = max(0, conv(x, w) + b), a ReLU fused into the tiles. kPool (if
// its in.c is set): y is that max-pooled by a 2x2 MaxPool2d fused into the
// layer, pooled before the transpose (conv2d-inl.h, Conv2dForwardPooled). y
// may overlap x (not restrict): it is written after the tiles have read x.
template <Conv2dGeometry G, bool kRelu = false, Pool2dGeometry kPool = Pool2dGeometry{}>
HWY_INLINE void ForwardByChannelVectors(const float* x, const float* HWY_RESTRICT w,
                                        const float* HWY_RESTRICT b, float* y,
                                        float* HWY_RESTRICT scratch) {
  static_assert(ChannelVectors(G) > 0);
  constexpr cd::ChannelVectorPlan p = cd::channel_vector_plan(G);
  constexpr int kSteps = G.in.c * G.y.kernel * G.x.kernel, kPositions = G.out.h * G.out.w;
  constexpr int NV = ChannelBlockVectors(G);
  constexpr int kBlock = NV * static_cast<int>(hn::MaxLanes(KernelTag()));
  float* HWY_RESTRICT weights = scratch + p.weights;
  float* HWY_RESTRICT outputs = scratch + p.outputs;
  float* HWY_RESTRICT padded = scratch + p.padded;
  // [k][out.c], in 8x8 blocks on x86 (TransposeBlocks): packing the weights
  // took a twelfth of LeNet-5's conv2 with Transpose's 4x4 blocks; inference
  // with AVX-512 4.88-4.96 -> 4.81-4.90 us (medians of 5, four runs).
  TransposeBlocks(w, kSteps, G.out.c, kSteps, weights, G.out.c);
  if constexpr (cd::channel_vectors_padded(G)) {
    constexpr PadSpec kPad{1, G.in.h, G.in.w, 1, 1, G.y.pad, G.x.pad, p.rows, p.cols, 1, 1};
    PadPhases<kPad>(x, padded);
  }
  for (int co = 0; co < G.out.c; co += kBlock) {
    const float* HWY_RESTRICT bias = G.bias ? b + co : nullptr;
    if constexpr (cd::channel_vectors_padded(G)) {
      constexpr Conv2dGeometry kRow = PaddedRowGeometry<G>();
      for (int oy = 0; oy < G.out.h; ++oy) {
        ChannelTilesFrom<kRow, NV, 0, kChannelRowAccumulators, kRelu>(
            padded + oy * G.y.stride * p.cols, weights + co, bias,
            outputs + oy * G.out.w * G.out.c + co);
      }
    } else {
      ChannelTilesFrom<G, NV, 0, kChannelTileAccumulators, kRelu>(x, weights + co, bias,
                                                                  outputs + co);
    }
  }
  if constexpr (kPool.in.c > 0) {
    constexpr int kPooled = kPool.out.h * kPool.out.w;
    MaxPool2x2ChannelsLast<kPool>(outputs, outputs);
    TransposeBlocks(outputs, G.out.c, kPooled, G.out.c, y, kPooled);  // [out.c][pooled]
  } else {
    TransposeBlocks(outputs, G.out.c, kPositions, G.out.c, y, kPositions);  // [out.c][positions]
  }
}

}  // namespace conv2d_impl
}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#endif  // STATICNN_KERNELS_CONV2D_FORWARD_CHANNELS_INL_H_
