// Pointwise Conv2d forward (1x1, stride 1, no padding, one group) on small
// planes with many input channels, as dot products along the input channels.
//
// The channels-in-lanes path (conv2d_pointwise_channels-inl.h) packs the
// weights [in.c][block of out.c] on every call: on MobileNetV1's 256 -> 256
// layer on 3x3 planes that transpose of all 64K weights took as long as the
// layer's 9 multiply-adds per weight (62% of the FMA peak). Here the weights
// are read as they are, w[co][ci] rows with the input channels in the lanes,
// against x transposed once per call (xt[q][ci]: 9 x 256 floats, not 256 x
// 256). A tile of RC output channels x RQ positions accumulates RC x RQ
// vectors of partial dot products over all input channels; each vector is
// stored to scratch (part[(co - co0) * Q + q], the order of y) and every N of
// them are summed into one vector of N outputs by a tree of pairwise adds
// (N - 1 per N outputs, against in.c / N multiply-adds per output) as soon as
// their tiles are done, and stored straight into y. MobileNetV1's 256 -> 256
// on 3x3 (one core, AVX-512): 7.1 -> 5.5 us; with AVX2 code 12.7 -> 10.9 us.
// When the path pays: pointwise_dot_plan in conv2d_scratch.hpp.
//   PointwiseDotPay      whether a geometry takes this path on the target
//   SumEachVector        N vectors into the vector of their sums
//   PointwiseDotTile     RC output channels x RQ positions of partial sums
//   PointwiseDotForward  the layer: transpose x, per block of output channels
//                        the tiles and the sums

#if defined(STATICNN_KERNELS_CONV2D_POINTWISE_DOT_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef STATICNN_KERNELS_CONV2D_POINTWISE_DOT_INL_H_
#undef STATICNN_KERNELS_CONV2D_POINTWISE_DOT_INL_H_
#else
#define STATICNN_KERNELS_CONV2D_POINTWISE_DOT_INL_H_
#endif

#include <algorithm>

#include "hwy/highway.h"
#include "staticnn/geometry.hpp"
#include "staticnn/kernels/activation-inl.h"
#include "staticnn/kernels/conv2d_pointwise_channels-inl.h"
#include "staticnn/kernels/conv2d_scratch.hpp"
#include "staticnn/kernels/transpose_blocks-inl.h"
#include "staticnn/kernels/vectors-inl.h"

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;
namespace conv2d_impl {
namespace cd = ::staticnn::conv2d_detail;

// Output channels per tile: 2 x 12 positions with 32 registers, 3 x 4 with 16
// (accumulators, the step's weights and one vector of xt).
inline constexpr int kPointwiseDotChannels = kVectorRegisters == 32 ? 2 : 3;
inline constexpr int kPointwiseDotPositions = kTileAccumulators / kPointwiseDotChannels;

// Whether the target takes the path: enough input channels for its vectors,
// out.c holds a block of channels, positions waste the GEMM's lanes.
constexpr bool PointwiseDotPay(const Conv2dGeometry& g) {
  constexpr int kLanes = static_cast<int>(hn::MaxLanes(KernelTag()));
  return kLanes > 1 && cd::pointwise_dot_plan(g).used && cd::pointwise_dot_pays(g, kLanes) &&
         g.out.c >= cd::pointwise_dot_block(g.out.h * g.out.w, kLanes, kPointwiseDotChannels) &&
         PositionsWasteLanes(g);
}

#if HWY_TARGET != HWY_SCALAR
// The sums of Count vectors at p (N floats apart), in one vector: lanes
// [i * N / Count, (i + 1) * N / Count) hold vector i's split into that many
// parts; at Count = N, lane i is the sum of vector i. A pair is ConcatEven +
// ConcatOdd: one 2-vector permute each on AVX-512, two on AVX2 (x86 has its
// own below, SVE cannot use it).
template <int Count, class D>
HWY_INLINE hn::Vec<D> SumVectors(D d, const float* HWY_RESTRICT p) {
  constexpr int N = static_cast<int>(hn::MaxLanes(d));
  if constexpr (Count == 1) {
    return hn::Load(d, p);
  } else {
    const auto lo = SumVectors<Count / 2>(d, p);
    const auto hi = SumVectors<Count / 2>(d, p + Count / 2 * N);
    return hn::Add(hn::ConcatEven(d, hi, lo), hn::ConcatOdd(d, hi, lo));
  }
}

// Lane i = the sum of vector i of the N at p (N floats apart). On x86 the
// pairs first add the halves of whole 128-bit blocks (one block shuffle per
// vector, not a lane permute), then lanes within blocks (shufps); that
// leaves the sums in the order of a 4 x (N / 4) transpose, so vectors are
// read in the inverse order. Interleaved with the tiles, the permute tree
// took 4% of MobileNetV1's 256 -> 256 3x3 layer, this one about nothing.
template <class D>
HWY_INLINE hn::Vec<D> SumEachVector(D d, const float* HWY_RESTRICT p) {
  constexpr int N = static_cast<int>(hn::MaxLanes(d));
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
  if constexpr (N == 16) {
    const auto vector = [p](int slot) {  // slot 4j + m holds vector 4m + j
      return _mm512_load_ps(p + (4 * (slot % 4) + slot / 4) * 16);
    };
    const auto halves = [&](int slot) {  // blocks of 4 vectors' halves
      const __m512 a = vector(slot), b = vector(slot + 1);
      return _mm512_add_ps(_mm512_shuffle_f32x4(a, b, 0x44), _mm512_shuffle_f32x4(a, b, 0xEE));
    };
    const auto quarters = [&](int slot) {  // block j: vector slot + j's 4
      const __m512 a = halves(slot), b = halves(slot + 2);
      return _mm512_add_ps(_mm512_shuffle_f32x4(a, b, 0x88), _mm512_shuffle_f32x4(a, b, 0xDD));
    };
    const auto pairs = [&](int slot) {
      const __m512 a = quarters(slot), b = quarters(slot + 4);
      return _mm512_add_ps(_mm512_shuffle_ps(a, b, 0x88), _mm512_shuffle_ps(a, b, 0xDD));
    };
    const __m512 a = pairs(0), b = pairs(8);
    return hn::Vec<D>{_mm512_add_ps(_mm512_shuffle_ps(a, b, 0x88), _mm512_shuffle_ps(a, b, 0xDD))};
  }
#endif
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2
  if constexpr (N == 8) {
    const auto vector = [p](int slot) {  // slot 2j + m holds vector 4m + j
      return _mm256_load_ps(p + (4 * (slot % 2) + slot / 2) * 8);
    };
    const auto halves = [&](int slot) {
      const __m256 a = vector(slot), b = vector(slot + 1);
      return _mm256_add_ps(_mm256_permute2f128_ps(a, b, 0x20),
                           _mm256_permute2f128_ps(a, b, 0x31));
    };
    const auto pairs = [&](int slot) {
      const __m256 a = halves(slot), b = halves(slot + 2);
      return _mm256_add_ps(_mm256_shuffle_ps(a, b, 0x88), _mm256_shuffle_ps(a, b, 0xDD));
    };
    const __m256 a = pairs(0), b = pairs(4);
    return hn::Vec<D>{_mm256_add_ps(_mm256_shuffle_ps(a, b, 0x88), _mm256_shuffle_ps(a, b, 0xDD))};
  }
#endif
#if HWY_TARGET == HWY_SVE || HWY_TARGET == HWY_SVE2
  // ConcatEven / ConcatOdd take the lanes of the whole hardware vector, not
  // of KernelTag's first 128 bits of it (hwy/ops/arm_sve-inl.h). The same
  // sums in the same order as NEON's tree, so that both give the same bits.
  static_assert(N == 4);
  HWY_ALIGN float sums[N];
  for (int i = 0; i < N; ++i) {
    const float* HWY_RESTRICT v = p + i * N;
    sums[i] = (v[0] + v[1]) + (v[2] + v[3]);
  }
  return hn::Load(d, sums);
#else
  return SumVectors<N>(d, p);
#endif
}

// part[(rc * Q + q) * N] = the lanes of sum over ci of w[rc][ci] * xt[q][ci]
// (plus bias[rc] in lane 0 when bias is not nullptr), rc < RC, q < RQ (w rows
// and xt rows K floats apart).
template <int RC, int RQ, int K, int Q, class D>
HWY_INLINE void PointwiseDotTile(D d, const float* HWY_RESTRICT w,
                                 const float* HWY_RESTRICT xt, const float* HWY_RESTRICT bias,
                                 float* HWY_RESTRICT part) {
  constexpr int N = static_cast<int>(hn::MaxLanes(d));
  VecTile<D, RC, RQ> acc;
  const auto first = hn::FirstN(d, 1);
#pragma GCC unroll 4
  for (int rc = 0; rc < RC; ++rc) {
    const auto start = bias != nullptr ? hn::IfThenElseZero(first, hn::Set(d, bias[rc]))
                                       : hn::Zero(d);
#pragma GCC unroll 16
    for (int q = 0; q < RQ; ++q) acc.Set(rc, q, start);
  }
  for (int k = 0; k < K; k += N) {
    VecTile<D, RC> wv;
#pragma GCC unroll 4
    for (int rc = 0; rc < RC; ++rc) wv.Set(rc, hn::LoadU(d, w + rc * K + k));
#pragma GCC unroll 16
    for (int q = 0; q < RQ; ++q) {
      const auto xv = InRegister(hn::Load(d, xt + q * K + k));
#pragma GCC unroll 4
      for (int rc = 0; rc < RC; ++rc) acc.Set(rc, q, hn::MulAdd(wv.Get(rc), xv, acc.Get(rc, q)));
    }
  }
#pragma GCC unroll 4
  for (int rc = 0; rc < RC; ++rc) {
#pragma GCC unroll 16
    for (int q = 0; q < RQ; ++q) hn::Store(acc.Get(rc, q), d, part + (rc * Q + q) * N);
  }
}
#endif  // HWY_TARGET != HWY_SCALAR

// y = conv1x1(x, w) + b (max(0, .) of it with kRelu), PointwiseDotPay(G).
template <Conv2dGeometry G, bool kRelu = false>
HWY_INLINE void PointwiseDotForward(const float* HWY_RESTRICT x, const float* HWY_RESTRICT w,
                                    const float* HWY_RESTRICT b, float* HWY_RESTRICT y,
                                    float* HWY_RESTRICT scratch) {
  static_assert(PointwiseDotPay(G));
#if HWY_TARGET != HWY_SCALAR
  const KernelTag d;
  constexpr int N = static_cast<int>(hn::MaxLanes(d));
  constexpr int Q = G.out.h * G.out.w, K = G.in.c, CO = G.out.c;
  constexpr int RC = kPointwiseDotChannels;
  constexpr int kBlock = cd::pointwise_dot_block(Q, N, RC);
  constexpr int kBlocks = cd::ceil_div(CO, kBlock);
  // Positions in the fewest tiles of at most kPointwiseDotPositions, the last
  // overlapping the previous when they do not divide the plane; so are the
  // blocks of channels (their sums are stored twice with the same values).
  constexpr int kTiles = cd::ceil_div(Q, kPointwiseDotPositions);
  constexpr int RQ = cd::ceil_div(Q, kTiles);
  constexpr cd::PointwiseDotPlan p = cd::pointwise_dot_plan(G);
  float* HWY_RESTRICT xt = scratch + p.xt;
  float* HWY_RESTRICT part = scratch + p.partial;
  static_assert(kBlock * Q * N <= p.floats - p.partial);
  TransposeBlocks(x, Q, K, Q, xt, K);  // xt[q][ci] = x[ci][q]
  for (int block = 0; block < kBlocks; ++block) {
    const int c0 = std::min(block * kBlock, CO - kBlock);
    // Each vector of sums as soon as its channels' tiles are done: among the
    // next tiles' multiply-adds, its shuffles and adds cost next to nothing
    // (after the block, 4% of the 256 -> 256 3x3 layer).
    int summed = 0;
    for (int rc = 0; rc < kBlock; rc += RC) {
      for (int t = 0; t < kTiles; ++t) {
        const int q = std::min(t * RQ, Q - RQ);
        PointwiseDotTile<RC, RQ, K, Q>(d, w + (c0 + rc) * K, xt + q * K,
                                       G.bias ? b + c0 + rc : nullptr, part + (rc * Q + q) * N);
      }
      for (; summed + N <= (rc + RC) * Q; summed += N) {
        const auto sum = SumEachVector(d, part + summed * N);
        hn::StoreU(kRelu ? Relu(d, sum) : sum, d, y + c0 * Q + summed);
      }
    }
  }
#else
  (void)x, (void)w, (void)b, (void)y, (void)scratch;
#endif
}

}  // namespace conv2d_impl
}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#endif  // STATICNN_KERNELS_CONV2D_POINTWISE_DOT_INL_H_
