// int8 Linear (TFLite's FullyConnected: one weight scale for the tensor, so
// one Requantization for every output), per Highway target, one sample:
//   y[o] = Requantize(b[o] + sum_i w[o][i] * (x[i] - x_zero_point), r)
// w is PyTorch's [out][in]. Each output is a dot product along `in`, in int16
// pairs widened into int32 (MultiplyAddPairs: vpmaddwd on x86 without
// VNNI; vmlal on NEON): x minus its zero point is staged once as
// int16 (int8 minus an int8 zero point fits); w's rows are read in place and
// widened, whole vectors then the last columns one at a time (never past the
// row: the last row ends the array). On fixed-width targets four rows' lane
// sums are reduced together (StoreSumsOfFour). Integer sums are exact, so
// this order gives TFLite's bits. The sums then go through the vector
// requantization. Stack: the staged input and two output rows.
// AVX3_DL (AVX-512 VNNI) takes quads of bytes instead (LinearForwardQuads:
// the autoencoder 5.66 -> 3.42 us, LeNet-5's 400 -> 120 layer 1.05 -> 0.50 us
// against vpdpwssd pairs).

#if defined(STATICNN_INT8_LINEAR_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef STATICNN_INT8_LINEAR_INL_H_
#undef STATICNN_INT8_LINEAR_INL_H_
#else
#define STATICNN_INT8_LINEAR_INL_H_
#endif

#include <cstdint>
#include <cstring>

#include "hwy/highway.h"
#include "staticnn/geometry.hpp"
#include "staticnn/int8/multiply_add_pairs-inl.h"
#include "staticnn/int8/requantize-inl.h"
#include "staticnn/int8/requantize.hpp"
#include "staticnn/kernels/vectors-inl.h"

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {
namespace int8_kernels {

// The products of w[0, kWhole) and centered_x[0, kWhole) summed into the
// int32 lanes of one vector, over whole vectors of int16.
template <int kWhole>
HWY_INLINE hn::Vec<D32> DotLanes(const std::int8_t* HWY_RESTRICT w,
                                 const std::int16_t* HWY_RESTRICT centered_x) {
  const D32 d;
  const D16 d16;
  const hn::Rebind<std::int8_t, D16> d8;
  const int lanes = static_cast<int>(hn::Lanes(d16));
  const auto step = [&](int i, hn::Vec<D32> sum0, hn::Vec<D32>& sum1) {
    return MultiplyAddPairs(d, hn::PromoteTo(d16, hn::LoadU(d8, w + i)),
                            hn::LoadU(d16, centered_x + i), sum0, sum1);
  };
  // Two chains: VNNI's multiply-add waits for its accumulator, and one chain
  // made LeNet-5's 400x120 layer 1.2x slower than vpmaddwd + vpaddd.
  auto a0 = hn::Zero(d), a1 = hn::Zero(d), b0 = hn::Zero(d), b1 = hn::Zero(d);
  int i = 0;
  for (; i + 2 * lanes <= kWhole; i += 2 * lanes) {
    a0 = step(i, a0, a1);
    b0 = step(i + lanes, b0, b1);
  }
  for (; i < kWhole; i += lanes) a0 = step(i, a0, a1);
  return hn::Add(hn::Add(a0, a1), hn::Add(b0, b1));
}

// The products of w[kWhole, kIn) and centered_x[kWhole, kIn), summed.
template <int kWhole, int kIn>
HWY_INLINE std::int32_t DotTail(const std::int8_t* HWY_RESTRICT w,
                                const std::int16_t* HWY_RESTRICT centered_x) {
  std::int32_t total = 0;
  for (int i = kWhole; i < kIn; ++i) total += std::int32_t{w[i]} * centered_x[i];
  return total;
}

#if HWY_TARGET != HWY_SCALAR && !HWY_HAVE_SCALABLE
// The lane sums of a, b, c and e: out[0, 4) (StoreSumsOfFour), or per 128-bit
// block the block's sums of the four (SumsOfFourPerBlock). One SumOfLanes
// per output (shuffles across the whole vector) took more time than the
// products of the autoencoder's 128-input rows: here the four are interleaved
// within each 128-bit block (as every fixed-width target interleaves) and the
// blocks added, about two reductions' work for four.
HWY_INLINE hn::Vec<D32> SumsOfFourPerBlock(hn::Vec<D32> a, hn::Vec<D32> b, hn::Vec<D32> c,
                                           hn::Vec<D32> e) {
  const D32 d;
  const hn::Repartition<std::int64_t, D32> d64;
  // [a0+a2, b0+b2, a1+a3, b1+b3] per block, and the same of c and e.
  const auto ab = hn::Add(hn::InterleaveLower(d, a, b), hn::InterleaveUpper(d, a, b));
  const auto ce = hn::Add(hn::InterleaveLower(d, c, e), hn::InterleaveUpper(d, c, e));
  const auto ab64 = hn::BitCast(d64, ab), ce64 = hn::BitCast(d64, ce);
  // [a, b, c, e] per block.
  return hn::Add(hn::BitCast(d, hn::InterleaveLower(d64, ab64, ce64)),
                 hn::BitCast(d, hn::InterleaveUpper(d64, ab64, ce64)));
}

HWY_INLINE void StoreSumsOfFour(hn::Vec<D32> a, hn::Vec<D32> b, hn::Vec<D32> c, hn::Vec<D32> e,
                                std::int32_t* HWY_RESTRICT out) {
  const D32 d;
  const hn::Full128<std::int32_t> d4;
  HWY_ALIGN std::int32_t blocks[kLanes32];
  hn::Store(SumsOfFourPerBlock(a, b, c, e), d, blocks);
  auto total = hn::Load(d4, blocks);
  for (int i = 4; i < static_cast<int>(hn::Lanes(d)); i += 4) {
    total = hn::Add(total, hn::Load(d4, blocks + i));
  }
  hn::StoreU(total, d4, out);
}
#endif

#if HWY_TARGET == HWY_AVX3_DL
// The products of R rows of kIn weights from `row` on with the staged parts of
// x (see LinearForwardQuads), each row's in the int32 lanes of one vector.
// Each staged vector is loaded once for the R rows. The last columns are a
// masked load: never past the row (the last row ends the array).
template <int R, int kIn>
HWY_INLINE VecTile<D32, R, 1> DotQuads(const std::int8_t* HWY_RESTRICT row,
                                       const std::uint8_t* HWY_RESTRICT above,
                                       const std::uint8_t* HWY_RESTRICT below) {
  const D32 d;
  const hn::Repartition<std::uint8_t, D32> du8;
  const hn::Repartition<std::int8_t, D32> di8;
  constexpr int kBytes = static_cast<int>(hn::MaxLanes(du8)), kWhole = kIn / kBytes * kBytes;
  VecTile<D32, R, 2> sum;  // [m][0] of above, [m][1] of below
#pragma GCC unroll 4
  for (int m = 0; m < R; ++m) {
    sum.Set(m, 0, hn::Zero(d));
    sum.Set(m, 1, hn::Zero(d));
  }
  const auto step = [&](int i, auto load_weights) {
    const auto up = hn::BitCast(d, hn::Load(du8, above + i));
    const auto down = hn::BitCast(d, hn::Load(du8, below + i));
#pragma GCC unroll 4
    for (int m = 0; m < R; ++m) {
      const auto weights = hn::BitCast(d, load_weights(row + m * kIn + i));
      sum.Set(m, 0, MultiplyAddQuads(up, weights, sum.Get(m, 0)));
      sum.Set(m, 1, MultiplyAddQuads(down, weights, sum.Get(m, 1)));
    }
  };
  for (int i = 0; i < kWhole; i += kBytes) {
    step(i, [&](const std::int8_t* p) { return hn::LoadU(di8, p); });
  }
  if constexpr (kWhole < kIn) {
    step(kWhole, [&](const std::int8_t* p) {
      return hn::MaskedLoad(hn::FirstN(di8, kIn - kWhole), di8, p);
    });
  }
  VecTile<D32, R, 1> total;
#pragma GCC unroll 4
  for (int m = 0; m < R; ++m) total.Set(m, 0, hn::Sub(sum.Get(m, 0), sum.Get(m, 1)));
  return total;
}

// out[0, 16) = the lane sums of 16 vectors, given as SumsOfFourPerBlock of
// each four: the four blocks of each are added across the vectors by two
// levels of block shuffles (9 instructions), where StoreSumsOfFour would
// extract and add each vector's blocks (the extracts took 40% of the
// autoencoder's 128 -> 640 layer).
HWY_INLINE void StoreSumsOfSixteen(hn::Vec<D32> p0, hn::Vec<D32> p1, hn::Vec<D32> p2,
                                   hn::Vec<D32> p3, std::int32_t* HWY_RESTRICT out) {
  // [p0 blocks 0+2, 1+3, p1 blocks 0+2, 1+3], and the same of p2 and p3.
  const __m512i q01 = _mm512_add_epi32(_mm512_shuffle_i32x4(p0.raw, p1.raw, 0x44),
                                       _mm512_shuffle_i32x4(p0.raw, p1.raw, 0xEE));
  const __m512i q23 = _mm512_add_epi32(_mm512_shuffle_i32x4(p2.raw, p3.raw, 0x44),
                                       _mm512_shuffle_i32x4(p2.raw, p3.raw, 0xEE));
  // Block k: the four blocks of p_k summed.
  const __m512i total = _mm512_add_epi32(_mm512_shuffle_i32x4(q01, q23, 0x88),
                                         _mm512_shuffle_i32x4(q01, q23, 0xDD));
  _mm512_storeu_si512(out, total);
}

// The Linear layer in quads of bytes: one vpdpbusd per 64 products, where
// pairs take a widening of w and a vpdpwssd per 32. vpdpbusd multiplies
// unsigned bytes by signed ones, and x - zero point spans [-255, 255], so it
// is staged as two unsigned parts, above = max(x - zp, 0) and below =
// max(zp - x, 0) (zero past the row), and a row's sums are vpdpbusd(above, w)
// - vpdpbusd(below, w). That is exact for every weight, -128 included (taking
// w's sign where x < zp instead would need -w). Both parts fit 2 * 640 bytes
// on the stack for the autoencoder's widest layer.
template <LinearGeometry G>
void LinearForwardQuads(const std::int8_t* HWY_RESTRICT x, std::int32_t x_zero_point,
                        const std::int8_t* HWY_RESTRICT w, const std::int32_t* HWY_RESTRICT b,
                        const int8::Requantization& r, std::int8_t* HWY_RESTRICT y) {
  const D32 d;
  const hn::Repartition<std::uint8_t, D32> du8;
  const hn::Repartition<std::int8_t, D32> di8;
  constexpr int kIn = G.in_features, kOut = PadToVectors(G.out_features);
  constexpr int kBytes = static_cast<int>(hn::MaxLanes(du8));
  constexpr int kWhole = kIn / kBytes * kBytes, kPadded = (kIn + kBytes - 1) / kBytes * kBytes;
  HWY_ALIGN std::uint8_t above[kPadded], below[kPadded];
  HWY_ALIGN std::int32_t sums[kOut] = {};
  HWY_ALIGN std::int8_t out[kOut];
  // x and its zero point with their sign bits flipped: unsigned, same order.
  const std::uint8_t zero = static_cast<std::uint8_t>(x_zero_point + 128);
  const auto zero_vec = hn::Set(du8, zero), flip = hn::Set(du8, 0x80);
  for (int i = 0; i < kWhole; i += kBytes) {
    const auto xu = hn::Xor(hn::BitCast(du8, hn::LoadU(di8, x + i)), flip);
    hn::Store(hn::SaturatedSub(xu, zero_vec), du8, above + i);
    hn::Store(hn::SaturatedSub(zero_vec, xu), du8, below + i);
  }
  for (int i = kWhole; i < kPadded; ++i) {
    const int centered = i < kIn ? x[i] - x_zero_point : 0;
    above[i] = static_cast<std::uint8_t>(centered > 0 ? centered : 0);
    below[i] = static_cast<std::uint8_t>(centered < 0 ? -centered : 0);
  }
  // Sixteen rows at a time where the reduction weighs: the autoencoder's 128
  // -> 640 layer. On LeNet-5's 400 -> 120 the shuffles' wait for all 16 rows
  // cost more than they saved (0.55 against 0.50 us).
  constexpr bool kSixteen = kIn <= 4 * kBytes;
  const auto four = [&](int o) {
    const auto t = DotQuads<4, kIn>(w + o * kIn, above, below);
    return SumsOfFourPerBlock(t.Get(0, 0), t.Get(1, 0), t.Get(2, 0), t.Get(3, 0));
  };
  int o = 0;
  for (; kSixteen && o + 16 <= G.out_features; o += 16) {
    StoreSumsOfSixteen(four(o), four(o + 4), four(o + 8), four(o + 12), sums + o);
  }
  for (; o + 4 <= G.out_features; o += 4) {
    const auto t = DotQuads<4, kIn>(w + o * kIn, above, below);
    StoreSumsOfFour(t.Get(0, 0), t.Get(1, 0), t.Get(2, 0), t.Get(3, 0), sums + o);
  }
  for (; o < G.out_features; ++o) {
    const auto t = DotQuads<1, kIn>(w + o * kIn, above, below);
    sums[o] = hn::GetLane(hn::SumOfLanes(d, t.Get(0, 0)));
  }
  if constexpr (G.bias) {
    for (int i = 0; i < G.out_features; ++i) sums[i] += b[i];
  }
  RequantizeRow<kOut, /*kRoundOnce=*/true>(sums, r, out);
  std::memcpy(y, out, G.out_features);
}
#endif

template <LinearGeometry G>
void LinearForward(const std::int8_t* HWY_RESTRICT x, std::int32_t x_zero_point,
                   const std::int8_t* HWY_RESTRICT w, const std::int32_t* HWY_RESTRICT b,
                   const int8::Requantization& r, std::int8_t* HWY_RESTRICT y) {
#if HWY_TARGET == HWY_AVX3_DL
  return LinearForwardQuads<G>(x, x_zero_point, w, b, r, y);
#else
  constexpr int kIn = G.in_features, kOut = PadToVectors(G.out_features);
  HWY_ALIGN std::int16_t centered_x[kIn];
  HWY_ALIGN std::int32_t sums[kOut] = {};
  HWY_ALIGN std::int8_t out[kOut];
  for (int i = 0; i < kIn; ++i) centered_x[i] = static_cast<std::int16_t>(x[i] - x_zero_point);
  // Whole vectors of the widest int16 vector, a multiple of any narrower one
  // (SVE).
  constexpr int kLanes16 = static_cast<int>(hn::MaxLanes(D16()));
  constexpr int kWhole = kIn / kLanes16 * kLanes16;
  // Rows four at a time, then one at a time from a constant start: with the
  // start a variable, g++ 12 for NEON warned of an overflowing o * kIn in the
  // (never run) tail loop (-Waggressive-loop-optimizations).
  constexpr int kFours =
      HWY_TARGET != HWY_SCALAR && !HWY_HAVE_SCALABLE ? G.out_features / 4 * 4 : 0;
#if HWY_TARGET != HWY_SCALAR && !HWY_HAVE_SCALABLE
  for (int o = 0; o < kFours; o += 4) {
    const std::int8_t* HWY_RESTRICT row = w + o * kIn;
    StoreSumsOfFour(DotLanes<kWhole>(row, centered_x), DotLanes<kWhole>(row + kIn, centered_x),
                    DotLanes<kWhole>(row + 2 * kIn, centered_x),
                    DotLanes<kWhole>(row + 3 * kIn, centered_x), sums + o);
    for (int m = 0; m < 4; ++m) {
      sums[o + m] += (G.bias ? b[o + m] : 0) + DotTail<kWhole, kIn>(row + m * kIn, centered_x);
    }
  }
#endif
  for (int o = kFours; o < G.out_features; ++o) {
    const std::int8_t* HWY_RESTRICT row = w + o * kIn;
    const auto lanes = DotLanes<kWhole>(row, centered_x);
    sums[o] = (G.bias ? b[o] : 0) + hn::GetLane(hn::SumOfLanes(D32(), lanes)) +
              DotTail<kWhole, kIn>(row, centered_x);
  }
  RequantizeRow<kOut, /*kRoundOnce=*/true>(sums, r, out);
  std::memcpy(y, out, G.out_features);
#endif
}

}  // namespace int8_kernels
// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#endif  // STATICNN_INT8_LINEAR_INL_H_
