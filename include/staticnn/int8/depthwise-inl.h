// int8 depthwise Conv2d (one input and one output channel per group, any
// kernel, stride, padding and dilation) over whole planes, per Highway target
// except SCALAR:
//   y[c][oh][ow] = Requantize(b[c] + sum w[c][kh][kw] * (x[c][ih][iw] - x_zero_point), r[c])
//
// conv2d-inl.h's row kernel runs one output row of one channel at a time: a
// DS-CNN row is 5 positions of a 16-lane vector, and every row pays for
// staging its inputs and requantizing. Here each channel's input is staged
// once, centered, as int16 in zero-padded planes laid out as grid-inl.h's
// GridPlane (the columns the outputs read; with a stride, one plane per
// remainder of the row and column), and the outputs are computed on the same
// grid: output (oh, ow) at oh * kWidth + ow, so tap (kh, kw) is one flat
// shift of one plane. Neighbouring taps go in int16 pairs
// (DepthwiseTapPairs): the plane is paired with itself one tap further on,
// so every vector of outputs is one pair multiply-add (MultiplyAddPairs) per
// pair of taps, of whole loads: 6 for 3x3. The kWidth - out.w columns past
// each output row are computed and dropped. The padding is zeroed once per
// call (every channel writes the same interior), and the planes stay on the
// stack within kMaxPlaneBytes (DepthwisePlaneFits); larger ones take the row
// kernel. Integer sums are exact: TFLite's bits.
#if defined(STATICNN_INT8_DEPTHWISE_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef STATICNN_INT8_DEPTHWISE_INL_H_
#undef STATICNN_INT8_DEPTHWISE_INL_H_
#else
#define STATICNN_INT8_DEPTHWISE_INL_H_
#endif

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "hwy/highway.h"
#include "staticnn/geometry.hpp"
#include "staticnn/int8/grid-inl.h"
#include "staticnn/int8/multiply_add_pairs-inl.h"
#include "staticnn/int8/requantize-inl.h"
#include "staticnn/int8/requantize.hpp"
#include "staticnn/kernels/vectors-inl.h"

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {
namespace int8_kernels {

inline constexpr int kMaxPlaneBytes = 32 * 1024;

constexpr bool IsDepthwise(const Conv2dGeometry& g) {
  return g.groups == g.in.c && g.groups == g.out.c;
}

#if HWY_TARGET != HWY_SCALAR
// The taps in int16 pairs: (kh, kw) with (kh, kw + 1) where the second's
// shift is the first's plus kDelta (every even kw at stride 1 or 2), each
// other tap alone, with a zero weight in its pair's high half. The staged
// lane at shift s holds the centered inputs at s (low) and s + kDelta (high),
// so a 3x3 layer is 6 pair multiply-adds per vector instead of 9 multiplies
// and 9 adds.
template <Conv2dGeometry G>
struct DepthwiseTapPairs {
  using P = GridPlane<G>;
  static constexpr int KH = G.y.kernel, KW = G.x.kernel;
  static constexpr int kDelta = KW > 1 ? P::Shift(0, 1) - P::Shift(0, 0) : 0;
  struct Pair {
    int shift, first, second;  // taps kh * KW + kw; second -1: alone
  };
  struct List {
    Pair pairs[KH * KW];
    int count;
  };
  static constexpr List list = [] {
    List l{};
    for (int kh = 0; kh < KH; ++kh) {
      for (int kw = 0; kw < KW; ++kw) {
        const bool paired = kDelta != 0 && kw + 1 < KW &&
                            P::Shift(kh, kw + 1) - P::Shift(kh, kw) == kDelta;
        l.pairs[l.count++] = {P::Shift(kh, kw), kh * KW + kw, paired ? kh * KW + kw + 1 : -1};
        kw += paired;
      }
    }
    return l;
  }();
};

// The centered inputs of one channel in GridPlane's layout (int16, with two
// vectors of slack for the pairs' shifted loads and the blended stores), its
// pairs (int32) and its outputs' grid (int8); at stride 2 along rows, one
// input row with its padding (kSpread int16), split into the column phases.
// kGroup channels are staged, then paired, then multiplied, each step for
// all of them before the next (kGroupBytes of planes and pairs): one channel
// at a time, every step's loads read what the step before had just stored
// at other offsets, and waited for those stores to reach the cache (no store
// forwarding): MobileNetV1's 6x6 layers spent most of their time so.
inline constexpr int kGroupBytes = 16 * 1024;

template <Conv2dGeometry G>
struct DepthwiseStage {
  using P = GridPlane<G>;
  static constexpr int kLanes16 = 2 * kLanes32;
  static constexpr int kValues = P::kPhases * P::kValues;
  static constexpr int kPlane = kValues + DepthwiseTapPairs<G>::kDelta + kLanes16;
  static constexpr int kCols = std::min(G.in.w, P::kColsRead - G.x.pad);
  static constexpr int kSpread = P::Sx == 2 ? std::max(kCols, 2 * P::kWidth) + 2 * kLanes16 : 0;
  // Each channel's plane and pairs start on a whole vector.
  static constexpr int kPlaneStride = (kPlane + kLanes16 - 1) / kLanes16 * kLanes16;
  static constexpr int kPairsStride = PadToVectors(kValues);
  static constexpr int kChannelBytes = kPlaneStride * 2 + kPairsStride * 4;
  static constexpr int kBytes = kChannelBytes + kSpread * 2 + P::kGrid;
  static constexpr int kGroup = std::clamp(kGroupBytes / kChannelBytes, 1, G.out.c);
};

template <Conv2dGeometry G>
constexpr bool DepthwisePlaneFits() {
  return DepthwiseStage<G>::kBytes <= kMaxPlaneBytes;
}

// to[0, kCols) = x[offset, offset + kCols) - x_zero_point, a vector of d16 at
// a time, masked to the row: the zeros past it land in to[kCols, ...) up to
// the vector's end. Where a vector would read past x, the row ends one value
// at a time.
template <int kCols, int kSize, class D>
HWY_INLINE void StageCenteredRow(D d16, const std::int8_t* HWY_RESTRICT x, int offset,
                                 std::int32_t x_zero_point, std::int16_t* to) {
  const hn::Rebind<std::int8_t, D> d8;
  const int lanes = static_cast<int>(hn::Lanes(d16));
  int j = 0;
  for (; j < kCols && offset + j + lanes <= kSize; j += lanes) {
    const auto centered =
        hn::Sub(hn::PromoteTo(d16, hn::LoadU(d8, x + offset + j)), hn::Set(d16, x_zero_point));
    hn::StoreU(hn::IfThenElseZero(hn::FirstN(d16, kCols - j), centered), d16, to + j);
  }
  for (; j < kCols; ++j) to[j] = static_cast<std::int16_t>(x[offset + j] - x_zero_point);
}

// plane[GridPlane position of x[c][ih][iw]] = x[c][ih][iw] - x_zero_point,
// leaving the padding as it is (zero). Staged one int16 at a time, DS-CNN's
// rows of 5 took longer than the multiplies, and MobileNet's stride-2 layers
// a fifth of the network. At stride 1 rows go straight into the plane: the
// zeros past a row land in padding or in the next row's columns, which that
// row then writes (rows go in order; with phase planes, the zeros past a
// plane's last row would land in the next plane). At stride 2 along rows a
// row goes into `spread` (zero around it) and its even and odd columns into
// their phase planes (ConcatEven / ConcatOdd), stores masked to the plane's
// width. Other strides go one value at a time.
template <Conv2dGeometry G>
HWY_INLINE void StageDepthwisePlane(const std::int8_t* HWY_RESTRICT x, int c,
                                    std::int32_t x_zero_point, std::int16_t* plane,
                                    std::int16_t* spread) {
  using P = GridPlane<G>;
  constexpr int kInPlane = G.in.h * G.in.w, kSize = G.in.c * kInPlane;
  constexpr int kRowEnd = std::min(G.in.h, P::kRowsRead - G.y.pad);
  constexpr int kCols = DepthwiseStage<G>::kCols;
  for (int ih = 0; ih < kRowEnd; ++ih) {
    const int offset = c * kInPlane + ih * G.in.w;
    const int row = ih + G.y.pad;
    std::int16_t* to = plane + row % P::Sy * P::Sx * P::kValues + row / P::Sy * P::kWidth;
    if constexpr (P::kPhases == 1) {
      // Vectors of the int32 lanes' count: DS-CNN's rows of 5 in one.
      StageCenteredRow<kCols, kSize>(hn::Rebind<std::int16_t, D32>(), x, offset, x_zero_point,
                                     to + G.x.pad);
    } else if constexpr (P::Sx == 2) {
      // The row goes to spread[0, kCols), so that each load below is one of
      // the stores before it (forwarded): input column iw = 2m + k is padded
      // column 2m + k + pad, of phase (k + pad) % 2 at (k + pad) / 2 + m.
      const D16 d16;
      const int lanes = static_cast<int>(hn::Lanes(d16));
      constexpr int kEven = G.x.pad % 2, kOdd = (G.x.pad + 1) % 2;
      constexpr int kEvenAt = G.x.pad / 2, kOddAt = (G.x.pad + 1) / 2;
      StageCenteredRow<kCols, kSize>(d16, x, offset, x_zero_point, spread);
      for (int j = 0; j + std::min(kEvenAt, kOddAt) < P::kWidth; j += lanes) {
        const auto low = hn::LoadU(d16, spread + 2 * j);
        const auto high = hn::LoadU(d16, spread + 2 * j + lanes);
        const auto even_inside = hn::FirstN(d16, std::max(P::kWidth - kEvenAt - j, 0));
        const auto odd_inside = hn::FirstN(d16, std::max(P::kWidth - kOddAt - j, 0));
        hn::BlendedStore(hn::ConcatEven(d16, high, low), even_inside, d16,
                         to + kEven * P::kValues + kEvenAt + j);
        hn::BlendedStore(hn::ConcatOdd(d16, high, low), odd_inside, d16,
                         to + kOdd * P::kValues + kOddAt + j);
      }
    } else {
      for (int iw = 0; iw < kCols; ++iw) {
        const int col = iw + G.x.pad;
        to[col % P::Sx * P::kValues + col / P::Sx] =
            static_cast<std::int16_t>(x[offset + iw] - x_zero_point);
      }
    }
  }
}

template <Conv2dGeometry G>
void DepthwiseForward(const std::int8_t* HWY_RESTRICT x, std::int32_t x_zero_point,
                      const std::int8_t* HWY_RESTRICT w, const std::int32_t* HWY_RESTRICT b,
                      const int8::Requantization* HWY_RESTRICT r, std::int8_t* HWY_RESTRICT y) {
  static_assert(IsDepthwise(G) && DepthwisePlaneFits<G>());
  using P = GridPlane<G>;
  using S = DepthwiseStage<G>;
  using Taps = DepthwiseTapPairs<G>;
  constexpr auto kList = Taps::list;
  constexpr int kPairs = kList.count, kDelta = Taps::kDelta, kTaps = G.y.kernel * G.x.kernel;
  constexpr int kOutPlane = G.out.h * G.out.w;
  const D32 d;
  const D16 d16;
  const hn::Rebind<std::int16_t, D32> d16_half;
  const hn::Rebind<std::int8_t, D32> d8;
  const int lanes = static_cast<int>(hn::Lanes(d));
  HWY_ALIGN std::int16_t planes[S::kGroup][S::kPlaneStride] = {};
  HWY_ALIGN std::int16_t spread[S::kSpread + 1] = {};
  HWY_ALIGN std::int32_t pairs[S::kGroup][S::kPairsStride];
  HWY_ALIGN std::int8_t grid[P::kGrid];
  // Packed before the channel loop: packed inside it, g++ vectorized the
  // packing into lane inserts.
  std::int32_t weight_pairs[G.out.c][kPairs];
  for (int c = 0; c < G.out.c; ++c) {
    const std::int8_t* HWY_RESTRICT wc = w + c * kTaps;
    for (int j = 0; j < kPairs; ++j) {
      const auto& pair = kList.pairs[j];
      weight_pairs[c][j] = PackPair(wc[pair.first], pair.second < 0 ? 0 : wc[pair.second]);
    }
  }
  for (int c0 = 0; c0 < G.out.c; c0 += S::kGroup) {
    const int group = std::min(S::kGroup, G.out.c - c0);
    for (int g = 0; g < group; ++g) {
      StageDepthwisePlane<G>(x, c0 + g, x_zero_point, planes[g], spread);
    }
    // pairs[s] = (plane[s], plane[s + kDelta]), the last vector overlapping.
    for (int g = 0; g < group; ++g) {
      for (int s0 = 0; s0 < S::kValues; s0 += lanes) {
        const int s = std::min(s0, S::kValues - lanes);
        const auto low = hn::PromoteTo(d, hn::LoadU(d16_half, planes[g] + s));
        const auto high = hn::PromoteTo(d, hn::LoadU(d16_half, planes[g] + s + kDelta));
        hn::StoreU(hn::Or(hn::And(low, hn::Set(d, 0xFFFF)), hn::ShiftLeft<16>(high)), d,
                   pairs[g] + s);
      }
    }
    for (int g = 0; g < group; ++g) {
      const int c = c0 + g;
      const std::int32_t* HWY_RESTRICT channel_pairs = pairs[g];
      VecTile<D16, kPairs> weights;
      for (int j = 0; j < kPairs; ++j) {
        weights.Set(j, hn::BitCast(d16, hn::Set(d, weight_pairs[c][j])));
      }
      const auto bias = hn::Set(d, G.bias ? b[c] : 0);
      // The sums of the grid's vector at q.
      const auto sums = [&](int q) {
        // Two chains of multiply-adds: VNNI's waits for its accumulator.
        auto even0 = hn::Zero(d), even1 = hn::Zero(d), odd0 = hn::Zero(d), odd1 = hn::Zero(d);
#pragma GCC unroll 16
        for (int j = 0; j < kPairs; ++j) {
          const auto in =
              hn::BitCast(d16, hn::LoadU(d, channel_pairs + q + kList.pairs[j].shift));
          if (j % 2 == 0) {
            even0 = MultiplyAddPairs(d, in, weights.Get(j), even0, even1);
          } else {
            odd0 = MultiplyAddPairs(d, in, weights.Get(j), odd0, odd1);
          }
        }
        return hn::Add(hn::Add(bias, hn::RearrangeToOddPlusEven(even0, even1)),
                       hn::RearrangeToOddPlusEven(odd0, odd1));
      };
      const int end = (G.out.h * P::kWidth + lanes - 1) / lanes * lanes;
      int q = 0;
      if constexpr (kPacksFour) {
        for (; q + 4 * lanes <= end; q += 4 * lanes) {
          RequantizeFour(d, sums(q), sums(q + lanes), sums(q + 2 * lanes), sums(q + 3 * lanes),
                         r[c], grid + q);
        }
      }
      for (; q < end; q += lanes) {
        hn::StoreU(hn::DemoteTo(d8, Requantize(d, sums(q), r[c])), d8, grid + q);
      }
      std::int8_t* HWY_RESTRICT yc = y + c * kOutPlane;
      for (int oh = 0; oh < G.out.h; ++oh) {
        std::memcpy(yc + oh * G.out.w, grid + oh * P::kWidth, G.out.w);
      }
    }
  }
}
#endif

}  // namespace int8_kernels
// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#endif  // STATICNN_INT8_DEPTHWISE_INL_H_
