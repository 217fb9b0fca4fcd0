// One input row staged for the int8 sliding-window kernels (convolution,
// pooling), per Highway target: int32 values in `A.stride` phase rows, phase
// p holding input columns j * stride + p - pad. The input of output column ow
// under tap kw, column ow * stride - pad + kw * dilation, is then in phase
// (kw * dilation) % stride at ow + (kw * dilation) / stride: for any stride,
// the taps of a whole output row are one contiguous load (Row(kw)).
//
// Rows are padded to whole int32 vectors (kRow >= out_w), and so are the
// phase rows; staged positions outside the input hold `fill` (0 for sums,
// below every int8 for a maximum), so no kernel loop has a tail.

#if defined(STATICNN_INT8_PHASE_ROWS_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef STATICNN_INT8_PHASE_ROWS_INL_H_
#undef STATICNN_INT8_PHASE_ROWS_INL_H_
#else
#define STATICNN_INT8_PHASE_ROWS_INL_H_
#endif

#include <cstdint>

#include "hwy/highway.h"
#include "staticnn/geometry.hpp"
#include "staticnn/int8/requantize-inl.h"

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {
namespace int8_kernels {

template <WindowAxis A, int kInW, int kOutW>
struct PhaseRows {
  static constexpr int kRow = PadToVectors(kOutW);
  static constexpr int kPhase = kRow + (A.kernel - 1) * A.dilation / A.stride;

  HWY_ALIGN std::int32_t values[A.stride * kPhase];

  // row[0, kInW) minus `offset`; `fill` outside the input.
  HWY_INLINE void Stage(const std::int8_t* HWY_RESTRICT row, std::int32_t offset,
                        std::int32_t fill) {
    if constexpr (A.stride == 1) {
      // The input's whole vectors widened at once, the edges one at a time.
      const D32 d;
      const hn::Rebind<std::int8_t, D32> d8;
      const int lanes = static_cast<int>(hn::Lanes(d));
      int j = 0;
      for (; j < A.pad && j < kPhase; ++j) values[j] = fill;
      for (; j + lanes <= A.pad + kInW && j + lanes <= kPhase; j += lanes) {
        const auto wide = hn::PromoteTo(d, hn::LoadU(d8, row + j - A.pad));
        hn::StoreU(hn::Sub(wide, hn::Set(d, offset)), d, values + j);
      }
      for (; j < kPhase; ++j) values[j] = j - A.pad < kInW ? std::int32_t{row[j - A.pad]} - offset : fill;
      return;
    }
    for (int p = 0; p < A.stride; ++p) {
      for (int j = 0; j < kPhase; ++j) {
        const int iw = j * A.stride + p - A.pad;
        values[p * kPhase + j] = (iw >= 0 && iw < kInW) ? std::int32_t{row[iw]} - offset : fill;
      }
    }
  }

  // The inputs of tap kw for output columns [0, kRow).
  HWY_INLINE const std::int32_t* Row(int kw) const {
    const int reach = kw * A.dilation;
    return values + (reach % A.stride) * kPhase + reach / A.stride;
  }
};

}  // namespace int8_kernels
// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#endif  // STATICNN_INT8_PHASE_ROWS_INL_H_
