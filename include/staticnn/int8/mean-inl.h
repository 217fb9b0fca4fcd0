// int8 MEAN over each channel's plane (mean.hpp), per Highway target, one
// sample [C][H][W] -> [C]: each plane summed in int32 vectors (the last
// values through one vector's worth of stack, never reading past the plane),
// then one scalar requantization per channel.

#if defined(STATICNN_INT8_MEAN_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef STATICNN_INT8_MEAN_INL_H_
#undef STATICNN_INT8_MEAN_INL_H_
#else
#define STATICNN_INT8_MEAN_INL_H_
#endif

#include <cstdint>
#include <cstring>

#include "hwy/highway.h"
#include "staticnn/int8/requantize-inl.h"
#include "staticnn/int8/requantize.hpp"

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {
namespace int8_kernels {

// |sum| <= 128 * kN: exact in int32 for any plane an int8 network holds.
template <int kN>
HWY_INLINE std::int32_t PlaneSum(const std::int8_t* HWY_RESTRICT x) {
  const D32 d;
  const hn::Rebind<std::int8_t, D32> d8;
  const int lanes = static_cast<int>(hn::Lanes(d));
  const int whole = kN / lanes * lanes;
  auto sum = hn::Zero(d);
  for (int i = 0; i < whole; i += lanes) sum = hn::Add(sum, hn::PromoteTo(d, hn::LoadU(d8, x + i)));
  if (whole != kN) {
    HWY_ALIGN std::int8_t last[kLanes32] = {};
    std::memcpy(last, x + whole, kN - whole);
    sum = hn::Add(sum, hn::PromoteTo(d, hn::LoadU(d8, last)));
  }
  return hn::GetLane(hn::SumOfLanes(d, sum));
}

// y[c] = Requantize(sum over plane c of (x - zero_point), r), r's multiplier
// from int8::MeanMultiplier.
template <int kChannels, int kPlane>
void MeanForward(const std::int8_t* HWY_RESTRICT x, std::int32_t zero_point,
                 const int8::Requantization& r, std::int8_t* HWY_RESTRICT y) {
  for (int c = 0; c < kChannels; ++c) {
    y[c] = int8::Requantize(PlaneSum<kPlane>(x + c * kPlane) - zero_point * kPlane, r);
  }
}

}  // namespace int8_kernels
// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#endif  // STATICNN_INT8_MEAN_INL_H_
