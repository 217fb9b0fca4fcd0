// int8 elementwise add with requantization (TFLite's AddElementwise), per
// Highway target, over kN elements:
//   y[i] = Requantize(M_a((a[i] - a_zp) << 20) + M_b((b[i] - b_zp) << 20), r.output)
// with M the fixed-point multipliers of int8::AddParameters. Whole vectors,
// then the last elements through one vector's worth of stack (never reading
// or writing past kN).
//
// The inputs' multipliers take 32-bit lanes (InputScale): x = a - zp has 9
// bits, so with the 2^20 of the shift, gemmlowp's high multiply of x * 2^20
// by M, floor((x * M * 2^20 + 2^30) / 2^31), is floor((x * M + 2^10) / 2^11),
// and with M = M_h * 2^11 + M_l (0 <= M_l < 2^11) that is
//   x * M_h + floor((x * M_l + 2^10) / 2^11),
// both products below 2^28 in magnitude. Its rounding division by 2^e
// (ties away from zero) is floor((h + 2^(e-1) - [h < 0]) / 2^e). Two 32-bit
// multiplies and ten other instructions per vector where the 64-bit products
// of MultiplyByQuantizedMultiplier took 17 (the sum's multiplier keeps
// them: the sum has 29 bits). Other shifts or multipliers of 1 or more, which
// AddParameters never makes, take MultiplyByQuantizedMultiplier.

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

// An input's multiplier in 32-bit lanes (see above), for left_shift 20 and
// multipliers below 1 (shift <= 0).
struct InputScale {
  std::int32_t zero_point, high, low;  // M_h, M_l
  std::int32_t half, sign_mask;        // 2^(e-1) and -1, or 0 and 0 for e = 0
  int e;

  static constexpr bool Fits(int8::QuantizedMultiplier m) {
    return m.shift <= 0 && m.shift >= -31 && m.multiplier >= 0;
  }
  static constexpr bool Fits(const int8::AddRequantization& r) {
    return r.left_shift == 20 && Fits(r.a_scale) && Fits(r.b_scale);
  }
  // Built for every add. A multiplier that does not fit is never applied,
  // and building it shifts by no more than 30 bits.
  InputScale(std::int32_t zp, int8::QuantizedMultiplier m)
      : zero_point(zp),
        high(m.multiplier >> 11),
        low(m.multiplier & 2047),
        half(Fits(m) && m.shift < 0 ? std::int32_t{1} << (-m.shift - 1) : 0),
        sign_mask(Fits(m) && m.shift < 0 ? -1 : 0),
        e(Fits(m) ? -m.shift : 0) {}

  // M((a - zero point) << 20) of one vector of int32 lanes.
  HWY_INLINE hn::Vec<D32> operator()(hn::Vec<D32> a) const {
    const D32 d;
    const auto x = hn::Sub(a, hn::Set(d, zero_point));
    const auto low_part =
        hn::ShiftRight<11>(hn::Add(hn::Mul(x, hn::Set(d, low)), hn::Set(d, 1 << 10)));
    const auto h = hn::Add(hn::Mul(x, hn::Set(d, high)), low_part);
    const auto minus_one_if_negative = hn::And(hn::ShiftRight<31>(h), hn::Set(d, sign_mask));
    return hn::ShiftRightSame(hn::Add(hn::Add(h, hn::Set(d, half)), minus_one_if_negative), e);
  }
};

// The constants of an add's three multipliers, worked out once per call.
struct AddConstants {
  int8::AddRequantization r;
  MultiplierConstants a, b, output;
  InputScale a32, b32;
  explicit AddConstants(const int8::AddRequantization& params)
      : r(params),
        a(PrepareMultiplier(params.a_scale)),
        b(PrepareMultiplier(params.b_scale)),
        output(PrepareMultiplier(params.output.scale)),
        a32(params.a_zero_point, params.a_scale),
        b32(params.b_zero_point, params.b_scale) {}
};

// The sum of a's and b's scaled lanes, requantized and offset by the output
// zero point (not clamped); kInput32: the inputs' multipliers by InputScale.
template <bool kInput32>
HWY_INLINE hn::Vec<D32> AddLanes(const std::int8_t* HWY_RESTRICT a,
                                 const std::int8_t* HWY_RESTRICT b, const AddConstants& k) {
  const D32 d;
  const hn::Rebind<std::int8_t, D32> d8;
  const auto scaled = [&](const std::int8_t* p, const InputScale& s32,
                          const MultiplierConstants& m) {
    const auto values = hn::PromoteTo(d, hn::LoadU(d8, p));
    if constexpr (kInput32) {
      return s32(values);
    } else {
      const auto centered = hn::Sub(values, hn::Set(d, s32.zero_point));
      return MultiplyByQuantizedMultiplier(d, hn::ShiftLeftSame(centered, k.r.left_shift), m);
    }
  };
  const auto sum = hn::Add(scaled(a, k.a32, k.a), scaled(b, k.b32, k.b));
  return hn::Add(MultiplyByQuantizedMultiplier(d, sum, k.output),
                 hn::Set(d, k.r.output.output_zero_point));
}

template <bool kInput32>
HWY_INLINE void AddVector(const std::int8_t* HWY_RESTRICT a, const std::int8_t* HWY_RESTRICT b,
                          const AddConstants& k, std::int8_t* HWY_RESTRICT y) {
  const D32 d;
  const hn::Rebind<std::int8_t, D32> d8;
  const auto q = AddLanes<kInput32>(a, b, k);
  const auto clamped = hn::Min(hn::Max(q, hn::Set(d, k.r.output.clamp.min)),
                               hn::Set(d, k.r.output.clamp.max));
  hn::StoreU(hn::DemoteTo(d8, clamped), d8, y);
}

// y = the add of a and b, kN values, with the inputs' multipliers by
// InputScale (kInput32) or MultiplyByQuantizedMultiplier.
template <int kN, bool kInput32>
HWY_INLINE void AddElements(const std::int8_t* HWY_RESTRICT a, const std::int8_t* HWY_RESTRICT b,
                            const AddConstants& k, std::int8_t* HWY_RESTRICT y) {
  const int lanes = static_cast<int>(hn::Lanes(D32()));
  const int whole = kN / lanes * lanes;
  int i = 0;
#if HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL
  for (; i + 4 * lanes <= whole; i += 4 * lanes) {
    PackFour(AddLanes<kInput32>(a + i, b + i, k),
             AddLanes<kInput32>(a + i + lanes, b + i + lanes, k),
             AddLanes<kInput32>(a + i + 2 * lanes, b + i + 2 * lanes, k),
             AddLanes<kInput32>(a + i + 3 * lanes, b + i + 3 * lanes, k), k.r.output.clamp, y + i);
  }
#endif
  for (; i < whole; i += lanes) AddVector<kInput32>(a + i, b + i, k, y + i);
  if (whole == kN) return;
  HWY_ALIGN std::int8_t last_a[kLanes32] = {}, last_b[kLanes32] = {}, last_y[kLanes32];
  std::memcpy(last_a, a + whole, kN - whole);
  std::memcpy(last_b, b + whole, kN - whole);
  AddVector<kInput32>(last_a, last_b, k, last_y);
  std::memcpy(y + whole, last_y, kN - whole);
}

// y = TFLite's int8 ADD of a and b, kN values. The constants are a copy: an
// int8 store may alias the parameters as far as the compiler knows, which
// reloaded and rechecked them for every vector.
template <int kN>
void AddForward(const std::int8_t* HWY_RESTRICT a, const std::int8_t* HWY_RESTRICT b,
                const int8::AddRequantization& params, std::int8_t* HWY_RESTRICT y) {
  const AddConstants k(params);
  if (InputScale::Fits(params)) {
    AddElements<kN, true>(a, b, k, y);
  } else {
    AddElements<kN, false>(a, b, k, y);
  }
}

}  // namespace int8_kernels
// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#endif  // STATICNN_INT8_ADD_INL_H_
