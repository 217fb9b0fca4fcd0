// Depthwise Conv2d forward of small planes at stride 1 whose output is the
// size of the input (3x3 with padding 1: DS-CNN's 25x5 planes), with the plane
// flat in the lanes and no transposes.
//
// The channels-in-lanes path (conv2d_depthwise_lanes-inl.h) transposes each
// block of channels in and out, which costs about what its FMAs do. Here a
// plane of H x W is H*W contiguous floats, and output position p reads input
// p + (kh - P)*W + (kw - P): every tap is one unaligned load of the flat plane
// and one FMA with a broadcast weight, over vectors of consecutive positions.
// The plane is copied between zeros, which the rows above and below read;
// a tap column kw != P also reads across a row's edge, into the neighbouring
// row: its sums are kept apart (KW accumulators per vector) and masked off
// where they wrapped (FlatColumnMasks) before they are added up. Outputs are
// stored straight into NCHW y: the last vector of a plane overlaps the
// previous one instead of running short (so planes have at least a vector:
// lanes_for(H*W)). With 16 registers the KH*KW weights are broadcast once per
// channel and held in registers beside tiles of one vector (where they leave
// room for its KW accumulators); with 32, a tile of kTileAccumulators
// broadcasts each weight as it needs it.
//   DepthwiseFlatHoldsWeights  whether the weights stay in registers
//   DepthwiseFlatTile     TV output vectors of one channel
//   DepthwiseFlatForward  the layer: per channel, copy, then tiles

#if defined(STATICNN_KERNELS_CONV2D_DEPTHWISE_FLAT_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef STATICNN_KERNELS_CONV2D_DEPTHWISE_FLAT_INL_H_
#undef STATICNN_KERNELS_CONV2D_DEPTHWISE_FLAT_INL_H_
#else
#define STATICNN_KERNELS_CONV2D_DEPTHWISE_FLAT_INL_H_
#endif

#include <algorithm>
#include <cstddef>
#include <cstdint>

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

// Vectors of positions: at most one vector of the target and no more lanes
// than the plane has positions (MobileNet's 3x3 planes: 8).
template <Conv2dGeometry G>
using DepthwiseFlatTag =
    hn::CappedTag<float, std::min<std::size_t>(hn::MaxLanes(KernelTag()),
                                               cd::lanes_for(G.in.h * G.in.w))>;

// Held in registers on 16-register targets, where the tiles re-broadcasting
// them was a sixth of their loads: DS-CNN's 64x25x5 (16 vectors of 8, then in
// tiles of 4 -> 2) 3.82 -> 3.66 us, DS-CNN inference 69.7 -> 68.9 us (AVX2, Zen 3).
template <Conv2dGeometry G>
constexpr bool DepthwiseFlatHoldsWeights() {
  return kVectorRegisters == 16 &&
         G.y.kernel * G.x.kernel + G.x.kernel + 1 <= kVectorRegisters;
}

// Output vectors v0 .. v0 + TV - 1 of one channel's plane: vector v covers
// positions o = min(v*N, H*W - N) .. o + N - 1 of out, reading the flat plane
// `in` (zeros before and after it); max(0, .) of them with kRelu. weight(t) is
// tap t's weight in every lane.
template <Conv2dGeometry G, int TV, bool kRelu, class D, class Weight>
HWY_INLINE void DepthwiseFlatTile(D d, const float* HWY_RESTRICT in, const Weight& weight,
                                  float bias, int v0, float* HWY_RESTRICT out) {
  constexpr int N = static_cast<int>(hn::MaxLanes(d));
  constexpr int KH = G.y.kernel, KW = G.x.kernel, W = G.in.w, kPositions = G.in.h * G.in.w;
  constexpr int PY = G.y.pad, PX = G.x.pad;
  const std::int32_t* HWY_RESTRICT masks = cd::FlatColumnMasks<kPositions, W, KW, PX>::bits.data();
  int o[TV];
#pragma GCC unroll 16
  for (int v = 0; v < TV; ++v) o[v] = std::min((v0 + v) * N, kPositions - N);
  VecTile<D, KW, TV> acc;
#pragma GCC unroll 16
  for (int kw = 0; kw < KW; ++kw) {
#pragma GCC unroll 16
    for (int v = 0; v < TV; ++v) acc.Set(kw, v, hn::Set(d, kw == PX ? bias : 0.0f));
  }
#pragma GCC unroll 16
  for (int kh = 0; kh < KH; ++kh) {
#pragma GCC unroll 16
    for (int kw = 0; kw < KW; ++kw) {
      const auto wv = weight(kh * KW + kw);
      const float* HWY_RESTRICT tap = in + (kh - PY) * W + (kw - PX);
#pragma GCC unroll 16
      for (int v = 0; v < TV; ++v) {
        acc.Set(kw, v, hn::MulAdd(wv, hn::LoadU(d, tap + o[v]), acc.Get(kw, v)));
      }
    }
  }
  const hn::RebindToSigned<D> di;
#pragma GCC unroll 16
  for (int v = 0; v < TV; ++v) {
    auto sum = acc.Get(PX, v);
#pragma GCC unroll 16
    for (int kw = 0; kw < KW; ++kw) {
      if (kw == PX) continue;
      const auto inside = hn::BitCast(d, hn::LoadU(di, masks + kw * kPositions + o[v]));
      sum = hn::Add(sum, hn::And(acc.Get(kw, v), inside));
    }
    hn::StoreU(kRelu ? Relu(d, sum) : sum, d, out + o[v]);
  }
}

// y = depthwise conv(x, w) + b (max(0, .) of it with kRelu),
// cd::depthwise_flat_plan(G).used.
template <Conv2dGeometry G, bool kRelu = false>
HWY_INLINE void DepthwiseFlatForward(const float* HWY_RESTRICT x, const float* HWY_RESTRICT w,
                                     const float* HWY_RESTRICT b, float* HWY_RESTRICT y,
                                     float* HWY_RESTRICT scratch) {
  using D = DepthwiseFlatTag<G>;
  const D d;
  constexpr int N = static_cast<int>(hn::MaxLanes(d));
  constexpr cd::DepthwiseFlatPlan p = cd::depthwise_flat_plan(G);
  constexpr int kPositions = G.in.h * G.in.w, kTaps = G.y.kernel * G.x.kernel;
  // Vectors of a plane in the fewest tiles of at most kAccumulators
  // accumulators; the last tile overlaps the previous one when they do not
  // divide the plane.
  constexpr bool kHeld = DepthwiseFlatHoldsWeights<G>();
  // Held weights take tiles of one vector (its KW accumulators): with two, 6
  // accumulators beside 9 weights, g++ spilled a weight to the stack and
  // reloaded it inside the tiles. The unrolled tiles below are independent
  // chains, which the core overlaps: DS-CNN's 64x25x5 3.29 -> 2.91 us, DS-CNN
  // inference 63.9 -> 62.5 us (AVX2, Zen 3).
  constexpr int kAccumulators = kHeld ? G.x.kernel : kTileAccumulators;
  constexpr int kVectors = cd::ceil_div(kPositions, N);
  constexpr int kTiles = cd::ceil_div(kVectors, std::max(1, kAccumulators / G.x.kernel));
  constexpr int TV = cd::ceil_div(kVectors, kTiles);
  for (int buffer = 0; buffer < 2; ++buffer) {
    float* HWY_RESTRICT flat = scratch + buffer * p.buffer;
    ZeroFloats(flat, p.lead);
    ZeroFloats(flat + p.lead + kPositions, p.buffer - p.lead - kPositions);
  }
  CopyFloats<N>(x, scratch + p.lead, kPositions);
  for (int c = 0; c < G.in.c; ++c) {
    // The next channel's copy goes to the other buffer: the loads of this
    // one then do not wait for the stores they overlap.
    if (c + 1 < G.in.c) {
      CopyFloats<N>(x + (c + 1) * kPositions, scratch + ((c + 1) & 1) * p.buffer + p.lead,
                    kPositions);
    }
    const float* HWY_RESTRICT in = scratch + (c & 1) * p.buffer + p.lead;
    const float bias = G.bias ? b[c] : 0.0f;
    const float* HWY_RESTRICT wc = w + c * kTaps;
    VecTile<D, kHeld ? kTaps : 1> held;
    if constexpr (kHeld) {
#pragma GCC unroll 16
      for (int t = 0; t < kTaps; ++t) held.Set(t, hn::Set(d, wc[t]));
    }
    const auto weight = [&](int t) HWY_ATTR {
      if constexpr (kHeld) {
        return held.Get(t);
      } else {
        return hn::Set(d, wc[t]);
      }
    };
    // Unrolled, every tile's vectors start at constants: each load is the
    // plane's base and a displacement. As a loop, g++ 12 kept a pointer per
    // tap, indexed, and spilled three of them to the stack on AVX2: DS-CNN's
    // 64x25x5 3.66 -> 3.27 us, DS-CNN inference 66.0 -> 64.2 us (Zen 3).
#pragma GCC unroll 16
    for (int t = 0; t < kTiles; ++t) {
      DepthwiseFlatTile<G, TV, kRelu>(d, in, weight, bias, std::min(t * TV, kVectors - TV),
                                      y + c * kPositions);
    }
  }
}

}  // namespace conv2d_impl
}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#endif  // STATICNN_KERNELS_CONV2D_DEPTHWISE_FLAT_INL_H_
