// Conv2d by Winograd F(2x2, 3x3): a 3x3, stride-1, undilated, ungrouped
// convolution with 4 multiplies per output and channel instead of 9.
//
// Per 2x2 tile of outputs and its 4x4 tile d of zero-padded input (Lavin and
// Gray, "Fast Algorithms for Convolutional Neural Networks", 2015):
//   Y = A^T [ sum_c (G g_c G^T) . (B^T d_c B) ] A
//   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]
//   G   = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]
//   A^T = [1 1 1 0; 0 1 -1 -1]
// so per frequency f of the 16: M_f[co][tile] = sum_c U_f[co][c] * V_f[c][tile],
// a GEMM that the row tile (conv2d_row_tile-inl.h) runs with one tap, the
// transformed weights packed as its panels. The bias rides in frequency (1, 1),
// the only one A^T e_1 e_1^T A spreads as ones over the 2x2 outputs.
//
// The weights are transformed once per call, for all the samples of a batch
// (16 x the weights' floats of scratch); each input is zero-padded once, then
// transformed, multiplied and transformed back a block of tiles at a time
// (WinogradPlan in conv2d_scratch.hpp), so V and M stay in L2; a block of a
// small plane holds the tiles of several samples, to fill the GEMMs' columns. The input and output transforms
// run over vectors of consecutive tiles of a tile row (of 2 or 4 tile rows
// where one fills a half or a quarter of a vector: WinogradRowsPerVector): a
// tile starts every two input columns, so LoadInterleaved2 (ConcatEven and
// ConcatOdd) splits a padded row into the even and odd columns the tiles
// need, and StoreInterleaved2 puts the 2x2 outputs back.
//
// Backward input uses the same code: dx is the convolution of dy with the
// flipped, transposed kernel (kFlipTransposed; winograd_transposed gives its
// geometry).
//
// Error: each output is a sum over channels of products of transformed values
// whose magnitudes are bounded by the transforms of |g| and |d|; the transforms
// add a few roundings of their own. tests/conv2d_winograd_test.cc measures the
// error against direct convolution in double and bounds it.

#if defined(STATICNN_KERNELS_CONV2D_WINOGRAD_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef STATICNN_KERNELS_CONV2D_WINOGRAD_INL_H_
#undef STATICNN_KERNELS_CONV2D_WINOGRAD_INL_H_
#else
#define STATICNN_KERNELS_CONV2D_WINOGRAD_INL_H_
#endif

#include <algorithm>

#include "hwy/highway.h"
#include "staticnn/geometry.hpp"
#include "staticnn/kernels/conv2d_copy-inl.h"
#include "staticnn/kernels/conv2d_row_tile-inl.h"
#include "staticnn/kernels/conv2d_scratch.hpp"
#include "staticnn/kernels/memory-inl.h"
#include "staticnn/kernels/vectors-inl.h"

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;
namespace conv2d_impl {
namespace cd = ::staticnn::conv2d_detail;

// U_f = G g G^T of every (output channel, input channel), as the row tile's
// panels: panel (f, t) = u + (f * tiles + t) * panel_floats holds
// [MR initial values][in_channels][MR of U_f], output channels t*MR + r, zero
// rows past out_channels. Per tile of output channels, the kernels are first
// transposed into g[tap][c * MR + r] (`g_stride` floats a tap): the panels of
// a frequency hold the same (c, r) order, so the transform runs over vectors
// of consecutive (c, r) (written per (c, r) pair, g++ left it scalar: 34% of
// CifarNet's inference on AVX-512). flip_transposed: g[kh][kw] of (o, c) is
// w[c][o][2 - kh][2 - kw] (w of the convolution whose dx this is).
template <int MR>
HWY_NOINLINE void WinogradTransformWeights(const float* HWY_RESTRICT w,
                                           const float* HWY_RESTRICT b, int in_channels,
                                           int out_channels, bool flip_transposed, int tiles,
                                           int panel_floats, float* HWY_RESTRICT g,
                                           int g_stride, float* HWY_RESTRICT u) {
  const KernelTag d;
  using V = hn::Vec<KernelTag>;
  constexpr int N = static_cast<int>(hn::MaxLanes(d));
  constexpr int kFrequencies = cd::kWinogradFrequencies;
  const int panel_step = tiles * panel_floats;  // from frequency f to f + 1
  const int length = in_channels * MR;          // of a frequency's panel after its MR
  const V half = hn::Set(d, 0.5f);
  for (int t = 0; t < tiles; ++t) {
    const int co0 = t * MR;
    const int valid = std::min(MR, out_channels - co0);
    float* HWY_RESTRICT panels = u + t * panel_floats;
    for (int f = 0; f < kFrequencies; ++f) {
      for (int r = 0; r < MR; ++r) {
        panels[f * panel_step + r] = (f == 5 && b != nullptr && r < valid) ? b[co0 + r] : 0.0f;
      }
    }
    if (valid < MR) ZeroFloats(g, 9 * g_stride);  // rows r >= valid stay zero
    for (int c = 0; c < in_channels; ++c) {
      if (flip_transposed) {
        Transpose(w + (c * out_channels + co0) * 9, 9, valid, 9, g + c * MR, g_stride);
      } else {
        Transpose(w + (co0 * in_channels + c) * 9, in_channels * 9, valid, 9, g + c * MR,
                  g_stride);
      }
    }
    for (int e = 0; e < length; e += N) {
      auto at = [&](int kh, int kw) {  // g[kh][kw] of the kernel to transform
        const int tap = flip_transposed ? 8 - (kh * 3 + kw) : kh * 3 + kw;
        return hn::Load(d, g + tap * g_stride + e);
      };
      VecTile<KernelTag, 4, 3> gg;  // G g
#pragma GCC unroll 3
      for (int j = 0; j < 3; ++j) {
        const V g0 = at(0, j), g1 = at(1, j), g2 = at(2, j);
        const V outer = hn::Add(g0, g2);
        gg.Set(0, j, g0);
        gg.Set(1, j, hn::Mul(half, hn::Add(outer, g1)));
        gg.Set(2, j, hn::Mul(half, hn::Sub(outer, g1)));
        gg.Set(3, j, g2);
      }
      const int n = std::min(N, length - e);
#pragma GCC unroll 4
      for (int a = 0; a < 4; ++a) {  // (G g) G^T, row a
        float* HWY_RESTRICT to = panels + a * 4 * panel_step + MR + e;
        const V t0 = gg.Get(a, 0), t1 = gg.Get(a, 1), t2 = gg.Get(a, 2);
        const V outer = hn::Add(t0, t2);
        StoreFirstN(d, t0, to, n);
        StoreFirstN(d, hn::Mul(half, hn::Add(outer, t1)), to + panel_step, n);
        StoreFirstN(d, hn::Mul(half, hn::Sub(outer, t1)), to + 2 * panel_step, n);
        StoreFirstN(d, t2, to + 3 * panel_step, n);
      }
    }
  }
}

// Calls Transform::Vector(top, plane_cols, to, f_stride) for every channel c
// and every vector of consecutive tiles t in [first, last) of a tile row (t =
// ty * tiles_x + tx): `top` points at the vector's first tile in the planes
// [channels][plane_rows][plane_cols] (a tile starts every 2 rows and 2
// columns), `to` at its place in frequency 0 of the transformed block, v + c *
// v_stride + t - first, frequency f at to + f * f_stride. A vector of tiles
// may end past a tile row: its extra lanes land on the next row's tiles,
// written after it, or past the block. (A static member, not a lambda: g++
// left the lambda out of line, one call per vector.)
template <class Transform>
HWY_INLINE void ForEachTileVector(const float* HWY_RESTRICT planes, int channels,
                                  int plane_rows, int plane_cols, int tiles_x, int first,
                                  int last, int v_stride, int f_stride,
                                  float* HWY_RESTRICT v) {
  constexpr int N = static_cast<int>(hn::MaxLanes(KernelTag()));
  for (int c = 0; c < channels; ++c) {
    const float* HWY_RESTRICT plane = planes + c * plane_rows * plane_cols;
    for (int ty = first / tiles_x; ty * tiles_x < last; ++ty) {
      const float* HWY_RESTRICT top = plane + 2 * ty * plane_cols;
      float* HWY_RESTRICT out = v + c * v_stride + ty * tiles_x - first;
      const int end = std::min(tiles_x, last - ty * tiles_x);
      for (int j = std::max(0, first - ty * tiles_x); j < end; j += N) {
        Transform::Vector(top + 2 * j, plane_cols, out + j, f_stride);
      }
    }
  }
}

// Row i of d B, for a 4x4 input tile d whose row i is (d0, d1, d2, d3).
// B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1].
HWY_INLINE void InputTileRow(hn::Vec<KernelTag> d0, hn::Vec<KernelTag> d1,
                             hn::Vec<KernelTag> d2, hn::Vec<KernelTag> d3, int i,
                             VecTile<KernelTag, 4, 4>& s) {
  s.Set(i, 0, hn::Sub(d0, d2));
  s.Set(i, 1, hn::Add(d1, d2));
  s.Set(i, 2, hn::Sub(d2, d1));
  s.Set(i, 3, hn::Sub(d1, d3));
}

// Store (kAligned) or StoreU of a whole vector.
template <bool kAligned>
HWY_INLINE void StoreVector(hn::Vec<KernelTag> v, float* HWY_RESTRICT to) {
  if constexpr (kAligned) {
    hn::Store(v, KernelTag(), to);
  } else {
    hn::StoreU(v, KernelTag(), to);
  }
}

// B^T (d B) of s = d B (InputTileRow): frequency f at out + f * f_stride,
// kAligned: by Store (out aligned), else StoreU. The forward's transform over
// vectors of tiles and the weight gradient's over vectors of channels share it.
template <bool kAligned>
HWY_INLINE void StoreInputTileTransform(const VecTile<KernelTag, 4, 4>& s,
                                        float* HWY_RESTRICT out, int f_stride) {
#pragma GCC unroll 4
  for (int k = 0; k < 4; ++k) {  // B^T (d B), column k
    float* HWY_RESTRICT to = out + k * f_stride;
    StoreVector<kAligned>(hn::Sub(s.Get(0, k), s.Get(2, k)), to);
    StoreVector<kAligned>(hn::Add(s.Get(1, k), s.Get(2, k)), to + 4 * f_stride);
    StoreVector<kAligned>(hn::Sub(s.Get(2, k), s.Get(1, k)), to + 8 * f_stride);
    StoreVector<kAligned>(hn::Sub(s.Get(1, k), s.Get(3, k)), to + 12 * f_stride);
  }
}

// B^T d B of a vector of 4x4 input tiles d (rows plane_cols apart).
struct InputTileTransform {
  static HWY_INLINE void Vector(const float* HWY_RESTRICT top, int plane_cols,
                                float* HWY_RESTRICT out, int f_stride) {
    const KernelTag d;
    using V = hn::Vec<KernelTag>;
    VecTile<KernelTag, 4, 4> s;  // d B, row by row
#pragma GCC unroll 4
    for (int i = 0; i < 4; ++i) {
      V d0, d1, d2, d3;
      hn::LoadInterleaved2(d, top + i * plane_cols, d0, d1);
      hn::LoadInterleaved2(d, top + i * plane_cols + 2, d2, d3);
      InputTileRow(d0, d1, d2, d3, i, s);
    }
    StoreInputTileTransform<false>(s, out, f_stride);
  }
};

#if HWY_TARGET != HWY_SCALAR  // Combine and Concat* need vectors
// Tile rows per vector where a tile row fills a half or a quarter of it (K =
// 2 or 4: 16x16 and 8x8 outputs on AVX-512, 8x8 on AVX2), and the block is
// whole vectors of them; else 1. A vector of tiles then spans K tile rows, the
// layout V and M have anyway (the tiles of a block one after the other), where
// ForEachTileVector filled only the first tiles_x lanes of each vector (the
// transforms were 18% of CifarNet's training step, 3/4 of it on these planes).
// conv2d_bench *_b16, AVX-512, taskset -c 1, CPU time, min of 3 alternating
// medians of 5, forward / backward input, us: 64->64 at 16x16 802 -> 686 /
// 791 -> 681, 32->64 at 16x16 446 -> 366 / 470 -> 364, 128->128 at 8x8
// 850 -> 655 / 844 -> 646, 64->128 at 8x8 460 -> 334 / 476 -> 336; at batch 1
// 64->64 at 16x16 57 -> 50 / 56 -> 50. BM_CifarNet_TrainStep_b64 49.2-50.6
// -> 44.7-46.0 ms.
HWY_INLINE int WinogradRowsPerVector(int tiles_x, int first, int last) {
  constexpr int N = static_cast<int>(hn::MaxLanes(KernelTag()));
  const bool whole = first % N == 0 && (last - first) % N == 0;
  if (whole && 2 * tiles_x == N) return 2;
  if (whole && N >= 8 && 4 * tiles_x == N) return 4;
  return 1;
}

// The vector of K/2 segments of 2N/K floats, segment s at p + s * step: the
// padded columns of K/2 tile rows (K = 2: one LoadU; K = 4: two halves).
template <int K>
HWY_INLINE hn::Vec<KernelTag> LoadSegments(const float* HWY_RESTRICT p, int step) {
  const KernelTag d;
  if constexpr (K == 4) {
    const hn::Half<KernelTag> dh;
    return hn::Combine(d, hn::LoadU(dh, p + step), hn::LoadU(dh, p));
  } else {
    (void)step;
    return hn::LoadU(d, p);
  }
}

// InputTileTransform of N tiles of K tile rows (WinogradRowsPerVector): the
// even and odd columns of a padded row of the K tile rows split from two
// vectors of K/2 tile rows each (2N/K columns of each), by ConcatEven and
// ConcatOdd, which LoadInterleaved2 runs too.
template <int K>
HWY_INLINE void InputTileTransformRows(const float* HWY_RESTRICT top, int plane_cols,
                                       float* HWY_RESTRICT out, int f_stride) {
  const KernelTag d;
  using V = hn::Vec<KernelTag>;
  const int row2 = 2 * plane_cols;
  const int half = (K / 2) * row2;  // from the first K/2 tile rows to the others
  VecTile<KernelTag, 4, 4> s;
#pragma GCC unroll 4
  for (int i = 0; i < 4; ++i) {
    const float* HWY_RESTRICT row = top + i * plane_cols;
    const V lo = LoadSegments<K>(row, row2), hi = LoadSegments<K>(row + half, row2);
    const V lo2 = LoadSegments<K>(row + 2, row2), hi2 = LoadSegments<K>(row + half + 2, row2);
    InputTileRow(hn::ConcatEven(d, hi, lo), hn::ConcatOdd(d, hi, lo),
                 hn::ConcatEven(d, hi2, lo2), hn::ConcatOdd(d, hi2, lo2), i, s);
  }
  StoreInputTileTransform<false>(s, out, f_stride);
}

template <int K>
HWY_INLINE void TransformInputRows(const float* HWY_RESTRICT xp, int channels, int plane_rows,
                                   int plane_cols, int tiles_x, int first, int last,
                                   int v_stride, int f_stride, float* HWY_RESTRICT v) {
  constexpr int N = static_cast<int>(hn::MaxLanes(KernelTag()));
  for (int c = 0; c < channels; ++c) {
    const float* HWY_RESTRICT plane = xp + c * plane_rows * plane_cols;
    for (int t = first; t < last; t += N) {
      InputTileTransformRows<K>(plane + 2 * (t / tiles_x) * plane_cols, plane_cols,
                                v + c * v_stride + t - first, f_stride);
    }
  }
}

#endif  // HWY_TARGET != HWY_SCALAR

// V_f[c][t - first] = (B^T d B)[f] for the tiles t in [first, last), d read
// from the padded planes xp [channels][plane_rows][plane_cols]; V_f[c] is
// v + f * f_stride + c * v_stride.
HWY_NOINLINE inline void WinogradTransformInputs(const float* HWY_RESTRICT xp, int channels,
                                                 int plane_rows, int plane_cols, int tiles_x,
                                                 int first, int last, int v_stride,
                                                 int f_stride, float* HWY_RESTRICT v) {
#if HWY_TARGET != HWY_SCALAR
  switch (WinogradRowsPerVector(tiles_x, first, last)) {
    case 2:
      TransformInputRows<2>(xp, channels, plane_rows, plane_cols, tiles_x, first, last,
                            v_stride, f_stride, v);
      return;
    case 4:
      TransformInputRows<4>(xp, channels, plane_rows, plane_cols, tiles_x, first, last,
                            v_stride, f_stride, v);
      return;
    default:
      break;
  }
#endif
  ForEachTileVector<InputTileTransform>(xp, channels, plane_rows, plane_cols, tiles_x, first,
                                        last, v_stride, f_stride, v);
}

// Outputs [0, n) of a row of 2x2 tiles: even columns `even`, odd ones `odd`.
// A short row (every row of a 16x16 plane on AVX-512, of 8x8 on AVX2 and
// AVX-512) goes through a copy on the stack, moved back a vector at a time.
HWY_INLINE void WinogradStoreRow(hn::Vec<KernelTag> even, hn::Vec<KernelTag> odd,
                                 float* HWY_RESTRICT to, int n) {
  const KernelTag d;
  constexpr int N = static_cast<int>(hn::MaxLanes(d));
  if (n >= 2 * N) {
    hn::StoreInterleaved2(even, odd, d, to);
  } else {
    HWY_ALIGN float row[2 * N];
    hn::StoreInterleaved2(even, odd, d, row);
    StoreFirstN(d, hn::Load(d, row), to, std::min(n, N));
    if (n > N) StoreFirstN(d, hn::Load(d, row + N), to + N, n - N);
  }
}

// A^T M_t of a vector of tiles, M_f at from + f * f_stride: t[i][k] is row i,
// column k.
HWY_INLINE void OutputTileColumns(const float* HWY_RESTRICT from, int f_stride,
                                  VecTile<KernelTag, 2, 4>& t) {
  const KernelTag d;
  using V = hn::Vec<KernelTag>;
#pragma GCC unroll 4
  for (int k = 0; k < 4; ++k) {
    const V m0 = hn::LoadU(d, from + k * f_stride);
    const V m1 = hn::LoadU(d, from + (4 + k) * f_stride);
    const V m2 = hn::LoadU(d, from + (8 + k) * f_stride);
    const V m3 = hn::LoadU(d, from + (12 + k) * f_stride);
    t.Set(0, k, hn::Add(hn::Add(m0, m1), m2));
    t.Set(1, k, hn::Sub(hn::Sub(m1, m2), m3));
  }
}

#if HWY_TARGET != HWY_SCALAR
// WinogradTransformOutputs of whole vectors of K tile rows (K > 1,
// WinogradRowsPerVector) of an even out_h and out_w: each tile row's 2N/K
// outputs of a row go whole to y, from a copy on the stack.
template <int K>
HWY_INLINE void TransformOutputRows(const float* HWY_RESTRICT m, int channels, int v_stride,
                                    int f_stride, int tiles_x, int first, int last, int out_h,
                                    int out_w, bool relu, float* HWY_RESTRICT y) {
  const KernelTag d;
  using V = hn::Vec<KernelTag>;
  constexpr int N = static_cast<int>(hn::MaxLanes(d));
  constexpr int kSegment = 2 * N / K;  // outputs of a row of a tile row: out_w
  using DS = hn::CappedTag<float, kSegment>;
  const DS ds;
  for (int co = 0; co < channels; ++co) {
    for (int t0 = first; t0 < last; t0 += N) {
      VecTile<KernelTag, 2, 4> t;
      OutputTileColumns(m + co * v_stride + t0 - first, f_stride, t);
      float* HWY_RESTRICT top = y + (co * out_h + 2 * (t0 / tiles_x)) * out_w;
#pragma GCC unroll 2
      for (int i = 0; i < 2; ++i) {  // (A^T M) A, row i
        V even = hn::Add(hn::Add(t.Get(i, 0), t.Get(i, 1)), t.Get(i, 2));
        V odd = hn::Sub(hn::Sub(t.Get(i, 1), t.Get(i, 2)), t.Get(i, 3));
        if (relu) {
          even = Relu(d, even);
          odd = Relu(d, odd);
        }
        HWY_ALIGN float row[2 * N];
        hn::StoreInterleaved2(even, odd, d, row);
#pragma GCC unroll 4
        for (int s = 0; s < K; ++s) {
          hn::StoreU(hn::Load(ds, row + s * kSegment), ds, top + (2 * s + i) * out_w);
        }
      }
    }
  }
}

#endif  // HWY_TARGET != HWY_SCALAR

// The outputs of tiles [first, last) of y[co] = A^T M A, M_f[co][t - first]
// read like V above; y is [channels][out_h][out_w], the tiles past it cropped.
// relu: y = max(0, A^T M A), a ReLU fused into the layer (its bits: no pass
// over y of its own).
HWY_NOINLINE inline void WinogradTransformOutputs(const float* HWY_RESTRICT m, int channels,
                                                  int v_stride, int f_stride, int tiles_x,
                                                  int first, int last, int out_h, int out_w,
                                                  bool relu, float* HWY_RESTRICT y) {
  const KernelTag d;
  using V = hn::Vec<KernelTag>;
  constexpr int N = static_cast<int>(hn::MaxLanes(d));
#if HWY_TARGET != HWY_SCALAR
  if (out_w == 2 * tiles_x && out_h % 2 == 0) {
    switch (WinogradRowsPerVector(tiles_x, first, last)) {
      case 2:
        TransformOutputRows<2>(m, channels, v_stride, f_stride, tiles_x, first, last, out_h,
                               out_w, relu, y);
        return;
      case 4:
        TransformOutputRows<4>(m, channels, v_stride, f_stride, tiles_x, first, last, out_h,
                               out_w, relu, y);
        return;
      default:
        break;
    }
  }
#endif
  for (int co = 0; co < channels; ++co) {
    for (int ty = first / tiles_x; ty * tiles_x < last; ++ty) {
      const float* HWY_RESTRICT from = m + co * v_stride + ty * tiles_x - first;
      const int oy = 2 * ty;
      float* HWY_RESTRICT top = y + (co * out_h + oy) * out_w;
      // Output columns of the block's tiles in this row end at `end`.
      const int end = std::min(out_w, 2 * std::min(tiles_x, last - ty * tiles_x));
      for (int j = std::max(0, first - ty * tiles_x); 2 * j < end; j += N) {
        VecTile<KernelTag, 2, 4> t;  // A^T M
        OutputTileColumns(from + j, f_stride, t);
        const int n = std::min(2 * N, end - 2 * j);
#pragma GCC unroll 2
        for (int i = 0; i < 2; ++i) {  // (A^T M) A, row i
          if (oy + i >= out_h) break;
          const V even = hn::Add(hn::Add(t.Get(i, 0), t.Get(i, 1)), t.Get(i, 2));
          const V odd = hn::Sub(hn::Sub(t.Get(i, 1), t.Get(i, 2)), t.Get(i, 3));
          if (relu) {
            WinogradStoreRow(Relu(d, even), Relu(d, odd), top + i * out_w + 2 * j, n);
          } else {
            WinogradStoreRow(even, odd, top + i * out_w + 2 * j, n);
          }
        }
      }
    }
  }
}

// The zero-padded input planes of one sample, xp [in.c][rows][cols].
template <Conv2dGeometry G>
HWY_INLINE void WinogradPadInput(const float* HWY_RESTRICT x, float* HWY_RESTRICT xp) {
  constexpr cd::WinogradPlan p = cd::winograd_plan(G);
  constexpr int kCin = G.in.c;
  PadPhases<PadSpec{kCin, G.in.h, G.in.w, 1, 1, G.y.pad, G.x.pad, p.rows, p.cols, 1, 1}>(x, xp);
}

// y = conv(x, w) + b for each of Batch samples (x and y: [Batch] of them, one
// after the other); G is 3x3, stride 1, undilated, one group
// (cd::winograd_pays). The weights are transformed once for the batch.
// kFlipTransposed: w is the kernel of the convolution whose dx this is,
// [G.in.c][G.out.c][3][3] (see WinogradTransformWeights). relu: y = max(0,
// conv(x, w) + b), the layer's ReLU fused into the output transform.
template <Conv2dGeometry G, bool kFlipTransposed, int Batch>
HWY_INLINE void WinogradConv3x3(const float* HWY_RESTRICT x, const float* HWY_RESTRICT w,
                                const float* HWY_RESTRICT b, float* HWY_RESTRICT y,
                                float* HWY_RESTRICT scratch, bool relu = false) {
  constexpr cd::WinogradPlan p = cd::winograd_plan(G, Batch);
  constexpr int MR = p.co.mr, kCin = G.in.c, kCout = G.out.c;
  float* HWY_RESTRICT xp = scratch + p.xp;
  float* HWY_RESTRICT u = scratch + p.u;
  float* HWY_RESTRICT v = scratch + p.v;
  float* HWY_RESTRICT m = scratch + p.m;
  WinogradTransformWeights<MR>(w, b, kCin, kCout, kFlipTransposed, p.co.tiles, p.panel_floats,
                               scratch + p.g, p.g_stride, u);
  static constexpr int kOneTap[1] = {0};
  for (int s0 = 0; s0 < Batch; s0 += p.samples) {
    const int samples = std::min(p.samples, Batch - s0);
    for (int s = 0; s < samples; ++s) {
      WinogradPadInput<G>(x + (s0 + s) * G.in.size(), xp + s * p.xp_sample);
    }
    for (int first = 0; first < p.tiles; first += p.block) {
      const int last = std::min(first + p.block, p.tiles);
      const int n = last - first;  // tiles of a sample; the block's are samples * n
      // In order: a sample's vectors that run past its tiles are overwritten
      // by the next sample's.
      for (int s = 0; s < samples; ++s) {
        WinogradTransformInputs(xp + s * p.xp_sample, kCin, p.rows, p.cols, p.tiles_x, first,
                                last, p.v_stride, p.v_f, v + s * n);
      }
      for (int f = 0; f < cd::kWinogradFrequencies; ++f) {
        for (int t = 0; t < p.co.tiles; ++t) {
          RowTileOverOutputs<MR, 1>(v + f * p.v_f, kCin, p.v_stride, kOneTap, 1,
                                    u + (f * p.co.tiles + t) * p.panel_floats, samples * n,
                                    m + f * p.m_f + t * MR * p.v_stride, p.v_stride,
                                    std::min(MR, kCout - t * MR));
        }
      }
      for (int s = 0; s < samples; ++s) {
        WinogradTransformOutputs(m + s * n, kCout, p.v_stride, p.m_f, p.tiles_x, first, last,
                                 G.out.h, G.out.w, relu, y + (s0 + s) * G.out.size());
      }
    }
  }
}

}  // namespace conv2d_impl
}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#endif  // STATICNN_KERNELS_CONV2D_WINOGRAD_INL_H_
