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
// The tiles go in the forward's blocks (WinogradPlan: samples of a small
// plane side by side). Per block the inputs and dy are transformed into V and
// DY, tiles consecutive; per frequency V_f is transposed into V^T [tile][ci]
// and DY_f of MR output channels into a row-tile panel [tile][MR], and the
// row tile (conv2d_row_tile-inl.h, one tap, the tiles as its channels) makes
// the block's MR x in.c products, added into M.
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
#include "staticnn/kernels/conv2d_copy-inl.h"
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

// DY_f[c][t - first] = (A dy A^T)[f] for the tiles t in [first, last), the
// 2x2 tiles of dy read from the zero-padded planes dyp [channels][plane_rows]
// [plane_cols]; laid out like WinogradTransformInputs' V (and, like it, a
// vector of tiles may end past a tile row or the block).
// A = [1 0; 1 1; 1 -1; 0 -1], so a row (e, o) of the tile becomes
// (e, e + o, e - o, -o), and so do the columns.
struct OutputGradTileTransform {
  static HWY_INLINE void Vector(const float* HWY_RESTRICT top, int plane_cols,
                                float* HWY_RESTRICT out, int f_stride) {
    const KernelTag d;
    using V = hn::Vec<KernelTag>;
    VecTile<KernelTag, 2, 4> s;  // dy A^T, row by row
#pragma GCC unroll 2
    for (int i = 0; i < 2; ++i) {
      V even, odd;
      hn::LoadInterleaved2(d, top + i * plane_cols, even, odd);
      s.Set(i, 0, even);
      s.Set(i, 1, hn::Add(even, odd));
      s.Set(i, 2, hn::Sub(even, odd));
      s.Set(i, 3, hn::Neg(odd));
    }
#pragma GCC unroll 4
    for (int k = 0; k < 4; ++k) {  // A (dy A^T), column k
      float* HWY_RESTRICT to = out + k * f_stride;
      hn::StoreU(s.Get(0, k), d, to);
      hn::StoreU(hn::Add(s.Get(0, k), s.Get(1, k)), d, to + 4 * f_stride);
      hn::StoreU(hn::Sub(s.Get(0, k), s.Get(1, k)), d, to + 8 * f_stride);
      hn::StoreU(hn::Neg(s.Get(1, k)), d, to + 12 * f_stride);
    }
  }
};

// DY of the block: every channel, every vector of tiles.
HWY_NOINLINE inline void WinogradTransformOutputGrads(const float* HWY_RESTRICT dyp,
                                                      int channels, int plane_rows,
                                                      int plane_cols, int tiles_x, int first,
                                                      int last, int v_stride,
                                                      float* HWY_RESTRICT v) {
  ForEachTileVector<OutputGradTileTransform>(dyp, channels, plane_rows, plane_cols, tiles_x,
                                             first, last, v_stride, v);
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
  constexpr cd::WinogradWeightGradPlan p = cd::winograd_weight_grad_plan(G, Batch);
  constexpr cd::WinogradPlan wp = p.w;
  constexpr int MR = wp.co.mr, kCin = G.in.c, kCout = G.out.c;
  constexpr PadSpec kDyPad{kCout, G.out.h, G.out.w, 1, 1, 0, 0, p.dy_rows, p.dy_cols, 1, 1};
  float* HWY_RESTRICT xp = scratch + p.xp;
  float* HWY_RESTRICT dyp = scratch + p.dyp;
  float* HWY_RESTRICT v = scratch + p.v;
  float* HWY_RESTRICT dyv = scratch + p.dyv;
  float* HWY_RESTRICT vt = scratch + p.vt;
  float* HWY_RESTRICT panel = scratch + p.panel;
  float* HWY_RESTRICT product = scratch + p.product;
  float* HWY_RESTRICT m = scratch + p.m;
  static constexpr int kOneTap[1] = {0};
  ZeroFloats(m, cd::kWinogradFrequencies * kCout * p.ci_stride);
  ZeroFloats(panel, MR);  // the row tile's initial values
  for (int s0 = 0; s0 < Batch; s0 += wp.samples) {
    const int samples = std::min(wp.samples, Batch - s0);
    for (int s = 0; s < samples; ++s) {
      WinogradPadInput<G>(x + (s0 + s) * G.in.size(), xp + s * wp.xp_sample);
      PadPhases<kDyPad>(dy + (s0 + s) * G.out.size(), dyp + s * p.dyp_sample);
    }
    for (int first = 0; first < wp.tiles; first += wp.block) {
      const int last = std::min(first + wp.block, wp.tiles);
      const int n = last - first;  // tiles of a sample; the block's are samples * n
      const int depth = samples * n;
      // In order: a sample's vectors that run past its tiles are overwritten
      // by the next sample's.
      for (int s = 0; s < samples; ++s) {
        WinogradTransformInputs(xp + s * wp.xp_sample, kCin, wp.rows, wp.cols, wp.tiles_x,
                                first, last, wp.v_stride, v + s * n);
        WinogradTransformOutputGrads(dyp + s * p.dyp_sample, kCout, p.dy_rows, p.dy_cols,
                                     wp.tiles_x, first, last, wp.v_stride, dyv + s * n);
      }
      for (int f = 0; f < cd::kWinogradFrequencies; ++f) {
        Transpose(v + f * kCin * wp.v_stride, wp.v_stride, kCin, depth, vt, p.ci_stride);
        for (int t = 0; t < wp.co.tiles; ++t) {
          const int rows = std::min(MR, kCout - t * MR);
          // Rows past out.c are computed from whatever the panel holds and
          // never stored.
          Transpose(dyv + (f * kCout + t * MR) * wp.v_stride, wp.v_stride, rows, depth,
                    panel + MR, MR);
          RowTileOverOutputs<MR, 1>(vt, depth, p.ci_stride, kOneTap, 1, panel, kCin, product,
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
