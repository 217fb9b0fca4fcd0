// Conv2d: the copies into and out of scratch.
//
// Every pass copies its input, one group at a time, into zero-padded planes
// split by stride phase (conv2d_scratch.hpp says how they are laid out), so
// that for a fixed (channel, tap) the values that consecutive outputs need are
// consecutive floats: the register tiles then load whole vectors of a shifted
// row, whatever the stride, and never test for an edge. PadPhases makes those
// planes; ScatterRows crops outputs computed on the padded width (and, for
// backward input, one stride phase of the positions) into the caller's tensor.

#if defined(STATICNN_KERNELS_CONV2D_COPY_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef STATICNN_KERNELS_CONV2D_COPY_INL_H_
#undef STATICNN_KERNELS_CONV2D_COPY_INL_H_
#else
#define STATICNN_KERNELS_CONV2D_COPY_INL_H_
#endif

#include <algorithm>

#include "hwy/highway.h"
#include "staticnn/geometry.hpp"
#include "staticnn/kernels/conv2d_scratch.hpp"
#include "staticnn/kernels/memory-inl.h"

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;
namespace conv2d_impl {
namespace cd = ::staticnn::conv2d_detail;

struct PadSpec {
  int channels, height, width;  // source [channels][height][width]
  int stride_y, stride_x;       // phases per axis
  int pad_top, pad_left;        // zeros before the source (>= 0)
  int rows, cols;               // of each phase plane
  int read_y, read_x;           // phases [0, read) of each axis are read by some tap
};

// How many phases of axis `a` its taps read (PadSpec::read_y, read_x): tap k
// reads phase k * dilation % stride, so a 1x1 stride-2 window reads only
// phase 0 and its copy need not split out the other three.
constexpr int PhasesRead(const WindowAxis& a) {
  int read = 1;
  for (int k = 0; k < a.kernel; ++k) read = std::max(read, k * a.dilation % a.stride + 1);
  return read;
}

// First c >= 0 with c * stride + phase - pad >= limit (clamped to [0, cols]).
constexpr int FirstAtLeast(int limit, int stride, int phase, int pad, int cols) {
  return std::clamp(-cd::floor_div(-(limit + pad - phase), stride), 0, cols);
}

// to[col] = from[col * stride] for col < n: one row of a stride phase.
HWY_INLINE void CopyPhaseRow(const float* HWY_RESTRICT from, int stride, float* HWY_RESTRICT to,
                             int n) {
  if (stride == 1) {
    CopyFloats(from, to, n);
  } else if (stride == 2) {
    CopyEvenFloats(from, to, n);
  } else {
    for (int col = 0; col < n; ++col) to[col] = from[col * stride];
  }
}

// dst[py][px][c][r][col] = src[c][r*sy + py - pad_top][col*sx + px - pad_left],
// zero outside src, for the phases that taps read; then kMaxTileCols zeros
// that tiles may read past the end. Of a phase no tap reads only the first
// kMaxTileCols floats are written (zeros): tiles of the phase before it may
// read that far past its end.
// Inlined into PadPhases<spec>: with the spec a template argument the trip
// counts, strides and borders are constants and each row is a few whole
// vectors, no branch.
HWY_INLINE void PadPhasesOf(const float* HWY_RESTRICT src, const PadSpec& s,
                            float* HWY_RESTRICT dst) {
  const int plane = s.rows * s.cols;
  // 1x1 stride-1 layers (pointwise): the planes are the source, one copy
  // rather than a call per row (DS-CNN: 1600 rows of 5 floats per layer).
  if (s.stride_y == 1 && s.stride_x == 1 && s.pad_top == 0 && s.pad_left == 0 &&
      s.rows == s.height && s.cols == s.width) {
    CopyFloats(src, dst, s.channels * plane);
    ZeroFloats(dst + s.channels * plane, cd::kMaxTileCols);
    return;
  }
  for (int py = 0; py < s.stride_y; ++py) {
    const int r0 = FirstAtLeast(0, s.stride_y, py, s.pad_top, s.rows);
    const int r1 = std::max(r0, FirstAtLeast(s.height, s.stride_y, py, s.pad_top, s.rows));
    for (int px = 0; px < s.stride_x; ++px) {
      const int c0 = FirstAtLeast(0, s.stride_x, px, s.pad_left, s.cols);
      const int c1 = std::max(c0, FirstAtLeast(s.width, s.stride_x, px, s.pad_left, s.cols));
      const int n = c1 - c0;  // floats of src in each row
      float* HWY_RESTRICT phase = dst + (py * s.stride_x + px) * s.channels * plane;
      if (py >= s.read_y || px >= s.read_x) {
        ZeroFloats(phase, std::min(cd::kMaxTileCols, s.channels * plane));
        continue;
      }
      for (int c = 0; c < s.channels; ++c) {
        float* HWY_RESTRICT out = phase + c * plane;
        if (r0 == r1 || n == 0) {
          ZeroFloats(out, plane);
          continue;
        }
        // The zeros between two rows' floats (the right border of one, the
        // left border of the next) are one run: one fill per row, not two.
        const float* HWY_RESTRICT in = src + c * s.height * s.width +
                                       (r0 * s.stride_y + py - s.pad_top) * s.width +
                                       c0 * s.stride_x + px - s.pad_left;
        ZeroFloats(out, r0 * s.cols + c0);
        for (int r = r0; r < r1; ++r, in += s.stride_y * s.width) {
          float* HWY_RESTRICT row = out + r * s.cols;
          CopyPhaseRow(in, s.stride_x, row + c0, n);
          if (r + 1 < r1) ZeroFloats(row + c1, s.cols - n);
        }
        const int written = (r1 - 1) * s.cols + c1;
        ZeroFloats(out + written, plane - written);
      }
    }
  }
  ZeroFloats(dst + s.stride_y * s.stride_x * s.channels * plane, cd::kMaxTileCols);
}

template <PadSpec S>
HWY_NOINLINE void PadPhases(const float* HWY_RESTRICT src, float* HWY_RESTRICT dst) {
  PadPhasesOf(src, S, dst);
}

// Masked loads that touch no float outside their lanes: AVX2's vmaskmovps and
// AVX-512's masked moves (Highway 1.0.3's MaskedLoad reads a whole vector on
// the other targets, LoadFirstN).
inline constexpr bool kMaskedLoadsStayInside = HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2;

// to[i] = from[i + shift] where 0 <= i + shift < width, else 0, for i < cols:
// a row of a stride-1 unfolded copy, each vector one masked load (its lanes
// outside the row are zeros, not read) and one store. Zeroing the edges one
// float at a time around an overlapping pair of copied vectors took 14% of
// LeNet-5's conv1 forward on AVX-512 (28-float rows, 5 copies each). A row of
// at least a vector ends with a whole vector that overlaps the previous one,
// not a masked store: AVX2's vmaskmovps store is slow on AMD's Zen 3, where
// the 160 of them (one per row of 28 floats) in LeNet-5's conv1 forward took
// about 0.4 us of its 3.4 (AVX2 only, peak_bench 101.6 GFLOP/s).
HWY_INLINE void CopyShiftedRow(const float* HWY_RESTRICT from, int width, int shift,
                               float* HWY_RESTRICT to, int cols) {
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2
  const KernelTag d;
  constexpr int N = static_cast<int>(hn::MaxLanes(d));
  const auto shifted = [&](int i) HWY_ATTR {  // to[i, i + N), read with a mask
    const int before = std::clamp(-shift - i, 0, N);  // lanes left of the row
    const int until = std::clamp(width - shift - i, 0, N);  // lanes up to its end
    const auto inside = hn::AndNot(hn::FirstN(d, static_cast<std::size_t>(before)),
                                   hn::FirstN(d, static_cast<std::size_t>(until)));
    return hn::MaskedLoad(inside, d, from + i + shift);
  };
  if (cols < N) {
    StoreFirstN(d, shifted(0), to, static_cast<std::size_t>(cols));
    return;
  }
  int i = 0;
  for (; i + N <= cols; i += N) hn::StoreU(shifted(i), d, to + i);
  if (i < cols) hn::StoreU(shifted(cols - N), d, to + cols - N);
#else
  (void)from, (void)width, (void)shift, (void)to, (void)cols;
#endif
}

// A stride-2 unfold whose input rows fit two vectors and whose copies' rows
// one (AVX-512: LeNet-5's conv1 pooled by phases, 28 -> 6 copies of 14). It
// needs whole-vector ConcatEven/ConcatOdd and TableLookupLanes: not on SVE,
// where Highway 1.0.3's ConcatEven/ConcatOdd take the whole register whatever
// KernelTag's cap (CopyEvenFloats), nor on the scalar target.
constexpr bool EvenOddRowsFit(const Conv2dGeometry& g) {
#if HWY_TARGET != HWY_SCALAR && \
    (HWY_TARGET & (HWY_SVE | HWY_SVE2 | HWY_SVE_256 | HWY_SVE2_128)) == 0
  constexpr int N = static_cast<int>(hn::MaxLanes(KernelTag()));
  return g.x.stride == 2 && g.x.dilation == 1 && g.in.w <= 2 * N && g.out.w <= N;
#else
  (void)g;
  return false;
#endif
}

#if HWY_TARGET != HWY_SCALAR && \
    (HWY_TARGET & (HWY_SVE | HWY_SVE2 | HWY_SVE_256 | HWY_SVE2_128)) == 0

// The kernel.w copies of one input row at stride 2 (UnfoldColumns' rows):
// copy kw, column i = from[2i + kw - pad], 0 outside the row. The row is read
// as two vectors (zeros past its end), split once into its even and odd
// columns, and each copy is one of those moved by a whole number of lanes,
// with zeros shifted in: 2 loads, 2 splits and a lookup and store per copy,
// where copying each on its own (CopyEvenFloats) loaded and split the row
// again for every copy and zeroed the edges one float at a time: 12% of
// LeNet-5's conv1 on AVX-512.
template <Conv2dGeometry G>
HWY_INLINE void UnfoldRowEvenOdd(const float* HWY_RESTRICT from, float* HWY_RESTRICT to,
                                 int copy_stride) {
  const KernelTag d;
  const hn::RebindToSigned<KernelTag> di;
  constexpr int N = static_cast<int>(hn::MaxLanes(d));
  using V = hn::Vec<KernelTag>;
  const V lo = G.in.w >= N ? hn::LoadU(d, from) : LoadFirstN(d, from, G.in.w);
  const V hi = G.in.w > N ? LoadFirstN(d, from + N, G.in.w - N) : hn::Zero(d);
  const V even = hn::ConcatEven(d, hi, lo), odd = hn::ConcatOdd(d, hi, lo);
#pragma GCC unroll 16
  for (int kw = 0; kw < G.x.kernel; ++kw) {
    const int s = kw - G.x.pad;  // copy kw reads column 2i + s
    const int shift = cd::floor_div(s, 2);  // lanes of even (s even) or odd
    const V columns = s - 2 * shift == 0 ? even : odd;
    V copy = columns;
    if (shift != 0) {
      // Lane i takes lane i + shift; lanes that would come from outside the
      // vector are zero (columns < 0, or >= 2N, which is past the row's end).
      const auto lane = hn::Iota(di, 0);
      const auto from_lane = hn::Add(lane, hn::Set(di, shift));
      const auto inside = hn::RebindMask(
          d, hn::And(hn::Lt(hn::Set(di, -1), from_lane), hn::Lt(from_lane, hn::Set(di, N))));
      const auto index = hn::Min(hn::Max(from_lane, hn::Zero(di)), hn::Set(di, N - 1));
      copy = hn::IfThenElseZero(inside, hn::TableLookupLanes(columns,
                                                              hn::IndicesFromVec(d, index)));
    }
    StoreFirstN(d, copy, to + kw * copy_stride, G.out.w);
  }
}
#else
template <Conv2dGeometry G>  // never called: EvenOddRowsFit is false
void UnfoldRowEvenOdd(const float* HWY_RESTRICT from, float* HWY_RESTRICT to, int copy_stride);
#endif

// The unfolded copies (conv2d_scratch.hpp, ForwardPlan) of one group's input
// x [channels][in.h][in.w], cut straight from it with the padding as zeros:
// dst[py][kw][c][r][i] = x[c][r*sy + py - pad.y][i*sx + kw - pad.x] (0 outside
// x), r < rows, i < out.w. One pass over the rows, each read once for its
// kernel.w copies, and no padded copy in between: cutting them from the input
// with one PadPhases per kw spent 15% of LeNet-5's conv2 forward on its 420
// rows of 10 floats; cutting them from a padded copy (PadPhases, then the
// copies) spent 13% of LeNet-5 inference on AVX-512 in the two copies.
template <Conv2dGeometry G>
HWY_INLINE void UnfoldColumns(const float* HWY_RESTRICT x, float* HWY_RESTRICT dst) {
  constexpr int kChannels = G.in_per_group(), kKernel = G.x.kernel, kCols = G.out.w;
  constexpr int kPhases = cd::unfolded_row_phases(G), kSx = G.x.stride;
  constexpr int kRows = G.out.h + (G.y.kernel - 1) / G.y.stride;
  constexpr int kCopy = kChannels * kRows * kCols;  // floats of one copy
  for (int c = 0; c < kChannels; ++c) {
    for (int py = 0; py < kPhases; ++py) {
      for (int r = 0; r < kRows; ++r) {
        float* HWY_RESTRICT to = dst + py * kKernel * kCopy + (c * kRows + r) * kCols;
        const int y = r * G.y.stride + py - G.y.pad;
        if (y < 0 || y >= G.in.h) {
#pragma GCC unroll 16
          for (int kw = 0; kw < kKernel; ++kw) ZeroFloats(to + kw * kCopy, kCols);
          continue;
        }
        const float* HWY_RESTRICT from = x + (c * G.in.h + y) * G.in.w;
        if constexpr (EvenOddRowsFit(G)) {
          UnfoldRowEvenOdd<G>(from, to, kCopy);
          continue;
        }
#pragma GCC unroll 16
        for (int kw = 0; kw < kKernel; ++kw) {
          const int shift = kw - G.x.pad;
          if constexpr (kSx == 1 && kMaskedLoadsStayInside) {
            CopyShiftedRow(from, G.in.w, shift, to + kw * kCopy, kCols);
            continue;
          }
          // Columns [lead, end) of copy kw lie inside x (constants once unrolled).
          const int lead = FirstAtLeast(0, kSx, kw, G.x.pad, kCols);
          const int end = std::max(lead, FirstAtLeast(G.in.w, kSx, kw, G.x.pad, kCols));
          float* HWY_RESTRICT row = to + kw * kCopy;
          for (int i = 0; i < lead; ++i) row[i] = 0.0f;
          CopyPhaseRow(from + lead * kSx + shift, kSx, row + lead, end - lead);
          for (int i = end; i < kCols; ++i) row[i] = 0.0f;
        }
      }
    }
  }
  ZeroFloats(dst + kPhases * kKernel * kCopy, cd::kMaxTileCols);
}

// The unfolded copies of one group's dy (G's BackwardInputPlan::shifts):
// dst[k][c][r][i] = dy[c][r - pad_top][shift[k] - pad_left + i] (0 outside
// dy), r < rows, i < copy_cols, then kMaxTileCols zeros.
template <Conv2dGeometry G>
HWY_INLINE void UnfoldShifts(const float* HWY_RESTRICT dy, float* HWY_RESTRICT dst) {
  constexpr cd::BackwardInputPlan p = cd::backward_input_plan(G);
  constexpr int kCols = p.copy_cols;
  static_assert(p.shifts > 0);
  for (int c = 0; c < G.out_per_group(); ++c) {
    for (int r = 0; r < p.rows; ++r) {
      float* HWY_RESTRICT to = dst + (c * p.rows + r) * kCols;
      const int y = r - p.pad_top;
      if (y < 0 || y >= G.out.h) {
#pragma GCC unroll 16
        for (int k = 0; k < p.shifts; ++k) ZeroFloats(to + k * p.copy_stride, kCols);
        continue;
      }
      const float* HWY_RESTRICT from = dy + (c * G.out.h + y) * G.out.w;
#pragma GCC unroll 16
      for (int k = 0; k < p.shifts; ++k) {
        const int shift = p.shift[k] - p.pad_left;
        if constexpr (kMaskedLoadsStayInside) {
          CopyShiftedRow(from, G.out.w, shift, to + k * p.copy_stride, kCols);
          continue;
        }
        // Columns [lead, end) of copy k lie inside dy (constants once unrolled).
        const int lead = std::clamp(-shift, 0, kCols);
        const int end = std::clamp(G.out.w - shift, lead, kCols);
        float* HWY_RESTRICT row = to + k * p.copy_stride;
        for (int i = 0; i < lead; ++i) row[i] = 0.0f;
        if (end > lead) CopyFloats(from + lead + shift, row + lead, end - lead);
        for (int i = end; i < kCols; ++i) row[i] = 0.0f;
      }
    }
  }
  ZeroFloats(dst + p.shifts * p.copy_stride, cd::kMaxTileCols);
}

// Output rows on the padded width -> [rows][height][width], taking every
// stride-th position from `first` (the positions of one phase).
struct ScatterSpec {
  int count_y, count_x;  // positions of the phase
  int src_stride, src_cols;
  int first_y, first_x, stride_y, stride_x;
  int height, width;  // of the destination planes
};

HWY_INLINE void ScatterRowsOf(const float* HWY_RESTRICT src, int rows, const ScatterSpec& s,
                              float* HWY_RESTRICT dst) {
  for (int r = 0; r < rows; ++r) {
    for (int j = 0; j < s.count_y; ++j) {
      const float* HWY_RESTRICT from = src + r * s.src_stride + j * s.src_cols;
      float* HWY_RESTRICT to = dst + (r * s.height + s.first_y + j * s.stride_y) * s.width +
                               s.first_x;
      if (s.stride_x == 1) {
        CopyFloats(from, to, s.count_x);
      } else if (s.stride_x == 2) {
        ScatterEvenRow(from, s.count_x, to - s.first_x, s.first_x, s.width);
      } else {
        for (int i = 0; i < s.count_x; ++i) to[i * s.stride_x] = from[i];
      }
    }
  }
}

// Channels [0, rows) of src; the spec a template argument where it is known
// at compile time (the forward pass: constant row lengths, as in PadPhases).
template <ScatterSpec S>
HWY_NOINLINE void ScatterRows(const float* HWY_RESTRICT src, int rows, float* HWY_RESTRICT dst) {
  ScatterRowsOf(src, rows, S, dst);
}

inline HWY_NOINLINE void ScatterRows(const float* HWY_RESTRICT src, int rows,
                                     const ScatterSpec& s, float* HWY_RESTRICT dst) {
  ScatterRowsOf(src, rows, s, dst);
}

// Rows first_y, first_y + stride_y, ... of dst [rows][height][width] from two
// column phases of a stride-2 dx (first_x 0 and 1, count_x positions each,
// width 2 * count_x, both laid out as ScatterRows' src): each row written once
// with whole interleaved vectors, where scattering each phase on its own
// blends every vector of dx with what is there (ScatterEvenRow), twice.
HWY_INLINE void InterleaveColumnPhases(const float* HWY_RESTRICT even,
                                       const float* HWY_RESTRICT odd, int rows,
                                       const ScatterSpec& s, float* HWY_RESTRICT dst) {
  const int n = s.count_x;
  for (int r = 0; r < rows; ++r) {
    for (int j = 0; j < s.count_y; ++j) {
      const float* HWY_RESTRICT a = even + r * s.src_stride + j * s.src_cols;
      const float* HWY_RESTRICT b = odd + r * s.src_stride + j * s.src_cols;
      float* HWY_RESTRICT to = dst + (r * s.height + s.first_y + j * s.stride_y) * s.width;
      int i = 0;
#if HWY_TARGET != HWY_SCALAR && \
    (HWY_TARGET & (HWY_SVE | HWY_SVE2 | HWY_SVE_256 | HWY_SVE2_128)) == 0
      const KernelTag d;
      constexpr int N = static_cast<int>(hn::MaxLanes(d));  // = Lanes(d), see KernelTag
      if (n >= N) {
        for (; i + N <= n; i += N) {
          hn::StoreInterleaved2(hn::LoadU(d, a + i), hn::LoadU(d, b + i), d, to + 2 * i);
        }
        if (i < n) {  // the last vector pair, moved back to end with the row
          i = n - N;
          hn::StoreInterleaved2(hn::LoadU(d, a + i), hn::LoadU(d, b + i), d, to + 2 * i);
          i = n;
        }
      }
#endif
      for (; i < n; ++i) {
        to[2 * i] = a[i];
        to[2 * i + 1] = b[i];
      }
    }
  }
}

}  // namespace conv2d_impl
}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#endif  // STATICNN_KERNELS_CONV2D_COPY_INL_H_
