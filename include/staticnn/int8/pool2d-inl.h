// int8 max and average pooling (TFLite's MaxPool and AveragePool for int8),
// per Highway target, one sample, [C][H][W]; the output keeps the input's
// quantization, then the activation clamp:
//   MaxPool2dForward<G>(x, clamp, y)   max over the window's positions inside the input
//   AvgPool2dForward<G>(x, clamp, y)   (sum +- count / 2) / count, truncated: the
//                                      average rounded half away from zero, where
//                                      count is the positions inside the input
// Vectors run along the output row, in int32, over the phase rows of each
// input row of the window (phase_rows-inl.h); padding is staged as a value
// that cannot win (max) or adds nothing (average). An average with one
// window per channel sums the window where it lies (AvgPool2dSingleWindow).
//
// The division: |sum| <= 128 * count and count <= 2^16 make sum +- count / 2
// exact in float, and a quotient that is not an integer lies at least 1/count
// from one, far more than float's rounding error (|q| * 2^-24 <= 2^-17): the
// float quotient truncates to TFLite's integer quotient (Highway 1.0.3 has no
// integer vector division).

#if defined(STATICNN_INT8_POOL2D_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef STATICNN_INT8_POOL2D_INL_H_
#undef STATICNN_INT8_POOL2D_INL_H_
#else
#define STATICNN_INT8_POOL2D_INL_H_
#endif

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "hwy/highway.h"
#include "staticnn/geometry.hpp"
#include "staticnn/int8/phase_rows-inl.h"
#include "staticnn/int8/requantize-inl.h"
#include "staticnn/int8/requantize.hpp"

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {
namespace int8_kernels {

template <Pool2dGeometry G>
using PoolPhases = PhaseRows<G.x, G.in.w, G.out.w>;

// acc[ow] = reduce over the window of output row oh of the channel's plane
// (staged positions outside the input hold `fill`); returns how many of the
// window's rows lie inside the input.
template <Pool2dGeometry G, class Reduce>
HWY_INLINE int ReduceWindow(const std::int8_t* HWY_RESTRICT plane, int oh, std::int32_t fill,
                            const Reduce& reduce, std::int32_t* HWY_RESTRICT acc) {
  static_assert(!G.count_include_pad, "TFLite's int8 average counts only inputs");
  static_assert(G.y.dilation == 1 && G.x.dilation == 1);
  using Phases = PoolPhases<G>;
  const D32 d;
  const int lanes = static_cast<int>(hn::Lanes(d));
  Phases phases;
  for (int i = 0; i < Phases::kRow; i += lanes) hn::StoreU(hn::Set(d, fill), d, acc + i);
  int rows = 0;
  for (int kh = 0; kh < G.y.kernel; ++kh) {
    const int ih = oh * G.y.stride - G.y.pad + kh;
    if (ih < 0 || ih >= G.in.h) continue;
    ++rows;
    phases.Stage(plane + ih * G.in.w, 0, fill);
    for (int kw = 0; kw < G.x.kernel; ++kw) {
      const std::int32_t* inputs = phases.Row(kw);
      for (int i = 0; i < Phases::kRow; i += lanes) {
        hn::StoreU(reduce(hn::LoadU(d, acc + i), hn::LoadU(d, inputs + i)), d, acc + i);
      }
    }
  }
  return rows;
}

// Clamps acc[0, kRow) and writes its first out.w values as int8.
template <Pool2dGeometry G>
HWY_INLINE void StoreClamped(const std::int32_t* HWY_RESTRICT acc, int8::ActivationClamp clamp,
                             std::int8_t* HWY_RESTRICT y) {
  constexpr int kRow = PoolPhases<G>::kRow;
  const D32 d;
  const hn::Rebind<std::int8_t, D32> d8;
  HWY_ALIGN std::int8_t row[kRow];
  for (int i = 0; i < kRow; i += static_cast<int>(hn::Lanes(d))) {
    const auto v = hn::Min(hn::Max(hn::LoadU(d, acc + i), hn::Set(d, clamp.min)),
                           hn::Set(d, clamp.max));
    hn::StoreU(hn::DemoteTo(d8, v), d8, row + i);
  }
  std::memcpy(y, row, G.out.w);
}

template <Pool2dGeometry G>
void MaxPool2dForward(const std::int8_t* HWY_RESTRICT x, int8::ActivationClamp clamp,
                      std::int8_t* HWY_RESTRICT y) {
  HWY_ALIGN std::int32_t acc[PoolPhases<G>::kRow];
  const auto max = [](auto a, auto b) { return hn::Max(a, b); };
  for (int c = 0; c < G.out.c; ++c) {
    for (int oh = 0; oh < G.out.h; ++oh) {
      ReduceWindow<G>(x + c * G.in.h * G.in.w, oh, int8::kInt32Min, max, acc);
      StoreClamped<G>(acc, clamp, y + (c * G.out.h + oh) * G.out.w);
    }
  }
}

template <Pool2dGeometry G>
void AvgPool2dRows(const std::int8_t* HWY_RESTRICT x, int8::ActivationClamp clamp,
                   std::int8_t* HWY_RESTRICT y) {
  constexpr int kRow = PoolPhases<G>::kRow;
  const D32 d;
  const hn::Rebind<float, D32> df;
  const int lanes = static_cast<int>(hn::Lanes(d));
  // Columns of each output's window inside the input (1 in the padding lanes).
  HWY_ALIGN std::int32_t columns[kRow];
  for (int ow = 0; ow < kRow; ++ow) {
    const int first = ow * G.x.stride - G.x.pad;
    columns[ow] = ow < G.out.w ? std::min(first + G.x.kernel, G.in.w) - std::max(first, 0) : 1;
  }
  HWY_ALIGN std::int32_t acc[kRow];
  const auto add = [](auto a, auto b) { return hn::Add(a, b); };
  for (int c = 0; c < G.out.c; ++c) {
    for (int oh = 0; oh < G.out.h; ++oh) {
      const int rows = ReduceWindow<G>(x + c * G.in.h * G.in.w, oh, 0, add, acc);
      for (int i = 0; i < kRow; i += lanes) {
        const auto sum = hn::LoadU(d, acc + i);
        const auto count = hn::Mul(hn::LoadU(d, columns + i), hn::Set(d, rows));
        const auto half = hn::ShiftRight<1>(count);
        const auto rounded = hn::IfThenElse(hn::Gt(sum, hn::Zero(d)), hn::Add(sum, half),
                                            hn::Sub(sum, half));
        const auto quotient = hn::Div(hn::ConvertTo(df, rounded), hn::ConvertTo(df, count));
        hn::StoreU(hn::ConvertTo(d, quotient), d, acc + i);
      }
      StoreClamped<G>(acc, clamp, y + (c * G.out.h + oh) * G.out.w);
    }
  }
}

// The sum of x[0, n).
HWY_INLINE std::int32_t SumInt8(const std::int8_t* HWY_RESTRICT x, int n) {
  const D32 d;
  const hn::Rebind<std::int8_t, D32> d8;
  const int lanes = static_cast<int>(hn::Lanes(d));
  auto sum = hn::Zero(d);
  int i = 0;
  for (; i + lanes <= n; i += lanes) sum = hn::Add(sum, hn::PromoteTo(d, hn::LoadU(d8, x + i)));
  std::int32_t total = hn::GetLane(hn::SumOfLanes(d, sum));
  for (; i < n; ++i) total += x[i];
  return total;
}

// One window per channel, inside the input (DS-CNN's 24x5 over 25x5 and
// MobileNet's global 3x3): the window's rows summed as they lie, one integer
// division per channel. Staging phase rows for a single output was a fifth of
// DS-CNN's int8 inference.
template <Pool2dGeometry G>
constexpr bool IsSingleWindow() {
  return G.out.h == 1 && G.out.w == 1 && G.y.pad == 0 && G.x.pad == 0;
}

template <Pool2dGeometry G>
void AvgPool2dSingleWindow(const std::int8_t* HWY_RESTRICT x, int8::ActivationClamp clamp,
                           std::int8_t* HWY_RESTRICT y) {
  constexpr int KH = G.y.kernel, KW = G.x.kernel, kCount = KH * KW;
  // Whole rows are one run of the plane.
  constexpr int kRuns = KW == G.in.w ? 1 : KH, kRun = KW == G.in.w ? kCount : KW;
  for (int c = 0; c < G.out.c; ++c) {
    std::int32_t sum = 0;
    for (int run = 0; run < kRuns; ++run) {
      sum += SumInt8(x + c * G.in.h * G.in.w + run * G.in.w, kRun);
    }
    const std::int32_t average = (sum + (sum > 0 ? kCount / 2 : -(kCount / 2))) / kCount;
    y[c] = static_cast<std::int8_t>(std::clamp(average, clamp.min, clamp.max));
  }
}

template <Pool2dGeometry G>
void AvgPool2dForward(const std::int8_t* HWY_RESTRICT x, int8::ActivationClamp clamp,
                      std::int8_t* HWY_RESTRICT y) {
  static_assert(G.y.kernel * G.x.kernel <= (1 << 16), "the float division is exact up to 2^16");
  if constexpr (IsSingleWindow<G>()) {
    AvgPool2dSingleWindow<G>(x, clamp, y);
  } else {
    AvgPool2dRows<G>(x, clamp, y);
  }
}

}  // namespace int8_kernels
// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#endif  // STATICNN_INT8_POOL2D_INL_H_
