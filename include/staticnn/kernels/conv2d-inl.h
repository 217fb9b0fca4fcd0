// Conv2d forward and backward kernels (Highway, per target).
//
//   Conv2dForward<G, Batch>(x, w, b, y, scratch)   y  = conv(x, w) + b per sample
//   Conv2dForward<G, Batch, true>(...)   y = max(0, conv(x, w) + b): a ReLU fused
//                                into the tiles where they store their final
//                                sums (Winograd: its output transform), else
//                                (cropped row tiles, the depthwise of several
//                                input channels) a pass over y while it is
//                                in cache
//   Conv2dForwardPooled<G, P, Batch, kRelu>(x, w, b, y, pooled, scratch)
//                                Conv2dForward<G, Batch, kRelu>, then
//                                MaxPool2dForward<P> of each sample into
//                                pooled: the channel-vector tiles pool before
//                                their transpose, the unfolded stride-1 row
//                                tiles compute the four pool phases in
//                                registers (both leave y untouched); other
//                                paths run the two in turn through y
//   Conv2dBackwardInput<G, Batch>(dy, w, dx, scratch)  dx = conv^T(dy, w) per sample
//                                                      (overwritten)
//   Conv2dBackwardParams<G, Batch>(x, dy, dw, db, scratch)
//                                dw += ..., db += ... over Batch samples (accumulated)
//
// x/dx [in.c][in.h][in.w], y/dy [out.c][out.h][out.w] ([Batch] of them, one
// after the other; Batch is 1 unless given), w [out.c][in.c/groups][kh][kw],
// b/db [out.c] or nullptr when !G.bias. `scratch` is 64-byte aligned and holds at
// least conv2d_scratch_floats(G, Batch) floats (the forward pass alone:
// conv2d_forward_scratch_floats(G, Batch)); its contents are undefined on entry.
// Winograd's kernels transform the weights once for the batch (and are taken
// for smaller planes over a batch than for one sample: winograd_pays).
// No pointer needs any alignment; nothing is read or written outside the buffers.
//
// Each pass picks one algorithm from the geometry, at compile time; each lives
// in its own header, which says what it computes and why it is shaped so:
//   conv2d_copy-inl.h          the zero-padded, stride-phase-split copies every
//                              pass starts with, and the crop of its outputs
//   conv2d_row_tile-inl.h      the register tile (a GEMM whose B is never built)
//   conv2d_forward-inl.h       forward: the row tile over the input
//   conv2d_forward_channels-inl.h  forward of small unpadded planes whose output
//                              channels fill whole vectors: channels in the lanes
//   conv2d_backward_input-inl.h  backward input: the row tile over the padded dy,
//                              per stride phase of the input positions (1x1
//                              stride 2: over dy, spread into dx)
//   conv2d_valid_backward_input-inl.h  backward input of a valid convolution
//                              (stride 1, no padding): a GEMM, then shifted sums
//   conv2d_weight_grad_transposed-inl.h  backward params, >= 16 output channels
//                              per group: dW^T = x_shifted * dy^T, the batch
//                              folded into the GEMM (1x1 stride 2: dW = dy *
//                              xe^T, xe the even positions of x)
//   conv2d_weight_grad_dot-inl.h  backward params, fewer: dot products
//   conv2d_depthwise_flat-inl.h  depthwise forward of small planes at stride
//                              1, padded to their size: the plane in the lanes
//   conv2d_depthwise_lanes-inl.h  other depthwise forward: channels in the lanes
//   conv2d_pointwise-inl.h     1x1 stride-1 forward: a GEMM on x and w in place
//   conv2d_pointwise_channels-inl.h  1x1 stride-1 forward of small planes:
//                              output channels in the lanes
//   conv2d_pointwise_dot-inl.h  the same with many input channels: dot
//                              products along them, w read in place
//   conv2d_pool_phases-inl.h   forward with a 2x2 max pool fused, of layers
//                              that unfold their columns at stride 1: the
//                              four phases of each pool window in registers
//   conv2d_depthwise-inl.h     one output channel per group at stride 1
//                              (dx of a single input channel; forward of
//                              several input channels per output channel)
//   conv2d_winograd-inl.h      3x3 stride 1 with enough channels and plane
//                              (forward and backward input): Winograd
//                              F(2x2, 3x3), 4 multiplies instead of 9
//   conv2d_winograd_weight_grad-inl.h  backward params of those (over a
//                              batch): the transposed F(2x2, 3x3)
// conv2d_scratch.hpp lays out their scratch, at compile time.

#if defined(STATICNN_KERNELS_CONV2D_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef STATICNN_KERNELS_CONV2D_INL_H_
#undef STATICNN_KERNELS_CONV2D_INL_H_
#else
#define STATICNN_KERNELS_CONV2D_INL_H_
#endif

#include <cstddef>

#include "hwy/highway.h"
#include "staticnn/geometry.hpp"
#include "staticnn/kernels/activation-inl.h"
#include "staticnn/kernels/conv2d_backward_input-inl.h"
#include "staticnn/kernels/conv2d_copy-inl.h"
#include "staticnn/kernels/conv2d_depthwise-inl.h"
#include "staticnn/kernels/conv2d_depthwise_flat-inl.h"
#include "staticnn/kernels/conv2d_depthwise_lanes-inl.h"
#include "staticnn/kernels/conv2d_forward-inl.h"
#include "staticnn/kernels/conv2d_forward_channels-inl.h"
#include "staticnn/kernels/conv2d_pointwise-inl.h"
#include "staticnn/kernels/conv2d_pointwise_channels-inl.h"
#include "staticnn/kernels/conv2d_pointwise_dot-inl.h"
#include "staticnn/kernels/conv2d_pool_phases-inl.h"
#include "staticnn/kernels/conv2d_scratch.hpp"
#include "staticnn/kernels/conv2d_valid_backward_input-inl.h"
#include "staticnn/kernels/conv2d_weight_grad_dot-inl.h"
#include "staticnn/kernels/conv2d_weight_grad_transposed-inl.h"
#include "staticnn/kernels/conv2d_winograd-inl.h"
#include "staticnn/kernels/conv2d_winograd_weight_grad-inl.h"
#include "staticnn/kernels/memory-inl.h"
#include "staticnn/kernels/pool2d-inl.h"
#include "staticnn/kernels/vectors-inl.h"

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// The forward algorithm of a geometry, in the order of preference.
enum class ForwardPath {
  winograd, depthwise_flat, depthwise_lanes, pointwise_dot, pointwise_channels, pointwise,
  depthwise, channel_vectors, row_tiles
};
template <Conv2dGeometry G, int Batch>
constexpr ForwardPath ForwardPathOf() {
  if (conv2d_detail::winograd_pays(G, Batch)) return ForwardPath::winograd;
  if (conv2d_detail::depthwise_flat_plan(G).used) return ForwardPath::depthwise_flat;
  if (conv2d_detail::depthwise_planes_pay(G)) return ForwardPath::depthwise;
  if (conv2d_detail::depthwise_lanes_plan(G).used) return ForwardPath::depthwise_lanes;
  if (conv2d_impl::PointwiseDotPay(G)) return ForwardPath::pointwise_dot;
  if (conv2d_impl::PointwiseChannelsPay(G)) return ForwardPath::pointwise_channels;
  if (conv2d_impl::PointwiseFits(G)) return ForwardPath::pointwise;
  if (G.out_per_group() == 1 && conv2d_impl::PlaneTilesFit(G, G.out.h)) {
    return ForwardPath::depthwise;
  }
  if (conv2d_impl::ChannelVectors(G) > 0) return ForwardPath::channel_vectors;
  return ForwardPath::row_tiles;
}

template <Conv2dGeometry G, int Batch = 1, bool kRelu = false>
void Conv2dForward(const float* HWY_RESTRICT x, const float* HWY_RESTRICT w,
                   const float* HWY_RESTRICT b, float* HWY_RESTRICT y,
                   float* HWY_RESTRICT scratch) {
  constexpr ForwardPath kPath = ForwardPathOf<G, Batch>();
  // The paths whose tiles write their final sums apply a fused ReLU there.
  constexpr bool kFused =
      kRelu && (kPath == ForwardPath::winograd || kPath == ForwardPath::channel_vectors ||
                kPath == ForwardPath::depthwise_flat ||
                kPath == ForwardPath::depthwise_lanes || kPath == ForwardPath::depthwise ||
                kPath == ForwardPath::pointwise_dot || kPath == ForwardPath::pointwise_channels ||
                kPath == ForwardPath::pointwise ||
                (kPath == ForwardPath::row_tiles && conv2d_impl::RowTilesFuseRelu<G>()));
  if constexpr (kPath == ForwardPath::winograd) {
    conv2d_impl::WinogradConv3x3<G, false, Batch>(x, w, b, y, scratch, kFused);
  } else {
    for (int s = 0; s < Batch; ++s) {
      const float* HWY_RESTRICT xs = x + s * G.in.size();
      float* HWY_RESTRICT ys = y + s * G.out.size();
      if constexpr (kPath == ForwardPath::depthwise_flat) {
        conv2d_impl::DepthwiseFlatForward<G, kFused>(xs, w, b, ys, scratch);
      } else if constexpr (kPath == ForwardPath::depthwise_lanes) {
        conv2d_impl::DepthwiseLanesForward<G, kFused>(xs, w, b, ys, scratch);
      } else if constexpr (kPath == ForwardPath::pointwise_dot) {
        conv2d_impl::PointwiseDotForward<G, kFused>(xs, w, b, ys, scratch);
      } else if constexpr (kPath == ForwardPath::pointwise_channels) {
        conv2d_impl::PointwiseChannelsForward<G, kFused>(xs, w, b, ys, scratch);
      } else if constexpr (kPath == ForwardPath::pointwise) {
        conv2d_impl::PointwiseForward<G, kFused>(xs, w, b, ys);
      } else if constexpr (kPath == ForwardPath::depthwise) {
        conv2d_impl::DepthwiseForward<G, kFused>(xs, w, b, ys, scratch);
      } else if constexpr (kPath == ForwardPath::channel_vectors) {
        conv2d_impl::ForwardByChannelVectors<G, kFused>(xs, w, b, ys, scratch);
      } else {
        conv2d_impl::ForwardByRowTiles<G, kFused>(xs, w, b, ys, scratch);
      }
    }
  }
  if constexpr (kRelu && !kFused) ReluForward<std::size_t(Batch) * G.out.size()>(y, y);
}

// A max pool fused into the layer (chain.hpp: Conv2d, [ReLU,] MaxPool2d in
// inference). The channel-vector tiles' [position][channel] outputs pool in
// whole vectors before the transpose: LeNet-5's conv2 transposes 25 positions
// instead of 100 and the pool's pass over y is gone. `pooled` may hold x (the
// chain's ping-pong: conv2's input and pool2's output share a buffer): each
// sample's x is read before its pooled output is written, and a pooled sample
// is no larger than an input sample, so it ends before the next one starts.
template <Conv2dGeometry G, Pool2dGeometry P, int Batch = 1>
constexpr bool PoolFusesIntoTiles() {
  return ForwardPathOf<G, Batch>() == ForwardPath::channel_vectors && MaxPool2x2Path<P>() &&
         (Batch == 1 || P.out.size() <= G.in.size());
}

// A max pool fused into a row-tile convolution that unfolds its columns at
// stride 1 (LeNet-5's conv1, CIFAR's 128->128 at 8x8), computed per pool phase
// (conv2d_pool_phases-inl.h), when its copies fit forward's scratch; taken
// with 32 vector registers, where a tile holds 6 channels. With 16 a tile
// holds 2, and each pair of channels reads all of the copies again: taken
// only where they stay in L1 (kPoolPhaseL1Floats). LeNet-5's conv1 (10.5 KiB
// of copies) then saves the pass over its 6x28x28 output, LeNet-5 inference
// 4-5% faster on a Zen 3; CIFAR's 128->128 (80 KiB) made CIFAR-style inference
// 4% slower.
template <Conv2dGeometry G, Pool2dGeometry P, int Batch = 1>
constexpr bool PoolPhasesFit() {
#if HWY_TARGET != HWY_SCALAR
  constexpr Conv2dGeometry kCopies = conv2d_impl::PoolPhaseCopies<G, P>();
  return ForwardPathOf<G, Batch>() == ForwardPath::row_tiles && MaxPool2x2Path<P>() &&
         G.groups == 1 && G.y.stride == 1 && G.x.stride == 1 &&
         conv2d_detail::unfold_columns_pays(G) &&  // undilated, too
         P.out.h * P.out.w >= static_cast<int>(hn::MaxLanes(KernelTag())) &&
         std::size_t(conv2d_detail::unfolded_floats(kCopies) + conv2d_detail::kMaxTileCols) <=
             conv2d_forward_scratch_floats(G, Batch) &&
         (Batch == 1 || P.out.size() <= G.in.size());
#else
  return false;
#endif
}
inline constexpr int kPoolPhaseL1Floats = 4096;  // 16 KiB: half of a 32 KiB L1
template <Conv2dGeometry G, Pool2dGeometry P, int Batch = 1>
constexpr bool PoolPhasesPay() {
#if HWY_TARGET != HWY_SCALAR
  return PoolPhasesFit<G, P, Batch>() &&
         (kVectorRegisters == 32 ||
          conv2d_detail::unfolded_floats(conv2d_impl::PoolPhaseCopies<G, P>()) <=
              kPoolPhaseL1Floats);
#else
  return false;
#endif
}

template <Conv2dGeometry G, Pool2dGeometry P, int Batch = 1, bool kRelu = false>
void Conv2dForwardPooled(const float* x, const float* HWY_RESTRICT w,
                         const float* HWY_RESTRICT b, float* HWY_RESTRICT y, float* pooled,
                         float* HWY_RESTRICT scratch) {
  static_assert(P.in == G.out, "the pool's input is the convolution's output");
  if constexpr (PoolFusesIntoTiles<G, P, Batch>()) {
    for (int s = 0; s < Batch; ++s) {
      conv2d_impl::ForwardByChannelVectors<G, kRelu, P>(x + s * G.in.size(), w, b,
                                                       pooled + s * P.out.size(), scratch);
    }
#if HWY_TARGET != HWY_SCALAR
  } else if constexpr (PoolPhasesPay<G, P, Batch>()) {
    for (int s = 0; s < Batch; ++s) {
      conv2d_impl::ForwardPooledByPhases<G, P, kRelu>(x + s * G.in.size(), w, b,
                                                      pooled + s * P.out.size(), scratch);
    }
#endif
  } else {
    Conv2dForward<G, Batch, kRelu>(x, w, b, y, scratch);
    for (int s = 0; s < Batch; ++s) {
      MaxPool2dForward<P>(y + s * G.out.size(), pooled + s * P.out.size());
    }
  }
}

template <Conv2dGeometry G, int Batch = 1>
void Conv2dBackwardInput(const float* HWY_RESTRICT dy, const float* HWY_RESTRICT w,
                         float* HWY_RESTRICT dx, float* HWY_RESTRICT scratch) {
  constexpr int kCin = G.in_per_group(), kCout = G.out_per_group();
  constexpr int kInSample = G.in.size(), kOutSample = G.out.size();
  if constexpr (conv2d_detail::winograd_input_pays(G, Batch)) {
    conv2d_impl::WinogradConv3x3<conv2d_detail::winograd_transposed(G), true, Batch>(
        dy, w, nullptr, dx, scratch);
  } else if constexpr (conv2d_impl::PointwiseInputFits(G)) {
    conv2d_impl::PointwiseBackwardInput<G, Batch>(dy, w, dx, scratch);
  } else if constexpr (conv2d_detail::valid_input_plan(G).used && kCin > 1) {
    constexpr int kTaps = G.y.kernel * G.x.kernel;
    for (int g = 0; g < G.groups; ++g) {
      const float* HWY_RESTRICT w_group = w + g * kCout * kCin * kTaps;
      for (int b = 0; b < Batch; ++b) {
        conv2d_impl::ValidBackwardInput<G>(dy + b * kOutSample + g * kCout * G.out.h * G.out.w,
                                           w_group,
                                           dx + b * kInSample + g * kCin * G.in.h * G.in.w,
                                           scratch);
      }
    }
  } else {
    for (int b = 0; b < Batch; ++b) {
      if constexpr (conv2d_impl::PointwiseStride2Input(G)) {
        conv2d_impl::BackwardInputPointwiseStride2<G>(dy + b * kOutSample, w, dx + b * kInSample,
                                                      scratch);
      } else if constexpr (kCin == 1 && conv2d_impl::PlaneTilesFit(G, G.in.h)) {
        conv2d_impl::DepthwiseBackwardInput<G>(dy + b * kOutSample, w, dx + b * kInSample,
                                               scratch);
      } else {
        conv2d_impl::BackwardInputByPhases<G>(dy + b * kOutSample, w, dx + b * kInSample,
                                              scratch);
      }
    }
  }
}

template <Conv2dGeometry G, int Batch = 1>
void Conv2dBackwardParams(const float* HWY_RESTRICT x, const float* HWY_RESTRICT dy,
                          float* HWY_RESTRICT dw, float* HWY_RESTRICT db,
                          float* HWY_RESTRICT scratch) {
  namespace cd = ::staticnn::conv2d_detail;
  using Tables = cd::ForwardTables<G>;
  constexpr cd::ForwardPlan p = Tables::plan;
  constexpr cd::BackwardParamsPlan bp = cd::backward_params_plan(G);
  constexpr int kCin = G.in_per_group(), kCout = G.out_per_group();
  constexpr int kInSample = G.in.size(), kOutSample = G.out.size();
  constexpr int kOutPlane = G.out.h * G.out.w;
  constexpr int kLanes = static_cast<int>(hn::MaxLanes(KernelTag()));
  constexpr conv2d_impl::PadSpec pad{kCin,     G.in.h,   G.in.w, G.y.stride, G.x.stride,
                                     G.y.pad, G.x.pad, p.rows, p.cols,
                                     conv2d_impl::PhasesRead(G.y), conv2d_impl::PhasesRead(G.x)};
  constexpr int kVectors = bp.cout_padded / kLanes;
  constexpr conv2d_impl::SlidingShape kSlide =
      bp.x_in_place ? conv2d_impl::SlidingShape{} : conv2d_impl::SlidingTileShape<G>(kVectors);
  // Of up to 16 input channels the sliding tile beats Winograd (ResNet-8's
  // 16 -> 16 at 32x32, AVX-512: 47.4 -> 35.5 us, batch 16 720 -> 572); of 32
  // it lost 2-23% (32 -> 32 at 32x32, 32 -> 64 at 16x16), and without it
  // (AVX2) the transposed tile lost 2-9% on 16 -> 16. Scratch holds either.
  constexpr bool kSlides = bp.transposed && kSlide.rows > 0;
  constexpr bool kWinograd = cd::winograd_weight_grad_pays(G, Batch) && !(kCin <= 16 && kSlides);
  constexpr bool kDepthwise = kCin == 1 && kCout == 1 &&
                              conv2d_impl::PlaneTilesFit(G, G.out.h) && G.out.w >= kLanes;
  constexpr bool kStride2 = cd::pointwise_stride2_grad_plan(G).used;
  // The transposed and depthwise paths sum db from dy^T or dy's rows, while in L1.
  constexpr bool kTransposed = !kWinograd && !kDepthwise && !kStride2 && bp.transposed;
  float* HWY_RESTRICT xs = scratch + bp.xs;
  if constexpr (kDepthwise) {
    // Sample by sample, each channel's planes right after the previous
    // channel's: memory order. Channel by channel over the batch, each plane
    // was a jump of a whole sample, which the prefetchers do not follow
    // (64x56x56 over 16 samples, AVX-512: 1.36-1.50 -> 0.95-0.98 ms).
    for (int b = 0; b < Batch; ++b) {
      for (int g = 0; g < G.groups; ++g) {
        conv2d_impl::PadPhases<pad>(x + b * kInSample + g * G.in.h * G.in.w, xs);
        conv2d_impl::DepthwiseWeightGrad<G.y.kernel, G.x.kernel>(
            xs, p.cols, dy + b * kOutSample + g * kOutPlane, G.out.h, G.out.w, dw + g * p.k,
            G.bias ? db + g : nullptr);
      }
    }
  } else {
    for (int g = 0; g < G.groups; ++g) {
      const float* HWY_RESTRICT x_group = x + g * kCin * G.in.h * G.in.w;
      const float* HWY_RESTRICT dy_group = dy + g * kCout * kOutPlane;
      float* HWY_RESTRICT dw_group = dw + g * kCout * p.k;
      if constexpr (kWinograd) {  // one group
        conv2d_impl::WinogradWeightGrad<G, Batch>(x, dy, dw, scratch);
      } else if constexpr (kStride2) {
        conv2d_impl::WeightGradPointwiseStride2<G, Batch>(x_group, dy_group, dw_group, scratch);
      } else if constexpr (kTransposed) {
        constexpr int NV = kSlide.rows > 0 ? kSlide.vectors
                                           : conv2d_impl::TransposedTileVectors(kVectors);
        static_assert(kSlide.rows == 0 || (Tables::tap_offset[1] == Tables::tap_offset[0] + 1 &&
                                           G.out.w <= cd::kDwChunk));
        // Positions a tile's loop unrolls: a sliding piece, or a whole short row.
        constexpr int kUnrolled = kSlide.rows > 0 ? G.out.w / kSlide.pieces
                                  : G.out.w <= conv2d_impl::kMaxUnrolledPositions ? G.out.w
                                                                                   : 0;
        conv2d_impl::WeightGradTransposed<NV, kVectors % NV, kSlide.rows,
                                          (kSlide.rows > 0 ? G.x.kernel : 0), kUnrolled,
                                          kSlide.pieces>(
            x_group, &conv2d_impl::PadPhases<pad>, xs, Tables::tap_offset.data(), dy_group,
            {kCout, p.taps, p.k, p.plane, p.cols, G.out.h, G.out.w, bp.cout_padded, Batch,
             kInSample, kOutSample, bp.x_in_place},
            scratch + bp.dyt, scratch + bp.dwt, scratch + bp.dw_add, dw_group,
            G.bias ? db + g * kCout : nullptr);
      } else {
        using DotTables = cd::ForwardTables<G, bp.unfolded>;
        constexpr cd::ForwardPlan dp = DotTables::plan;
        const auto copy_input = [&](const float* HWY_RESTRICT from, float* HWY_RESTRICT to) {
          if constexpr (dp.unfolded) {
            conv2d_impl::UnfoldColumns<G>(from, to);
          } else {
            conv2d_impl::PadPhases<pad>(from, to);
          }
        };
        conv2d_impl::WeightGradDot<dp.co.mr, dp.k>(
            copy_input, x_group, xs, DotTables::tap_offset.data(), dy_group,
            {kCout, dp.taps, dp.plane, dp.cols, dp.qeff, G.out.h, G.out.w, bp.dy_row,
             Batch, kInSample, kOutSample},
            scratch + bp.dyflat, dw_group);
      }
    }
  }
  if constexpr (G.bias && !kTransposed && !kDepthwise) {
    for (int b = 0; b < Batch; ++b) {
      for (int c = 0; c < G.out.c; ++c) {
        db[c] += SumFloats(dy + b * kOutSample + c * kOutPlane, kOutPlane);
      }
    }
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#endif  // STATICNN_KERNELS_CONV2D_INL_H_
