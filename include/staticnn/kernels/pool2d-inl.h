// Pooling over one sample's [C][H][W] planes: MaxPool2d, AvgPool2d and
// GlobalAvgPool2d, forward and backward, with PyTorch's semantics:
// - max pooling skips positions outside the input; in backward the first
//   maximum of a window in row-major order receives the gradient, and padding
//   never does (a window of -inf values routes it to its first real position);
// - average pooling counts padding as zeros; with count_include_pad the divisor
//   is the number of window positions inside [-pad, size + pad), otherwise the
//   number inside the input.
// Input gradients are OVERWRITTEN. NaN inputs are not supported.
//
// Every output row is computed from a private row buffer on the stack: the
// window's input rows reduced vertically, with the horizontal padding stored
// as real cells (-inf or 0). The horizontal pass then needs no edge cases, its
// strided loads (LoadInterleaved2/3/4, GatherIndex beyond) stay inside the
// buffer, and the caller's buffers are touched only inside their bounds.
// Stack use is a few rows of about W + kernel + lanes floats.
//
// Max pooling with 2x2 windows, stride 2 and no padding (the common case) has
// its own path: no window crosses an edge, so it works on the caller's rows
// directly, and backward picks each window's winner with three comparisons.
// So has forward average pooling over windows of whole rows (a run of floats).

// Per-target include guard (Highway's module pattern).
#if defined(STATICNN_KERNELS_POOL2D_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef STATICNN_KERNELS_POOL2D_INL_H_
#undef STATICNN_KERNELS_POOL2D_INL_H_
#else
#define STATICNN_KERNELS_POOL2D_INL_H_
#endif

#include <cstddef>
#include <limits>

#include "hwy/highway.h"
#include "staticnn/geometry.hpp"
#include "staticnn/kernels/memory-inl.h"
#include "staticnn/kernels/vectors-inl.h"
#include "staticnn/shape.hpp"

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

namespace pool2d_detail {

using D = KernelTag;
using V = hn::Vec<D>;

constexpr int RoundUp(int n, int multiple) { return (n + multiple - 1) / multiple * multiple; }
constexpr int Min(int a, int b) { return a < b ? a : b; }
constexpr int Max(int a, int b) { return a > b ? a : b; }

// Calls f(k, v) for k = 0 .. K-1 in order, where lane i of v is p[i * S + k]:
// the k-th window column of the outputs in the vector. Reads up to
// p[lanes * S + K - 1], so p must be a row buffer with that much slack.
template <int S, int K, class F>
HWY_INLINE void ForEachWindowColumn(D d, const float* p, F&& f) {
  if constexpr (S == 1) {
    for (int k = 0; k < K; ++k) f(k, hn::LoadU(d, p + k));
  } else if constexpr (S == 2) {
    for (int k = 0; k < K; k += 2) {
      V v0 = hn::Zero(d), v1 = v0;
      hn::LoadInterleaved2(d, p + k, v0, v1);
      f(k, v0);
      if (k + 1 < K) f(k + 1, v1);
    }
  } else if constexpr (S == 3) {
    for (int k = 0; k < K; k += 3) {
      V v0 = hn::Zero(d), v1 = v0, v2 = v0;
      hn::LoadInterleaved3(d, p + k, v0, v1, v2);
      f(k, v0);
      if (k + 1 < K) f(k + 1, v1);
      if (k + 2 < K) f(k + 2, v2);
    }
  } else if constexpr (S == 4) {
    for (int k = 0; k < K; k += 4) {
      V v0 = hn::Zero(d), v1 = v0, v2 = v0, v3 = v0;
      hn::LoadInterleaved4(d, p + k, v0, v1, v2, v3);
      f(k, v0);
      if (k + 1 < K) f(k + 1, v1);
      if (k + 2 < K) f(k + 2, v2);
      if (k + 3 < K) f(k + 3, v3);
    }
  } else {
    const hn::RebindToSigned<D> di;
    const auto index = hn::Mul(hn::Iota(di, 0), hn::Set(di, S));
    for (int k = 0; k < K; ++k) f(k, hn::GatherIndex(d, p + k, index));
  }
}

// The transpose of ForEachWindowColumn, for backward passes: for k = 0 .. K-1
// in order, acc[i * S + k] += lane i of f(k, v) where lane i of v is
// src[i * S + k]. Within one k the lanes hit distinct cells.
template <int S, int K, class F>
HWY_INLINE void AddToWindowColumns(D d, const float* src, float* acc, F&& f) {
  if constexpr (S == 1) {
    for (int k = 0; k < K; ++k) {
      hn::StoreU(hn::Add(hn::LoadU(d, acc + k), f(k, hn::LoadU(d, src + k))), d, acc + k);
    }
  } else if constexpr (S == 2) {
    for (int k = 0; k < K; k += 2) {
      V v0 = hn::Zero(d), v1 = v0, a0 = v0, a1 = v0;
      hn::LoadInterleaved2(d, src + k, v0, v1);
      hn::LoadInterleaved2(d, acc + k, a0, a1);
      a0 = hn::Add(a0, f(k, v0));
      if (k + 1 < K) a1 = hn::Add(a1, f(k + 1, v1));
      hn::StoreInterleaved2(a0, a1, d, acc + k);
    }
  } else if constexpr (S == 3) {
    for (int k = 0; k < K; k += 3) {
      V v0 = hn::Zero(d), v1 = v0, v2 = v0, a0 = v0, a1 = v0, a2 = v0;
      hn::LoadInterleaved3(d, src + k, v0, v1, v2);
      hn::LoadInterleaved3(d, acc + k, a0, a1, a2);
      a0 = hn::Add(a0, f(k, v0));
      if (k + 1 < K) a1 = hn::Add(a1, f(k + 1, v1));
      if (k + 2 < K) a2 = hn::Add(a2, f(k + 2, v2));
      hn::StoreInterleaved3(a0, a1, a2, d, acc + k);
    }
  } else if constexpr (S == 4) {
    for (int k = 0; k < K; k += 4) {
      V v0 = hn::Zero(d), v1 = v0, v2 = v0, v3 = v0;
      V a0 = v0, a1 = v0, a2 = v0, a3 = v0;
      hn::LoadInterleaved4(d, src + k, v0, v1, v2, v3);
      hn::LoadInterleaved4(d, acc + k, a0, a1, a2, a3);
      a0 = hn::Add(a0, f(k, v0));
      if (k + 1 < K) a1 = hn::Add(a1, f(k + 1, v1));
      if (k + 2 < K) a2 = hn::Add(a2, f(k + 2, v2));
      if (k + 3 < K) a3 = hn::Add(a3, f(k + 3, v3));
      hn::StoreInterleaved4(a0, a1, a2, a3, d, acc + k);
    }
  } else {
    const hn::RebindToSigned<D> di;
    const auto index = hn::Mul(hn::Iota(di, 0), hn::Set(di, S));
    for (int k = 0; k < K; ++k) {
      const V v = hn::GatherIndex(d, src + k, index);
      hn::ScatterIndex(hn::Add(hn::GatherIndex(d, acc + k, index), f(k, v)), d, acc + k, index);
    }
  }
}

// Stores window columns for disjoint windows (S >= K): dst[i * S + k] = lane
// i of cols[k] for k < S, where columns k >= K (the gaps between windows)
// are zero vectors. Every cell of [0, lanes * S) is written.
template <int S>
HWY_INLINE void StoreWindowColumns(D d, const VecTile<D, S>& cols, float* dst) {
  if constexpr (S == 1) {
    hn::StoreU(cols.Get(0), d, dst);
  } else if constexpr (S == 2) {
    hn::StoreInterleaved2(cols.Get(0), cols.Get(1), d, dst);
  } else if constexpr (S == 3) {
    hn::StoreInterleaved3(cols.Get(0), cols.Get(1), cols.Get(2), d, dst);
  } else if constexpr (S == 4) {
    hn::StoreInterleaved4(cols.Get(0), cols.Get(1), cols.Get(2), cols.Get(3), d, dst);
  } else {
    const hn::RebindToSigned<D> di;
    const auto index = hn::Mul(hn::Iota(di, 0), hn::Set(di, S));
    for (int k = 0; k < S; ++k) hn::ScatterIndex(cols.Get(k), d, dst + k, index);
  }
}

// The row buffer of one geometry. Cell j holds input column j - pad, so the
// window of output column ox starts at cell ox * stride.
template <Pool2dGeometry G>
struct RowLayout {
  static constexpr int kLanes = static_cast<int>(hn::MaxLanes(D()));
  static constexpr int kPad = G.x.pad;
  static constexpr int kWidth = G.in.w;
  // Cells right of the input that some real output's window reads.
  static constexpr int kRightPad =
      Max(0, (G.out.w - 1) * G.x.stride + G.x.kernel - kPad - kWidth);
  // Whole-vector stores of the data part and strided loads for the last
  // (partial) output vector both stay inside.
  static constexpr int kFloats =
      RoundUp(Max(kPad + RoundUp(kWidth, kLanes),
                  RoundUp(G.out.w, kLanes) * G.x.stride + G.x.kernel + 1),
              kLanes);
};

// Writes the data part of a row buffer: op-reduction of input rows
// iy_begin .. iy_end-1 of `plane` (at least one). Whole vectors may spill
// past the input's width; the cells that real windows read there are reset
// to `pad_value`.
template <Pool2dGeometry G, class Op>
HWY_INLINE void ReduceRowsInto(D d, const float* HWY_RESTRICT plane, int iy_begin, int iy_end,
                               Op op, float pad_value, float* HWY_RESTRICT row) {
  using L = RowLayout<G>;
  constexpr int W = G.in.w;
  const int lanes = static_cast<int>(hn::Lanes(d));
  int j = 0;
  for (; j + lanes <= W; j += lanes) {
    V acc = hn::LoadU(d, plane + iy_begin * W + j);
    for (int iy = iy_begin + 1; iy < iy_end; ++iy) acc = op(acc, hn::LoadU(d, plane + iy * W + j));
    hn::StoreU(acc, d, row + L::kPad + j);
  }
  if (j < W) {
    const std::size_t n = static_cast<std::size_t>(W - j);
    V acc = LoadFirstN(d, plane + iy_begin * W + j, n);
    for (int iy = iy_begin + 1; iy < iy_end; ++iy) {
      acc = op(acc, LoadFirstN(d, plane + iy * W + j, n));
    }
    hn::StoreU(acc, d, row + L::kPad + j);
    for (int c = 0; c < L::kRightPad; ++c) row[L::kPad + W + c] = pad_value;
  }
}

// The gradient rows of one plane of dx under construction: row iy
// accumulates in ring slot iy % KY, laid out as a row buffer; what lands on
// padding cells is never copied out. The rows a window touches are
// consecutive and rows are finished in order, so KY slots suffice: before the
// window starting at row r is processed, rows < r are final and are flushed,
// i.e. copied to dx and their cells cleared. Every row of dx is written
// exactly once, by a flush, with plain stores (no read-modify-write of dx,
// no memset that later loads would stall on).
template <Pool2dGeometry G>
class GradientRows {
 public:
  GradientRows() {
    for (int ky = 0; ky < G.y.kernel; ++ky) ZeroFloats(ring_[ky], L::kFloats);
  }
  void Begin(float* plane) {
    plane_ = plane;
    next_ = 0;
  }
  float* Row(int iy) { return ring_[iy % G.y.kernel]; }
  // Writes the rows before `end` that are not written yet.
  void FlushBefore(D d, int end) {
    for (; next_ < end; ++next_) Flush(d, next_);
  }

 private:
  using L = RowLayout<G>;
  void Flush(D d, int iy) {
    constexpr int W = G.in.w;
    const int lanes = static_cast<int>(hn::Lanes(d));
    float* slot = Row(iy) + L::kPad;
    float* dst = plane_ + iy * W;
    int j = 0;
    for (; j + lanes <= W; j += lanes) {
      hn::StoreU(hn::LoadU(d, slot + j), d, dst + j);
      hn::StoreU(hn::Zero(d), d, slot + j);
    }
    if (j < W) {
      StoreFirstN(d, hn::LoadU(d, slot + j), dst + j, static_cast<std::size_t>(W - j));
      hn::StoreU(hn::Zero(d), d, slot + j);  // inside the row buffer's slack
    }
  }

  HWY_ALIGN float ring_[G.y.kernel][L::kFloats];
  float* plane_ = nullptr;
  int next_ = 0;
};

// The window positions [begin, end) of output `o` that lie inside the input
// (begin >= 0, end <= kKernel; empty if begin >= end), and the input index of
// position 0.
struct WindowSpan {
  int begin, end, first;
};
template <int kSize, int kKernel, int kStride, int kPad>
HWY_INLINE WindowSpan InsideWindow(int o) {
  const int first = o * kStride - kPad;
  return {Max(0, -first), Min(kKernel, kSize - first), first};
}

// True if every window of the axis has the same average-pooling count.
constexpr bool UniformCount(const WindowAxis& a, int size, int out, bool include_pad) {
  const int lo = include_pad ? -a.pad : 0, hi = include_pad ? size + a.pad : size;
  return -a.pad >= lo && (out - 1) * a.stride - a.pad + a.kernel <= hi;
}

// The average-pooling divisor of the outputs ox0 .. ox0+lanes-1 of row oy.
template <Pool2dGeometry G>
HWY_INLINE V AverageDivisor(D d, int oy, int ox0) {
  constexpr bool kInclude = G.count_include_pad;
  constexpr int kLoY = kInclude ? -G.y.pad : 0, kHiY = kInclude ? G.in.h + G.y.pad : G.in.h;
  constexpr int kLoX = kInclude ? -G.x.pad : 0, kHiX = kInclude ? G.in.w + G.x.pad : G.in.w;
  constexpr bool kUniformX = UniformCount(G.x, G.in.w, G.out.w, kInclude);
  constexpr bool kUniformY = UniformCount(G.y, G.in.h, G.out.h, kInclude);
  const int y0 = oy * G.y.stride - G.y.pad;
  const float count_y = kUniformY ? float(G.y.kernel)
                                  : float(Min(y0 + G.y.kernel, kHiY) - Max(y0, kLoY));
  if constexpr (kUniformX) return hn::Set(d, count_y * float(G.x.kernel));
  const V x0 = hn::MulAdd(hn::Iota(d, float(ox0)), hn::Set(d, float(G.x.stride)),
                          hn::Set(d, float(-G.x.pad)));
  const V count_x = hn::Sub(hn::Min(hn::Add(x0, hn::Set(d, float(G.x.kernel))),
                                    hn::Set(d, float(kHiX))),
                            hn::Max(x0, hn::Set(d, float(kLoX))));
  // Lanes past the last output may count <= 0: keep them finite.
  return hn::Max(hn::Mul(count_x, hn::Set(d, count_y)), hn::Set(d, 1.0f));
}

// Max or average pooling forward; they differ in the padding value, the
// reduction and the final division.
template <Pool2dGeometry G, bool kMax>
HWY_INLINE void PoolForward(const float* HWY_RESTRICT x, float* HWY_RESTRICT y) {
  static_assert(G.in.c == G.out.c, "pooling keeps the channel count");
  using L = RowLayout<G>;
  constexpr int H = G.in.h, W = G.in.w, OH = G.out.h, OW = G.out.w;
  const D d;
  const int lanes = static_cast<int>(hn::Lanes(d));
  const float pad_value = kMax ? -std::numeric_limits<float>::infinity() : 0.0f;
  const auto op = [](V a, V b) HWY_ATTR { return kMax ? hn::Max(a, b) : hn::Add(a, b); };

  HWY_ALIGN float row[L::kFloats];
  FillFloats(row, L::kFloats, pad_value);
  for (int c = 0; c < G.in.c; ++c) {
    const float* plane = x + c * H * W;
    for (int oy = 0; oy < OH; ++oy) {
      const WindowSpan rows = InsideWindow<H, G.y.kernel, G.y.stride, G.y.pad>(oy);
      if (rows.begin < rows.end) {
        ReduceRowsInto<G>(d, plane, rows.first + rows.begin, rows.first + rows.end, op,
                          pad_value, row);
      } else {
        FillFloats(row, L::kFloats, pad_value);  // a window row entirely in the padding
      }
      float* out = y + (c * OH + oy) * OW;
      for (int ox0 = 0; ox0 < OW; ox0 += lanes) {
        V acc = hn::Set(d, pad_value);
        ForEachWindowColumn<G.x.stride, G.x.kernel>(
            d, row + ox0 * G.x.stride, [&](int, V v) HWY_ATTR { acc = op(acc, v); });
        if constexpr (!kMax) acc = hn::Div(acc, AverageDivisor<G>(d, oy, ox0));
        StoreFirstN(d, acc, out + ox0, static_cast<std::size_t>(Min(lanes, OW - ox0)));
      }
    }
  }
}

// Average pooling whose windows span whole rows with no padding (DS-CNN's
// 24x5 window over its 25x5 planes): each window's cells are contiguous.
template <Pool2dGeometry G>
constexpr bool kIsAvgPoolOfWholeRows = G.x.kernel == G.in.w && G.out.w == 1 && G.x.pad == 0 &&
                                       G.y.pad == 0 &&
                                       (G.out.h - 1) * G.y.stride + G.y.kernel <= G.in.h;

#if HWY_TARGET != HWY_SCALAR  // one-lane vectors take the general path
// 2x2 windows, stride 2, no padding, floor mode (LeNet's and VGG's pooling):
// no window crosses the input's edge, so the rows are read and written where
// they are, with no row buffers. One deinterleaving load per input row splits
// it into the windows' left and right cells.
template <Pool2dGeometry G>
constexpr bool kIsMaxPool2x2 = G.y.kernel == 2 && G.x.kernel == 2 && G.y.stride == 2 &&
                               G.x.stride == 2 && G.y.pad == 0 && G.x.pad == 0 &&
                               G.out.h == G.in.h / 2 && G.out.w == G.in.w / 2;

// Vectors of up to out.w lanes (a power of two), so that the last one of a row
// can overlap the previous one instead of going past the end; 0 if narrower
// than a 128-bit vector (the general path handles those).
template <Pool2dGeometry G>
constexpr int Pool2x2Lanes() {
  constexpr int kMax = static_cast<int>(hn::MaxLanes(D()));
  int lanes = 1;
  while (lanes * 2 <= Min(G.out.w, kMax)) lanes *= 2;
  return lanes >= 4 ? lanes : 0;
}

// Calls f(o, top_left, top_right, bottom_left, bottom_right) for vectors of
// the windows of output columns o .. o+lanes-1 covering 0 .. out_w-1; the last
// vector may repeat some of the previous one's columns.
template <class DC, class F>
HWY_INLINE void ForEachWindow2x2(DC dc, const float* HWY_RESTRICT top,
                                 const float* HWY_RESTRICT bottom, int out_w, F&& f) {
  const int lanes = static_cast<int>(hn::Lanes(dc));
  for (int ox = 0; ox < out_w; ox += lanes) {
    const int o = Min(ox, out_w - lanes);
    hn::Vec<DC> tl, tr, bl, br;
    hn::LoadInterleaved2(dc, top + 2 * o, tl, tr);
    hn::LoadInterleaved2(dc, bottom + 2 * o, bl, br);
    f(o, tl, tr, bl, br);
  }
}

// The maximum of a 2x2 window's cells, vectors of them, in the order
// MaxPool2x2Forward takes them on this target: where -0 meets +0 (or a NaN
// meets a number) the order decides the bits, and a pool fused into the layer
// before it (MaxPool2x2ChannelsLast) gives the bits of MaxPool2dForward.
template <class VC>
HWY_INLINE VC Max2x2(VC top_left, VC top_right, VC bottom_left, VC bottom_right) {
#if HWY_HAVE_SCALABLE
  return hn::Max(hn::Max(top_left, top_right), hn::Max(bottom_left, bottom_right));
#else
  return hn::Max(hn::Max(top_left, bottom_left), hn::Max(top_right, bottom_right));
#endif
}

template <Pool2dGeometry G>
HWY_INLINE void MaxPool2x2Forward(const float* HWY_RESTRICT x, float* HWY_RESTRICT y) {
  const hn::CappedTag<float, Pool2x2Lanes<G>()> dc;
  using VC = hn::Vec<decltype(dc)>;
  constexpr int W = G.in.w, OW = G.out.w;
  const int lanes = static_cast<int>(hn::Lanes(dc));
  for (int c = 0; c < G.in.c; ++c) {
    for (int oy = 0; oy < G.out.h; ++oy) {
      const float* top = x + (c * G.in.h + 2 * oy) * W;
      const float* bottom = top + W;
      float* out = y + (c * G.out.h + oy) * OW;
      for (int ox = 0; ox < OW; ox += lanes) {
        // The vertical maxima first, then one split into window columns:
        // half the shuffles of splitting both rows.
        const int o = Min(ox, OW - lanes);
#if HWY_HAVE_SCALABLE
        // Highway 1.0.3's SVE ConcatEven/ConcatOdd shuffle the whole register
        // when its length is a power of two (SVE_256), ignoring a capped tag:
        // split with deinterleaving loads instead.
        VC tl, tr, bl, br;
        hn::LoadInterleaved2(dc, top + 2 * o, tl, tr);
        hn::LoadInterleaved2(dc, bottom + 2 * o, bl, br);
        hn::StoreU(Max2x2(tl, tr, bl, br), dc, out + o);
#else
        // Max2x2's order: max(max(tl, bl), max(tr, br)).
        const VC lo = hn::Max(hn::LoadU(dc, top + 2 * o), hn::LoadU(dc, bottom + 2 * o));
        const VC hi = hn::Max(hn::LoadU(dc, top + 2 * o + lanes),
                              hn::LoadU(dc, bottom + 2 * o + lanes));
        hn::StoreU(hn::Max(hn::ConcatEven(dc, hi, lo), hn::ConcatOdd(dc, hi, lo)), dc, out + o);
#endif
      }
    }
  }
}

// dx is overwritten: the first cell of each window, in row-major order, that
// equals its maximum takes dy; a last column or row outside every window
// (odd sizes) gets zeros. kAfterRelu: as MaxPool2dBackward says.
template <Pool2dGeometry G, bool kAfterRelu>
HWY_INLINE void MaxPool2x2Backward(const float* HWY_RESTRICT x, const float* HWY_RESTRICT dy,
                                   float* HWY_RESTRICT dx) {
  const hn::CappedTag<float, Pool2x2Lanes<G>()> dc;
  using VC = hn::Vec<decltype(dc)>;
  constexpr int H = G.in.h, W = G.in.w, OW = G.out.w;
  for (int c = 0; c < G.in.c; ++c) {
    for (int oy = 0; oy < G.out.h; ++oy) {
      const int offset = (c * H + 2 * oy) * W;
      float* dtop = dx + offset;
      float* dbottom = dtop + W;
      const float* g_row = dy + (c * G.out.h + oy) * OW;
      ForEachWindow2x2(dc, x + offset, x + offset + W, OW,
                       [&](int o, VC tl, VC tr, VC bl, VC br) HWY_ATTR {
        const VC max = hn::Max(hn::Max(tl, tr), hn::Max(bl, br));
        const VC g = kAfterRelu ? hn::IfThenElseZero(hn::Gt(max, hn::Zero(dc)),
                                                     hn::LoadU(dc, g_row + o))
                                : hn::LoadU(dc, g_row + o);
        const auto in_tl = hn::Eq(tl, max);
        const auto in_tr = hn::AndNot(in_tl, hn::Eq(tr, max));
        const auto taken = hn::Or(in_tl, in_tr);
        const auto in_bl = hn::AndNot(taken, hn::Eq(bl, max));
        const auto in_br = hn::Not(hn::Or(taken, in_bl));  // no NaN: br equals max
        hn::StoreInterleaved2(hn::IfThenElseZero(in_tl, g), hn::IfThenElseZero(in_tr, g), dc,
                              dtop + 2 * o);
        hn::StoreInterleaved2(hn::IfThenElseZero(in_bl, g), hn::IfThenElseZero(in_br, g), dc,
                              dbottom + 2 * o);
      });
      if constexpr (W % 2 != 0) dtop[W - 1] = dbottom[W - 1] = 0.0f;
    }
    if constexpr (H % 2 != 0) {
      float* last = dx + (c * H + H - 1) * W;
      ZeroFloats(last, W);
    }
  }
}

#endif  // HWY_TARGET != HWY_SCALAR

}  // namespace pool2d_detail

// Whether MaxPool2dForward<G> takes the 2x2 path (MaxPool2x2Forward), whose
// bits MaxPool2x2ChannelsLast reproduces.
template <Pool2dGeometry G>
constexpr bool MaxPool2x2Path() {
#if HWY_TARGET != HWY_SCALAR
  return pool2d_detail::kIsMaxPool2x2<G> && pool2d_detail::Pool2x2Lanes<G>() != 0;
#else
  return false;
#endif
}

template <Pool2dGeometry G>
void MaxPool2dForward(const float* HWY_RESTRICT x, float* HWY_RESTRICT y) {
#if HWY_TARGET != HWY_SCALAR
  if constexpr (MaxPool2x2Path<G>()) {
    pool2d_detail::MaxPool2x2Forward<G>(x, y);
    return;
  }
#endif
  pool2d_detail::PoolForward<G, /*kMax=*/true>(x, y);
}

#if HWY_TARGET != HWY_SCALAR
// MaxPool2dForward<G> (a MaxPool2x2Path geometry) of planes stored positions
// first, x[in.h][in.w][in.c] -> y[out.h][out.w][in.c], in.c a multiple of the
// vector: a max pool fused into the output of a kernel that computes them so
// (Conv2d's channel-vector tiles), the same bits. y may be x: window j reads
// positions >= j only, so pooled position j overwrites one no later window reads.
template <Pool2dGeometry G>
HWY_INLINE void MaxPool2x2ChannelsLast(const float* x, float* y) {
  static_assert(MaxPool2x2Path<G>());
  const KernelTag d;
  constexpr int C = G.in.c, N = static_cast<int>(hn::MaxLanes(d));
  static_assert(C % N == 0, "channels fill whole vectors");
  for (int oy = 0; oy < G.out.h; ++oy) {
    for (int ox = 0; ox < G.out.w; ++ox) {
      const float* top = x + (2 * oy * G.in.w + 2 * ox) * C;
      const float* bottom = top + G.in.w * C;
      float* out = y + (oy * G.out.w + ox) * C;
#pragma GCC unroll 4
      for (int c = 0; c < C; c += N) {
        hn::StoreU(pool2d_detail::Max2x2(hn::LoadU(d, top + c), hn::LoadU(d, top + C + c),
                                         hn::LoadU(d, bottom + c), hn::LoadU(d, bottom + C + c)),
                   d, out + c);
      }
    }
  }
}
#endif  // HWY_TARGET != HWY_SCALAR

template <Pool2dGeometry G>
void AvgPool2dForward(const float* HWY_RESTRICT x, float* HWY_RESTRICT y) {
  using namespace pool2d_detail;  // NOLINT: the helpers of this file
  if constexpr (kIsAvgPoolOfWholeRows<G>) {
    // Each window is one contiguous run of kernel.h rows: a sum, no row buffers.
    constexpr int W = G.in.w, kRun = G.y.kernel * W;
    for (int c = 0; c < G.in.c; ++c) {
      for (int oy = 0; oy < G.out.h; ++oy) {
        y[c * G.out.h + oy] =
            SumFloats(x + (c * G.in.h + oy * G.y.stride) * W, kRun) / float(kRun);
      }
    }
  } else {
    PoolForward<G, /*kMax=*/false>(x, y);
  }
}

// dx is overwritten. The window maxima are recomputed from x: for each output,
// the row-major-first real position holding the maximum gets dy.
// kAfterRelu: x is a ReLU's output and dx the gradient at that ReLU's input,
// the ReLU's backward done here: a window whose maximum is not positive
// passes no gradient (the ReLU's input was <= 0 at its winner), which saves
// the ReLU's pass over dx (LeNet-5's conv1: 1.2 MB read twice, written once).
template <Pool2dGeometry G, bool kAfterRelu = false>
void MaxPool2dBackward(const float* HWY_RESTRICT x, const float* HWY_RESTRICT dy,
                       float* HWY_RESTRICT dx) {
  using namespace pool2d_detail;  // NOLINT: the helpers of this file
#if HWY_TARGET != HWY_SCALAR
  if constexpr (kIsMaxPool2x2<G> && Pool2x2Lanes<G>() != 0) {
    MaxPool2x2Backward<G, kAfterRelu>(x, dy, dx);
    return;
  }
#endif
  using L = RowLayout<G>;
  constexpr int H = G.in.h, W = G.in.w, OH = G.out.h, OW = G.out.w;
  constexpr int KY = G.y.kernel, KX = G.x.kernel, SX = G.x.stride;
  const D d;
  const int lanes = static_cast<int>(hn::Lanes(d));
  // Padding cells are NaN: it compares false with everything, so it is
  // skipped by the maximum and never equal to it.
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const auto first = [](V a, V) HWY_ATTR { return a; };
  // Windows that share no cell: every cell of dx gets at most one gradient.
  constexpr bool kDisjoint = SX >= KX && G.y.stride >= KY;

  HWY_ALIGN float values[KY][L::kFloats];  // the window's input rows
  for (int ky = 0; ky < KY; ++ky) FillFloats(values[ky], L::kFloats, nan);
  GradientRows<G> grads;

  for (int c = 0; c < G.in.c; ++c) {
    const float* plane = x + c * H * W;
    grads.Begin(dx + c * H * W);
    for (int oy = 0; oy < OH; ++oy) {
      const WindowSpan rows = InsideWindow<H, KY, G.y.stride, G.y.pad>(oy);
      if (rows.begin >= rows.end) continue;  // entirely in the padding: no winner
      grads.FlushBefore(d, rows.first + rows.begin);
      for (int ky = rows.begin; ky < rows.end; ++ky) {
        const int iy = rows.first + ky;
        ReduceRowsInto<G>(d, plane, iy, iy + 1, first, nan, values[ky]);
      }
      const float* drow = dy + (c * OH + oy) * OW;
      for (int ox0 = 0; ox0 < OW; ox0 += lanes) {
        const int offset = ox0 * SX;
        const int n = Min(lanes, OW - ox0);
        // Lanes past the last output carry a zero gradient.
        const V dy_lanes = LoadUpTo(d, drow + ox0, static_cast<std::size_t>(n));
        // The maximum over real cells (NaN fails every comparison); -inf if
        // all of them are -inf.
        V max = hn::Set(d, -std::numeric_limits<float>::infinity());
        VecTile<D, KY, KX> window;  // the cells, kept for the disjoint case below
        for (int ky = rows.begin; ky < rows.end; ++ky) {
          ForEachWindowColumn<SX, KX>(d, values[ky] + offset, [&](int kx, V v) HWY_ATTR {
            max = hn::IfThenElse(hn::Gt(v, max), v, max);
            window.Set(ky, kx, v);
          });
        }
        const V g = kAfterRelu ? hn::IfThenElseZero(hn::Gt(max, hn::Zero(d)), dy_lanes)
                               : dy_lanes;
        // The first cell equal to it, in row-major order, takes g.
        auto found = hn::FirstN(d, 0);
        const auto take = [&](V v) HWY_ATTR {
          const auto hit = hn::AndNot(found, hn::Eq(v, max));
          found = hn::Or(found, hit);
          return hn::IfThenElseZero(hit, g);
        };
        if constexpr (kDisjoint) {
          // Each cell gets at most this one gradient: store, don't add.
          VecTile<D, SX> cols;
          for (int kx = KX; kx < SX; ++kx) cols.Set(kx, hn::Zero(d));
          for (int ky = rows.begin; ky < rows.end; ++ky) {
            for (int kx = 0; kx < KX; ++kx) cols.Set(kx, take(window.Get(ky, kx)));
            StoreWindowColumns<SX>(d, cols, grads.Row(rows.first + ky) + offset);
          }
        } else {
          for (int ky = rows.begin; ky < rows.end; ++ky) {
            AddToWindowColumns<SX, KX>(d, values[ky] + offset,
                                       grads.Row(rows.first + ky) + offset,
                                       [&](int, V v) HWY_ATTR { return take(v); });
          }
        }
      }
    }
    grads.FlushBefore(d, H);
  }
}

// dx is overwritten: each input cell gets dy / divisor of every window that
// covers it.
template <Pool2dGeometry G>
void AvgPool2dBackward(const float* HWY_RESTRICT dy, float* HWY_RESTRICT dx) {
  using namespace pool2d_detail;  // NOLINT: the helpers of this file
  if constexpr (kIsAvgPoolOfWholeRows<G> && G.y.stride >= G.y.kernel) {
    // Windows of whole rows that do not overlap: each one's run of floats is
    // filled with its share, the rows between and after them zeroed. The
    // general path put each window's one output through a vector per row
    // (ResNet-8's 8x8 average pool: 7% of its training step).
    constexpr int W = G.in.w, kRun = G.y.kernel * W;
    for (int c = 0; c < G.in.c; ++c) {
      float* HWY_RESTRICT plane = dx + c * G.in.h * W;
      for (int oy = 0; oy < G.out.h; ++oy) {
        const int first = oy * G.y.stride;
        const int next = oy + 1 < G.out.h ? first + G.y.stride : G.in.h;
        FillFloats(plane + first * W, kRun, dy[c * G.out.h + oy] / float(kRun));
        ZeroFloats(plane + first * W + kRun, (next - first - G.y.kernel) * W);
      }
    }
    return;
  }
  constexpr int H = G.in.h, OH = G.out.h, OW = G.out.w;
  const D d;
  const int lanes = static_cast<int>(hn::Lanes(d));
  GradientRows<G> grads;
  for (int c = 0; c < G.in.c; ++c) {
    grads.Begin(dx + c * H * G.in.w);
    for (int oy = 0; oy < OH; ++oy) {
      const WindowSpan rows = InsideWindow<H, G.y.kernel, G.y.stride, G.y.pad>(oy);
      if (rows.begin >= rows.end) continue;
      grads.FlushBefore(d, rows.first + rows.begin);
      const float* drow = dy + (c * OH + oy) * OW;
      for (int ox0 = 0; ox0 < OW; ox0 += lanes) {
        const int n = Min(lanes, OW - ox0);
        const V g0 = LoadUpTo(d, drow + ox0, static_cast<std::size_t>(n));
        const V g = hn::Div(g0, AverageDivisor<G>(d, oy, ox0));
        for (int ky = rows.begin; ky < rows.end; ++ky) {
          float* row = grads.Row(rows.first + ky) + ox0 * G.x.stride;
          AddToWindowColumns<G.x.stride, G.x.kernel>(d, row, row,
                                                     [&](int, V) HWY_ATTR { return g; });
        }
      }
    }
    grads.FlushBefore(d, H);
  }
}

// [C][H][W] -> [C]: the mean of each plane.
template <Shape In>
void GlobalAvgPool2dForward(const float* HWY_RESTRICT x, float* HWY_RESTRICT y) {
  constexpr int P = In.h * In.w;
  for (int c = 0; c < In.c; ++c) y[c] = SumFloats(x + c * P, P) / float(P);
}

// dx is overwritten: every cell of plane c gets dy[c] / (H * W).
template <Shape In>
void GlobalAvgPool2dBackward(const float* HWY_RESTRICT dy, float* HWY_RESTRICT dx) {
  constexpr int P = In.h * In.w;
  for (int c = 0; c < In.c; ++c) FillFloats(dx + c * P, P, dy[c] / float(P));
}

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#endif  // STATICNN_KERNELS_POOL2D_INL_H_
