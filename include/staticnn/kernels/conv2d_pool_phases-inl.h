// Conv2d forward with a 2x2 max pool fused, one pool phase per accumulator:
// y = maxpool2x2(conv(x, w) + b), ReLU'd before the pool when asked, for a
// stride-1 undilated convolution whose columns forward unfolds (LeNet-5's
// conv1: 1x28x28 -> 6x28x28, 5x5 pad 2, pooled to 6x14x14).
//
// Forward then the pool wrote 4704 outputs only to read them back as 1176
// windows. Here a register tile holds, for MR output
// channels, one vector of pooled positions q = i*out.w + j in each of the four
// window phases (dy, dx): conv output (2i+dy, 2j+dx). Phase (dy, dx) of tap
// (kh, kw) reads input row 2i + dy+kh - pad and column 2j + dx+kw - pad, so
// the input is unfolded by UnfoldColumns as a stride-2 convolution of
// kernel+1 taps (copies [(dy+kh) % 2][dx+kw][c][i + (dy+kh)/2][j]): every
// phase of every tap is one vector load at a constant offset, and the four
// phases share each broadcast weight (4 loads, MR broadcasts per 4*MR FMAs).
// LeNet-5 inference on AVX-512: 4.63 -> 4.43 us (conv2d-inl.h, PoolPhasesPay,
// says where it is taken).
// The tile pools in registers and stores the pooled vector; nothing of the
// convolution's output is written. The sums run in forward's order (bias,
// then channel, kernel row, kernel column, one FMA each) and pool in
// MaxPool2dForward's (Max2x2), so the bits are forward-then-pool's
// (conv2d_pool_test).

#if defined(STATICNN_KERNELS_CONV2D_POOL_PHASES_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef STATICNN_KERNELS_CONV2D_POOL_PHASES_INL_H_
#undef STATICNN_KERNELS_CONV2D_POOL_PHASES_INL_H_
#else
#define STATICNN_KERNELS_CONV2D_POOL_PHASES_INL_H_
#endif

#include <algorithm>
#include <array>

#include "hwy/highway.h"
#include "staticnn/geometry.hpp"
#include "staticnn/kernels/activation-inl.h"
#include "staticnn/kernels/conv2d_copy-inl.h"
#include "staticnn/kernels/conv2d_scratch.hpp"
#include "staticnn/kernels/pool2d-inl.h"
#include "staticnn/kernels/vectors-inl.h"

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;
namespace conv2d_impl {
namespace cd = ::staticnn::conv2d_detail;

#if HWY_TARGET != HWY_SCALAR

// The geometry whose unfolded copies (UnfoldColumns) the pool phases read: a
// stride-2 window one tap wider and taller, over the pooled plane.
template <Conv2dGeometry G, Pool2dGeometry P>
constexpr Conv2dGeometry PoolPhaseCopies() {
  return {G.in,
          {G.out.c, P.out.h, P.out.w},
          {G.y.kernel + 1, 2, G.y.pad, 1},
          {G.x.kernel + 1, 2, G.x.pad, 1},
          1,
          G.bias};
}

// Output channels per tile: 4*MR accumulators, a tap's four phase vectors and
// one broadcast weight fit the registers (AVX-512: 6 rows, 29 of 32). Holding
// the MR weights and loading the phases one at a time instead (31 of 32) made
// g++ spill accumulators: LeNet-5's conv1 took 1.28 us, not 1.13. With 16
// registers 2 rows (13 of 16; 3 rows with the weights held, 16, spilled).
inline constexpr int kPoolPhaseRows = kVectorRegisters == 32 ? 6 : 2;

template <Conv2dGeometry G, Pool2dGeometry P>
struct PoolPhaseTables {
  static constexpr int kTaps = G.y.kernel * G.x.kernel;
  static constexpr int kRows = P.out.h + G.y.kernel / 2;  // of each copy
  static constexpr int kChannelStride = kRows * P.out.w;
  static constexpr int kCopy = G.in.c * kChannelStride;
  // offset[dy * 2 + dx][kh * kernel.w + kw] into the copies, channel 0, q 0.
  static constexpr std::array<std::array<int, kTaps>, 4> offset = [] {
    std::array<std::array<int, kTaps>, 4> o{};
    for (int dy = 0; dy < 2; ++dy) {
      for (int dx = 0; dx < 2; ++dx) {
        for (int kh = 0; kh < G.y.kernel; ++kh) {
          for (int kw = 0; kw < G.x.kernel; ++kw) {
            const int a = dy + kh;
            o[dy * 2 + dx][kh * G.x.kernel + kw] =
                ((a % 2) * (G.x.kernel + 1) + dx + kw) * kCopy + (a / 2) * P.out.w;
          }
        }
      }
    }
    return o;
  }();
};

// Pooled positions [q, q + lanes) of output channels [0, MR) of w's rows.
template <int MR, Conv2dGeometry G, Pool2dGeometry P, bool kRelu>
HWY_INLINE void PoolPhaseTile(const float* HWY_RESTRICT xs, const float* HWY_RESTRICT w,
                              const float* HWY_RESTRICT b, float* HWY_RESTRICT pooled) {
  using T = PoolPhaseTables<G, P>;
  constexpr int kK = G.in.c * T::kTaps, kQ = P.out.h * P.out.w;
  const KernelTag d;
  VecTile<KernelTag, MR, 4> acc;
#pragma GCC unroll 16
  for (int m = 0; m < MR; ++m) {
    const auto start = b != nullptr ? hn::Set(d, b[m]) : hn::Zero(d);
#pragma GCC unroll 4
    for (int p = 0; p < 4; ++p) acc.Set(m, p, start);
  }
  for (int c = 0; c < G.in.c; ++c) {
    const float* HWY_RESTRICT plane = xs + c * T::kChannelStride;
    const float* HWY_RESTRICT wc = w + c * T::kTaps;
#pragma GCC unroll 64
    for (int t = 0; t < T::kTaps; ++t) {
      VecTile<KernelTag, 4> v;
#pragma GCC unroll 4
      for (int p = 0; p < 4; ++p) v.Set(p, InRegister(hn::LoadU(d, plane + T::offset[p][t])));
#pragma GCC unroll 16
      for (int m = 0; m < MR; ++m) {
        const auto weight = hn::Set(d, wc[m * kK + t]);
#pragma GCC unroll 4
        for (int p = 0; p < 4; ++p) acc.Set(m, p, hn::MulAdd(weight, v.Get(p), acc.Get(m, p)));
      }
    }
  }
#pragma GCC unroll 16
  for (int m = 0; m < MR; ++m) {
    auto phase = [&](int p) HWY_ATTR { return kRelu ? Relu(d, acc.Get(m, p)) : acc.Get(m, p); };
    hn::StoreU(pool2d_detail::Max2x2(phase(0), phase(1), phase(2), phase(3)), d,
               pooled + m * kQ);
  }
}

// The pooled positions left after the whole vectors, kQ % N of them, when
// their four phases fit one vector (AVX-512 on LeNet-5's conv1: 196 = 12 x 16
// + 4): lane p * kR + j holds phase p of position j, one accumulator per
// output channel instead of four, a quarter of the FMAs of the whole
// overlapping tile that computed them before (LeNet-5 inference without that
// tile was 1.8% faster). Not more than kMaxRemainderSteps input-channel taps:
// the phases are gathered into a stack buffer of that many vectors first.
inline constexpr int kMaxRemainderSteps = 64;

template <Conv2dGeometry G, Pool2dGeometry P>
constexpr bool PoolPhaseRemainderFits() {
  constexpr int N = static_cast<int>(hn::MaxLanes(KernelTag()));
  constexpr int kR = P.out.h * P.out.w % N;
  return kR > 0 && 4 * kR <= N && (kR & (kR - 1)) == 0 &&
         G.in.c * G.y.kernel * G.x.kernel <= kMaxRemainderSteps;
}

// Every output channel's pooled positions [kQ - kR, kQ). The sums and the
// pool run in PoolPhaseTile's order, so the bits are the same.
template <Conv2dGeometry G, Pool2dGeometry P, bool kRelu>
HWY_INLINE void PoolPhaseRemainder(const float* HWY_RESTRICT xs, const float* HWY_RESTRICT w,
                                   const float* HWY_RESTRICT b, float* HWY_RESTRICT pooled) {
  using T = PoolPhaseTables<G, P>;
  const KernelTag d;
  constexpr int N = static_cast<int>(hn::MaxLanes(d));
  constexpr int kK = G.in.c * T::kTaps, kQ = P.out.h * P.out.w;
  constexpr int kR = kQ % N, q0 = kQ - kR;
  const hn::CappedTag<float, kR> dr;
  static_assert(hn::MaxLanes(dr) == kR);
  HWY_ALIGN float phases[kK][N] = {};
  for (int c = 0; c < G.in.c; ++c) {
#pragma GCC unroll 64
    for (int t = 0; t < T::kTaps; ++t) {
#pragma GCC unroll 4
      for (int p = 0; p < 4; ++p) {
        hn::Store(hn::LoadU(dr, xs + c * T::kChannelStride + T::offset[p][t] + q0), dr,
                  &phases[c * T::kTaps + t][p * kR]);
      }
    }
  }
  constexpr int MR = std::min(G.out.c, kTileAccumulators);
  for (int tile = 0; tile < cd::ceil_div(G.out.c, MR); ++tile) {
    const int co = std::min(tile * MR, G.out.c - MR);  // the last may overlap
    VecTile<KernelTag, MR> acc;
#pragma GCC unroll 32
    for (int m = 0; m < MR; ++m) acc.Set(m, b != nullptr ? hn::Set(d, b[co + m]) : hn::Zero(d));
#pragma GCC unroll 64
    for (int k = 0; k < kK; ++k) {
      const auto v = hn::Load(d, phases[k]);
#pragma GCC unroll 32
      for (int m = 0; m < MR; ++m) {
        acc.Set(m, hn::MulAdd(hn::Set(d, w[(co + m) * kK + k]), v, acc.Get(m)));
      }
    }
#pragma GCC unroll 32
    for (int m = 0; m < MR; ++m) {
      HWY_ALIGN float sums[N];
      hn::Store(kRelu ? Relu(d, acc.Get(m)) : acc.Get(m), d, sums);
      hn::StoreU(pool2d_detail::Max2x2(hn::Load(dr, sums), hn::Load(dr, sums + kR),
                                       hn::Load(dr, sums + 2 * kR), hn::Load(dr, sums + 3 * kR)),
                 dr, pooled + (co + m) * kQ + q0);
    }
  }
}

// One sample: x [in.c][in.h][in.w] -> pooled [out.c][P.out.h][P.out.w].
// pooled may be x: x is copied into scratch before anything is written.
template <Conv2dGeometry G, Pool2dGeometry P, bool kRelu>
HWY_NOINLINE void ForwardPooledByPhases(const float* x, const float* HWY_RESTRICT w,
                                        const float* HWY_RESTRICT b, float* pooled,
                                        float* HWY_RESTRICT scratch) {
  constexpr int kCout = G.out.c, MR = std::min(kPoolPhaseRows, kCout);
  constexpr int kK = G.in.c * G.y.kernel * G.x.kernel, kQ = P.out.h * P.out.w;
  constexpr int N = static_cast<int>(hn::MaxLanes(KernelTag()));
  static_assert(kQ >= N, "a vector of pooled positions");
  // Positions the vectors cover: all, the last vector overlapping the one
  // before, or the whole vectors, the rest in PoolPhaseRemainder.
  constexpr bool kRemainder = PoolPhaseRemainderFits<G, P>();
  constexpr int kVectorQ = kRemainder ? kQ / N * N : kQ;
  UnfoldColumns<PoolPhaseCopies<G, P>()>(x, scratch);
  for (int t = 0; t < cd::ceil_div(kCout, MR); ++t) {
    // The last tile overlaps the one before when MR does not divide out.c.
    const int co = std::min(t * MR, kCout - MR);
    for (int q0 = 0; q0 < kVectorQ; q0 += N) {
      const int q = std::min(q0, kQ - N);
      PoolPhaseTile<MR, G, P, kRelu>(scratch + q, w + co * kK, G.bias ? b + co : nullptr,
                                     pooled + co * kQ + q);
    }
  }
  if constexpr (kRemainder) {
    PoolPhaseRemainder<G, P, kRelu>(scratch, w, G.bias ? b : nullptr, pooled);
  }
}

#endif  // HWY_TARGET != HWY_SCALAR

}  // namespace conv2d_impl
}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#endif  // STATICNN_KERNELS_CONV2D_POOL_PHASES_INL_H_
