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

// The constants of an add's three multipliers, worked out once per call.
struct AddConstants {
  int8::AddRequantization r;
  MultiplierConstants a, b, output;
  explicit AddConstants(const int8::AddRequantization& params)
      : r(params),
        a(PrepareMultiplier(params.a_scale)),
        b(PrepareMultiplier(params.b_scale)),
        output(PrepareMultiplier(params.output.scale)) {}
};

// The sum of a's and b's scaled lanes, requantized and offset by the output
// zero point (not clamped).
HWY_INLINE hn::Vec<D32> AddLanes(const std::int8_t* HWY_RESTRICT a,
                                 const std::int8_t* HWY_RESTRICT b, const AddConstants& k) {
  const D32 d;
  const hn::Rebind<std::int8_t, D32> d8;
  const auto scaled = [&](const std::int8_t* p, std::int32_t zero_point,
                          const MultiplierConstants& m) {
    const auto centered = hn::Sub(hn::PromoteTo(d, hn::LoadU(d8, p)), hn::Set(d, zero_point));
    return MultiplyByQuantizedMultiplier(d, hn::ShiftLeftSame(centered, k.r.left_shift), m);
  };
  const auto sum = hn::Add(scaled(a, k.r.a_zero_point, k.a), scaled(b, k.r.b_zero_point, k.b));
  return hn::Add(MultiplyByQuantizedMultiplier(d, sum, k.output),
                 hn::Set(d, k.r.output.output_zero_point));
}

HWY_INLINE void AddVector(const std::int8_t* HWY_RESTRICT a, const std::int8_t* HWY_RESTRICT b,
                          const AddConstants& k, std::int8_t* HWY_RESTRICT y) {
  const D32 d;
  const hn::Rebind<std::int8_t, D32> d8;
  const auto q = AddLanes(a, b, k);
  const auto clamped = hn::Min(hn::Max(q, hn::Set(d, k.r.output.clamp.min)),
                               hn::Set(d, k.r.output.clamp.max));
  hn::StoreU(hn::DemoteTo(d8, clamped), d8, y);
}

// y = TFLite's int8 ADD of a and b, kN values. The constants are a copy: an
// int8 store may alias the parameters as far as the compiler knows, which
// reloaded and rechecked them for every vector.
template <int kN>
void AddForward(const std::int8_t* HWY_RESTRICT a, const std::int8_t* HWY_RESTRICT b,
                const int8::AddRequantization& params, std::int8_t* HWY_RESTRICT y) {
  const AddConstants k(params);
  const int lanes = static_cast<int>(hn::Lanes(D32()));
  const int whole = kN / lanes * lanes;
  int i = 0;
#if HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL
  for (; i + 4 * lanes <= whole; i += 4 * lanes) {
    PackFour(AddLanes(a + i, b + i, k), AddLanes(a + i + lanes, b + i + lanes, k),
             AddLanes(a + i + 2 * lanes, b + i + 2 * lanes, k),
             AddLanes(a + i + 3 * lanes, b + i + 3 * lanes, k), k.r.output.clamp, y + i);
  }
#endif
  for (; i < whole; i += lanes) AddVector(a + i, b + i, k, y + i);
  if (whole == kN) return;
  HWY_ALIGN std::int8_t last_a[kLanes32] = {}, last_b[kLanes32] = {}, last_y[kLanes32];
  std::memcpy(last_a, a + whole, kN - whole);
  std::memcpy(last_b, b + whole, kN - whole);
  AddVector(last_a, last_b, k, last_y);
  std::memcpy(y + whole, last_y, kN - whole);
}

}  // namespace int8_kernels
// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#endif  // STATICNN_INT8_ADD_INL_H_
