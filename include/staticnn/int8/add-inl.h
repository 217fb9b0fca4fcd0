// int8 elementwise add with requantization (TFLite's AddElementwise), per
// Highway target, over kN elements:
//   y[i] = Requantize(M_a((a[i] - a_zp) << 20) + M_b((b[i] - b_zp) << 20), r.output)
// with M the fixed-point multipliers of int8::AddParameters. Whole vectors,
// then the last elements through one vector's worth of stack (never reading
// or writing past kN).

#if defined(STATICNN_INT8_ADD_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef STATICNN_INT8_ADD_INL_H_
#undef STATICNN_INT8_ADD_INL_H_
#else
#define STATICNN_INT8_ADD_INL_H_
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

HWY_INLINE void AddVector(const std::int8_t* HWY_RESTRICT a, const std::int8_t* HWY_RESTRICT b,
                          const int8::AddRequantization& r, std::int8_t* HWY_RESTRICT y) {
  const D32 d;
  const hn::Rebind<std::int8_t, D32> d8;
  const auto scaled = [&](const std::int8_t* p, std::int32_t zero_point,
                          int8::QuantizedMultiplier m) {
    const auto centered = hn::Sub(hn::PromoteTo(d, hn::LoadU(d8, p)), hn::Set(d, zero_point));
    return MultiplyByQuantizedMultiplier(d, hn::ShiftLeftSame(centered, r.left_shift), m);
  };
  const auto sum = hn::Add(scaled(a, r.a_zero_point, r.a_scale), scaled(b, r.b_zero_point, r.b_scale));
  hn::StoreU(hn::DemoteTo(d8, Requantize(d, sum, r.output)), d8, y);
}

template <int kN>
void AddForward(const std::int8_t* HWY_RESTRICT a, const std::int8_t* HWY_RESTRICT b,
                const int8::AddRequantization& params, std::int8_t* HWY_RESTRICT y) {
  // A copy: an int8 store may alias the parameters as far as the compiler
  // knows, which reloaded and rechecked them for every vector.
  const int8::AddRequantization r = params;
  const int lanes = static_cast<int>(hn::Lanes(D32()));
  const int whole = kN / lanes * lanes;
  for (int i = 0; i < whole; i += lanes) AddVector(a + i, b + i, r, y + i);
  if (whole == kN) return;
  HWY_ALIGN std::int8_t last_a[kLanes32] = {}, last_b[kLanes32] = {}, last_y[kLanes32];
  std::memcpy(last_a, a + whole, kN - whole);
  std::memcpy(last_b, b + whole, kN - whole);
  AddVector(last_a, last_b, r, last_y);
  std::memcpy(y + whole, last_y, kN - whole);
}

}  // namespace int8_kernels
// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#endif  // STATICNN_INT8_ADD_INL_H_
