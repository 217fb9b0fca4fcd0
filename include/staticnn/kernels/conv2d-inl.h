// Conv2d forward and backward kernels, one sample per call (Highway, per target).
//
//   Conv2dForward<G>(x, w, b, y, scratch)           y  = conv(x, w) + b
//   Conv2dBackwardInput<G>(dy, w, dx, scratch)      dx = conv^T(dy, w)   (overwritten)
//   Conv2dBackwardParams<G>(x, dy, dw, db, scratch) dw += ..., db += ... (accumulated)
//
// x [in.c][in.h][in.w], y/dy [out.c][out.h][out.w], w [out.c][in.c/groups][kh][kw],
// b/db [out.c] or nullptr when !G.bias. `scratch` is 64-byte aligned and holds at
// least conv2d_scratch_floats(G) floats; its contents are undefined on entry.
// No pointer needs any alignment; nothing is read or written outside the buffers.
//
// How: every pass copies its input, one group at a time, into zero-padded planes
// split by stride phase (conv2d_scratch.hpp), so that for a fixed (channel, tap)
// the values that consecutive outputs need are consecutive floats. Then:
//   - forward: a register tile of MR output channels x NV vectors of outputs runs
//     over every (channel, tap), loading NV vectors of one shifted row and
//     broadcasting MR packed weights (a GEMM whose B operand is never built).
//     Outputs live on the padded width (a few discarded columns per row) and are
//     cropped into y, unless there are none to discard (1x1, kx = 1);
//   - backward input: the same tile over the zero-padded dy with the weights
//     transposed and, per phase of the input positions, only the taps that reach
//     them (for stride 1: one phase, all taps, i.e. the flipped kernel). Rows of
//     the padded dy wrap onto the next row's left zeros, so the right padding
//     takes no columns (a valid convolution's dx is then written directly);
//   - backward input of a valid convolution (stride 1, no padding): most of the
//     correlation above would multiply the zero border, so instead a GEMM
//     T[tap][q] = sum_co w[co][ci][tap] * dy[co][q] per input channel, then dx
//     sums the shifted rows of T (ValidBackwardInput);
//   - backward params: with >= 16 output channels per group a GEMM whose vectors
//     run over output channels (dW^T += x_shifted * dy^T, dy^T built 64 positions
//     at a time) so nothing needs a horizontal sum; with fewer, dot products of dy
//     rows with shifted input rows, reduced once at the end;
//   - one output channel per group (depthwise; dx of a single-channel input) at
//     stride 1: tiles of 4 output rows that load each input row once for all the
//     taps that read it, since one row of weights gives the tile above no reuse.
// Only the register tiles are templates of their sizes; the loops around them take
// the geometry's constants as arguments, so a network's layers share their code.

#if defined(STATICNN_KERNELS_CONV2D_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef STATICNN_KERNELS_CONV2D_INL_H_
#undef STATICNN_KERNELS_CONV2D_INL_H_
#else
#define STATICNN_KERNELS_CONV2D_INL_H_
#endif

#include <algorithm>

#include "hwy/highway.h"
#include "staticnn/geometry.hpp"
#include "staticnn/kernels/conv2d_scratch.hpp"
#include "staticnn/kernels/vectors-inl.h"

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

namespace conv2d_impl {

namespace cd = ::staticnn::conv2d_detail;

#if HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL
inline constexpr int kVectorRegisters = 32;
#else
inline constexpr int kVectorRegisters = 16;
#endif
// Accumulators a register tile may use, leaving room for its operands.
inline constexpr int kAccumulators = kVectorRegisters == 32 ? 24 : 12;

constexpr int Clamp(int v, int lo, int hi) { return v < lo ? lo : (v > hi ? hi : v); }

// A loaded vector that several FMAs use: without this, g++ folds the load into
// each FMA as a memory operand, doubling the loads (-25% time on depthwise 3x3).
template <class V>
HWY_INLINE V InRegister(V v) {
#if HWY_ARCH_X86 && HWY_TARGET != HWY_SCALAR && HWY_TARGET != HWY_EMU128 && \
    (HWY_COMPILER_GCC || HWY_COMPILER_CLANG)
  asm("" : "+v"(v.raw));
#endif
  return v;
}

// ---------------------------------------------------------------------------
// Copying in and out of scratch

struct PadSpec {
  int channels, height, width;  // source [channels][height][width]
  int stride_y, stride_x;       // phases per axis
  int pad_top, pad_left;        // zeros before the source (>= 0)
  int rows, cols;               // of each phase plane
};

// First c >= 0 with c * stride + phase - pad >= limit (clamped to [0, cols]).
constexpr int FirstAtLeast(int limit, int stride, int phase, int pad, int cols) {
  return Clamp(-cd::floor_div(-(limit + pad - phase), stride), 0, cols);
}

// Inline copies: rows here are short (tens of floats) and many, a call to memcpy
// per row costs more than the copy. The last vector may overlap the previous one.
// Rows shorter than a vector (LeNet's 10 and 14) use half or quarter vectors.
template <int kLanes = static_cast<int>(hn::MaxLanes(KernelTag()))>
HWY_INLINE void CopyFloats(const float* HWY_RESTRICT from, float* HWY_RESTRICT to, int n) {
  const hn::CappedTag<float, kLanes> d;
  const int N = static_cast<int>(hn::Lanes(d));
  if (n < N) {
    if constexpr (kLanes > 4) {
      CopyFloats<kLanes / 2>(from, to, n);
    } else {
      for (int i = 0; i < n; ++i) to[i] = from[i];
    }
    return;
  }
  for (int i = 0; i + N <= n; i += N) hn::StoreU(hn::LoadU(d, from + i), d, to + i);
  hn::StoreU(hn::LoadU(d, from + n - N), d, to + n - N);
}

template <int kLanes = static_cast<int>(hn::MaxLanes(KernelTag()))>
HWY_INLINE void ZeroFloats(float* HWY_RESTRICT to, int n) {
  const hn::CappedTag<float, kLanes> d;
  const int N = static_cast<int>(hn::Lanes(d));
  if (n < N) {
    if constexpr (kLanes > 4) {
      ZeroFloats<kLanes / 2>(to, n);
    } else {
      for (int i = 0; i < n; ++i) to[i] = 0.0f;
    }
    return;
  }
  for (int i = 0; i + N <= n; i += N) hn::StoreU(hn::Zero(d), d, to + i);
  hn::StoreU(hn::Zero(d), d, to + n - N);
}

// dst[py][px][c][r][col] = src[c][r*sy + py - pad_top][col*sx + px - pad_left],
// zero outside src; then kMaxTileCols zeros that tiles may read past the end.
inline HWY_NOINLINE void PadPhases(const float* HWY_RESTRICT src, const PadSpec& s,
                            float* HWY_RESTRICT dst) {
  const int plane = s.rows * s.cols;
  for (int py = 0; py < s.stride_y; ++py) {
    const int r0 = FirstAtLeast(0, s.stride_y, py, s.pad_top, s.rows);
    const int r1 = std::max(r0, FirstAtLeast(s.height, s.stride_y, py, s.pad_top, s.rows));
    for (int px = 0; px < s.stride_x; ++px) {
      const int c0 = FirstAtLeast(0, s.stride_x, px, s.pad_left, s.cols);
      const int c1 = std::max(c0, FirstAtLeast(s.width, s.stride_x, px, s.pad_left, s.cols));
      for (int c = 0; c < s.channels; ++c) {
        float* HWY_RESTRICT out = dst + ((py * s.stride_x + px) * s.channels + c) * plane;
        const float* HWY_RESTRICT in = src + c * s.height * s.width;
        ZeroFloats(out, r0 * s.cols);
        for (int r = r0; r < r1; ++r) {
          float* HWY_RESTRICT row = out + r * s.cols;
          const float* HWY_RESTRICT from =
              in + (r * s.stride_y + py - s.pad_top) * s.width + px - s.pad_left;
          ZeroFloats(row, c0);
          if (s.stride_x == 1) {
            CopyFloats(from + c0, row + c0, c1 - c0);
          } else {
            for (int col = c0; col < c1; ++col) row[col] = from[col * s.stride_x];
          }
          ZeroFloats(row + c1, s.cols - c1);
        }
        ZeroFloats(out + r1 * s.cols, (s.rows - r1) * s.cols);
      }
    }
  }
  ZeroFloats(dst + s.stride_y * s.stride_x * s.channels * plane, cd::kMaxTileCols);
}

// Output rows on the padded width -> [rows][height][width], taking every
// stride-th position from `first` (the positions of one phase).
struct ScatterSpec {
  int rows;             // channels to write
  int count_y, count_x; // positions of the phase
  int src_stride, src_cols;
  int first_y, first_x, stride_y, stride_x;
  int height, width;    // of the destination planes
};

inline HWY_NOINLINE void ScatterRows(const float* HWY_RESTRICT src, const ScatterSpec& s,
                              float* HWY_RESTRICT dst) {
  for (int r = 0; r < s.rows; ++r) {
    for (int j = 0; j < s.count_y; ++j) {
      const float* HWY_RESTRICT from = src + r * s.src_stride + j * s.src_cols;
      float* HWY_RESTRICT to = dst + (r * s.height + s.first_y + j * s.stride_y) * s.width +
                               s.first_x;
      if (s.stride_x == 1) {
        CopyFloats(from, to, s.count_x);
      } else {
        for (int i = 0; i < s.count_x; ++i) to[i * s.stride_x] = from[i];
      }
    }
  }
}

// ---------------------------------------------------------------------------
// The row tile: R output rows x NV vectors of consecutive flattened outputs.
//
// panel = [initial values][steps][weights], `panel_rows` floats per step (one step
// per (channel, tap) in that order); the tile takes R of those rows from `panel`
// on. Step (c, t) multiplies src[c * channel_stride + tap_offset[t] + q].
// Stores rows [0, rows) and columns [0, cols) of the tile (cols may be short at
// the end of a plane), so it can write straight into a caller's tensor.

constexpr int RowTileVectors(int rows) { return Clamp(kAccumulators / rows, 1, 4); }

template <int R, int NV, class D>
HWY_INLINE void RowTile(D d, const float* HWY_RESTRICT src, int channels, int channel_stride,
                        const int* HWY_RESTRICT tap_offset, int taps,
                        const float* HWY_RESTRICT panel, int panel_rows,
                        float* HWY_RESTRICT out, int out_stride, int rows, int cols) {
  using V = hn::Vec<D>;
  constexpr int N = static_cast<int>(hn::MaxLanes(d));
  VecTile<D, R, NV> acc;
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) {
    const V init = hn::Set(d, panel[r]);
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc.Set(r, v, init);
  }
  const float* HWY_RESTRICT a = panel + panel_rows;
  for (int c = 0; c < channels; ++c) {
    const float* HWY_RESTRICT plane = src + c * channel_stride;
    for (int t = 0; t < taps; ++t, a += panel_rows) {
      const float* HWY_RESTRICT b = plane + tap_offset[t];
      VecTile<D, NV> bv;
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) bv.Set(v, hn::LoadU(d, b + v * N));
#pragma GCC unroll 16
      for (int r = 0; r < R; ++r) {
        const V weight = hn::Set(d, a[r]);
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) acc.Set(r, v, hn::MulAdd(weight, bv.Get(v), acc.Get(r, v)));
      }
    }
  }
  if (HWY_LIKELY(cols >= NV * N)) {
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
      if (r >= rows) break;
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) hn::StoreU(acc.Get(r, v), d, out + r * out_stride + v * N);
    }
  } else {
    HWY_ALIGN float part[NV * N];
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
      if (r >= rows) break;
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) hn::Store(acc.Get(r, v), d, part + v * N);
      for (int i = 0; i < cols && i < NV * N; ++i) out[r * out_stride + i] = part[i];
    }
  }
}

// RowTile<R, vectors> for 1 <= vectors <= NV.
template <int R, int NV, class D>
HWY_INLINE void RowTileOfWidth(D d, int vectors, const float* HWY_RESTRICT src, int channels,
                               int channel_stride, const int* HWY_RESTRICT tap_offset,
                               int taps, const float* HWY_RESTRICT panel, int panel_rows,
                               float* HWY_RESTRICT out, int out_stride, int rows, int cols) {
  if constexpr (NV > 1) {
    if (vectors < NV) {
      RowTileOfWidth<R, NV - 1>(d, vectors, src, channels, channel_stride, tap_offset, taps,
                                panel, panel_rows, out, out_stride, rows, cols);
      return;
    }
  }
  RowTile<R, NV>(d, src, channels, channel_stride, tap_offset, taps, panel, panel_rows, out,
                 out_stride, rows, cols);
}

// Outputs [0, count) of rows [0, rows) of an MR-row panel. With 16 vector
// registers an 8- or 6-row panel runs as two passes of 4 x 3 or 3 x 4 vectors (12
// accumulators, reusing the loaded inputs from L1) rather than 8 x 1.
template <int MR>
HWY_NOINLINE void RowTileOverOutputs(const float* HWY_RESTRICT src, int channels,
                                     int channel_stride, const int* HWY_RESTRICT tap_offset,
                                     int taps, const float* HWY_RESTRICT panel, int count,
                                     float* HWY_RESTRICT out, int out_stride, int rows) {
  const KernelTag d;
  constexpr int kPasses = (kVectorRegisters == 16 && MR > 4 && MR % 2 == 0) ? 2 : 1;
  constexpr int R = MR / kPasses;
  constexpr int NV = RowTileVectors(R);
  constexpr int kCols = NV * static_cast<int>(hn::MaxLanes(d));
  static_assert(kCols <= cd::kMaxTileCols, "scratch is sized for kMaxTileCols");
  constexpr int N = static_cast<int>(hn::MaxLanes(d));
  for (int q = 0; q < count; q += kCols) {
    // The last chunk computes only the vectors it stores.
    const int vectors = std::min(NV, (count - q + N - 1) / N);
    for (int pass = 0; pass < kPasses && pass * R < rows; ++pass) {
      RowTileOfWidth<R, NV>(d, vectors, src + q, channels, channel_stride, tap_offset, taps,
                            panel + pass * R, MR, out + pass * R * out_stride + q, out_stride,
                            rows - pass * R, count - q);
    }
  }
}

// ---------------------------------------------------------------------------
// Weight gradient, transposed form: dwt[k][co] += sum_q rows[k][q] * dyt[q][co].
// MR rows of k (each its own shifted input row) x NV vectors of output channels.
// A chunk covers `lines` output rows of `width` positions from its start: the
// input row of k advances by `cols` per output row, dyt by `width` positions.

template <int MR, int NV, class D>
HWY_INLINE void TransposedTile(D d, const float* const* HWY_RESTRICT rows, int lines,
                               int width, int cols, const float* HWY_RESTRICT dyt, int ld,
                               float* HWY_RESTRICT dwt) {
  using V = hn::Vec<D>;
  constexpr int N = static_cast<int>(hn::MaxLanes(d));
  const float* HWY_RESTRICT row[MR];
  VecTile<D, MR, NV> acc;
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r) {
    row[r] = rows[r];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc.Set(r, v, hn::Load(d, dwt + r * ld + v * N));
  }
  for (int line = 0; line < lines; ++line) {
    for (int x = 0; x < width; ++x, dyt += ld) {
      VecTile<D, NV> b;
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) b.Set(v, hn::Load(d, dyt + v * N));
#pragma GCC unroll 16
      for (int r = 0; r < MR; ++r) {
        const V a = hn::Set(d, row[r][x]);
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) acc.Set(r, v, hn::MulAdd(a, b.Get(v), acc.Get(r, v)));
      }
    }
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) row[r] += cols;
  }
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r) {
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) hn::Store(acc.Get(r, v), d, dwt + r * ld + v * N);
  }
}

// dst[i][c] = src[c][i] for c < channels, i < n (src rows src_stride apart).
inline void TransposeToRows(const float* HWY_RESTRICT src, int src_stride, int channels,
                            int n, float* HWY_RESTRICT dst, int ld) {
  int c4 = 0, n4 = 0;
#if HWY_TARGET != HWY_SCALAR
  // 4x4 blocks in 128-bit registers: 8 shuffles per 16 floats.
  const hn::FixedTag<float, 4> d4;
  c4 = channels & ~3;
  n4 = n & ~3;
  for (int c = 0; c < c4; c += 4) {
    const float* HWY_RESTRICT s0 = src + c * src_stride;
    for (int i = 0; i < n4; i += 4) {
      const auto r0 = hn::LoadU(d4, s0 + i), r1 = hn::LoadU(d4, s0 + src_stride + i);
      const auto r2 = hn::LoadU(d4, s0 + 2 * src_stride + i);
      const auto r3 = hn::LoadU(d4, s0 + 3 * src_stride + i);
      const auto t0 = hn::InterleaveLower(d4, r0, r1), t1 = hn::InterleaveUpper(d4, r0, r1);
      const auto t2 = hn::InterleaveLower(d4, r2, r3), t3 = hn::InterleaveUpper(d4, r2, r3);
      float* HWY_RESTRICT out = dst + i * ld + c;
      hn::StoreU(hn::ConcatLowerLower(d4, t2, t0), d4, out);
      hn::StoreU(hn::ConcatUpperUpper(d4, t2, t0), d4, out + ld);
      hn::StoreU(hn::ConcatLowerLower(d4, t3, t1), d4, out + 2 * ld);
      hn::StoreU(hn::ConcatUpperUpper(d4, t3, t1), d4, out + 3 * ld);
    }
  }
#endif
  for (int c = 0; c < channels; ++c) {
    const float* HWY_RESTRICT from = src + c * src_stride;
    for (int i = c < c4 ? n4 : 0; i < n; ++i) dst[i * ld + c] = from[i];
  }
}

struct WeightGradSpec {
  int out_channels;       // of the group
  int taps, k;            // k = in_channels of the group * taps
  int plane, cols;        // of xs (forward plan)
  int out_h, out_w;
  int ld;                 // dyt / dwt row length (out_channels rounded up)
};

// Tiles of NV vectors of output channels, and one of NT if ld / lanes is not a
// multiple of NV (NT = 0: none).
constexpr int TransposedTileVectors(int vectors) {
  return std::min(vectors, kVectorRegisters == 32 ? 4 : 2);
}

template <int NV, int NT>
HWY_NOINLINE void WeightGradTransposed(const float* HWY_RESTRICT xs,
                                       const int* HWY_RESTRICT tap_offset,
                                       const float* HWY_RESTRICT dy, const WeightGradSpec& s,
                                       float* HWY_RESTRICT dyt, float* HWY_RESTRICT dwt,
                                       float* HWY_RESTRICT dw) {
  const KernelTag d;
  constexpr int N = static_cast<int>(hn::MaxLanes(d));
  constexpr int MR = Clamp(kAccumulators / NV, 1, cd::kMaxTileRows);
  const int vectors = s.ld / N;
  ZeroFloats(dwt, cd::round_up(s.k, MR) * s.ld);
  ZeroFloats(dyt, cd::kDwChunk * s.ld);  // channel padding stays zero
  // Chunks of whole output rows, or of pieces of one row if rows are long.
  const int width = std::min(s.out_w, cd::kDwChunk);
  const int lines_per_chunk = std::max(1, cd::kDwChunk / s.out_w);
  const float* rows[MR];
  for (int oh = 0; oh < s.out_h; oh += lines_per_chunk) {
    const int lines = std::min(lines_per_chunk, s.out_h - oh);
    for (int ox = 0; ox < s.out_w; ox += width) {
      const int span = std::min(width, s.out_w - ox);
      // lines > 1 only when span == out_w: the chunk is contiguous in dy.
      TransposeToRows(dy + oh * s.out_w + ox, s.out_h * s.out_w, s.out_channels,
                      lines * span, dyt, s.ld);
      for (int k0 = 0; k0 < s.k; k0 += MR) {
        for (int r = 0; r < MR; ++r) {
          const int k = std::min(k0 + r, s.k - 1);  // rows past k are computed, unused
          rows[r] = xs + (k / s.taps) * s.plane + tap_offset[k % s.taps] + oh * s.cols + ox;
        }
        float* HWY_RESTRICT tile = dwt + k0 * s.ld;
        int v = 0;
        for (; v + NV <= vectors; v += NV) {
          TransposedTile<MR, NV>(d, rows, lines, span, s.cols, dyt + v * N, s.ld,
                                 tile + v * N);
        }
        if constexpr (NT != 0) {
          TransposedTile<MR, NT>(d, rows, lines, span, s.cols, dyt + v * N, s.ld,
                                 tile + v * N);
        }
      }
    }
  }
  for (int co = 0; co < s.out_channels; ++co) {
    for (int k = 0; k < s.k; ++k) dw[co * s.k + k] += dwt[k * s.ld + co];
  }
}

// ---------------------------------------------------------------------------
// Weight gradient, dot form: dw[co][k] += dot(dy[co], xs row of k) over the
// padded width (dy is zero in the discarded columns). MR rows of dy x NK rows of x.

constexpr int DotTileColumns(int mr) {
  return Clamp((kVectorRegisters - 2 - mr) / mr, 1, 16);
}

template <int MR, int NK, class D>
HWY_INLINE void DotTile(D d, const float* const* HWY_RESTRICT dy_rows,
                        const float* const* HWY_RESTRICT x_rows, int vectors,
                        float* HWY_RESTRICT sums) {
  using V = hn::Vec<D>;
  constexpr int N = static_cast<int>(hn::MaxLanes(d));
  const float* HWY_RESTRICT a_row[MR];
  const float* HWY_RESTRICT b_row[NK];
  VecTile<D, MR, NK> acc;
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r) {
    a_row[r] = dy_rows[r];
#pragma GCC unroll 16
    for (int k = 0; k < NK; ++k) acc.Set(r, k, hn::Zero(d));
  }
#pragma GCC unroll 16
  for (int k = 0; k < NK; ++k) b_row[k] = x_rows[k];
  for (int i = 0; i < vectors * N; i += N) {
    VecTile<D, MR> a;
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) a.Set(r, hn::Load(d, a_row[r] + i));
#pragma GCC unroll 16
    for (int k = 0; k < NK; ++k) {
      const V b = InRegister(hn::LoadU(d, b_row[k] + i));
#pragma GCC unroll 16
      for (int r = 0; r < MR; ++r) acc.Set(r, k, hn::MulAdd(a.Get(r), b, acc.Get(r, k)));
    }
  }
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r) {
#pragma GCC unroll 16
    for (int k = 0; k < NK; ++k) sums[r * NK + k] = hn::GetLane(hn::SumOfLanes(d, acc.Get(r, k)));
  }
}

struct DotGradSpec {
  int out_channels, k, taps, plane, cols, qeff, out_h, out_w;
  int dy_row;  // qeff rounded up to whole vectors of any target
};

template <int MR>
HWY_NOINLINE void WeightGradDot(const float* HWY_RESTRICT xs,
                                const int* HWY_RESTRICT tap_offset,
                                const float* HWY_RESTRICT dy, const DotGradSpec& s,
                                float* HWY_RESTRICT dyflat, float* HWY_RESTRICT dw) {
  const KernelTag d;
  constexpr int N = static_cast<int>(hn::MaxLanes(d));
  constexpr int NK = DotTileColumns(MR);
  for (int co = 0; co < s.out_channels; ++co) {
    float* HWY_RESTRICT row = dyflat + co * s.dy_row;
    for (int oh = 0; oh < s.out_h; ++oh) {
      CopyFloats(dy + (co * s.out_h + oh) * s.out_w, row + oh * s.cols, s.out_w);
      const int end = std::min((oh + 1) * s.cols, s.dy_row);
      ZeroFloats(row + oh * s.cols + s.out_w, end - oh * s.cols - s.out_w);
    }
    ZeroFloats(row + s.qeff, s.dy_row - s.qeff);
  }
  const float* dy_rows[MR];
  const float* x_rows[NK];
  float sums[MR * NK];
  for (int co0 = 0; co0 < s.out_channels; co0 += MR) {
    for (int r = 0; r < MR; ++r) {
      dy_rows[r] = dyflat + std::min(co0 + r, s.out_channels - 1) * s.dy_row;
    }
    for (int k0 = 0; k0 < s.k; k0 += NK) {
      for (int j = 0; j < NK; ++j) {
        const int k = std::min(k0 + j, s.k - 1);
        x_rows[j] = xs + (k / s.taps) * s.plane + tap_offset[k % s.taps];
      }
      DotTile<MR, NK>(d, dy_rows, x_rows, s.dy_row / N, sums);
      for (int r = 0; r < MR && co0 + r < s.out_channels; ++r) {
        for (int j = 0; j < NK && k0 + j < s.k; ++j) {
          dw[(co0 + r) * s.k + k0 + j] += sums[r * NK + j];
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------
// One output channel per group (depthwise; the dx of a single-input-channel
// layer), stride 1, dilation 1. With a single row of weights the row tile loads
// one vector per FMA; these tiles keep R output rows in registers and load each
// input row once for the KH taps that read it: (R + KH - 1) * KW loads per
// R * KH * KW FMAs.

inline constexpr int kPlaneRows = 4;
inline constexpr int kPlaneMaxKernel = 7;
constexpr int PlaneTileVectors() { return kVectorRegisters == 32 ? 2 : 1; }

// R output rows x NV vectors: out[j][x] = bias + sum over channels c, kh, kw of
// w[c][kh][kw] * in[c][j + kh][x + kw] (planes channel_stride apart, rows in_cols /
// out_cols apart); stores only `count` columns if fewer than NV*N.
template <int KH, int KW, int R, int NV, class D>
HWY_INLINE void PlaneTile(D d, const float* HWY_RESTRICT in, int channels, int channel_stride,
                          int in_cols, const float* HWY_RESTRICT w, float bias,
                          float* HWY_RESTRICT out, int out_cols, int count) {
  using V = hn::Vec<D>;
  constexpr int N = static_cast<int>(hn::MaxLanes(d));
  VecTile<D, R, NV> acc;
#pragma GCC unroll 16
  for (int j = 0; j < R; ++j) {
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc.Set(j, v, hn::Set(d, bias));
  }
  for (int c = 0; c < channels; ++c, in += channel_stride, w += KH * KW) {
#pragma GCC unroll 16
    for (int i = 0; i < R + KH - 1; ++i) {
#pragma GCC unroll 16
      for (int kw = 0; kw < KW; ++kw) {
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) {
          const V x = InRegister(hn::LoadU(d, in + i * in_cols + kw + v * N));
#pragma GCC unroll 16
          for (int kh = 0; kh < KH; ++kh) {
            if (i - kh < 0 || i - kh >= R) continue;
            acc.Set(i - kh, v, hn::MulAdd(hn::Set(d, w[kh * KW + kw]), x, acc.Get(i - kh, v)));
          }
        }
      }
    }
  }
  if (HWY_LIKELY(count >= NV * N)) {
#pragma GCC unroll 16
    for (int j = 0; j < R; ++j) {
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) hn::StoreU(acc.Get(j, v), d, out + j * out_cols + v * N);
    }
  } else {
    HWY_ALIGN float part[NV * N];
#pragma GCC unroll 16
    for (int j = 0; j < R; ++j) {
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) hn::Store(acc.Get(j, v), d, part + v * N);
      for (int x = 0; x < count && x < NV * N; ++x) out[j * out_cols + x] = part[x];
    }
  }
}

// One output channel: out [out_h][out_w] from `channels` zero-padded planes `in`
// (out_h + KH - 1 rows of in_cols, read up to kMaxTileCols past the last one) and
// weights [channels][KH][KW]. out_h >= R: the last band of rows, and the last
// chunk of a wide enough row, overlap the previous one instead of running short.
template <int KH, int KW>
HWY_NOINLINE void OutputPlane(const float* HWY_RESTRICT in, int channels, int channel_stride,
                              int in_cols, const float* HWY_RESTRICT w, float bias,
                              float* HWY_RESTRICT out, int out_h, int out_w) {
  const KernelTag d;
  constexpr int R = kPlaneRows, NV = PlaneTileVectors();
  constexpr int kCols = NV * static_cast<int>(hn::MaxLanes(d));
  for (int oh = 0; oh < out_h; oh += R) {
    const int top = std::min(oh, out_h - R);
    for (int ox = 0; ox < out_w; ox += kCols) {
      const int left = out_w >= kCols ? std::min(ox, out_w - kCols) : ox;
      PlaneTile<KH, KW, R, NV>(d, in + top * in_cols + left, channels, channel_stride, in_cols,
                               w, bias, out + top * out_w + left, out_w, out_w - left);
    }
  }
}

// acc[kh][kw] += sum over R rows x one vector of dy[j][x] * in[j + kh][x + kw],
// with the first `skip` lanes of dy left out (already counted by the previous
// vector of the row).
template <int KH, int KW, int R, class D>
HWY_INLINE void DepthwiseGradTile(D d, const float* HWY_RESTRICT in, int in_cols,
                                  const float* HWY_RESTRICT dy, int dy_cols, int skip,
                                  VecTile<D, KH, KW>& acc) {
  using V = hn::Vec<D>;
  VecTile<D, R> g;
#pragma GCC unroll 16
  for (int j = 0; j < R; ++j) {
    g.Set(j, hn::IfThenZeroElse(hn::FirstN(d, static_cast<size_t>(skip)),
                                hn::LoadU(d, dy + j * dy_cols)));
  }
#pragma GCC unroll 16
  for (int i = 0; i < R + KH - 1; ++i) {
#pragma GCC unroll 16
    for (int kw = 0; kw < KW; ++kw) {
      const V x = InRegister(hn::LoadU(d, in + i * in_cols + kw));
#pragma GCC unroll 16
      for (int kh = 0; kh < KH; ++kh) {
        if (i - kh < 0 || i - kh >= R) continue;
        acc.Set(kh, kw, hn::MulAdd(g.Get(i - kh), x, acc.Get(kh, kw)));
      }
    }
  }
}

// dw[kh][kw] += sum over the plane of dy[oh][ox] * in[oh + kh][ox + kw]; out_w >= lanes.
template <int KH, int KW>
HWY_NOINLINE void DepthwiseWeightGrad(const float* HWY_RESTRICT in, int in_cols,
                                      const float* HWY_RESTRICT dy, int out_h, int out_w,
                                      float* HWY_RESTRICT dw) {
  const KernelTag d;
  constexpr int R = kPlaneRows;
  constexpr int N = static_cast<int>(hn::MaxLanes(d));
  VecTile<KernelTag, KH, KW> acc;
#pragma GCC unroll 16
  for (int kh = 0; kh < KH; ++kh) {
#pragma GCC unroll 16
    for (int kw = 0; kw < KW; ++kw) acc.Set(kh, kw, hn::Zero(d));
  }
  const int banded = out_h - out_h % R;
  for (int oh = 0; oh < banded; oh += R) {
    for (int ox = 0; ox < out_w; ox += N) {
      const int left = std::min(ox, out_w - N);
      DepthwiseGradTile<KH, KW, R>(d, in + oh * in_cols + left, in_cols,
                                   dy + oh * out_w + left, out_w, ox - left, acc);
    }
  }
  for (int oh = banded; oh < out_h; ++oh) {
    for (int ox = 0; ox < out_w; ox += N) {
      const int left = std::min(ox, out_w - N);
      DepthwiseGradTile<KH, KW, 1>(d, in + oh * in_cols + left, in_cols,
                                   dy + oh * out_w + left, out_w, ox - left, acc);
    }
  }
  for (int kh = 0; kh < KH; ++kh) {
    for (int kw = 0; kw < KW; ++kw) {
      dw[kh * KW + kw] += hn::GetLane(hn::SumOfLanes(d, acc.Get(kh, kw)));
    }
  }
}

// Geometries the plane tiles handle; `rows` = rows of the pass's output planes.
constexpr bool PlaneTilesFit(const Conv2dGeometry& g, int rows) {
  return g.y.stride == 1 && g.x.stride == 1 && g.y.dilation == 1 && g.x.dilation == 1 &&
         g.y.kernel <= kPlaneMaxKernel && g.x.kernel <= kPlaneMaxKernel && rows >= kPlaneRows;
}

// db[c] += sum of plane c of dy.
inline HWY_NOINLINE void AddPlaneSums(const float* HWY_RESTRICT dy, int channels, int size,
                               float* HWY_RESTRICT db) {
  const KernelTag d;
  const int N = static_cast<int>(hn::Lanes(d));
  for (int c = 0; c < channels; ++c) {
    const float* HWY_RESTRICT plane = dy + c * size;
    auto sum0 = hn::Zero(d), sum1 = hn::Zero(d);
    int i = 0;
    for (; i + 2 * N <= size; i += 2 * N) {
      sum0 = hn::Add(sum0, hn::LoadU(d, plane + i));
      sum1 = hn::Add(sum1, hn::LoadU(d, plane + i + N));
    }
    float total = hn::GetLane(hn::SumOfLanes(d, hn::Add(sum0, sum1)));
    for (; i < size; ++i) total += plane[i];
    db[c] += total;
  }
}

// Backward input of a valid convolution, one group (see ValidInputPlan):
// dx [cin][in.h][in.w] from dy [cout][out.h][out.w] and w [cout][cin][taps].
template <Conv2dGeometry G>
HWY_NOINLINE void ValidBackwardInput(const float* HWY_RESTRICT dy,
                                     const float* HWY_RESTRICT w, float* HWY_RESTRICT dx,
                                     float* HWY_RESTRICT scratch) {
  constexpr cd::ValidInputPlan p = cd::valid_input_plan(G);
  constexpr int kCin = G.in_per_group(), kCout = G.out_per_group();
  constexpr int KW = G.x.kernel, kTaps = G.y.kernel * KW, MR = p.mr;
  constexpr int W = G.in.w, kPlane = G.in.h * W, OW = G.out.w;
  const KernelTag d;
  const int N = static_cast<int>(hn::Lanes(d));
  float* HWY_RESTRICT dyw = scratch;
  float* HWY_RESTRICT panel = dyw + cd::aligned(p.dyw);
  float* HWY_RESTRICT t = panel + cd::aligned(p.panel);

  // dy on the input's width, zeros in the columns past out.w and up to qd_r.
  for (int co = 0; co < kCout; ++co) {
    float* HWY_RESTRICT row = dyw + co * p.qd_r;
    for (int oy = 0; oy < G.out.h; ++oy) {
      CopyFloats(dy + (co * G.out.h + oy) * OW, row + oy * W, OW);
      if (oy + 1 < G.out.h) ZeroFloats(row + oy * W + OW, W - OW);
    }
    ZeroFloats(row + p.qd, p.qd_r - p.qd);
  }
  // The zeros around the rows of T: before the first, and after each row up
  // to the start of the next one's values.
  ZeroFloats(t, p.front);
  for (int r = 0; r < kTaps; ++r) {
    ZeroFloats(t + r * p.t_stride + p.front + p.qd_r, p.t_stride - p.qd_r);
  }
  static constexpr int kSingleTap[1] = {0};
  for (int ci = 0; ci < kCin; ++ci) {
    for (int t0 = 0; t0 < kTaps; t0 += MR) {
      const int valid = std::min(MR, kTaps - t0);
      // panel: [MR zeros][co][MR weights w[co][ci][t0 + r]].
      ZeroFloats(panel, MR);
      for (int co = 0; co < kCout; ++co) {
        const float* HWY_RESTRICT from = w + (co * kCin + ci) * kTaps + t0;
        float* HWY_RESTRICT a = panel + MR + co * MR;
        for (int r = 0; r < MR; ++r) a[r] = r < valid ? from[r] : 0.0f;
      }
      RowTileOverOutputs<MR>(dyw, kCout, p.qd_r, kSingleTap, 1, panel, p.qd_r,
                             t + t0 * p.t_stride + p.front, p.t_stride, valid);
    }
    // dx[p] = sum over taps of T[tap][p - offset(tap)]; the last vectors of the
    // plane overlap the previous ones (stores, not sums: the same values).
    constexpr int kVectors = 4;
    float* HWY_RESTRICT out = dx + ci * kPlane;
    for (int q = 0; q < kPlane; q += kVectors * N) {
      int pos[kVectors];
      VecTile<KernelTag, kVectors> acc;
#pragma GCC unroll 4
      for (int j = 0; j < kVectors; ++j) {
        pos[j] = std::min(q + j * N, kPlane - N);
        acc.Set(j, hn::Zero(d));
      }
      for (int tap = 0; tap < kTaps; ++tap) {
        const float* HWY_RESTRICT row =
            t + tap * p.t_stride + p.front - (tap / KW * W + tap % KW);
#pragma GCC unroll 4
        for (int j = 0; j < kVectors; ++j) {
          acc.Set(j, hn::Add(acc.Get(j), hn::LoadU(d, row + pos[j])));
        }
      }
#pragma GCC unroll 4
      for (int j = 0; j < kVectors; ++j) hn::StoreU(acc.Get(j), d, out + pos[j]);
    }
  }
}

}  // namespace conv2d_impl

// ---------------------------------------------------------------------------

template <Conv2dGeometry G>
void Conv2dForward(const float* HWY_RESTRICT x, const float* HWY_RESTRICT w,
                   const float* HWY_RESTRICT b, float* HWY_RESTRICT y,
                   float* HWY_RESTRICT scratch) {
  namespace cd = ::staticnn::conv2d_detail;
  using Tables = cd::ForwardTables<G>;
  constexpr cd::ForwardPlan p = Tables::plan;
  constexpr int kCin = G.in_per_group(), kCout = G.out_per_group(), MR = p.co.mr;
  constexpr int kOutPlane = G.out.h * G.out.w;
  // Without discarded columns the tiles write straight into y.
  constexpr bool kDirect = p.cols == G.out.w;
  float* HWY_RESTRICT xs = scratch;
  float* HWY_RESTRICT panel = xs + cd::aligned(p.xs);
  float* HWY_RESTRICT ybuf = panel + cd::aligned(p.panel);

  if constexpr (kCout == 1 && conv2d_impl::PlaneTilesFit(G, G.out.h)) {
    for (int g = 0; g < G.groups; ++g) {  // depthwise, or a single filter per group
      conv2d_impl::PadPhases(x + g * kCin * G.in.h * G.in.w,
                             {kCin, G.in.h, G.in.w, 1, 1, G.y.pad, G.x.pad, p.rows, p.cols}, xs);
      conv2d_impl::OutputPlane<G.y.kernel, G.x.kernel>(xs, kCin, p.plane, p.cols,
                                                       w + g * p.k, G.bias ? b[g] : 0.0f,
                                                       y + g * kOutPlane, G.out.h, G.out.w);
    }
    return;
  }
  for (int g = 0; g < G.groups; ++g) {
    // One group at a time: a grouped plane stays in cache from copy to crop.
    conv2d_impl::PadPhases(x + g * kCin * G.in.h * G.in.w,
                           {kCin, G.in.h, G.in.w, G.y.stride, G.x.stride, G.y.pad, G.x.pad,
                            p.rows, p.cols},
                           xs);
    for (int t = 0; t < p.co.tiles; ++t) {
      const int co0 = g * kCout + t * MR;
      const int valid = std::min(MR, kCout - t * MR);
      // panel: [MR biases][k][MR weights], zero rows past `valid`.
      for (int r = 0; r < MR; ++r) panel[r] = (G.bias && r < valid) ? b[co0 + r] : 0.0f;
      conv2d_impl::TransposeToRows(w + co0 * p.k, p.k, valid, p.k, panel + MR, MR);
      for (int r = valid; r < MR; ++r) {
        for (int k = 0; k < p.k; ++k) panel[MR + k * MR + r] = 0.0f;
      }
      float* HWY_RESTRICT out = kDirect ? y + co0 * kOutPlane : ybuf;
      conv2d_impl::RowTileOverOutputs<MR>(xs, kCin, p.plane, Tables::tap_offset.data(),
                                          p.taps, panel, p.qeff, out, p.qeff, valid);
      if constexpr (!kDirect) {
        conv2d_impl::ScatterRows(
            ybuf, {valid, G.out.h, G.out.w, p.qeff, p.cols, 0, 0, 1, 1, G.out.h, G.out.w},
            y + co0 * kOutPlane);
      }
    }
  }
}

template <Conv2dGeometry G>
void Conv2dBackwardInput(const float* HWY_RESTRICT dy, const float* HWY_RESTRICT w,
                         float* HWY_RESTRICT dx, float* HWY_RESTRICT scratch) {
  namespace cd = ::staticnn::conv2d_detail;
  using Tables = cd::BackwardInputTables<G>;
  constexpr cd::BackwardInputPlan p = Tables::plan;
  constexpr int kCin = G.in_per_group(), kCout = G.out_per_group(), MR = p.ci.mr;
  constexpr int kTaps = G.y.kernel * G.x.kernel;
  constexpr int kInPlane = G.in.h * G.in.w;
  // One phase without discarded columns: the tiles write straight into dx.
  constexpr bool kDirect = Tables::kPhases == 1 && p.cols == G.in.w;
  float* HWY_RESTRICT dys = scratch;
  // Zeros after PadPhases' tail, for the tiles' overrun past wrapped reads.
  float* HWY_RESTRICT wrap_tail = dys + kCout * p.plane + cd::kMaxTileCols;
  float* HWY_RESTRICT panel = dys + cd::aligned(p.dys);
  float* HWY_RESTRICT ybuf = panel + cd::aligned(p.panel);

  if constexpr (cd::valid_input_plan(G).used && kCin > 1) {
    for (int g = 0; g < G.groups; ++g) {
      conv2d_impl::ValidBackwardInput<G>(dy + g * kCout * G.out.h * G.out.w,
                                         w + g * kCout * kCin * kTaps, dx + g * kCin * kInPlane,
                                         scratch);
    }
    return;
  }
  if constexpr (kCin == 1 && conv2d_impl::PlaneTilesFit(G, G.in.h)) {
    // dx of a group's single channel: the correlation of the padded dy with the
    // flipped kernels, whose tap (0, 0) reads at the smallest offset of the phase.
    constexpr const auto& ph = Tables::phases[0];
    constexpr int kBase = *std::min_element(ph.offset.begin(), ph.offset.begin() + kTaps);
    float* HWY_RESTRICT flipped = panel;  // [kCout][kTaps]
    for (int g = 0; g < G.groups; ++g) {
      conv2d_impl::PadPhases(dy + g * kCout * G.out.h * G.out.w,
                             {kCout, G.out.h, G.out.w, 1, 1, p.pad_top, p.pad_left, p.rows,
                              p.cols},
                             dys);
      conv2d_impl::ZeroFloats(wrap_tail, p.cols);
      const float* HWY_RESTRICT wg = w + g * kCout * kTaps;
      for (int i = 0; i < kCout * kTaps; i += kTaps) {
        for (int t = 0; t < kTaps; ++t) flipped[i + t] = wg[i + kTaps - 1 - t];
      }
      conv2d_impl::OutputPlane<G.y.kernel, G.x.kernel>(dys + kBase, kCout, p.plane, p.cols,
                                                       flipped, 0.0f, dx + g * kInPlane,
                                                       G.in.h, G.in.w);
    }
    return;
  }
  for (int g = 0; g < G.groups; ++g) {
    conv2d_impl::PadPhases(dy + g * kCout * G.out.h * G.out.w,
                           {kCout, G.out.h, G.out.w, 1, 1, p.pad_top, p.pad_left, p.rows,
                            p.cols},
                           dys);
    conv2d_impl::ZeroFloats(wrap_tail, p.cols);
    for (const auto& ph : Tables::phases) {
      if (ph.count_y == 0 || ph.count_x == 0) continue;
      for (int t = 0; t < p.ci.tiles; ++t) {
        const int ci0 = t * MR;
        const int valid = std::min(MR, kCin - ci0);
        float* HWY_RESTRICT dx_tile = dx + (g * kCin + ci0) * kInPlane;
        float* HWY_RESTRICT out = kDirect ? dx_tile : ybuf;
        if (Tables::kPhases > 1 && ph.taps == 0) {  // no tap reaches these positions
          conv2d_impl::ZeroFloats(ybuf, MR * ph.qeff);
        } else {
          // panel: [MR zeros][co][tap of the phase][MR weights of w[co][ci0 + r]].
          conv2d_impl::ZeroFloats(panel, MR);
          float* HWY_RESTRICT a = panel + MR;
          for (int co = 0; co < kCout; ++co) {
            const float* HWY_RESTRICT wc = w + ((g * kCout + co) * kCin + ci0) * kTaps;
            if constexpr (Tables::kPhases == 1) {  // every tap, in order: a transpose
              static_assert(Tables::phases[0].taps == kTaps, "stride 1: every tap reaches dx");
              conv2d_impl::TransposeToRows(wc, kTaps, valid, kTaps, a, MR);
              for (int r = valid; r < MR; ++r) {
                for (int i = 0; i < kTaps; ++i) a[i * MR + r] = 0.0f;
              }
              a += kTaps * MR;
            } else {
              for (int i = 0; i < ph.taps; ++i, a += MR) {
                for (int r = 0; r < MR; ++r) a[r] = r < valid ? wc[r * kTaps + ph.tap[i]] : 0.0f;
              }
            }
          }
          conv2d_impl::RowTileOverOutputs<MR>(dys, kCout, p.plane, ph.offset.data(), ph.taps,
                                              panel, ph.qeff, out,
                                              kDirect ? kInPlane : ph.qeff, valid);
          if (kDirect) continue;
        }
        conv2d_impl::ScatterRows(ybuf,
                                 {valid, ph.count_y, ph.count_x, ph.qeff, p.cols, ph.ry, ph.rx,
                                  G.y.stride, G.x.stride, G.in.h, G.in.w},
                                 dx_tile);
      }
    }
  }
}

template <Conv2dGeometry G>
void Conv2dBackwardParams(const float* HWY_RESTRICT x, const float* HWY_RESTRICT dy,
                          float* HWY_RESTRICT dw, float* HWY_RESTRICT db,
                          float* HWY_RESTRICT scratch) {
  namespace cd = ::staticnn::conv2d_detail;
  using Tables = cd::ForwardTables<G>;
  constexpr cd::ForwardPlan p = Tables::plan;
  constexpr cd::BackwardParamsPlan bp = cd::backward_params_plan(G);
  constexpr int kCin = G.in_per_group(), kCout = G.out_per_group();
  constexpr int kOutPlane = G.out.h * G.out.w;
  float* HWY_RESTRICT xs = scratch;
  float* HWY_RESTRICT rest = xs + cd::aligned(p.xs);

  constexpr int kLanes = static_cast<int>(hn::MaxLanes(KernelTag()));
  for (int g = 0; g < G.groups; ++g) {
    conv2d_impl::PadPhases(x + g * kCin * G.in.h * G.in.w,
                           {kCin, G.in.h, G.in.w, G.y.stride, G.x.stride, G.y.pad, G.x.pad,
                            p.rows, p.cols},
                           xs);
    const float* HWY_RESTRICT dy_group = dy + g * kCout * kOutPlane;
    float* HWY_RESTRICT dw_group = dw + g * kCout * p.k;
    if constexpr (kCin == 1 && kCout == 1 && conv2d_impl::PlaneTilesFit(G, G.out.h) &&
                  G.out.w >= kLanes) {  // depthwise
      conv2d_impl::DepthwiseWeightGrad<G.y.kernel, G.x.kernel>(xs, p.cols, dy_group, G.out.h,
                                                               G.out.w, dw_group);
    } else if constexpr (bp.transposed) {
      constexpr int kVectors = bp.cout_padded / kLanes;
      constexpr int NV = conv2d_impl::TransposedTileVectors(kVectors);
      conv2d_impl::WeightGradTransposed<NV, kVectors % NV>(
          xs, Tables::tap_offset.data(), dy_group,
          {kCout, p.taps, p.k, p.plane, p.cols, G.out.h, G.out.w, bp.cout_padded}, rest,
          rest + cd::aligned(bp.dyt), dw_group);
    } else {
      conv2d_impl::WeightGradDot<p.co.mr>(
          xs, Tables::tap_offset.data(), dy_group,
          {kCout, p.k, p.taps, p.plane, p.cols, p.qeff, G.out.h, G.out.w, bp.dy_row}, rest,
          dw_group);
    }
  }
  if constexpr (G.bias) conv2d_impl::AddPlaneSums(dy, G.out.c, kOutPlane, db);
}

}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#endif  // STATICNN_KERNELS_CONV2D_INL_H_
