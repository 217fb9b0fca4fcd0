// int8 Linear (TFLite's FullyConnected: one weight scale for the tensor, so
// one Requantization for every output), per Highway target, one sample:
//   y[o] = Requantize(b[o] + sum_i w[o][i] * (x[i] - x_zero_point), r)
// w is PyTorch's [out][in]. Each output is a dot product along `in`, in int16
// pairs widened into int32 (MultiplyAddPairs: vpmaddwd, or vpdpwssd with VNNI, on x86; vmlal
// on NEON): x minus its zero point is staged once as int16 (int8 minus an
// int8 zero point fits); w's rows are read in place and widened, whole
// vectors then the last columns one at a time (never past the row: the last
// row ends the array). Integer sums are exact, so this order gives TFLite's
// bits. The sums then go through the vector requantization. Stack: the staged
// input and two output rows.

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

template <int kIn>
HWY_INLINE std::int32_t DotInt8(const std::int8_t* HWY_RESTRICT w,
                                const std::int16_t* HWY_RESTRICT centered_x) {
  const D32 d;
  const D16 d16;
  const hn::Rebind<std::int8_t, D16> d8;
  const int lanes = static_cast<int>(hn::Lanes(d16));
  const int whole = kIn / lanes * lanes;
  const auto step = [&](int i, hn::Vec<D32> sum0, hn::Vec<D32>& sum1) {
    return MultiplyAddPairs(d, hn::PromoteTo(d16, hn::LoadU(d8, w + i)),
                            hn::LoadU(d16, centered_x + i), sum0, sum1);
  };
  // Two chains: VNNI's multiply-add waits for its accumulator, and one chain
  // made LeNet-5's 400x120 layer 1.2x slower than vpmaddwd + vpaddd.
  auto a0 = hn::Zero(d), a1 = hn::Zero(d), b0 = hn::Zero(d), b1 = hn::Zero(d);
  int i = 0;
  for (; i + 2 * lanes <= whole; i += 2 * lanes) {
    a0 = step(i, a0, a1);
    b0 = step(i + lanes, b0, b1);
  }
  if (i < whole) a0 = step(i, a0, a1);
  std::int32_t total =
      hn::GetLane(hn::SumOfLanes(d, hn::Add(hn::Add(a0, a1), hn::Add(b0, b1))));
  for (int i = whole; i < kIn; ++i) total += std::int32_t{w[i]} * centered_x[i];
  return total;
}

template <LinearGeometry G>
void LinearForward(const std::int8_t* HWY_RESTRICT x, std::int32_t x_zero_point,
                   const std::int8_t* HWY_RESTRICT w, const std::int32_t* HWY_RESTRICT b,
                   const int8::Requantization& r, std::int8_t* HWY_RESTRICT y) {
  constexpr int kIn = G.in_features, kOut = PadToVectors(G.out_features);
  HWY_ALIGN std::int16_t centered_x[kIn];
  HWY_ALIGN std::int32_t sums[kOut] = {};
  HWY_ALIGN std::int8_t out[kOut];
  for (int i = 0; i < kIn; ++i) centered_x[i] = static_cast<std::int16_t>(x[i] - x_zero_point);
  for (int o = 0; o < G.out_features; ++o) {
    sums[o] = (G.bias ? b[o] : 0) + DotInt8<kIn>(w + o * kIn, centered_x);
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
