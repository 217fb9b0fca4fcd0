// int8 Linear (TFLite's FullyConnected: one weight scale for the tensor, so
// one Requantization for every output), per Highway target, one sample:
//   y[o] = Requantize(b[o] + sum_i w[o][i] * (x[i] - x_zero_point), r)
// w is PyTorch's [out][in]. Each output is a dot product along `in`, in int16
// pairs widened into int32 (MultiplyAddPairs: vpmaddwd, or vpdpwssd with
// VNNI, on x86; vmlal on NEON): x minus its zero point is staged once as
// int16 (int8 minus an int8 zero point fits); w's rows are read in place and
// widened, whole vectors then the last columns one at a time (never past the
// row: the last row ends the array). On fixed-width targets four rows' lane
// sums are reduced together (StoreSumsOfFour). Integer sums are exact, so
// this order gives TFLite's bits. The sums then go through the vector
// requantization. Stack: the staged input and two output rows.

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
// out[0, 4) = the lane sums of a, b, c and e. One SumOfLanes per output
// (shuffles across the whole vector) took more time than the products of the
// autoencoder's 128-input rows: here the four are interleaved within each
// 128-bit block (as every fixed-width target interleaves) and the blocks
// added, about two reductions' work for four.
HWY_INLINE void StoreSumsOfFour(hn::Vec<D32> a, hn::Vec<D32> b, hn::Vec<D32> c, hn::Vec<D32> e,
                                std::int32_t* HWY_RESTRICT out) {
  const D32 d;
  const hn::Repartition<std::int64_t, D32> d64;
  const hn::Full128<std::int32_t> d4;
  // [a0+a2, b0+b2, a1+a3, b1+b3] per block, and the same of c and e.
  const auto ab = hn::Add(hn::InterleaveLower(d, a, b), hn::InterleaveUpper(d, a, b));
  const auto ce = hn::Add(hn::InterleaveLower(d, c, e), hn::InterleaveUpper(d, c, e));
  const auto ab64 = hn::BitCast(d64, ab), ce64 = hn::BitCast(d64, ce);
  // [a, b, c, e] per block.
  const auto sums = hn::Add(hn::BitCast(d, hn::InterleaveLower(d64, ab64, ce64)),
                            hn::BitCast(d, hn::InterleaveUpper(d64, ab64, ce64)));
  HWY_ALIGN std::int32_t blocks[kLanes32];
  hn::Store(sums, d, blocks);
  auto total = hn::Load(d4, blocks);
  for (int i = 4; i < static_cast<int>(hn::Lanes(d)); i += 4) {
    total = hn::Add(total, hn::Load(d4, blocks + i));
  }
  hn::StoreU(total, d4, out);
}
#endif

template <LinearGeometry G>
void LinearForward(const std::int8_t* HWY_RESTRICT x, std::int32_t x_zero_point,
                   const std::int8_t* HWY_RESTRICT w, const std::int32_t* HWY_RESTRICT b,
                   const int8::Requantization& r, std::int8_t* HWY_RESTRICT y) {
  constexpr int kIn = G.in_features, kOut = PadToVectors(G.out_features);
  HWY_ALIGN std::int16_t centered_x[kIn];
  HWY_ALIGN std::int32_t sums[kOut] = {};
  HWY_ALIGN std::int8_t out[kOut];
  for (int i = 0; i < kIn; ++i) centered_x[i] = static_cast<std::int16_t>(x[i] - x_zero_point);
  // Whole vectors of the widest int16 vector, a multiple of any narrower one
  // (SVE).
  constexpr int kLanes16 = static_cast<int>(hn::MaxLanes(D16()));
  constexpr int kWhole = kIn / kLanes16 * kLanes16;
  int o = 0;
#if HWY_TARGET != HWY_SCALAR && !HWY_HAVE_SCALABLE
  for (; o + 4 <= G.out_features; o += 4) {
    const std::int8_t* HWY_RESTRICT row = w + o * kIn;
    StoreSumsOfFour(DotLanes<kWhole>(row, centered_x), DotLanes<kWhole>(row + kIn, centered_x),
                    DotLanes<kWhole>(row + 2 * kIn, centered_x),
                    DotLanes<kWhole>(row + 3 * kIn, centered_x), sums + o);
    for (int m = 0; m < 4; ++m) {
      sums[o + m] += (G.bias ? b[o + m] : 0) + DotTail<kWhole, kIn>(row + m * kIn, centered_x);
    }
  }
#endif
  for (; o < G.out_features; ++o) {
    const std::int8_t* HWY_RESTRICT row = w + o * kIn;
    const auto lanes = DotLanes<kWhole>(row, centered_x);
    sums[o] = (G.bias ? b[o] : 0) + hn::GetLane(hn::SumOfLanes(D32(), lanes)) +
              DotTail<kWhole, kIn>(row, centered_x);
  }
  RequantizeRow<kOut, /*kRoundOnce=*/true>(sums, r, out);
  std::memcpy(y, out, G.out_features);
}

}  // namespace int8_kernels
// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#endif  // STATICNN_INT8_LINEAR_INL_H_
