// int8 Conv2d (TFLite's ConvPerChannel and DepthwiseConvPerChannel in one:
// groups, strides, dilation, padding), per Highway target, for one sample:
//   y[co][oh][ow] = Requantize(b[co] + sum w[co][c][kh][kw] * (x[ci][ih][iw] - x_zero_point),
//                              r[co])
// Layouts are staticnn's ([C][H][W], PyTorch's weights); padding reads as the
// zero point, so it adds nothing (TFLite's rule). Integer sums are exact, so
// any order gives TFLite's bits.
//
// Conv2dForward picks the kernel: on every target but SCALAR, a GEMM in
// registers for one group (pointwise-inl.h, im2col-inl.h, grid-inl.h) and
// whole planes for depthwise (depthwise-inl.h) where their stack fits; the row
// kernel below for the rest (grouped, a depthwise multiplier, SCALAR).
//
// The row kernel: vectors run along the output row, in int32. For each input row (c, ih) that
// an output row uses, the row is staged once, minus the zero point, in phase
// rows (phase_rows-inl.h: each tap's inputs for the whole output row are one
// contiguous load, for any stride). Every output channel of the row's group
// then adds its kernel row's taps times those inputs into its accumulator
// row, in one pass over the row. Rows are padded to whole vectors (zeros
// staged past the input), so no loop has a tail; the int8 result goes out
// through a padded row. Stack: out.c accumulator rows, the phase rows, one
// int8 row; no heap.
//
// A group's input rows for one output row, numbered e = c * kh_count + kh,
// go in pairs (e, e + 1): the two rows' inputs are interleaved as int16 (each
// centered input, int8 minus an int8 zero point, fits) and each tap is one
// ReorderWidenMulAccumulate of the pair row by the two rows' weights (x86:
// vpmaddwd; NEON: vmlal; SVE: mlalb/mlalt): half the multiplies of int32
// products, each a cheaper instruction. Pairs run across kernel rows and
// input channels alike, so depthwise and one-channel convolutions pair too.
// A row in the padding is a row of zeros (what it adds), so the pairing is
// the same for every output row and the weight pairs are packed once per call
// (PackedWeightPairs, on the stack: twice the weights' bytes); an odd last row
// pairs with zero weights. SCALAR, whose int16 vector has one lane, keeps
// int32 products (AddTaps) and skips padding rows.

#if defined(STATICNN_INT8_CONV2D_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef STATICNN_INT8_CONV2D_INL_H_
#undef STATICNN_INT8_CONV2D_INL_H_
#else
#define STATICNN_INT8_CONV2D_INL_H_
#endif

#include <cstdint>
#include <cstring>

#include "hwy/highway.h"
#include "staticnn/geometry.hpp"
#include "staticnn/int8/depthwise-inl.h"
#include "staticnn/int8/depthwise_float-inl.h"
#include "staticnn/int8/grid-inl.h"
#include "staticnn/int8/im2col-inl.h"
#include "staticnn/int8/phase_rows-inl.h"
#include "staticnn/int8/pointwise-inl.h"
#include "staticnn/int8/multiply_add_pairs-inl.h"
#include "staticnn/int8/requantize-inl.h"
#include "staticnn/int8/requantize.hpp"

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {
namespace int8_kernels {

#if HWY_TARGET == HWY_SCALAR
// acc[0, kRow) += sum over kw of taps[kw] * the inputs of tap kw.
template <int kKw, class Phases>
HWY_INLINE void AddTaps(const std::int8_t* HWY_RESTRICT taps, const Phases& phases,
                        std::int32_t* HWY_RESTRICT acc) {
  const D32 d;
  for (int i = 0; i < Phases::kRow; i += static_cast<int>(hn::Lanes(d))) {
    auto sum = hn::LoadU(d, acc + i);
    for (int kw = 0; kw < kKw; ++kw) {
      sum = hn::Add(sum, hn::Mul(hn::Set(d, taps[kw]), hn::LoadU(d, phases.Row(kw) + i)));
    }
    hn::StoreU(sum, d, acc + i);
  }
}
#else
// Two input rows' phase rows interleaved as int16, one pair row per tap:
// lane 2 * ow + k of values[kw] is row k's input of tap kw at column ow.
template <int kKw, int kRow>
struct RowPairs {
  HWY_ALIGN std::int16_t values[kKw][2 * kRow];

  template <class Phases>
  HWY_INLINE void Interleave(const Phases& first, const Phases& second) {
    const D32 d;
    const D16 d16;
    const auto low_half = hn::Set(d, 0xFFFF);
    for (int kw = 0; kw < kKw; ++kw) {
      for (int i = 0; i < kRow; i += static_cast<int>(hn::Lanes(d))) {
        const auto low = hn::And(hn::LoadU(d, first.Row(kw) + i), low_half);
        const auto high = hn::ShiftLeft<16>(hn::LoadU(d, second.Row(kw) + i));
        hn::StoreU(hn::BitCast(d16, hn::Or(high, low)), d16, values[kw] + 2 * i);
      }
    }
  }
};

// The weights of each output channel's row pairs, for every tap: the int16
// pair of one int32 lane, row e's weight in the low half (lane 2j: every
// Highway target is little-endian), row e + 1's (or 0) in the high half.
template <Conv2dGeometry G>
struct PackedWeightPairs {
  static constexpr int kRows = G.in_per_group() * G.y.kernel, kKw = G.x.kernel;
  static constexpr int kPairs = (kRows + 1) / 2;
  std::int32_t values[G.out.c][kPairs][kKw];

  explicit PackedWeightPairs(const std::int8_t* HWY_RESTRICT w) {
    for (int co = 0; co < G.out.c; ++co) {
      for (int p = 0; p < kPairs; ++p) {
        const std::int8_t* first = w + (co * kRows + 2 * p) * kKw;
        for (int kw = 0; kw < kKw; ++kw) {
          const std::int8_t second = 2 * p + 1 < kRows ? first[kKw + kw] : 0;
          values[co][p][kw] = PackPair(first[kw], second);
        }
      }
    }
  }
};

// acc[0, kRow) += sum over kw of the two rows' taps times their inputs.
// sum0 and sum1 start at zero: on NEON RearrangeToOddPlusEven adds pairs of
// their lanes.
template <int kKw, int kRow>
HWY_INLINE void AddPairTaps(const std::int32_t* HWY_RESTRICT weight_pairs,
                            const RowPairs<kKw, kRow>& pairs, std::int32_t* HWY_RESTRICT acc) {
  const D32 d;
  const D16 d16;
  for (int i = 0; i < kRow; i += static_cast<int>(hn::Lanes(d))) {
    auto sum0 = hn::Zero(d), sum1 = hn::Zero(d);
    for (int kw = 0; kw < kKw; ++kw) {
      sum0 = MultiplyAddPairs(d, hn::LoadU(d16, pairs.values[kw] + 2 * i),
                              hn::BitCast(d16, hn::Set(d, weight_pairs[kw])), sum0, sum1);
    }
    hn::StoreU(hn::Add(hn::LoadU(d, acc + i), hn::RearrangeToOddPlusEven(sum0, sum1)), d, acc + i);
  }
}
#endif

template <Conv2dGeometry G>
void RowsForward(const std::int8_t* HWY_RESTRICT x, std::int32_t x_zero_point,
                 const std::int8_t* HWY_RESTRICT w, const std::int32_t* HWY_RESTRICT b,
                 const int8::Requantization* HWY_RESTRICT r, std::int8_t* HWY_RESTRICT y) {
  using Phases = PhaseRows<G.x, G.in.w, G.out.w>;
  constexpr int kCin = G.in_per_group(), kCout = G.out_per_group();
  constexpr int kKh = G.y.kernel, kKw = G.x.kernel, kRows = kCin * kKh;
  HWY_ALIGN std::int32_t acc[G.out.c][Phases::kRow];
  Phases first;
  const Phases zeros{};
  HWY_ALIGN std::int8_t out_row[Phases::kRow];
#if HWY_TARGET != HWY_SCALAR
  Phases second;
  const PackedWeightPairs<G> weight_pairs(w);
  RowPairs<kKw, Phases::kRow> pairs;
#endif
  for (int oh = 0; oh < G.out.h; ++oh) {
    for (int co = 0; co < G.out.c; ++co) {
      for (int i = 0; i < Phases::kRow; ++i) acc[co][i] = G.bias ? b[co] : 0;
    }
    for (int group = 0; group < G.groups; ++group) {
      // Input row e of the group in `phases`, or `zeros` in the padding.
      const auto stage = [&](Phases& phases, int e) -> const Phases& {
        const int ih = oh * G.y.stride - G.y.pad + e % kKh * G.y.dilation;
        if (ih < 0 || ih >= G.in.h) return zeros;
        phases.Stage(x + ((group * kCin + e / kKh) * G.in.h + ih) * G.in.w, x_zero_point, 0);
        return phases;
      };
      const int co_first = group * kCout;
#if HWY_TARGET == HWY_SCALAR
      for (int e = 0; e < kRows; ++e) {
        const Phases& row = stage(first, e);
        if (&row == &zeros) continue;
        for (int co = co_first; co < co_first + kCout; ++co) {
          AddTaps<kKw>(w + (co * kRows + e) * kKw, row, acc[co]);
        }
      }
#else
      for (int p = 0; p < PackedWeightPairs<G>::kPairs; ++p) {
        const Phases& row0 = stage(first, 2 * p);
        const Phases& row1 = 2 * p + 1 < kRows ? stage(second, 2 * p + 1) : zeros;
        if (&row0 == &zeros && &row1 == &zeros) continue;
        pairs.Interleave(row0, row1);
        for (int co = co_first; co < co_first + kCout; ++co) {
          AddPairTaps(weight_pairs.values[co][p], pairs, acc[co]);
        }
      }
#endif
    }
    for (int co = 0; co < G.out.c; ++co) {
      RequantizeRow<Phases::kRow>(acc[co], r[co], out_row);
      std::memcpy(y + (co * G.out.h + oh) * G.out.w, out_row, G.out.w);
    }
  }
}

// The layer: convolutions of one group as GEMMs in registers (1x1:
// pointwise-inl.h; one input channel in narrow rows: im2col-inl.h; the others
// grid-inl.h), depthwise ones by whole planes (depthwise-inl.h), the rest by
// rows.
template <Conv2dGeometry G>
void Conv2dForward(const std::int8_t* HWY_RESTRICT x, std::int32_t x_zero_point,
                   const std::int8_t* HWY_RESTRICT w, const std::int32_t* HWY_RESTRICT b,
                   const int8::Requantization* HWY_RESTRICT r, std::int8_t* HWY_RESTRICT y) {
#if HWY_TARGET != HWY_SCALAR
  if constexpr (IsPointwise(G)) {
    PointwiseForward<G>(x, x_zero_point, w, b, r, y);
  } else if constexpr (Im2colPays(G)) {
    Im2colForward<G>(x, x_zero_point, w, b, r, y);
  } else if constexpr (IsDenseGrid(G) && GridFits<G>()) {
    GridForward<G>(x, x_zero_point, w, b, r, y);
  } else if constexpr (DepthwiseByFloatPays<G>()) {
    DepthwiseByFloat<G>(x, x_zero_point, w, b, r, y);
  } else if constexpr (IsDepthwise(G) && DepthwisePlaneFits<G>()) {
    DepthwiseForward<G>(x, x_zero_point, w, b, r, y);
  } else  // NOLINT(readability/braces): the branch below on SCALAR alone
#endif
  {
    RowsForward<G>(x, x_zero_point, w, b, r, y);
  }
}

}  // namespace int8_kernels
// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#endif  // STATICNN_INT8_CONV2D_INL_H_
