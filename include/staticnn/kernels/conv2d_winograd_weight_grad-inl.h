// Conv2d backward params by Winograd F(2x2, 3x3): the weight gradient of a
// 3x3, stride-1, undilated, ungrouped convolution with 16 multiplies per 2x2
// output tile and (output, input) channel pair instead of 36.
//
// The forward of one tile is y = A^T [(G g G^T) . (B^T d B)] A
// (conv2d_winograd-inl.h); it is linear in g, and its transpose with respect
// to g gives the gradient of one tile,
//   dg = G^T [ (A dy A^T) . (B^T d B) ] G,
// so over the batch, per frequency f of the 16,
//   M_f[co][ci] = sum over samples and tiles t of DY_f[co][t] * V_f[ci][t],
//   dW[co][ci] += G^T M[co][ci] G,
// with V = B^T d B the forward's input transform and DY = A dy A^T (sums and
// differences of the 2x2 tile of dy; the outputs the forward crops have no
// gradient: dy is zero-padded to whole tiles). The GEMMs are deep (the
// batch's tiles) and narrow (the channels), so M stays in scratch over the
// batch and the transform G^T M G runs once per call.
//
// x and dy are copied channels last (WinogradWeightGradPlan), so the
// transforms run over vectors of channels, one tile at a time, and write V_f
// [tile][ci] and DY_f [tile][co] in the layouts the row tile
// (conv2d_row_tile-inl.h, one tap, the block's tiles as its steps) reads: V
// as its inputs, DY in place as its weights; its MR x in.c products per tile
// of output channels are added into M. Before, the transforms ran over
// vectors of tiles and every block transposed V and DY per frequency.
//
// Error: see tests/conv2d_winograd_test.cc, which bounds it against direct
// convolution in double.

#if defined(STATICNN_KERNELS_CONV2D_WINOGRAD_WEIGHT_GRAD_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef STATICNN_KERNELS_CONV2D_WINOGRAD_WEIGHT_GRAD_INL_H_
#undef STATICNN_KERNELS_CONV2D_WINOGRAD_WEIGHT_GRAD_INL_H_
#else
#define STATICNN_KERNELS_CONV2D_WINOGRAD_WEIGHT_GRAD_INL_H_
#endif

#include <algorithm>

#include "hwy/highway.h"
#include "staticnn/geometry.hpp"
#include "staticnn/kernels/conv2d_row_tile-inl.h"
#include "staticnn/kernels/conv2d_scratch.hpp"
#include "staticnn/kernels/conv2d_winograd-inl.h"
#include "staticnn/kernels/memory-inl.h"
#include "staticnn/kernels/vectors-inl.h"

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;
namespace conv2d_impl {
namespace cd = ::staticnn::conv2d_detail;

// planes [channels][h][w] -> positions [h][w] of channel_stride floats, to[y
// * cols + x] (cols positions a row); the lanes past `channels` and the
// positions outside untouched. Four planes at a time, each read in order
// (row by row over all the planes, 32x32 planes 4 KiB apart, took 30% of
// the 32->32 weight gradient).
HWY_INLINE void CopyChannelsLast(const float* HWY_RESTRICT from, int channels, int h, int w,
                                 float* HWY_RESTRICT to, int cols, int channel_stride) {
  for (int c = 0; c < channels; c += 4) {
    const int rows = std::min(4, channels - c);
    for (int y = 0; y < h; ++y) {
      Transpose(from + c * h * w + y * w, h * w, rows, w, to + y * cols * channel_stride + c,
                channel_stride);
    }
  }
}

// The 4x4 input tile d of every channel, d[i][j] at top + i * row + j *
// channel_stride + c: V_f[c] = (B^T d B)[f] at out + f * f_stride + c, by
// the forward's arithmetic (InputTileRow, StoreInputTileTransform).
HWY_INLINE void InputTileTransformChannels(const float* HWY_RESTRICT top, int row,
                                           int channel_stride, int channels,
                                           float* HWY_RESTRICT out, int f_stride) {
  const KernelTag d;
  constexpr int N = static_cast<int>(hn::MaxLanes(d));
  for (int c = 0; c < channels; c += N) {
    VecTile<KernelTag, 4, 4> s;  // d B, row by row
#pragma GCC unroll 4
    for (int i = 0; i < 4; ++i) {
      const float* HWY_RESTRICT at = top + i * row + c;
      InputTileRow(hn::Load(d, at), hn::Load(d, at + channel_stride),
                   hn::Load(d, at + 2 * channel_stride), hn::Load(d, at + 3 * channel_stride),
                   i, s);
    }
    StoreInputTileTransform<true>(s, out + c, f_stride);
  }
}

// The 2x2 tile of dy of every channel, dy[i][j] at top + i * row + j *
// channel_stride + c: DY_f[c] = (A dy A^T)[f] at out + f * f_stride + c.
// A = [1 0; 1 1; 1 -1; 0 -1], so a row (e, o) of the tile becomes
// (e, e + o, e - o, -o), and so do the columns.
HWY_INLINE void OutputGradTileTransformChannels(const float* HWY_RESTRICT top, int row,
                                                int channel_stride, int channels,
                                                float* HWY_RESTRICT out, int f_stride) {
  const KernelTag d;
  constexpr int N = static_cast<int>(hn::MaxLanes(d));
  for (int c = 0; c < channels; c += N) {
    VecTile<KernelTag, 2, 4> s;  // dy A^T, row by row
#pragma GCC unroll 2
    for (int i = 0; i < 2; ++i) {
      const auto even = hn::Load(d, top + i * row + c);
      const auto odd = hn::Load(d, top + i * row + channel_stride + c);
      s.Set(i, 0, even);
      s.Set(i, 1, hn::Add(even, odd));
      s.Set(i, 2, hn::Sub(even, odd));
      s.Set(i, 3, hn::Neg(odd));
    }
#pragma GCC unroll 4
    for (int k = 0; k < 4; ++k) {  // A (dy A^T), column k
      float* HWY_RESTRICT to = out + k * f_stride + c;
      hn::Store(s.Get(0, k), d, to);
      hn::Store(hn::Add(s.Get(0, k), s.Get(1, k)), d, to + 4 * f_stride);
      hn::Store(hn::Sub(s.Get(0, k), s.Get(1, k)), d, to + 8 * f_stride);
      hn::Store(hn::Neg(s.Get(1, k)), d, to + 12 * f_stride);
    }
  }
}

// V of tiles [first, last) of one sample's xp and DY of its dyp, tile t at
// row t - first of v and dyv (frequency f + 1 p.v_f and p.dy_f floats further).
template <int kCin, int kCout>
HWY_NOINLINE void WinogradTransformBlock(const cd::WinogradWeightGradPlan& p,
                                         const float* HWY_RESTRICT xp,
                                         const float* HWY_RESTRICT dyp, int first, int last,
                                         float* HWY_RESTRICT v, float* HWY_RESTRICT dyv) {
  const int x_row = p.cols * p.ci_stride, dy_row = p.dy_cols * p.co_stride;
  for (int t = first; t < last; ++t) {
    const int ty = t / p.tiles_x, tx = t - ty * p.tiles_x;
    InputTileTransformChannels(xp + 2 * ty * x_row + 2 * tx * p.ci_stride, x_row,
                               p.ci_stride, kCin, v + (t - first) * p.ci_stride, p.v_f);
    OutputGradTileTransformChannels(dyp + 2 * ty * dy_row + 2 * tx * p.co_stride, dy_row,
                                    p.co_stride, kCout, dyv + (t - first) * p.co_stride, p.dy_f);
  }
}

// to[0, n) += from[0, n).
HWY_INLINE void AddFloats(const float* HWY_RESTRICT from, float* HWY_RESTRICT to, int n) {
  const KernelTag d;
  constexpr int N = static_cast<int>(hn::MaxLanes(d));
  int i = 0;
  for (; i + N <= n; i += N) {
    hn::StoreU(hn::Add(hn::LoadU(d, to + i), hn::LoadU(d, from + i)), d, to + i);
  }
  for (; i < n; ++i) to[i] += from[i];
}

// dw[co][ci] += G^T M[co][ci] G for every (co, ci); M_f[co] is m + (f *
// out_channels + co) * ci_stride, over vectors of consecutive ci.
// G^T = [1 1/2 1/2 0; 0 1/2 -1/2 0; 0 1/2 1/2 1] on both sides.
HWY_NOINLINE inline void WinogradWeightGradOutputs(const float* HWY_RESTRICT m,
                                                   int in_channels, int out_channels,
                                                   int ci_stride, float* HWY_RESTRICT dw) {
  const KernelTag d;
  using V = hn::Vec<KernelTag>;
  constexpr int N = static_cast<int>(hn::MaxLanes(d));
  const int f_stride = out_channels * ci_stride;
  const V half = hn::Set(d, 0.5f);
  HWY_ALIGN float taps[9][N];
  for (int co = 0; co < out_channels; ++co) {
    for (int c = 0; c < in_channels; c += N) {
      const float* HWY_RESTRICT from = m + co * ci_stride + c;
      VecTile<KernelTag, 3, 4> t;  // G^T M, column b
#pragma GCC unroll 4
      for (int b = 0; b < 4; ++b) {
        const V m0 = hn::Load(d, from + b * f_stride);
        const V m1 = hn::Load(d, from + (4 + b) * f_stride);
        const V m2 = hn::Load(d, from + (8 + b) * f_stride);
        const V m3 = hn::Load(d, from + (12 + b) * f_stride);
        const V inner = hn::Mul(half, hn::Add(m1, m2));
        t.Set(0, b, hn::Add(m0, inner));
        t.Set(1, b, hn::Mul(half, hn::Sub(m1, m2)));
        t.Set(2, b, hn::Add(inner, m3));
      }
#pragma GCC unroll 3
      for (int a = 0; a < 3; ++a) {  // (G^T M) G, row a
        const V inner = hn::Mul(half, hn::Add(t.Get(a, 1), t.Get(a, 2)));
        hn::Store(hn::Add(t.Get(a, 0), inner), d, taps[a * 3]);
        hn::Store(hn::Mul(half, hn::Sub(t.Get(a, 1), t.Get(a, 2))), d, taps[a * 3 + 1]);
        hn::Store(hn::Add(inner, t.Get(a, 3)), d, taps[a * 3 + 2]);
      }
      float* HWY_RESTRICT to = dw + (co * in_channels + c) * 9;
      const int n = std::min(N, in_channels - c);
      for (int i = 0; i < n; ++i) {
        for (int k = 0; k < 9; ++k) to[i * 9 + k] += taps[k][i];
      }
    }
  }
}

// dw += the weight gradient of Batch samples of x and dy (one after the
// other); G as for WinogradConv3x3 (cd::winograd_weight_grad_pays, or any
// 3x3 stride-1 undilated ungrouped geometry given scratch for its plan).
template <Conv2dGeometry G, int Batch>
HWY_INLINE void WinogradWeightGrad(const float* HWY_RESTRICT x, const float* HWY_RESTRICT dy,
                                   float* HWY_RESTRICT dw, float* HWY_RESTRICT scratch) {
  static constexpr cd::WinogradWeightGradPlan p = cd::winograd_weight_grad_plan(G, Batch);
  constexpr int MR = p.co.mr, kCin = G.in.c, kCout = G.out.c;
  float* HWY_RESTRICT xp = scratch + p.xp;
  float* HWY_RESTRICT dyp = scratch + p.dyp;
  float* HWY_RESTRICT v = scratch + p.v;
  float* HWY_RESTRICT dyv = scratch + p.dyv;
  float* HWY_RESTRICT product = scratch + p.product;
  float* HWY_RESTRICT m = scratch + p.m;
  static constexpr int kOneTap[1] = {0};
  // The padding and the lanes past the channels stay zero: the copies write
  // only the inside.
  ZeroFloats(xp, p.dyp - p.xp + p.samples * p.dyp_sample);
  ZeroFloats(m, cd::kWinogradFrequencies * kCout * p.ci_stride);
  for (int s0 = 0; s0 < Batch; s0 += p.samples) {
    const int samples = std::min(p.samples, Batch - s0);
    for (int s = 0; s < samples; ++s) {
      CopyChannelsLast(x + (s0 + s) * G.in.size(), kCin, G.in.h, G.in.w,
                       xp + s * p.xp_sample + (G.y.pad * p.cols + G.x.pad) * p.ci_stride,
                       p.cols, p.ci_stride);
      CopyChannelsLast(dy + (s0 + s) * G.out.size(), kCout, G.out.h, G.out.w,
                       dyp + s * p.dyp_sample, p.dy_cols, p.co_stride);
    }
    for (int first = 0; first < p.tiles; first += p.block) {
      const int last = std::min(first + p.block, p.tiles);
      const int n = last - first;  // tiles of a sample; the block's are samples * n
      for (int s = 0; s < samples; ++s) {
        WinogradTransformBlock<kCin, kCout>(p, xp + s * p.xp_sample, dyp + s * p.dyp_sample,
                                            first, last, v + s * n * p.ci_stride,
                                            dyv + s * n * p.co_stride);
      }
      for (int f = 0; f < cd::kWinogradFrequencies; ++f) {
        const float* HWY_RESTRICT v_f = v + f * p.v_f;
        const float* HWY_RESTRICT dy_f = dyv + f * p.dy_f;
        for (int t = 0; t < p.co.tiles; ++t) {
          const int rows = std::min(MR, kCout - t * MR);
          // Rows past out.c read the next channels' DY (or the slack past
          // DY) and are never stored.
          RowTileRows<MR, 1, 1, p.co_stride>(v_f, samples * n, p.ci_stride, kOneTap, 1,
                                             nullptr, dy_f + t * MR, kCin, product,
                                             p.ci_stride, rows);
          float* HWY_RESTRICT m_rows = m + (f * kCout + t * MR) * p.ci_stride;
          for (int r = 0; r < rows; ++r) {
            AddFloats(product + r * p.ci_stride, m_rows + r * p.ci_stride, kCin);
          }
        }
      }
    }
  }
  WinogradWeightGradOutputs(m, kCin, kCout, p.ci_stride, dw);
}

}  // namespace conv2d_impl
}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#endif  // STATICNN_KERNELS_CONV2D_WINOGRAD_WEIGHT_GRAD_INL_H_
