// int8 Conv2d (TFLite's ConvPerChannel and DepthwiseConvPerChannel in one:
// groups, strides, dilation, padding), per Highway target, for one sample:
//   y[co][oh][ow] = Requantize(b[co] + sum w[co][c][kh][kw] * (x[ci][ih][iw] - x_zero_point),
//                              r[co])
// Layouts are staticnn's ([C][H][W], PyTorch's weights); padding reads as the
// zero point, so it adds nothing (TFLite's rule). Integer sums are exact, so
// any order gives TFLite's bits.
//
// Vectors run along the output row, in int32. For each input row (c, ih) that
// an output row uses, the row is staged once, minus the zero point, in phase
// rows (phase_rows-inl.h: each tap's inputs for the whole output row are one
// contiguous load, for any stride). Every output channel of the row's group
// then adds its kernel row's taps times those inputs into its accumulator
// row, in one pass over the row (AddTaps). Rows are padded to whole
// vectors (zeros staged past the input), so no loop has a tail; the int8
// result goes out through a padded row. Stack: out.c accumulator rows, the
// phase rows, one int8 row; no heap.
//
// int32 multiplies rather than int16 pairs: Highway 1.0.3's int16
// ReorderWidenMulAccumulate is missing on SCALAR (the Cortex-M target).

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
#include "staticnn/int8/phase_rows-inl.h"
#include "staticnn/int8/requantize-inl.h"
#include "staticnn/int8/requantize.hpp"

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {
namespace int8_kernels {

// acc[0, kRow) += sum over kw of taps[kw] * the inputs of tap kw: one
// accumulator load and store per vector for all the row's taps.
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

template <Conv2dGeometry G>
void Conv2dForward(const std::int8_t* HWY_RESTRICT x, std::int32_t x_zero_point,
                   const std::int8_t* HWY_RESTRICT w, const std::int32_t* HWY_RESTRICT b,
                   const int8::Requantization* HWY_RESTRICT r, std::int8_t* HWY_RESTRICT y) {
  using Phases = PhaseRows<G.x, G.in.w, G.out.w>;
  constexpr int kCin = G.in_per_group(), kCout = G.out_per_group();
  constexpr int kKh = G.y.kernel, kKw = G.x.kernel;
  HWY_ALIGN std::int32_t acc[G.out.c][Phases::kRow];
  Phases phases;
  HWY_ALIGN std::int8_t out_row[Phases::kRow];
  for (int oh = 0; oh < G.out.h; ++oh) {
    for (int co = 0; co < G.out.c; ++co) {
      for (int i = 0; i < Phases::kRow; ++i) acc[co][i] = G.bias ? b[co] : 0;
    }
    for (int ci = 0; ci < G.in.c; ++ci) {
      const int group = ci / kCin, c = ci % kCin;
      for (int kh = 0; kh < kKh; ++kh) {
        const int ih = oh * G.y.stride - G.y.pad + kh * G.y.dilation;
        if (ih < 0 || ih >= G.in.h) continue;
        phases.Stage(x + (ci * G.in.h + ih) * G.in.w, x_zero_point, 0);
        for (int co = group * kCout; co < (group + 1) * kCout; ++co) {
          AddTaps<kKw>(w + ((co * kCin + c) * kKh + kh) * kKw, phases, acc[co]);
        }
      }
    }
    for (int co = 0; co < G.out.c; ++co) {
      RequantizeRow<Phases::kRow>(acc[co], r[co], out_row);
      std::memcpy(y + (co * G.out.h + oh) * G.out.w, out_row, G.out.w);
    }
  }
}

}  // namespace int8_kernels
// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#endif  // STATICNN_INT8_CONV2D_INL_H_
