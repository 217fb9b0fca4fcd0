// Conv2d backward params with at least one vector of output channels per
// group: dW^T += x_shifted * dy^T, a GEMM whose vectors run over output
// channels, so that nothing needs a horizontal sum.
//
// The batch is folded into the GEMM: dW^T stays in scratch over every sample
// (each copied into the phase planes in turn) and is added into dw once, so a
// batch of 64 transposes dW^T once, not 64 times. The first chunk's tiles
// start from zero (dW^T is never cleared), the others from what dW^T holds.
//
// dwt[k][co] += sum_q rows[k][q] * dyt[q][co], k = (input channel, tap) and
// rows[k] the shifted row of the phase planes that tap reads. dy^T is built
// kDwChunk (64) positions at a time with 4x4 register transposes; the tile is
// MR rows of k (each its own shifted input row) x NV vectors of output channels.
// A chunk covers `lines` output rows of `width` positions from its start: the
// input row of k advances by `cols` per output row, dyt by `width` positions.

#if defined(STATICNN_KERNELS_CONV2D_WEIGHT_GRAD_TRANSPOSED_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef STATICNN_KERNELS_CONV2D_WEIGHT_GRAD_TRANSPOSED_INL_H_
#undef STATICNN_KERNELS_CONV2D_WEIGHT_GRAD_TRANSPOSED_INL_H_
#else
#define STATICNN_KERNELS_CONV2D_WEIGHT_GRAD_TRANSPOSED_INL_H_
#endif

#include <algorithm>

#include "hwy/highway.h"
#include "staticnn/kernels/conv2d_copy-inl.h"
#include "staticnn/kernels/conv2d_scratch.hpp"
#include "staticnn/kernels/memory-inl.h"
#include "staticnn/kernels/transpose_blocks-inl.h"
#include "staticnn/kernels/vectors-inl.h"

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;
namespace conv2d_impl {
namespace cd = ::staticnn::conv2d_detail;

// Loops over a row's positions are unrolled up to this many (the tiles'
// code stays in the decoded-uop cache).
inline constexpr int kMaxUnrolledPositions = 16;

// W > 0: every line is W <= kMaxUnrolledPositions positions (width == W): the
// loop over them is unrolled, each broadcast row[r] plus a constant offset,
// with no pointer increments or loop branch per position (ResNet-8's 16 -> 32
// 3x3 stride-2 weight gradient at 16x16 outputs: 4% faster on AVX-512, 3% on AVX2).
template <int MR, int NV, int W = 0, class D>
HWY_INLINE void TransposedTile(D d, const float* const* HWY_RESTRICT rows, int lines,
                               int width, int cols, const float* HWY_RESTRICT dyt, int ld,
                               float* HWY_RESTRICT dwt, bool first) {
  using V = hn::Vec<D>;
  constexpr int N = static_cast<int>(hn::MaxLanes(d));
  const float* HWY_RESTRICT row[MR];
  VecTile<D, MR, NV> acc;
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r) {
    row[r] = rows[r];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      acc.Set(r, v, first ? hn::Zero(d) : hn::Load(d, dwt + r * ld + v * N));
    }
  }
  static_assert(W <= kMaxUnrolledPositions);
  if constexpr (W > 0) width = W;
  for (int line = 0; line < lines; ++line) {
#pragma GCC unroll 16
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

// TransposedTile for a stride-1 window of KW taps along x, of whole output
// rows of P pieces of W positions: C rows of (input channel, kh), each with
// its KW taps. Tap kw of row c reads the input at u = x + kw, so one broadcast
// of input u serves the KW taps (with dy^T at x = u - kw, the last KW of which
// stay in registers), where TransposedTile broadcasts once per tap: with one
// vector of output channels that was one load per FMA (LeNet-5's conv2, 16
// channels). A piece's loop over its positions is unrolled; pieces of a long
// row broadcast its KW - 1 inputs between them twice. Each tap sums its
// positions in the order TransposedTile does, so the results are the same
// bits. dwt row (c, kw) is c * KW + kw.
template <int C, int KW, int W, int NV, int P, class D>
HWY_INLINE void SlidingTile(D d, const float* const* HWY_RESTRICT rows, int lines, int cols,
                            const float* HWY_RESTRICT dyt, int ld, float* HWY_RESTRICT dwt,
                            bool first) {
  constexpr int N = static_cast<int>(hn::MaxLanes(d));
  const float* HWY_RESTRICT row[C];
  VecTile<D, C * KW, NV> acc;
#pragma GCC unroll 16
  for (int r = 0; r < C * KW; ++r) {
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      acc.Set(r, v, first ? hn::Zero(d) : hn::Load(d, dwt + r * ld + v * N));
    }
  }
#pragma GCC unroll 16
  for (int c = 0; c < C; ++c) row[c] = rows[c];
  for (int line = 0; line < lines * P; ++line, dyt += W * ld) {
    const int at = line % P * W;  // the piece's first position in its row
    VecTile<D, KW, NV> window;    // dy^T at x, in slot x % KW
#pragma GCC unroll 64
    for (int u = 0; u < W + KW - 1; ++u) {
      if (u < W) {
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) window.Set(u % KW, v, hn::Load(d, dyt + u * ld + v * N));
      }
#pragma GCC unroll 16
      for (int c = 0; c < C; ++c) {
        const auto a = hn::Set(d, row[c][at + u]);
#pragma GCC unroll 16
        for (int kw = 0; kw < KW; ++kw) {
          const int x = u - kw;
          if (x < 0 || x >= W) continue;
#pragma GCC unroll 4
          for (int v = 0; v < NV; ++v) {
            acc.Set(c * KW + kw, v,
                    hn::MulAdd(a, window.Get(x % KW, v), acc.Get(c * KW + kw, v)));
          }
        }
      }
    }
    if (line % P == P - 1) {
#pragma GCC unroll 16
      for (int c = 0; c < C; ++c) row[c] += cols;
    }
  }
#pragma GCC unroll 16
  for (int r = 0; r < C * KW; ++r) {
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) hn::Store(acc.Get(r, v), d, dwt + r * ld + v * N);
  }
}

// db[co] += sum over q < positions of dyt[q][co]. dy^T is in L1 here, where
// the bias loop read dy again from beyond L2 (a tenth of the time of 64 -> 64
// channels on 56x56 at batch 16).
template <class D>
HWY_INLINE void AddColumnSums(D d, const float* HWY_RESTRICT dyt, int positions, int ld,
                              int channels, float* HWY_RESTRICT db) {
  constexpr int N = static_cast<int>(hn::MaxLanes(d));
  HWY_ALIGN float lanes[N];
  for (int c0 = 0; c0 < channels; c0 += N) {
    auto sum = hn::Zero(d);
    for (int q = 0; q < positions; ++q) sum = hn::Add(sum, hn::Load(d, dyt + q * ld + c0));
    hn::Store(sum, d, lanes);
    for (int i = 0; i < std::min(N, channels - c0); ++i) db[c0 + i] += lanes[i];
  }
}

struct WeightGradSpec {
  int out_channels;       // of the group
  int taps, k;            // k = in_channels of the group * taps
  int plane, cols;        // of xs (forward plan)
  int out_h, out_w;
  int ld;                 // dyt / dwt row length (out_channels rounded up)
  int samples;            // of the batch
  int x_sample, dy_sample;  // floats from one sample of x / dy to the next
  bool x_in_place;          // x is laid out as its phase planes: read it there
};

// Tiles of NV vectors of output channels, and one of NT if ld / lanes is not a
// multiple of NV (NT = 0: none).
constexpr int TransposedTileVectors(int vectors) {
  return std::min(vectors, kVectorRegisters == 32 ? 4 : 2);
}

// dw[co][k0 + r] += dwt[r][co] for r < rows (dwt at row k0, k rows in all).
// Read by columns, dwt (590 KB for 128 -> 128 channels, rows 512 bytes apart)
// missed the cache on every float: that loop took more time than the GEMM.
// Blocks of kDwAddRows rows are transposed into tmp (in L1) and added by rows.
template <class D>
HWY_INLINE void AddTransposedRows(D d, const float* HWY_RESTRICT dwt, int ld, int k0, int rows,
                                  int channels, int k, float* HWY_RESTRICT tmp,
                                  float* HWY_RESTRICT dw) {
  constexpr int N = static_cast<int>(hn::MaxLanes(d));
  for (int r0 = 0; r0 < rows; r0 += cd::kDwAddRows) {
    const int block = std::min(cd::kDwAddRows, rows - r0);
    TransposeBlocks(dwt + r0 * ld, ld, block, channels, tmp, cd::kDwAddRows);
    for (int co = 0; co < channels; ++co) {
      const float* HWY_RESTRICT from = tmp + co * cd::kDwAddRows;
      float* HWY_RESTRICT to = dw + co * k + k0 + r0;
      int i = 0;
      for (; i + N <= block; i += N) {
        hn::StoreU(hn::Add(hn::LoadU(d, to + i), hn::Load(d, from + i)), d, to + i);
      }
      for (; i < block; ++i) to[i] += from[i];
    }
  }
}

// SlidingTile's shape for a geometry, or rows == 0 where it does not apply:
// 32 vector registers, stride 1 and dilation 1 along x, whole rows in a chunk
// (of at most kDwChunk positions), in the fewest pieces of at most kMaxUnrolledPositions
// that divide the row, rows of (input channel, kh) in tiles of at least 2 that
// divide them. Of 1 or 2 vectors of output channels (and the tiles' rows), the
// pair that loads least per FMA in registers: accumulators, the dy^T window
// and a broadcast. With AVX2's 16 registers (3 rows of 3 taps, 1 vector) 3x3
// layers on 8x8 ran 3-9% slower than TransposedTile's 6 rows x 2 vectors.
// At most kMaxSlidingRows rows, each a pointer: 8 rows of 3 taps (ResNet-8's
// 16 -> 16 at 32x32) spilled them to the stack in the inner loop, and 4 rows
// were 5-6% faster (AVX-512: 37.7 -> 35.5 us at batch 1, 605 -> 573 at 16).
inline constexpr int kMaxSlidingRows = 4;
struct SlidingShape {
  int rows = 0, vectors = 0;
  int pieces = 0;  // of a row
};
template <Conv2dGeometry G>
constexpr SlidingShape SlidingTileShape(int channel_vectors) {
  SlidingShape best;
  constexpr int KW = G.x.kernel, kRows = G.in_per_group() * G.y.kernel;
  int pieces = cd::ceil_div(G.out.w, kMaxUnrolledPositions);
  while (G.out.w % pieces != 0) ++pieces;
  if (kVectorRegisters != 32 || G.x.stride != 1 || G.x.dilation != 1 || KW < 2 ||
      G.out.w > cd::kDwChunk || G.out.w / pieces > kMaxUnrolledPositions) {
    return best;
  }
  best.pieces = pieces;
  double best_ratio = 0;
  for (int nv = 1; nv <= std::min(2, channel_vectors); ++nv) {
    for (int c = 2; c <= std::min(kRows, kMaxSlidingRows); ++c) {
      const bool fits = c * KW * nv <= kTileAccumulators &&
                        KW * nv * (c + 1) + 1 <= kVectorRegisters - 2;
      const double ratio = double(c * KW * nv) / (c + nv);  // FMAs per load
      if (fits && kRows % c == 0 && ratio > best_ratio) {
        best.rows = c, best.vectors = nv, best_ratio = ratio;
      }
    }
  }
  if (best.rows == 0) best.pieces = 0;
  return best;
}

// Copies a sample's x into its phase planes: PadPhases<spec>, whose rows are
// constants. With the spec a run-time value the copy was a fifth of ResNet-8's
// 3x3 stride-2 weight gradient (32x16x16, AVX-512); constant, the layer is 3%
// faster (the copy of its four stride phases is still an eighth).
using PadPhasesFn = void (*)(const float* HWY_RESTRICT, float* HWY_RESTRICT);

// x and dy: the group's channels of the first sample; xs: the phase planes
// (pad_phases copies x there); db: the group's bias gradient, or null.
// SC > 0: SlidingTile of SC rows, KW taps, P pieces of W positions (out_w =
// P * W, a chunk's width), instead of TransposedTile; rows of k are then
// (input channel, kh, kw) with tap_offset[kh * KW + kw] = tap_offset[kh * KW] + kw.
// SC == 0 and W > 0: TransposedTile's rows are W positions (out_w == W), a constant.
template <int NV, int NT, int SC = 0, int KW = 0, int W = 0, int P = 0>
HWY_NOINLINE void WeightGradTransposed(const float* HWY_RESTRICT x, PadPhasesFn pad_phases,
                                       float* HWY_RESTRICT xs,
                                       const int* HWY_RESTRICT tap_offset,
                                       const float* HWY_RESTRICT dy, const WeightGradSpec& s,
                                       float* HWY_RESTRICT dyt, float* HWY_RESTRICT dwt,
                                       float* HWY_RESTRICT add_tmp, float* HWY_RESTRICT dw,
                                       float* HWY_RESTRICT db) {
  const KernelTag d;
  constexpr int N = static_cast<int>(hn::MaxLanes(d));
  constexpr int MR = std::clamp(kTileAccumulators / NV, 1, cd::kMaxTileRows);
  const int vectors = s.ld / N;
  ZeroFloats(dyt, cd::kDwChunk * s.ld);  // channel padding stays zero
  // Chunks of whole output rows, or of pieces of one row if rows are long.
  const int width = std::min(s.out_w, cd::kDwChunk);
  const int lines_per_chunk = std::max(1, cd::kDwChunk / s.out_w);
  const float* rows[std::max(MR, SC)];
  for (int b = 0; b < s.samples; ++b, x += s.x_sample, dy += s.dy_sample) {
    // A 1x1 stride-1 unpadded x is its own phase plane: copying it cost a
    // tenth of 64 -> 64 channels on 56x56 (x beyond L2).
    const float* HWY_RESTRICT planes = s.x_in_place ? x : xs;
    if (!s.x_in_place) pad_phases(x, xs);
    for (int oh = 0; oh < s.out_h; oh += lines_per_chunk) {
      const int lines = std::min(lines_per_chunk, s.out_h - oh);
      for (int ox = 0; ox < s.out_w; ox += width) {
        const int span = std::min(width, s.out_w - ox);
        // lines > 1 only when span == out_w: the chunk is contiguous in dy.
        TransposeBlocks(dy + oh * s.out_w + ox, s.out_h * s.out_w, s.out_channels, lines * span,
                        dyt, s.ld);
        if (db != nullptr) AddColumnSums(d, dyt, lines * span, s.ld, s.out_channels, db);
        const bool first = b == 0 && oh == 0 && ox == 0;  // dwt not written yet
        // The last chunk adds each tile's rows into dw while they are in L1:
        // a pass over dwt after the GEMM read it from L2 or beyond (a fifth
        // of 128 -> 128 channels on 8x8, batch 1, AVX-512).
        // Whole blocks of kDwAddRows (a vector per channel) as tiles finish,
        // the rest at the end.
        const bool last = b == s.samples - 1 && oh + lines >= s.out_h && ox + span >= s.out_w;
        int added = 0;
        const auto add_done_rows = [&](int done, bool all = false) {
          const int n = all ? done - added : (done - added) / cd::kDwAddRows * cd::kDwAddRows;
          if (n > 0) {
            AddTransposedRows(d, dwt + added * s.ld, s.ld, added, n, s.out_channels, s.k, add_tmp,
                              dw);
          }
          added += n;
        };
        // The next chunk's positions (at worst, past the last sample: prefetches
        // do not fault). Read in place from beyond L2, x's rows stalled the
        // broadcasts and dy's the transpose: their lines are asked for a tile's
        // share at a time, so that the misses overlap the FMAs.
        int next = oh * s.out_w + ox + lines * span;
        const float* x_next = x;
        const float* dy_next = dy;
        if (next >= s.out_h * s.out_w) next = 0, x_next += s.x_sample, dy_next += s.dy_sample;
        if constexpr (SC > 0) {
          const int kh_count = s.taps / KW;
          for (int m0 = 0; m0 < s.k / KW; m0 += SC) {
            for (int c = 0; c < SC; ++c) {  // m = (input channel, kh)
              const int m = m0 + c;
              rows[c] = planes + (m / kh_count) * s.plane + tap_offset[m % kh_count * KW] +
                        oh * s.cols + ox;
            }
            float* HWY_RESTRICT tile = dwt + m0 * KW * s.ld;
            int v = 0;
            for (; v + NV <= vectors; v += NV) {
              SlidingTile<SC, KW, W, NV, P>(d, rows, lines, s.cols, dyt + v * N, s.ld,
                                            tile + v * N, first);
            }
            if constexpr (NT != 0) {
              SlidingTile<SC, KW, W, NT, P>(d, rows, lines, s.cols, dyt + v * N, s.ld,
                                            tile + v * N, first);
            }
            if (last) add_done_rows((m0 + SC) * KW);
          }
          if (last) add_done_rows(s.k, true);
          continue;
        }
        for (int k0 = 0; k0 < s.k; k0 += MR) {
          if (s.x_in_place) {
            for (int k = k0; k < std::min(k0 + MR, s.k); ++k) {
              PrefetchFloats(x_next + k * s.plane + next, lines * span);
            }
            const int co_end = std::min(k0 + MR, s.k) * s.out_channels / s.k;
            for (int co = k0 * s.out_channels / s.k; co < co_end; ++co) {
              PrefetchFloats(dy_next + co * s.plane + next, lines * span);
            }
          }
          for (int r = 0; r < MR; ++r) {
            const int k = std::min(k0 + r, s.k - 1);  // rows past k are computed, unused
            rows[r] = planes + (k / s.taps) * s.plane + tap_offset[k % s.taps] + oh * s.cols + ox;
          }
          float* HWY_RESTRICT tile = dwt + k0 * s.ld;
          int v = 0;
          for (; v + NV <= vectors; v += NV) {
            TransposedTile<MR, NV, W>(d, rows, lines, span, s.cols, dyt + v * N, s.ld,
                                      tile + v * N, first);
          }
          if constexpr (NT != 0) {
            TransposedTile<MR, NT, W>(d, rows, lines, span, s.cols, dyt + v * N, s.ld,
                                      tile + v * N, first);
          }
          if (last) add_done_rows(std::min(k0 + MR, s.k));
        }
        if (last) add_done_rows(s.k, true);
      }
    }
  }
}

// Output channels per tile of NV vectors for WeightGradPointwiseStride2: up
// to the accumulators, the fewest FMA issue slots for `cout` channels (a
// tile of fewer than kFmaChains accumulators takes their time), more rows at
// a tie. ResNet-8's 16 -> 32 on AVX2 (NV = 2): 8 tiles of 4, where 6 tiles of
// 6 computed 4 rows past the 32 (Zen 3: 4.66 -> 4.31 us).
constexpr int Stride2GradRows(int cout, int nv) {
  int best = 1, best_slots = 0;
  for (int mr = 1; mr <= std::min(kTileAccumulators / nv, 2 * cd::kMaxTileRows); ++mr) {
    const int slots = (cout + mr - 1) / mr * std::max(mr * nv, kFmaChains);
    if (best_slots == 0 || slots <= best_slots) best = mr, best_slots = slots;
  }
  return best;
}

// dw += dy * xe^T for a 1x1 stride-2 convolution (cd::pointwise_stride2_grad_plan),
// xe the even positions of x: the GEMM alone, on dy in place. The tile runs
// MR rows of output channels (their dy rows broadcast) x NV vectors of input
// channels (xet). On ResNet-8's shortcut (16x32x32 -> 32x16x16, batch 1,
// AVX-512) the path above took twice the time: PadPhases (a run-time spec)
// alone a quarter of it, then dy transposed (twice the floats of xe) and
// dW^T transposed back. x, dy and dw: the group's channels (of the first
// sample).
template <Conv2dGeometry G, int Batch>
HWY_INLINE void WeightGradPointwiseStride2(const float* HWY_RESTRICT x,
                                           const float* HWY_RESTRICT dy, float* HWY_RESTRICT dw,
                                           float* HWY_RESTRICT scratch) {
  constexpr cd::PointwiseStride2GradPlan p = cd::pointwise_stride2_grad_plan(G);
  static_assert(p.used);
  const KernelTag d;
  constexpr int N = static_cast<int>(hn::MaxLanes(d));
  constexpr int kCin = G.in_per_group(), kCout = G.out_per_group(), kLd = p.ci_padded;
  constexpr int kOutPlane = G.out.h * G.out.w, kInPlane = G.in.h * G.in.w;
  constexpr int kVectors = kLd / N, NV = TransposedTileVectors(kVectors), NT = kVectors % NV;
  // Rows of channels up to the accumulators (AVX-512: 16 x 1 vector, where
  // WeightGradTransposed's 8 rows would leave 8 of 24 accumulators busy).
  constexpr int MR = Stride2GradRows(kCout, NV);
  float* HWY_RESTRICT xet = scratch + p.xet;
  float* HWY_RESTRICT rows = scratch + p.rows;
  float* HWY_RESTRICT dwt = scratch + p.dwt;
  if constexpr (kCin < kLd) ZeroFloats(xet, kOutPlane * kLd);  // channel padding stays zero
  const float* dy_rows[MR];
  for (int b = 0; b < Batch; ++b, x += G.in.size(), dy += G.out.size()) {
    for (int j = 0; j < G.out.h; ++j) {
      for (int c = 0; c < kCin; ++c) {
        CopyEvenFloats(x + c * kInPlane + 2 * j * G.in.w, rows + c * G.out.w, G.out.w);
      }
      TransposeBlocks(rows, G.out.w, kCin, G.out.w, xet + j * G.out.w * kLd, kLd);
    }
    for (int co0 = 0; co0 < kCout; co0 += MR) {
      for (int r = 0; r < MR; ++r) {
        // Rows past out.c repeat the last one; dwt has room for their sums.
        dy_rows[r] = dy + std::min(co0 + r, kCout - 1) * kOutPlane;
      }
      int v = 0;
      for (; v + NV <= kVectors; v += NV) {
        TransposedTile<MR, NV>(d, dy_rows, 1, kOutPlane, 0, xet + v * N, kLd,
                               dwt + co0 * kLd + v * N, b == 0);
      }
      if constexpr (NT != 0) {
        TransposedTile<MR, NT>(d, dy_rows, 1, kOutPlane, 0, xet + v * N, kLd,
                               dwt + co0 * kLd + v * N, b == 0);
      }
    }
  }
  for (int co = 0; co < kCout; ++co) {
    for (int i = 0; i < kCin; ++i) dw[co * kCin + i] += dwt[co * kLd + i];
  }
}

}  // namespace conv2d_impl
}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#endif  // STATICNN_KERNELS_CONV2D_WEIGHT_GRAD_TRANSPOSED_INL_H_
