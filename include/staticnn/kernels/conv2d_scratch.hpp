// Scratch memory of the Conv2d kernels, and the compile-time plan that lays it out.
//
// The size and the layout must agree, so both live here; nothing in this header
// depends on the Highway target (a tile of columns is at most 64 floats wide: four
// vectors of 16 floats, the widest any target computes at once; SVE of unknown
// length computes on 128 bits, see KernelTag in vectors-inl.h, which is what
// keeps its MaxLanes of 64 floats out of these sizes).
//
// How the kernels use scratch (see conv2d-inl.h for the why):
//   forward          [xs: zero-padded, stride-phase-split input of a group][ybuf]
//     (depthwise)    [xt: a block of channels, transposed and zero-padded][yt]
//     (pointwise, small planes) [weights of a block of channels, transposed][outputs]
//   backward input   [dys: zero-padded (or unfolded) dy of a group][panel][ybuf]
//     (strided)      [dys][panels of every phase][ybuf][wt: a transposed block]
//     (valid conv.)  [dyw: dy, rows padded to vectors][panels][t: taps x positions]
//   backward params  [xs][dyT][dwT]               (out_per_group >= 16)
//                    [xs][dy on the padded width] (fewer output channels per group)
//   Winograd         [xp: zero-padded inputs of a block's samples][g: kernels]
//                    [U: transformed weights, kept over the batch][V][M]
//     (forward and backward input of 3x3 stride-1 convolutions, winograd_pays)
// Each plan hands out the offsets of its regions (in floats from the start of
// scratch, each 64-byte aligned) and `floats`, where the last one ends; the
// kernels take `scratch + plan.region` and compute no size of their own.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <numeric>

#include "staticnn/geometry.hpp"

namespace staticnn {
namespace conv2d_detail {

inline constexpr int kAlignFloats = 16;   // 64 bytes
inline constexpr int kMaxTileCols = 64;   // widest tile of columns of any target
inline constexpr int kMaxLanes = 16;      // floats of the widest vector of any target
inline constexpr int kMaxTileRows = 8;    // register tile rows (output channels)
inline constexpr int kMinTransposedCout = 16;  // dW via dy^T needs a full vector of channels
inline constexpr int kDwChunk = 64;       // spatial positions per dy^T chunk
inline constexpr int kDwAddRows = 16;     // rows of dW^T per transpose into dW

constexpr int ceil_div(int a, int b) { return (a + b - 1) / b; }  // a >= 0, b > 0
constexpr int round_up(int a, int b) { return ceil_div(a, b) * b; }
constexpr int floor_div(int a, int b) {  // b > 0, any a
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}
constexpr int max_of(int a, int b) { return a > b ? a : b; }
constexpr int aligned(int floats) { return round_up(floats, kAlignFloats); }

// Regions of scratch one after the other, each 64-byte aligned:
// `at(floats)` returns where the next one starts and reserves it.
struct Regions {
  int end = 0;
  constexpr int at(int floats) {
    const int start = end;
    end += aligned(floats);
    return start;
  }
};

// Rows (channels) split into the fewest tiles of at most kMaxTileRows, balanced:
// 10 channels become 2 tiles of 5 rather than 8 + 2.
struct RowTiles {
  int tiles = 0, mr = 0;
};
constexpr RowTiles row_tiles(int rows) {
  const int tiles = ceil_div(rows, kMaxTileRows);
  return {tiles, ceil_div(rows, tiles)};
}

// Forward (and the input side of backward params). The input is copied into
// sy*sx "phase planes": phase (py, px) holds padded-input rows py, py+sy, ... and
// columns px, px+sx, ... . Then tap (kh, kw) of output (oh, ox) reads phase plane
// ((kh*dy) % sy, (kw*dx) % sx) at row oh + kh*dy/sy, column ox + kw*dx/sx: for a
// fixed tap, consecutive outputs read consecutive floats, whatever the stride.
// Outputs are computed on a flattened index q = oh*cols + ox over the plane width
// (cols >= out.w), the columns ox >= out.w are discarded.
//
// Unfolded (forward only, see unfold_columns_pays): one copy of the input per
// kernel column kw (and row phase py, under a row stride), its columns those
// that column kw of the windows reads and on the output's width, so that no
// column is discarded: copy (py, kw) holds padded-input rows py, py+sy, ... and
// columns kw, kw+sx, ...; tap (kh, kw) of output q = oh*out.w + ox reads copy
// (kh % sy, kw) at q + (kh / sy)*out.w. The copies play the part of the phase
// planes.
struct ForwardPlan {
  bool unfolded = false;
  int rows = 0, cols = 0;  // of one phase plane
  int plane = 0;           // rows * cols
  int phase_stride = 0;    // in_per_group * plane (xs holds one group at a time)
  int qeff = 0;            // flattened outputs that matter: (out.h-1)*cols + out.w
  int taps = 0;            // kernel.h * kernel.w
  int k = 0;               // reduction length: in_per_group * taps
  RowTiles co;             // output channels of a group
  int xs_floats = 0;       // of the phase planes (backward params copies x there too)
  int xs = 0, ybuf = 0, floats = 0;  // regions of scratch
};

constexpr int padded_cols(const Conv2dGeometry& g) {
  return g.out.w + (g.x.kernel - 1) * g.x.dilation / g.x.stride;
}

// Row phases of the unfolded copies: those that some kernel row reads.
constexpr int unfolded_row_phases(const Conv2dGeometry& g) {
  return g.y.stride < g.y.kernel ? g.y.stride : g.y.kernel;
}

// Floats of the unfolded copies, and the most forward unfolds (128 KiB: they
// stay in L2 next to the rest; ResNet-8's 3x3 64->64 at 8x8 takes 60 KiB,
// CIFAR's 128->128 120 KiB, which unfolded runs at ~95% of the FMA peak on
// AVX-512 rather than 72% on the padded width, 10 columns for 8).
constexpr int unfolded_floats(const Conv2dGeometry& g) {
  return unfolded_row_phases(g) * g.x.kernel * g.in_per_group() *
         (g.out.h + (g.y.kernel - 1) / g.y.stride) * g.out.w;
}
inline constexpr int kMaxUnfoldedFloats = 32768;

constexpr ForwardPlan forward_plan(const Conv2dGeometry& g, bool unfolded = false) {
  ForwardPlan p;
  p.unfolded = unfolded;
  p.rows = g.out.h + (g.y.kernel - 1) * g.y.dilation / g.y.stride;
  p.cols = unfolded ? g.out.w : padded_cols(g);
  p.plane = p.rows * p.cols;
  p.phase_stride = g.in_per_group() * p.plane;
  p.qeff = (g.out.h - 1) * p.cols + g.out.w;
  p.taps = g.y.kernel * g.x.kernel;
  p.k = g.in_per_group() * p.taps;
  p.co = row_tiles(g.out_per_group());
  // Tiles of columns read up to kMaxTileCols past the last useful output.
  const int copies = unfolded ? unfolded_row_phases(g) * g.x.kernel : g.y.stride * g.x.stride;
  p.xs_floats = copies * p.phase_stride + kMaxTileCols;
  Regions r;
  p.xs = r.at(p.xs_floats);
  p.ybuf = r.at(p.cols == g.out.w ? 0 : p.co.mr * p.qeff);  // crop buffer, if any
  p.floats = r.end;
  return p;
}

// Forward unfolds the columns of an undilated convolution at stride 1 when at
// least 1/10 of the padded width would be discarded (LeNet-5's conv1 28 of 32,
// conv2 10 of 14, 5x5 on 32x32 32 of 36): kernel.w copies of the input cost
// less than those FMAs and the crop (3x32x32 -> 10 5x5 on AVX-512, 1/9
// discarded: forward 8.4 -> 7.5 us, its weight gradient's dot form, which
// reads the same copies, 10.0 -> 8.5 us).
// With a stride, whenever a column would be discarded: the phase split is a
// copy anyway, and the unfolded one (kernel.w / stride.x times its size) needs
// no crop. ResNet-8's 3x3 stride-2 layers on AVX-512 spent a quarter (16->32 at
// 32x32) and a sixth (32->64 at 16x16) of their time splitting the phases
// (PadPhases, 17-column planes, a call per row) and computed 272 and 80
// outputs on the padded width for 256 and 64.
// Copies past kMaxUnfoldedFloats unfold too where they take no more scratch
// than the phase planes and the crop buffer would: MobileNetV1's first layer
// (3x96x96 -> 8x48x48, 3x3 stride 2: 165 KiB against 186 KiB) ran 18.7 us on
// the phase planes and 14.4 us unfolded (AVX2).
constexpr bool unfold_columns_pays(const Conv2dGeometry& g) {
  const bool strided = g.y.stride > 1 || g.x.stride > 1;
  const int discarded = padded_cols(g) - g.out.w;
  return g.y.dilation == 1 && g.x.dilation == 1 && g.x.kernel > 1 &&
         (strided ? discarded > 0 : discarded * 10 >= padded_cols(g)) &&
         (unfolded_floats(g) <= kMaxUnfoldedFloats ||
          forward_plan(g, true).floats <= forward_plan(g).floats);
}

// Forward with vectors along the output channels (conv2d_forward_channels-inl.h):
// for small unpadded planes whose output channels fill whole vectors (LeNet-5's
// conv2: 16 channels, 10x10 outputs), where the row tile would waste a part of
// its last vector of outputs and need the unfolded copies; and for a single
// input plane with padding or stride (DS-CNN's first layer: 1x49x10 -> 64x25x5,
// 10x4 stride 2, padding 5x1, where the row tile computed 149 outputs on the
// stride phases for 125 and cropped them), read from a zero-padded copy of the
// plane. Target-independent part of the test (the kernel adds: out.c a
// multiple of the vector); scratch [weights: k x out.c][outputs: positions x
// out.c][padded plane, if padded: rows x cols, then kMaxTileCols zeros].
inline constexpr int kMaxChannelVectorPositions = 256;
constexpr bool channel_vectors_padded(const Conv2dGeometry& g) {
  return g.in.c == 1 &&
         (g.y.pad > 0 || g.x.pad > 0 || g.y.stride > 1 || g.x.stride > 1);
}
constexpr bool channel_vectors_may_pay(const Conv2dGeometry& g) {
  return g.groups == 1 && g.out.c % 4 == 0 &&
         g.out.h * g.out.w <= kMaxChannelVectorPositions &&
         ((g.y.stride == 1 && g.x.stride == 1 && g.y.pad == 0 && g.x.pad == 0 &&
           unfold_columns_pays(g)) ||
          channel_vectors_padded(g));
}
struct ChannelVectorPlan {
  int rows = 0, cols = 0;                      // of the padded plane (0 if unpadded)
  int weights = 0, outputs = 0, padded = 0, floats = 0;  // regions of scratch
};
constexpr ChannelVectorPlan channel_vector_plan(const Conv2dGeometry& g) {
  ChannelVectorPlan p;
  if (!channel_vectors_may_pay(g)) return p;
  if (channel_vectors_padded(g)) {
    p.rows = (g.out.h - 1) * g.y.stride + g.y.extent();  // the rows that taps read
    p.cols = (g.out.w - 1) * g.x.stride + g.x.extent();
  }
  Regions r;
  p.weights = r.at(g.in.c * g.y.kernel * g.x.kernel * g.out.c);
  p.outputs = r.at(g.out.h * g.out.w * g.out.c);
  p.padded = r.at(p.rows > 0 ? p.rows * p.cols + kMaxTileCols : 0);
  p.floats = r.end;
  return p;
}

// Pointwise forward with the output channels in the lanes
// (conv2d_pointwise_channels-inl.h): 1x1 stride-1 layers on small planes
// (MobileNetV1's 6x6 and 3x3), where positions fill the vectors badly. Per
// block of at most kMaxPointwiseChannelBlock output channels: the block's
// weights packed [chunk of input channels][block] (16 KB: all 256 input
// channels of MobileNet's 3x3 layer overflowed L1, +30% time), its outputs
// [positions][block]. Target-independent part of the test (the kernel adds:
// out.c a multiple of its block, positions filling less than 80% of their
// vectors).
inline constexpr int kMaxPointwiseChannelPositions = 64;
inline constexpr int kMaxPointwiseChannelBlock = 2 * kMaxLanes;
inline constexpr int kPointwiseChannelChunk = 128;
struct PointwiseChannelsPlan {
  bool used = false;
  int chunk = 0;  // input channels packed at a time
  int weights = 0, outputs = 0, floats = 0;  // regions of scratch (all 0 if unused)
};
constexpr PointwiseChannelsPlan pointwise_channels_plan(const Conv2dGeometry& g) {
  PointwiseChannelsPlan p;
  p.used = g.groups == 1 && g.y.kernel == 1 && g.x.kernel == 1 && g.y.stride == 1 &&
           g.x.stride == 1 && g.y.pad == 0 && g.x.pad == 0 && g.out.c % 4 == 0 &&
           g.out.h * g.out.w <= kMaxPointwiseChannelPositions;
  if (!p.used) return p;
  p.chunk = ceil_div(g.in.c, ceil_div(g.in.c, kPointwiseChannelChunk));  // balanced
  Regions r;
  p.weights = r.at(p.chunk * kMaxPointwiseChannelBlock);
  p.outputs = r.at(g.out.h * g.out.w * kMaxPointwiseChannelBlock);
  p.floats = r.end;
  return p;
}

// Pointwise forward as dot products along the input channels
// (conv2d_pointwise_dot-inl.h): 1x1 stride-1 layers on small planes with many
// input channels (MobileNetV1's 256 -> 256 on 3x3), whose weight transpose
// on the channels-in-lanes path costs as much as their multiply-adds. Scratch:
// x transposed [positions][in.c], and the partial dot products of a block of
// output channels [channels x positions][lanes]. The path pays where in.c is
// large against the positions: the weight transpose it saves costs about
// lanes / positions of the multiply-adds, its sums about lanes / in.c. Measured
// (MobileNetV1's layers, AVX-512 and AVX2 code): 256 -> 256 and 128 -> 256 on
// 3x3 gain 12-25%, 128 -> 128 on 6x6 loses 25% with 16 lanes and breaks even
// with 8. So: in.c at least kPointwiseDotChannelsPerPosition per position, and
// at least kPointwiseDotMinSteps vectors of the target (the kernel adds that a
// block of channels fits out.c).
inline constexpr int kPointwiseDotMinSteps = 8;
inline constexpr int kPointwiseDotChannelsPerPosition = 8;

// Output channels per block of sums on a target of `lanes` lanes whose tiles
// have `channels` output channels: the fewest whole tiles whose outputs
// (channels x positions) are whole vectors.
constexpr int pointwise_dot_block(int positions, int lanes, int channels) {
  return std::lcm(lanes / std::gcd(positions, lanes), channels);
}
constexpr bool pointwise_dot_pays(const Conv2dGeometry& g, int lanes) {
  return g.in.c % lanes == 0 && g.in.c >= kPointwiseDotMinSteps * lanes &&
         g.in.c >= kPointwiseDotChannelsPerPosition * g.out.h * g.out.w;
}

struct PointwiseDotPlan {
  bool used = false;
  int xt = 0, partial = 0, floats = 0;  // regions of scratch (all 0 if unused)
};
constexpr PointwiseDotPlan pointwise_dot_plan(const Conv2dGeometry& g) {
  PointwiseDotPlan p;
  p.used = pointwise_channels_plan(g).used;
  if (!p.used) return p;
  // The partial sums of the largest block of any target that takes the path:
  // 4 or 8 lanes with tiles of 2 or 3 output channels (32 or 16 registers),
  // 16 lanes with tiles of 2 (AVX-512's 32 registers).
  const int positions = g.out.h * g.out.w;
  int partial = 0;
  for (int lanes = 4; lanes <= kMaxLanes; lanes *= 2) {
    const int most_channels = lanes < 16 ? 3 : 2;
    for (int channels = 2; channels <= most_channels && pointwise_dot_pays(g, lanes);
         ++channels) {
      partial = max_of(partial,
                       pointwise_dot_block(positions, lanes, channels) * positions * lanes);
    }
  }
  p.used = partial > 0;
  if (!p.used) return p;
  Regions r;
  p.xt = r.at(positions * g.in.c);
  p.partial = r.at(partial);
  p.floats = r.end;
  return p;
}

// Offset, in xs, of tap (kh, kw) relative to output q of input channel 0.
constexpr int forward_tap_offset(const Conv2dGeometry& g, const ForwardPlan& p, int kh,
                                 int kw) {
  if (p.unfolded) {
    return ((kh % g.y.stride) * g.x.kernel + kw) * p.phase_stride + kh / g.y.stride * p.cols;
  }
  const int ry = kh * g.y.dilation, rx = kw * g.x.dilation;
  const int phase = (ry % g.y.stride) * g.x.stride + rx % g.x.stride;
  return phase * p.phase_stride + ry / g.y.stride * p.cols + rx / g.x.stride;
}

// kUnfolded: forward's own layout when it pays; backward params copies x
// into the phase planes.
template <Conv2dGeometry G, bool kUnfolded = false>
struct ForwardTables {
  static constexpr ForwardPlan plan = forward_plan(G, kUnfolded);
  static constexpr std::array<int, G.y.kernel * G.x.kernel> tap_offset = [] {
    std::array<int, G.y.kernel * G.x.kernel> t{};
    for (int kh = 0; kh < G.y.kernel; ++kh)
      for (int kw = 0; kw < G.x.kernel; ++kw)
        t[kh * G.x.kernel + kw] = forward_tap_offset(G, plan, kh, kw);
    return t;
  }();
};

// Depthwise forward with the channels in the lanes (conv2d_depthwise_lanes-inl.h):
// one block of at most lanes_for(channels) channels and one band of output
// rows at a time, the band's input transposed into xt[rows][cols][lanes]
// (zero-padded to the extent the windows read), its outputs into
// yt[band * out.w][lanes_for(channels)]; the weights of all channels are
// transposed first, into wt[tap][channels rounded up to the lanes].

// Lanes of the vectors that run over n floats (channels, positions): a power
// of two, at most 16 (the widest target) and at most n (MobileNet's 8 channels).
constexpr int lanes_for(int n) {
  int lanes = 1;
  while (lanes * 2 <= n && lanes < 16) lanes *= 2;
  return lanes;
}

// One input and one output channel per group, undilated.
constexpr bool depthwise_proper(const Conv2dGeometry& g) {
  return g.in_per_group() == 1 && g.out_per_group() == 1 && g.y.dilation == 1 &&
         g.x.dilation == 1;
}

// The plane tiles (conv2d_depthwise-inl.h): stride 1, undilated, kernels up
// to kPlaneMaxKernel, at least kPlaneRows rows of output.
inline constexpr int kPlaneRows = 4;
inline constexpr int kPlaneMaxKernel = 7;
constexpr bool plane_tiles_fit(const Conv2dGeometry& g, int rows) {
  return g.y.stride == 1 && g.x.stride == 1 && g.y.dilation == 1 && g.x.dilation == 1 &&
         g.y.kernel <= kPlaneMaxKernel && g.x.kernel <= kPlaneMaxKernel && rows >= kPlaneRows;
}

// The zero-padded copy of a group's input planes that the forward plane tiles
// read (stride 1, rows of out.h + kernel.h - 1): rows of `cols` floats, a
// whole number of 64-byte lines, each row's values from its first column, so
// that the copy is aligned stores. A row's left padding is then the last
// columns of the row before (zeros: cols is at least the padded width, the
// left and right padding around in.w), the first row's is `front` zeros
// before the planes; tiles read from `front - pad.x`.
// Rows of in.w + 2 * pad.x with the values after the left padding made every
// store straddle two lines: 64x56x56 3x3 on AVX-512, the copy 14.0 -> 10.5 us
// of the layer's 50 (a standalone loop over the layer's planes).
struct PlaneCopyPlan {
  bool used = false;  // one output channel per group, and plane_tiles_fit
  int rows = 0, cols = 0, plane = 0, front = 0, floats = 0;
};
constexpr PlaneCopyPlan plane_copy_plan(const Conv2dGeometry& g) {
  PlaneCopyPlan p;
  p.used = g.out_per_group() == 1 && plane_tiles_fit(g, g.out.h);
  if (!p.used) return p;
  p.rows = g.out.h + g.y.kernel - 1;
  p.cols = aligned(padded_cols(g));
  p.plane = p.rows * p.cols;
  p.front = kAlignFloats;  // >= pad.x: kernels up to kPlaneMaxKernel
  p.floats = p.front + g.in_per_group() * p.plane + kMaxTileCols;
  return p;
}

// Depthwise forward of rows of at least kDepthwisePlaneCols outputs runs the
// plane tiles, one channel's plane at a time, rather than channels in the
// lanes, whose transposes in and out cost more than the FMAs there.
// conv2d_bench, AVX-512, taskset -c 1, lanes -> planes: 64x56x56 39.6 -> 29.8
// us, b16 832 -> 641 us; MobileNet's 8x48x48 4.09 -> 2.69 us. Narrower rows
// lose: with the planes down to 12 columns (MobileNet's 32x24x24 and
// 64x12x12), MobileNetV1 inference took 97.8 us, not 92.0.
inline constexpr int kDepthwisePlaneCols = 32;
constexpr bool depthwise_planes_pay(const Conv2dGeometry& g) {
  return depthwise_proper(g) && plane_tiles_fit(g, g.out.h) && g.out.w >= kDepthwisePlaneCols;
}

// A plane runs in bands of output rows whose xt and yt fit kLanesBandFloats
// (24 KiB: half of L1, with x's lines and the weights beside them), the last
// band overlapping the one before. MobileNet's 16x48x48 stride 2 transposed
// its whole 160 KiB xt through L2 and back: 57% of its time went to the
// transpose in.
inline constexpr int kLanesBandFloats = 6144;

struct DepthwiseLanesPlan {
  bool used = false;       // depthwise_proper, and the plane tiles do not pay
  int band = 0;            // output rows per band (out.h: the plane at once)
  int rows = 0, cols = 0;  // of a band's padded input: (band - 1) * stride + kernel
  int channels = 0;        // wt's row: in.c rounded up to whole blocks of lanes
  int xt = 0, yt = 0, wt = 0, floats = 0;  // regions of scratch (all 0 if unused)
};

constexpr DepthwiseLanesPlan depthwise_lanes_plan(const Conv2dGeometry& g) {
  DepthwiseLanesPlan p;
  p.used = depthwise_proper(g) && !depthwise_planes_pay(g);
  if (!p.used) return p;
  const int lanes = lanes_for(g.in.c);
  p.cols = (g.out.w - 1) * g.x.stride + g.x.kernel;
  const auto band_floats = [&](int band) {
    return ((band - 1) * g.y.stride + g.y.kernel) * p.cols * lanes + band * g.out.w * lanes;
  };
  p.band = g.out.h;
  while (p.band > 1 && band_floats(p.band) > kLanesBandFloats) --p.band;
  p.band = ceil_div(g.out.h, ceil_div(g.out.h, p.band));  // bands of equal rows
  p.rows = (p.band - 1) * g.y.stride + g.y.kernel;
  Regions r;
  p.xt = r.at(p.rows * p.cols * lanes);
  p.yt = r.at(p.band * g.out.w * lanes);
  p.channels = round_up(g.in.c, lanes);
  p.wt = r.at(g.y.kernel * g.x.kernel * p.channels);
  p.floats = r.end;
  return p;
}

// Depthwise forward of small planes at stride 1 whose output is the size of
// the input (conv2d_depthwise_flat-inl.h): each channel's plane copied whole
// between `lead` zeros (the farthest a tap reads before a position, rounded to
// a line) and as many after; two buffers, `buffer` floats apart, so that one
// channel is copied while the previous one is read.
// Taken for planes of 64 to 128 positions (4 to 8 vectors of 16 lanes, one
// tile of them on AVX-512), where the transposes it saves cost most.
// conv2d_bench forward, AVX-512, taskset -c 1, a machine loaded 4-6 by
// builds, CPU time, medians of 5 in three alternating runs, the lanes path ->
// this one: DS-CNN's 64x25x5 2.15/2.07/2.24 -> 1.70/1.73/1.68 us. Where the
// lanes path stays (wall time, load ~3.5): MobileNet's 128x6x6 (36 positions:
// 3 vectors of 16, 75% full) 1.60/1.97/2.00 -> 1.41/2.05/1.98, even; 256x3x3
// (9 positions in 8-lane vectors) 0.83/1.15/1.22 -> 1.75/1.72/2.48; 8x48x48
// 5.2/7.3/6.2 -> 5.2/7.0/7.1, even; 64x56x56 53/68/74 -> 84/75/112: one load
// per FMA loses to the lanes tiles' reuse of each load for 3 taps. MobileNet's
// 64x12x12 (144 positions; CPU time) 1.62/1.58/1.63 -> 2.13/2.13/2.23: its
// rows of 12 transpose in whole 4x4 blocks, DS-CNN's of 5 do not.
struct DepthwiseFlatPlan {
  bool used = false;
  int lead = 0, buffer = 0, floats = 0;
};

constexpr DepthwiseFlatPlan depthwise_flat_plan(const Conv2dGeometry& g) {
  DepthwiseFlatPlan p;
  p.used = depthwise_proper(g) && g.y.stride == 1 && g.x.stride == 1 &&
           g.out.h == g.in.h && g.out.w == g.in.w && g.in.h * g.in.w >= 64 &&
           g.in.h * g.in.w <= 128;
  if (!p.used) return p;
  const int reach = g.y.pad * g.in.w + g.x.pad;
  p.lead = aligned(reach);
  p.buffer = aligned(p.lead + g.in.h * g.in.w + reach);
  p.floats = 2 * p.buffer;
  return p;
}

// bits[kw][p] = -1 (all bits set) where tap column kw of output position p
// reads inside p's row of a W-wide plane (0 <= p % W + kw - P < W), else 0:
// elsewhere the flat plane's neighbour reads the previous or next row.
template <int Positions, int W, int KW, int P>
struct FlatColumnMasks {
  // std::int32_t, the lane type Highway loads them as (long, not int, on
  // arm-none-eabi).
  static constexpr std::array<std::int32_t, KW * Positions> bits = [] {
    std::array<std::int32_t, KW * Positions> m{};
    for (int kw = 0; kw < KW; ++kw) {
      for (int i = 0; i < Positions; ++i) {
        const int col = i % W + kw - P;
        m[kw * Positions + i] = col >= 0 && col < W ? -1 : 0;
      }
    }
    return m;
  }();
};

// Backward input: dx = correlation of dy with the transposed kernel. Input
// positions are split by phase (iy % sy, ix % sx); within a phase (ry, rx) the
// taps that reach it are those with (ry + pad - kh*dil) % stride == 0, and
// position (ry + j*sy, rx + i*sx) reads dy row j + (ry + pad - kh*dil)/sy: again
// consecutive positions read consecutive floats of a zero-padded dy.
struct AxisPhase {
  int count = 0;                 // positions of the phase: ceil((size - r) / stride)
  int taps = 0;                  // kernel indices that reach it
  int tap[64] = {};              // those kernel indices (kernel <= 64)
  int shift[64] = {};            // dy index minus phase index, per tap
};

constexpr AxisPhase axis_phase(int size, const WindowAxis& a, int r) {
  AxisPhase ph;
  ph.count = r < size ? ceil_div(size - r, a.stride) : 0;
  for (int k = 0; k < a.kernel; ++k) {
    const int num = r + a.pad - k * a.dilation;
    if (floor_div(num, a.stride) * a.stride == num) {
      ph.tap[ph.taps] = k;
      ph.shift[ph.taps] = floor_div(num, a.stride);
      ++ph.taps;
    }
  }
  return ph;
}

struct BackwardInputPlan {
  int pad_top = 0, pad_left = 0;  // zero rows/columns before dy
  int rows = 0, cols = 0, plane = 0;
  int max_taps = 0;               // most taps of any phase
  int max_qeff = 0;               // most flattened positions of any phase
  RowTiles ci;                    // input channels of a group
  int dys = 0, panel = 0, ybuf = 0, floats = 0;  // regions of scratch
  int wrap_tail = 0;  // in dys: `cols` zeros after the copy's tail, for wrapped reads
  int wt = 0;         // strided: a tile's weights, transposed: [out channel][tap][mr]
  // x stride 2 over an even width, every phase reached: the two column phases
  // of a row phase are computed into ybuf and ybuf_odd, then interleaved into
  // dx a row at a time (InterleaveColumnPhases).
  bool pairs_columns = false;
  int ybuf_odd = 0;
  // Strided, every phase reached and count_x wide (even widths at stride 2),
  // on planes of kMaxUnfoldedFloats at most: dy unfolded into one copy per
  // column shift some tap reads, copy k holding every row of the padded dy
  // and its columns shift[k] + i, i < copy_cols = count_x (UnfoldShifts), so
  // that a phase's positions are whole rows and none is discarded: the 8x8 dy
  // of ResNet-8's 32x16x16 stride-2 layer made 71 positions a phase on the
  // padded width for 64 (80 computed: 5 vectors of 16 for 4).
  int shifts = 0;      // copies (0: dy padded, not unfolded)
  int shift[64] = {};  // column of the padded dy at position 0 of copy k
  int copy_cols = 0, copy_plane = 0, copy_stride = 0;
};

// Backward input at stride 1 is a forward convolution of one group's dy with
// the flipped kernel, transposed ([in][out] for [out][in]), padded by
// kernel - 1 - pad. Where that forward would unfold its columns (small
// planes: ResNet-8's and CIFAR's 8x8, 10 padded columns for 8), dy is
// unfolded as its input and the tiles write dx directly, with no discarded
// column and no crop (BackwardInputByPhases).
constexpr Conv2dGeometry input_transposed(const Conv2dGeometry& g) {
  return {{g.out_per_group(), g.out.h, g.out.w},
          {g.in_per_group(), g.in.h, g.in.w},
          {g.y.kernel, 1, g.y.kernel - 1 - g.y.pad, 1},
          {g.x.kernel, 1, g.x.kernel - 1 - g.x.pad, 1},
          1,
          false};
}
constexpr bool input_unfolds(const Conv2dGeometry& g) {
  return g.y.stride == 1 && g.x.stride == 1 && g.y.dilation == 1 && g.x.dilation == 1 &&
         g.y.pad < g.y.kernel && g.x.pad < g.x.kernel &&
         unfold_columns_pays(input_transposed(g));
}

// The copies of BackwardInputPlan::shifts, where they pay (see there), given
// the padded dy's rows, cols and pad_left.
constexpr BackwardInputPlan unfold_shifts(const Conv2dGeometry& g, BackwardInputPlan p) {
  if (g.y.stride * g.x.stride == 1) return p;
  const int count_x = ceil_div(g.in.w, g.x.stride);
  for (int ry = 0; ry < g.y.stride; ++ry) {
    const AxisPhase ph = axis_phase(g.in.h, g.y, ry);
    if (ph.count == 0 || ph.taps == 0) return p;
  }
  int shifts = 0, shift[64] = {};
  for (int rx = 0; rx < g.x.stride; ++rx) {
    const AxisPhase ph = axis_phase(g.in.w, g.x, rx);
    if (ph.count != count_x || ph.taps == 0) return p;
    for (int t = 0; t < ph.taps; ++t) {
      const int column = ph.shift[t] + p.pad_left;
      bool known = false;
      for (int k = 0; k < shifts; ++k) known = known || shift[k] == column;
      if (!known) shift[shifts++] = column;
    }
  }
  const int copy_plane = p.rows * count_x;
  const int copy_stride = g.out_per_group() * copy_plane;
  if (p.cols == count_x || shifts * copy_stride > kMaxUnfoldedFloats) return p;
  p.shifts = shifts;
  for (int k = 0; k < shifts; ++k) p.shift[k] = shift[k];
  p.copy_cols = count_x;
  p.copy_plane = copy_plane;
  p.copy_stride = copy_stride;
  return p;
}

constexpr BackwardInputPlan backward_input_plan(const Conv2dGeometry& g) {
  BackwardInputPlan p;
  int last_row = 0, last_col = 0, max_ty = 0, max_tx = 0;
  for (int ry = 0; ry < g.y.stride; ++ry) {
    const AxisPhase ph = axis_phase(g.in.h, g.y, ry);
    if (ph.count == 0) continue;
    max_ty = max_of(max_ty, ph.taps);
    for (int t = 0; t < ph.taps; ++t) {
      p.pad_top = max_of(p.pad_top, -ph.shift[t]);
      last_row = max_of(last_row, ph.count - 1 + ph.shift[t]);
    }
  }
  for (int rx = 0; rx < g.x.stride; ++rx) {
    const AxisPhase ph = axis_phase(g.in.w, g.x, rx);
    if (ph.count == 0) continue;
    max_tx = max_of(max_tx, ph.taps);
    for (int t = 0; t < ph.taps; ++t) {
      p.pad_left = max_of(p.pad_left, -ph.shift[t]);
      last_col = max_of(last_col, ph.count - 1 + ph.shift[t]);
    }
  }
  p.rows = last_row + p.pad_top + 1;
  const int max_count_y = ceil_div(g.in.h, g.y.stride);
  const int max_count_x = ceil_div(g.in.w, g.x.stride);
  // Rows wrap: a read past the right end of a row lands on the left zeros of
  // the next one, so the right padding needs no columns of its own if it is
  // no wider than the left one (valid convolutions: the positions then fill
  // whole rows and the tiles write straight into dx). Rows still hold the
  // data and every position of a phase.
  const int full_cols = last_col + p.pad_left + 1;
  p.cols = full_cols < p.pad_left + g.out.w
               ? full_cols
               : max_of(max_of(full_cols - p.pad_left, p.pad_left + g.out.w), max_count_x);
  p.plane = p.rows * p.cols;
  p.max_taps = max_ty * max_tx;
  p.max_qeff = (max_count_y - 1) * p.cols + max_count_x;
  p.ci = row_tiles(g.in_per_group());
  // One group at a time (the copy ends with kMaxTileCols zeros); reads past
  // the last row wrap up to `cols` further.
  Regions r;
  // (Unfolded: dy's unfolded copies in the same region, then kMaxTileCols
  // zeros that the tiles read past the last.)
  p = unfold_shifts(g, p);
  const int padded = g.out_per_group() * p.plane + kMaxTileCols + p.cols;
  const int unfolded = input_unfolds(g) ? forward_plan(input_transposed(g), true).xs_floats
                                        : p.shifts * p.copy_stride + kMaxTileCols;
  p.dys = r.at(max_of(padded, unfolded));
  p.wrap_tail = p.dys + g.out_per_group() * p.plane + kMaxTileCols;
  // Strided: every phase's panel of a tile at once (BackwardInputByPhases
  // packs them from one transpose per output channel, in `wt`).
  const int phases = g.y.stride * g.x.stride;
  const int taps = g.y.kernel * g.x.kernel;
  p.panel = phases > 1 ? r.at(p.ci.mr * (g.out_per_group() * taps + phases))
                       : r.at(p.ci.mr * (g.out_per_group() * p.max_taps + 1));
  p.wt = phases > 1 ? r.at(p.ci.mr * g.out_per_group() * taps) : 0;
  p.ybuf = r.at(p.ci.mr * p.max_qeff);
  p.pairs_columns = g.x.stride == 2 && g.in.w % 2 == 0;
  for (int ry = 0; ry < g.y.stride; ++ry) {
    for (int rx = 0; rx < g.x.stride; ++rx) {
      if (axis_phase(g.in.h, g.y, ry).count == 0 || axis_phase(g.in.h, g.y, ry).taps == 0 ||
          axis_phase(g.in.w, g.x, rx).taps == 0) {
        p.pairs_columns = false;
      }
    }
  }
  p.ybuf_odd = p.pairs_columns ? r.at(p.ci.mr * p.max_qeff) : 0;
  p.floats = r.end;
  return p;
}

// Per phase (ry, rx) of the input positions: how many there are, which taps
// reach them (as kh * kernel.w + kw) and where each tap reads in the padded dy.
template <Conv2dGeometry G>
struct BackwardInputTables {
  static_assert(G.y.kernel <= 64 && G.x.kernel <= 64, "kernel sizes up to 64");
  static constexpr BackwardInputPlan plan = backward_input_plan(G);
  static constexpr int kPhases = G.y.stride * G.x.stride;
  static constexpr int kTaps = G.y.kernel * G.x.kernel;
  struct Phase {
    int ry = 0, rx = 0, count_y = 0, count_x = 0, taps = 0, qeff = 0;
    std::array<int, kTaps> tap{}, offset{};
    // In the unfolded copies (plan.shifts > 0): every position of the phase.
    int unfolded_qeff = 0;
    std::array<int, kTaps> unfolded_offset{};
  };
  static constexpr std::array<Phase, kPhases> phases = [] {
    std::array<Phase, kPhases> all{};
    for (int ry = 0; ry < G.y.stride; ++ry) {
      for (int rx = 0; rx < G.x.stride; ++rx) {
        const AxisPhase py = axis_phase(G.in.h, G.y, ry), px = axis_phase(G.in.w, G.x, rx);
        Phase& ph = all[ry * G.x.stride + rx];
        ph.ry = ry;
        ph.rx = rx;
        ph.count_y = py.count;
        ph.count_x = px.count;
        ph.qeff = (py.count - 1) * plan.cols + px.count;
        ph.unfolded_qeff = py.count * px.count;
        for (int ty = 0; ty < py.taps; ++ty) {
          for (int tx = 0; tx < px.taps; ++tx) {
            ph.tap[ph.taps] = py.tap[ty] * G.x.kernel + px.tap[tx];
            ph.offset[ph.taps] = (py.shift[ty] + plan.pad_top) * plan.cols +
                                 px.shift[tx] + plan.pad_left;
            int copy = 0;
            while (copy < plan.shifts && plan.shift[copy] != px.shift[tx] + plan.pad_left) ++copy;
            ph.unfolded_offset[ph.taps] =
                copy * plan.copy_stride + (py.shift[ty] + plan.pad_top) * plan.copy_cols;
            ++ph.taps;
          }
        }
      }
    }
    return all;
  }();
};

// Backward input of a valid convolution (stride 1, dilation 1, no padding),
// where the correlation above would spend most of its MACs on the zero border of
// dy. Instead, per input channel ci, a GEMM over the output positions q (dense:
// no column is computed that the sums below discard) whose products go straight
// into the sums over kernel rows,
//   S[kw][iy * out.w + j] = sum_kh sum_co w[co][ci][kh][kw] * dy[co][(iy - kh) * out.w + j]
// (a shift by whole rows of dy is a flat shift: tap (kh, kw)'s products are
// added at S[kw] + kh * out.w), then dx[ci][iy][ix] = sum_kw S[kw][iy * out.w +
// ix - kw] over the kw whose column ix - kw is one of dy's (a mask per kw).
struct ValidInputPlan {
  bool used = false;
  int mr = 0;        // rows of a register tile: kernel columns of one kernel row
  int qd = 0;        // positions of dy: out.h * out.w
  int qd_r = 0;      // qd rounded up to whole vectors of any target
  int s_values = 0;  // of one S row: what the last kernel row's tiles write
  int s_stride = 0;  // floats between S rows: kMaxLanes zeros, s_values, zeros
  int dyw = 0, s = 0, floats = 0;  // regions of scratch (0 if unused)
};

constexpr ValidInputPlan valid_input_plan(const Conv2dGeometry& g) {
  ValidInputPlan p;
  const int taps = g.y.kernel * g.x.kernel;
  p.used = g.y.stride == 1 && g.x.stride == 1 && g.y.dilation == 1 && g.x.dilation == 1 &&
           g.y.pad == 0 && g.x.pad == 0 && taps > 1 && g.in.h * g.in.w >= kAlignFloats &&
           // no `same` padding at the end
           g.out.h == g.in.h - g.y.kernel + 1 && g.out.w == g.in.w - g.x.kernel + 1;
  if (!p.used) return p;
  // A tile's rows are kernel columns of one kernel row, each adding to its own
  // row of S: the largest divisor of kernel.w that fits a tile.
  for (int mr = 1; mr <= kMaxTileRows; ++mr) {
    if (g.x.kernel % mr == 0) p.mr = mr;
  }
  p.qd = g.out.h * g.out.w;
  p.qd_r = round_up(p.qd, kAlignFloats);
  // The last kernel row's tiles write qd_r values from (kernel.h - 1) rows in
  // (past in.h * out.w, which dx reads).
  p.s_values = round_up((g.y.kernel - 1) * g.out.w + p.qd_r, kAlignFloats);
  // dx reads a vector (or its row, if wider) of S from kernel.w - 1 floats
  // before a row to a vector past its last value.
  p.s_stride = kMaxLanes + aligned(p.s_values + kMaxLanes + g.x.kernel);
  Regions r;
  p.dyw = r.at(g.out_per_group() * p.qd_r);
  p.s = r.at(g.x.kernel * p.s_stride);
  p.floats = r.end;
  return p;
}

// Backward params. With at least one vector of output channels per group, dW^T
// is a GEMM whose vectors run over output channels: dwT[k][co] += xs[k][q] *
// dyT[q][co], dy^T built kDwChunk positions at a time. Otherwise (depthwise, few
// filters) every (co, k) pair is a dot product over q of dy (laid out on the
// padded width, zeros in the discarded columns) with a shifted row of xs.
// Either way one sample at a time is copied into xs (the batch costs no
// scratch; dW^T stays there over the batch), in the dot form unfolded when
// forward unfolds it (no discarded column, dy read in place).
struct BackwardParamsPlan {
  bool transposed = false;
  bool unfolded = false;  // dot form: x unfolded as forward does (unfold_columns_pays)
  int cout_padded = 0;  // dyT row length
  // Transposed form of a 1x1 stride-1 unpadded window: x is its own phase
  // plane, read in place (xs unused).
  bool x_in_place = false;
  int dy_row = 0;       // dot form: dy row length (padded width, or dy's stride)
  // Regions of scratch: xs as in forward, then dyT, dwT and the blocks of
  // dwT transposed into dW (transposed form) or dy on the padded width (dot
  // form).
  int xs = 0, dyt = 0, dwt = 0, dw_add = 0, dyflat = 0, floats = 0;
};

constexpr BackwardParamsPlan backward_params_plan(const Conv2dGeometry& g) {
  BackwardParamsPlan p;
  p.transposed = g.out_per_group() >= kMinTransposedCout;
  p.x_in_place = p.transposed && g.y.kernel == 1 && g.x.kernel == 1 && g.y.stride == 1 &&
                 g.x.stride == 1 && g.y.pad == 0 && g.x.pad == 0;
  p.unfolded = !p.transposed && unfold_columns_pays(g);
  const ForwardPlan f = forward_plan(g, p.unfolded);
  Regions r;
  p.xs = r.at(f.xs_floats);
  if (p.transposed) {
    p.cout_padded = round_up(g.out_per_group(), kAlignFloats);
    p.dyt = r.at(kDwChunk * p.cout_padded);
    p.dwt = r.at((f.k + kMaxTileRows) * p.cout_padded);
    p.dw_add = r.at(kDwAddRows * p.cout_padded);
  } else {
    p.dy_row = round_up(f.qeff, kAlignFloats);
    // Read in place (conv2d_weight_grad_dot-inl.h) when its rows need no zeros.
    const bool in_place = f.cols == g.out.w && p.dy_row == f.qeff;
    p.dyflat = r.at(in_place ? 0 : g.out_per_group() * p.dy_row);
  }
  p.floats = r.end;
  return p;
}

// A 1x1 stride-2 unpadded convolution of an even-sized input (ResNet's
// shortcut): its taps read the even positions of x only, and those of every
// output position. Backward input writes W^T dy there, zeros elsewhere
// (conv2d_backward_input-inl.h); backward params, with at least a vector of
// output channels, is the GEMM dW = dy * xe^T over dy in place, xe the even
// positions gathered transposed (conv2d_weight_grad_transposed-inl.h): xet
// [position][ci_padded], built an output row at a time through `rows`
// [in channel][out.w]; dW accumulated over the batch in dwt [co][ci_padded]
// (tiles of up to 2 * kMaxTileRows rows may run that far past out.c).
constexpr bool pointwise_stride2(const Conv2dGeometry& g) {
  return g.y.kernel == 1 && g.x.kernel == 1 && g.y.stride == 2 && g.x.stride == 2 &&
         g.y.pad == 0 && g.x.pad == 0 && g.in.h == 2 * g.out.h && g.in.w == 2 * g.out.w;
}
struct PointwiseStride2GradPlan {
  bool used = false;
  int ci_padded = 0;                          // in_per_group rounded up to 16
  int xet = 0, rows = 0, dwt = 0, floats = 0;  // regions of scratch (all 0 if unused)
};
constexpr PointwiseStride2GradPlan pointwise_stride2_grad_plan(const Conv2dGeometry& g) {
  PointwiseStride2GradPlan p;
  p.used = pointwise_stride2(g) && g.out_per_group() >= kMinTransposedCout;
  if (!p.used) return p;
  p.ci_padded = round_up(g.in_per_group(), kAlignFloats);
  Regions r;
  p.xet = r.at(g.out.h * g.out.w * p.ci_padded);
  p.rows = r.at(g.in_per_group() * g.out.w);
  p.dwt = r.at((g.out_per_group() + 2 * kMaxTileRows) * p.ci_padded);
  p.floats = r.end;
  return p;
}

// Winograd F(2x2, 3x3) (conv2d_winograd-inl.h): a 3x3, stride-1, undilated,
// ungrouped convolution as 16 GEMMs, one per frequency of the 4x4 input tiles,
// 4 multiplies per output and channel instead of 9. Taken where enough channels
// keep the GEMMs' register tiles full and the planes are large enough for the
// transforms to stay cheap (see winograd_pays). The output's 2x2 tiles,
// numbered row by row, are processed kWinogradBlockTiles at a time, so that the
// transformed inputs V and the products M of a block stay in L2; a multiple of
// every target's widest row tile of columns (48 on AVX-512, 24 on AVX2, 12 on
// SSE4 and NEON), so no tile of a block runs short but the last. 3x3 64->64 at
// 56x56 on AVX-512, blocks of whole tile rows: 96 tiles at most (84: the last
// tile 36 of 48 columns) 1.69-1.75 ms, 336 (12 rows, no short tile) 1.49-1.58.
// Over a batch, a plane of fewer tiles puts several samples in a block (their
// tiles side by side in V and M), up to kWinogradBlockFloats of V per
// frequency (the 96 tiles of 64 channels): 16 tiles (8x8) of 128 channels
// make blocks of 3 samples, of 64 channels of 6.
inline constexpr int kWinogradFrequencies = 16;  // 4x4
inline constexpr int kWinogradBlockTiles = 96;
inline constexpr int kWinogradBlockFloats = kWinogradBlockTiles * 64;
// At batch 1 the weights are transformed at every call, which costs about as
// much as the GEMMs when a plane has few tiles. AVX-512, CPU time, direct ->
// Winograd (forward; backward input alike): 16->16 at 32x32 50 -> 35 us,
// 32->32 at 32x32 189 -> 116, 64->64 at 16x16 202 -> 148, but 64->64 at 8x8
// 48 -> 65 and 128->128 at 8x8 243 -> 251: at least 64 tiles (a 16x16
// output). Over a batch the weights are transformed once, and a block holds
// several samples of a small plane; per sample, AVX-512, CPU time (min of 5,
// conv2d_bench *_b16): 128->128 at 8x8 forward 230 -> 149 us, backward input
// 231 -> 157; 64->64 at 8x8 forward 45 -> 52, backward input 58 -> 52. So
// over a batch 16 tiles (an 8x8 output) suffice if one side has 128 channels.
// Since the forward row tile reads the weights in place, direct forward is
// faster: 128->128 at 8x8 170 us (Winograd over a batch still 150), 64->128
// 86 us, a tie with Winograd over a batch (87; its backward input 115 -> 102).
inline constexpr int kWinogradMinChannels = 16;
inline constexpr int kWinogradMinTiles = 64;
inline constexpr int kWinogradMinTilesBatched = 16;
inline constexpr int kWinogradMinChannelsBatched = 128;  // in or out, for fewer tiles

// Whether a pass over `batch` samples takes Winograd.
constexpr bool winograd_pays(const Conv2dGeometry& g, int batch = 1) {
  const int tiles = ceil_div(g.out.h, 2) * ceil_div(g.out.w, 2);
  const bool small_plane_pays = batch > 1 && tiles >= kWinogradMinTilesBatched &&
                                max_of(g.in.c, g.out.c) >= kWinogradMinChannelsBatched;
  return g.y.kernel == 3 && g.x.kernel == 3 && g.y.stride == 1 && g.x.stride == 1 &&
         g.y.dilation == 1 && g.x.dilation == 1 && g.groups == 1 &&
         g.in.c >= kWinogradMinChannels && g.out.c >= kWinogradMinChannels &&
         (tiles >= kWinogradMinTiles || small_plane_pays);
}

struct WinogradPlan {
  int tiles_y = 0, tiles_x = 0;  // 2x2 output tiles: ceil(out / 2)
  int rows = 0, cols = 0;        // zero-padded input plane: 2 * tiles + 2
  int tiles = 0;                 // tiles_y * tiles_x
  int block = 0;                 // tiles of a sample per block
  int samples = 0;               // samples per block (block == tiles if > 1)
  int v_stride = 0;              // floats per (frequency, channel) row of V and M
  int v_f = 0, m_f = 0;          // floats from frequency f to f + 1 of V and of M
  RowTiles co;                   // output channels
  // Regions of scratch: the padded inputs of a block's samples (xp_sample
  // floats apart), the kernels of a tile of output channels transposed (9
  // rows of g_stride floats), the transformed weights as one row-tile panel
  // per (frequency, tile of output channels), V, M.
  int xp = 0, g = 0, u = 0, v = 0, m = 0, floats = 0;
  int xp_sample = 0;             // in.c * rows * cols, 64-byte aligned
  int panel_floats = 0;          // of one panel: co.mr * (in.c + 1)
  int g_stride = 0;              // in.c * co.mr, rounded up to whole vectors
};

// Backward input of a Winograd convolution: dx is the convolution of dy,
// zero-padded by 2 - pad, with the flipped, transposed kernel (a 3x3
// stride-1 convolution from out.c to in.c channels), computed the same way.
constexpr bool winograd_input_pays(const Conv2dGeometry& g, int batch = 1) {
  return winograd_pays(g, batch);
}
constexpr Conv2dGeometry winograd_transposed(const Conv2dGeometry& g) {
  return {g.out, g.in, {3, 1, 2 - g.y.pad}, {3, 1, 2 - g.x.pad}, 1, false};
}

// Floats from one frequency of V or M to the next: its `rows` rows, plus a
// cache line when that makes an even number of lines. The transforms write V
// and read M in 16 streams, one per frequency: whole multiples of 4 KiB apart
// (64->64 at 16x16: 64 rows of 80 floats, 20 KiB) they all fell in one L1
// set, and their loads waited on stores 4 KiB apart (4K aliasing); an odd
// number of lines apart they fall in 16 different sets.
constexpr int winograd_frequency_stride(int rows, int row_stride) {
  const int floats = rows * row_stride;  // a multiple of kAlignFloats, one line
  return floats / kAlignFloats % 2 == 0 ? floats + kAlignFloats : floats;
}

// The plan of a pass over `batch` samples (batch 1: one sample per block).
constexpr WinogradPlan winograd_plan(const Conv2dGeometry& g, int batch = 1) {
  WinogradPlan p;
  p.tiles_y = ceil_div(g.out.h, 2);
  p.tiles_x = ceil_div(g.out.w, 2);
  p.rows = 2 * p.tiles_y + 2;
  p.cols = 2 * p.tiles_x + 2;
  p.tiles = p.tiles_y * p.tiles_x;
  p.block = p.tiles < kWinogradBlockTiles ? p.tiles : kWinogradBlockTiles;
  const int fit = kWinogradBlockFloats / (p.tiles * max_of(g.in.c, g.out.c));
  p.samples = p.tiles < kWinogradBlockTiles ? max_of(1, fit < batch ? fit : batch) : 1;
  // A vector of tiles may run up to kAlignFloats (the most lanes of any
  // target's KernelTag) past the block.
  p.v_stride = aligned(p.samples * p.block + kAlignFloats);
  p.co = row_tiles(g.out.c);
  p.panel_floats = p.co.mr * (g.in.c + 1);
  Regions r;
  // Vectors of tiles of a row read up to two vectors past its end.
  p.xp_sample = aligned(g.in.c * p.rows * p.cols);
  p.xp = r.at((p.samples - 1) * p.xp_sample + g.in.c * p.rows * p.cols + kMaxTileCols);
  p.g_stride = aligned(g.in.c * p.co.mr);
  p.g = r.at(9 * p.g_stride);
  p.u = r.at(kWinogradFrequencies * p.co.tiles * p.panel_floats);
  p.v_f = winograd_frequency_stride(g.in.c, p.v_stride);
  p.m_f = winograd_frequency_stride(g.out.c, p.v_stride);
  p.v = r.at(kWinogradFrequencies * p.v_f);
  p.m = r.at(kWinogradFrequencies * p.m_f);
  p.floats = r.end;
  return p;
}

// Weight gradient by Winograd (conv2d_winograd_weight_grad-inl.h): per
// frequency f, M_f[co][ci] = sum over the batch's tiles t of DY_f[co][t] *
// V_f[ci][t], accumulated in scratch over the whole batch, then dW += G^T M G.
// x and dy are copied channels last and zero-padded (xp [rows][cols][ci_stride],
// dyp [dy_rows][dy_cols][co_stride]), so the transforms run over vectors of
// channels and write V_f [tile][ci_stride] and DY_f [tile][co_stride], the
// layouts the row tile reads (V as its inputs, DY as its weights, MR output
// channels a step): nothing is transposed per block (the copies move 4 floats
// a tile and channel, V and DY 16). A block holds `depth` tiles, several
// samples side by side when a plane has fewer, as many as keep V and DY within
// kWinogradWeightGradBlockFloats per frequency (V and DY of a block stay in L2;
// the sums of M cost a 1/depth of the GEMM). dy is zero-padded to whole tiles:
// the outputs the forward crops have no gradient.
inline constexpr int kWinogradWeightGradBlockFloats = 96 * 128;
struct WinogradWeightGradPlan {
  int tiles_x = 0, tiles = 0;    // 2x2 output tiles: ceil(out / 2)
  int rows = 0, cols = 0;        // of the zero-padded input plane: 2 * tiles + 2
  int dy_rows = 0, dy_cols = 0;  // of the zero-padded dy plane: 2 * tiles
  int ci_stride = 0;             // floats per position of xp, tile of V, row of M
  int co_stride = 0;             // floats per position of dyp, tile of DY
  int block = 0;                 // tiles of a sample per block
  int samples = 0;               // samples per block (block == tiles if > 1)
  int depth = 0;                 // tiles of a block: samples * block
  int v_f = 0, dy_f = 0;         // floats from frequency f to f + 1 of V, of DY
  RowTiles co;                   // output channels
  int xp_sample = 0, dyp_sample = 0;  // floats of one sample's xp, dyp
  // Regions of scratch: xp and dyp of a block's samples, V, DY (each
  // frequency `depth` tiles), the products of one tile of output channels, M.
  int xp = 0, dyp = 0, v = 0, dyv = 0, product = 0, m = 0, floats = 0;
};

constexpr WinogradWeightGradPlan winograd_weight_grad_plan(const Conv2dGeometry& g,
                                                           int batch = 1) {
  WinogradWeightGradPlan p;
  const int tiles_y = ceil_div(g.out.h, 2);
  p.tiles_x = ceil_div(g.out.w, 2);
  p.tiles = tiles_y * p.tiles_x;
  p.rows = 2 * tiles_y + 2;
  p.cols = 2 * p.tiles_x + 2;
  p.dy_rows = 2 * tiles_y;
  p.dy_cols = 2 * p.tiles_x;
  p.ci_stride = aligned(g.in.c);
  p.co_stride = aligned(g.out.c);
  const int most = max_of(1, kWinogradWeightGradBlockFloats / (p.ci_stride + p.co_stride));
  p.block = p.tiles < most ? p.tiles : most;
  const int fit = most / max_of(1, p.tiles);
  p.samples = p.tiles < most ? max_of(1, fit < batch ? fit : batch) : 1;
  p.depth = p.samples * p.block;
  p.co = row_tiles(g.out.c);
  p.xp_sample = aligned(p.rows * p.cols * p.ci_stride);
  p.dyp_sample = aligned(p.dy_rows * p.dy_cols * p.co_stride);
  Regions r;
  p.xp = r.at(p.samples * p.xp_sample);
  p.dyp = r.at(p.samples * p.dyp_sample);
  // An odd number of lines apart, as in winograd_plan (all five CifarNet
  // layers had them a multiple of 4 KiB apart).
  p.v_f = winograd_frequency_stride(p.depth, p.ci_stride);
  p.dy_f = winograd_frequency_stride(p.depth, p.co_stride);
  p.v = r.at(kWinogradFrequencies * p.v_f);
  // The last tile of output channels may read up to kMaxTileRows past out.c.
  p.dyv = r.at(kWinogradFrequencies * p.dy_f + kMaxTileRows);
  p.product = r.at(p.co.mr * p.ci_stride);
  p.m = r.at(kWinogradFrequencies * g.out.c * p.ci_stride);
  p.floats = r.end;
  return p;
}

// Whether Conv2dBackwardParams over `batch` samples takes Winograd: where
// the forward does (over a batch, the 8x8 planes of 128 channels too). CPU
// time per batch of 16 (conv2d_bench *_BackwardParams_b16, AVX-512, one core
// of a loaded machine, medians of 12 alternating runs), direct or the
// transposing Winograd before -> this path: 128->128 at 8x8 3.47 (direct) ->
// 2.14 ms, 64->128 at 8x8 1.69 (direct) -> 1.03, 64->64 at 16x16 2.87 ->
// 2.39, 32->64 at 16x16 1.51 -> 1.23, 32->32 at 32x32 2.85 -> 2.81.
constexpr bool winograd_weight_grad_pays(const Conv2dGeometry& g, int batch = 1) {
  return winograd_pays(g, batch);
}

// Backward input of a single input channel per group on the plane tiles
// (DepthwiseBackwardInput): the plane copy of dy, then the flipped kernels.
constexpr int depthwise_input_floats(const Conv2dGeometry& g) {
  if (g.in_per_group() != 1 || !plane_tiles_fit(g, g.in.h)) return 0;
  return aligned(plane_copy_plan(input_transposed(g)).floats) +
         g.out_per_group() * g.y.kernel * g.x.kernel;
}

}  // namespace conv2d_detail

// Floats of 64-byte-aligned scratch that Conv2dForward<g, batch> needs, on
// any target: all an inference workspace holds for the layer. Never less
// than at batch 1 (a batch's workspace also runs single samples).
constexpr std::size_t conv2d_forward_scratch_floats(const Conv2dGeometry& g, int batch = 1) {
  using namespace conv2d_detail;
  // The other paths, some chosen by the target's vector width: the largest plan.
  const int tiles = max_of(max_of(forward_plan(g, unfold_columns_pays(g)).floats,
                                  plane_copy_plan(g).floats),
                           max_of(channel_vector_plan(g).floats,
                                  max_of(pointwise_channels_plan(g).floats,
                                         pointwise_dot_plan(g).floats)));
  const int one = winograd_pays(g)               ? winograd_plan(g).floats
                  : depthwise_flat_plan(g).used  ? depthwise_flat_plan(g).floats
                  : depthwise_lanes_plan(g).used ? depthwise_lanes_plan(g).floats
                                                 : tiles;
  const int batched = winograd_pays(g, batch) ? winograd_plan(g, batch).floats : 0;
  return static_cast<std::size_t>(max_of(one, batched));
}

// Floats of 64-byte-aligned scratch that each of Conv2dForward,
// Conv2dBackwardInput and Conv2dBackwardParams needs for geometry g over
// `batch` samples (and over fewer), on any target.
constexpr std::size_t conv2d_scratch_floats(const Conv2dGeometry& g, int batch = 1) {
  using namespace conv2d_detail;
  const int forward = static_cast<int>(conv2d_forward_scratch_floats(g, batch));
  const int input =
      winograd_input_pays(g)
          ? winograd_plan(winograd_transposed(g)).floats
          : max_of(max_of(backward_input_plan(g).floats, valid_input_plan(g).floats),
                   depthwise_input_floats(g));
  const int input_batched =
      winograd_input_pays(g, batch) ? winograd_plan(winograd_transposed(g), batch).floats : 0;
  const int params = max_of(max_of(backward_params_plan(g).floats,
                                   pointwise_stride2_grad_plan(g).floats),
                            winograd_weight_grad_pays(g, batch)
                                ? winograd_weight_grad_plan(g, batch).floats
                                : 0);
  return static_cast<std::size_t>(
      max_of(max_of(forward, input), max_of(input_batched, params)));
}

}  // namespace staticnn
