// Conv2d backward input, the general path: dx = conv^T(dy, w) for one sample
// (overwritten), one group at a time.
//
// dx is the correlation of the zero-padded dy with the transposed kernel. Input
// positions are split by stride phase (iy % sy, ix % sx); within a phase only
// some taps reach them (for stride 1: one phase, all taps, i.e. the flipped
// kernel), and consecutive positions of the phase read consecutive floats of
// the padded dy (BackwardInputTables in conv2d_scratch.hpp). So per phase and
// tile of MR input channels: a panel of the weights of the taps that reach the
// phase (a full tile reads w in place instead: TileOfInputChannels,
// RowTileOverPhaseTransposed), then the row tile (conv2d_row_tile-inl.h) over
// the padded dy, then a scatter of the phase's positions into dx. Rows of the
// padded dy wrap onto the next row's left zeros, so the right padding takes no
// columns, and a stride-1 convolution without discarded columns (a valid one's
// dx) is written directly. At stride 1 on small planes (input_unfolds) dy is
// unfolded instead, as forward unfolds its input, and the tiles write dx
// directly: 3x3 pad 1 at 8x8 computed 78 positions on the padded width for 64
// and cropped them. conv2d_bench, CPU time, padded -> unfolded: CIFAR's
// 128->128 at 8x8 114-116 -> 93 us on AVX-512 (300-350 -> 258-272 on AVX2),
// 64->128 56 -> 46 (159 -> 122-126), ResNet-8's 64->64 29 -> 23 (82-84 -> 62).
// At x stride 2 over an even width, the two column phases of a row phase are
// computed one after the other and written into dx interleaved, each row once
// (plan.pairs_columns): ResNet-8's 3x3 stride-2 layers on AVX-512, CPU time,
// 16x32x32 17.5-17.8 -> 13.3-13.5 us, 32x16x16 20.0 -> 16.3-16.5 us (the
// scatters, each blending into dx, were a quarter of the time). With a stride,
// where every column phase is as wide (plan.shifts), dy is unfolded into a copy
// per column shift instead of padded, so that no position of a phase is
// discarded: 16x32x32 13.3-13.5 -> 11.6-12.0 us, 32x16x16 16.3-16.5 ->
// 12.9-13.5 us (71 positions a phase for 64 on its 8x8 dy).

#if defined(STATICNN_KERNELS_CONV2D_BACKWARD_INPUT_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef STATICNN_KERNELS_CONV2D_BACKWARD_INPUT_INL_H_
#undef STATICNN_KERNELS_CONV2D_BACKWARD_INPUT_INL_H_
#else
#define STATICNN_KERNELS_CONV2D_BACKWARD_INPUT_INL_H_
#endif

#include <algorithm>
#include <array>

#include "hwy/highway.h"
#include "staticnn/geometry.hpp"
#include "staticnn/kernels/conv2d_copy-inl.h"
#include "staticnn/kernels/conv2d_row_tile-inl.h"
#include "staticnn/kernels/conv2d_scratch.hpp"
#include "staticnn/kernels/memory-inl.h"

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;
namespace conv2d_impl {
namespace cd = ::staticnn::conv2d_detail;

// panel: [MR zeros][co][tap of the phase][MR weights of w[co][ci0 + r]], zero
// rows past `valid`; w is the group's.
template <Conv2dGeometry G, int MR, class Phase>
HWY_INLINE void PackTransposedPanel(const float* HWY_RESTRICT w, const Phase& ph, int ci0,
                                    int valid, float* HWY_RESTRICT panel) {
  constexpr int kCin = G.in_per_group(), kCout = G.out_per_group();
  constexpr int kTaps = G.y.kernel * G.x.kernel;
  ZeroFloats(panel, MR);
  float* HWY_RESTRICT a = panel + MR;
  for (int co = 0; co < kCout; ++co) {
    const float* HWY_RESTRICT wc = w + (co * kCin + ci0) * kTaps;
    if constexpr (G.y.stride * G.x.stride == 1) {  // every tap, in order: a transpose
      Transpose(wc, kTaps, valid, kTaps, a, MR);
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
}

// Strided: the panels of every phase for one tile of input channels, one
// after the other in phase order, each laid out as PackTransposedPanel's.
// Each output channel's MR x taps block of w is transposed (4x4 blocks) into
// wt [co][tap][MR], then the rows of MR weights are copied whole into the
// phases their tap reaches. Packing per phase with a select per weight took
// 26% of the time of the 32x16x16 3x3 stride-2 case on AVX-512; the copies
// run after every transpose, as a row copied right after its transpose
// stalled on a store forwarding (its 4-float stores read as one vector).
template <Conv2dGeometry G, int MR>
HWY_INLINE void PackPhasePanels(const float* HWY_RESTRICT w, int ci0, int valid,
                                float* HWY_RESTRICT wt, float* HWY_RESTRICT panels) {
  using Tables = cd::BackwardInputTables<G>;
  constexpr int kCin = G.in_per_group(), kCout = G.out_per_group();
  constexpr int kTaps = Tables::kTaps;
  if (valid < MR) ZeroFloats(wt, kCout * kTaps * MR);  // rows Transpose leaves: zero weights
  for (int co = 0; co < kCout; ++co) {
    Transpose(w + (co * kCin + ci0) * kTaps, kTaps, valid, kTaps, wt + co * kTaps * MR, MR);
  }
  float* HWY_RESTRICT a = panels;
  for (const auto& ph : Tables::phases) {
    ZeroFloats(a, MR);
    a += MR;
    for (int co = 0; co < kCout; ++co) {
      for (int i = 0; i < ph.taps; ++i, a += MR) {
        CopyFloats(wt + (co * kTaps + ph.tap[i]) * MR, a, MR);
      }
    }
  }
}

// One tile of MR input channels from ci0 (`valid` of them) over `count`
// outputs of a phase that every tap reaches (stride 1, or a 1x1 kernel): a
// full tile reads w (the group's) in place, a short one packs its panel
// first. kPackedTaps: the packed tile's tap count (0: a varying one).
template <Conv2dGeometry G, int MR, int kPackedTaps, class Phase>
HWY_INLINE void TileOfInputChannels(const float* HWY_RESTRICT src, int channel_stride,
                                    const int* HWY_RESTRICT tap_offset, const Phase& ph,
                                    const float* HWY_RESTRICT w, int ci0, int valid,
                                    float* HWY_RESTRICT panel, int count,
                                    float* HWY_RESTRICT out, int out_stride) {
  constexpr int kCin = G.in_per_group(), kCout = G.out_per_group();
  constexpr int kTaps = G.y.kernel * G.x.kernel;
  if (valid == MR) {
    RowTileOverOutputsTransposed<MR, kTaps, kCin>(src, kCout, channel_stride, tap_offset,
                                                  w + ci0 * kTaps, count, out, out_stride);
  } else {
    PackTransposedPanel<G, MR>(w, ph, ci0, valid, panel);
    RowTileOverOutputs<MR, kPackedTaps>(src, kCout, channel_stride, tap_offset, kTaps, panel,
                                        count, out, out_stride, valid);
  }
}

template <Conv2dGeometry G>
HWY_INLINE void BackwardInputByPhases(const float* HWY_RESTRICT dy, const float* HWY_RESTRICT w,
                                      float* HWY_RESTRICT dx, float* HWY_RESTRICT scratch) {
  using Tables = cd::BackwardInputTables<G>;
  constexpr cd::BackwardInputPlan p = Tables::plan;
  constexpr int kCin = G.in_per_group(), kCout = G.out_per_group(), MR = p.ci.mr;
  constexpr int kTaps = G.y.kernel * G.x.kernel;
  constexpr int kInPlane = G.in.h * G.in.w;
  static_assert(Tables::kPhases > 1 || Tables::phases[0].taps == kTaps,
                "stride 1: every tap reaches dx");
  // One phase without discarded columns: the tiles write straight into dx, a
  // block of positions at a time (kDirectBlockOutputs).
  constexpr bool kUnfolded = cd::input_unfolds(G);
  constexpr bool kDirect = Tables::kPhases == 1 && p.cols == G.in.w;
  float* HWY_RESTRICT dys = scratch + p.dys;
  float* HWY_RESTRICT panel = scratch + p.panel;
  float* HWY_RESTRICT ybuf = scratch + p.ybuf;
  // Positions no tap reaches (a kernel smaller than its stride: ResNet's 1x1
  // stride-2 shortcut) are zero: the whole of dx is cleared with whole vectors
  // first, rather than those phases' zeros stored one float at a time.
  constexpr bool kUnreached = [] {
    for (const auto& ph : Tables::phases) {
      if (ph.taps == 0 && ph.count_y > 0 && ph.count_x > 0) return true;
    }
    return false;
  }();
  if constexpr (kUnreached) ZeroFloats(dx, G.groups * kCin * kInPlane);
  for (int g = 0; g < G.groups; ++g) {
    const float* HWY_RESTRICT dy_group = dy + g * kCout * G.out.h * G.out.w;
    const float* HWY_RESTRICT w_group = w + g * kCout * kCin * kTaps;
    if constexpr (kUnfolded) {
      // Forward of the transposed geometry; panel tap i (w's tap i) reads
      // where the flipped kernel's tap kTaps - 1 - i does.
      constexpr Conv2dGeometry kTransposed = cd::input_transposed(G);
      using Unfolded = cd::ForwardTables<kTransposed, true>;
      static constexpr std::array<int, kTaps> kFlippedOffsets = [] {
        std::array<int, kTaps> t{};
        for (int i = 0; i < kTaps; ++i) t[i] = Unfolded::tap_offset[kTaps - 1 - i];
        return t;
      }();
      static_assert(Unfolded::plan.qeff == kInPlane, "no discarded column");
      UnfoldColumns<kTransposed>(dy_group, dys);
      const auto& ph = Tables::phases[0];
      for (int q0 = 0; q0 < kInPlane; q0 += kDirectBlockOutputs) {
        for (int t = 0; t < p.ci.tiles; ++t) {
          const int ci0 = t * MR;
          TileOfInputChannels<G, MR, kTaps>(dys + q0, Unfolded::plan.plane,
                                            kFlippedOffsets.data(), ph, w_group, ci0,
                                            std::min(MR, kCin - ci0), panel,
                                            std::min(kDirectBlockOutputs, kInPlane - q0),
                                            dx + (g * kCin + ci0) * kInPlane + q0, kInPlane);
        }
      }
      continue;
    }
    if constexpr (p.shifts > 0) {
      UnfoldShifts<G>(dy_group, dys);
    } else {
      PadPhases<PadSpec{kCout, G.out.h, G.out.w, 1, 1, p.pad_top, p.pad_left, p.rows, p.cols, 1,
                        1}>(dy_group, dys);
      ZeroFloats(scratch + p.wrap_tail, p.cols);
    }
    if constexpr (Tables::kPhases > 1) {  // a tile's panels at once, then its phases
      // Where a phase's tiles read dy: the unfolded copies or the padded dy.
      constexpr bool kShifted = p.shifts > 0;
      constexpr int kPlane = kShifted ? p.copy_plane : p.plane;
      constexpr int kCols = kShifted ? p.copy_cols : p.cols;
      const auto offsets = [](const auto& ph) {
        return kShifted ? ph.unfolded_offset.data() : ph.offset.data();
      };
      const auto qeff = [](const auto& ph) { return kShifted ? ph.unfolded_qeff : ph.qeff; };
      for (int t = 0; t < p.ci.tiles; ++t) {
        const int ci0 = t * MR;
        const int valid = std::min(MR, kCin - ci0);
        float* HWY_RESTRICT dx_tile = dx + (g * kCin + ci0) * kInPlane;
        // A full tile reads w in place; a short one packs its panels (the
        // phase's starts at `at`), whose rows past `valid` are zeros.
        if (valid < MR) PackPhasePanels<G, MR>(w_group, ci0, valid, scratch + p.wt, panel);
        const auto phase_tile = [&](const auto& ph, int at, int count, float* HWY_RESTRICT out) {
          if (valid == MR) {
            RowTileOverPhaseTransposed<MR, kTaps, kCin>(dys, kCout, kPlane, offsets(ph), ph.taps,
                                                        ph.tap.data(), w_group + ci0 * kTaps,
                                                        count, out, count);
          } else {
            RowTileOverOutputs<MR, 0>(dys, kCout, kPlane, offsets(ph), ph.taps, panel + at,
                                      count, out, count, valid);
          }
        };
        if constexpr (p.pairs_columns) {
          static constexpr auto kPanelAt = [] {  // where each phase's panel starts
            std::array<int, Tables::kPhases> at{};
            for (int i = 1; i < Tables::kPhases; ++i) {
              at[i] = at[i - 1] + MR * (1 + kCout * Tables::phases[i - 1].taps);
            }
            return at;
          }();
          for (int ry = 0; ry < G.y.stride; ++ry) {
            const auto& even = Tables::phases[2 * ry];
            const auto& odd = Tables::phases[2 * ry + 1];
            static_assert(G.x.stride == 2);
            const int count = qeff(even);  // odd's too: the same rows, as wide
            phase_tile(even, kPanelAt[2 * ry], count, ybuf);
            phase_tile(odd, kPanelAt[2 * ry + 1], count, scratch + p.ybuf_odd);
            InterleaveColumnPhases(ybuf, scratch + p.ybuf_odd, valid,
                                   {even.count_y, even.count_x, count, kCols, ry, 0, G.y.stride,
                                    2, G.in.h, G.in.w},
                                   dx_tile);
          }
          continue;
        }
        int at = 0;
        for (const auto& ph : Tables::phases) {
          if (ph.count_y > 0 && ph.count_x > 0 && ph.taps > 0) {
            phase_tile(ph, at, qeff(ph), ybuf);
            ScatterRows(ybuf, valid,
                        {ph.count_y, ph.count_x, qeff(ph), kCols, ph.ry, ph.rx, G.y.stride,
                         G.x.stride, G.in.h, G.in.w},
                        dx_tile);
          }
          at += MR * (1 + kCout * ph.taps);
        }
      }
    } else {  // stride 1: one phase, every tap
      const auto& ph = Tables::phases[0];
      const int block = kDirect ? kDirectBlockOutputs : ph.qeff;
      for (int q0 = 0; q0 < ph.qeff; q0 += block) {
        for (int t = 0; t < p.ci.tiles; ++t) {
          const int ci0 = t * MR;
          const int valid = std::min(MR, kCin - ci0);
          float* HWY_RESTRICT dx_tile = dx + (g * kCin + ci0) * kInPlane;
          TileOfInputChannels<G, MR, kTaps>(dys + q0, p.plane, ph.offset.data(), ph, w_group,
                                            ci0, valid, panel, std::min(block, ph.qeff - q0),
                                            (kDirect ? dx_tile : ybuf) + q0,
                                            kDirect ? kInPlane : ph.qeff);
          if constexpr (!kDirect) {
            ScatterRows(ybuf, valid,
                        {ph.count_y, ph.count_x, ph.qeff, p.cols, ph.ry, ph.rx, G.y.stride,
                         G.x.stride, G.in.h, G.in.w},
                        dx_tile);
          }
        }
      }
    }
  }
}

// A 1x1 stride-2 unpadded convolution of an even-sized input (ResNet's
// shortcut, 16x32x32 -> 32x16x16; cd::pointwise_stride2): dx at the even
// positions is W^T dy, a plain GEMM over dy read in place (one phase, one
// tap), and zero everywhere else. Per tile of MR input channels the row tile
// writes W^T dy to ybuf, then each row of dx is written once with whole
// vectors: an even row spread from ybuf with zeros between
// (SpreadEvenFloats), an odd row zeros. The phase path cleared dx, copied dy
// into scratch and scattered into dx by reading it back (ScatterEvenRow):
// 60% of its time at batch 1 on AVX-512; this path takes half of that time.
// dy is read in place when its planes are whole vectors of any target (the
// tiles' last vector then ends at the plane's end, never past dy).
constexpr bool PointwiseStride2Input(const Conv2dGeometry& g) {
  return cd::pointwise_stride2(g) && g.out.h * g.out.w % cd::kAlignFloats == 0;
}

template <Conv2dGeometry G>
HWY_INLINE void BackwardInputPointwiseStride2(const float* HWY_RESTRICT dy,
                                              const float* HWY_RESTRICT w,
                                              float* HWY_RESTRICT dx,
                                              float* HWY_RESTRICT scratch) {
  static_assert(PointwiseStride2Input(G));
  using Tables = cd::BackwardInputTables<G>;
  constexpr cd::BackwardInputPlan p = Tables::plan;
  constexpr int kCin = G.in_per_group(), kCout = G.out_per_group(), MR = p.ci.mr;
  constexpr int kOutPlane = G.out.h * G.out.w, kInPlane = G.in.h * G.in.w;
  static_assert(p.max_qeff == kOutPlane, "ybuf holds a tile's rows of W^T dy");
  static constexpr int kOffset[1] = {0};
  float* HWY_RESTRICT panel = scratch + p.panel;
  float* HWY_RESTRICT ybuf = scratch + p.ybuf;
  for (int g = 0; g < G.groups; ++g) {
    for (int t = 0; t < p.ci.tiles; ++t) {
      const int ci0 = t * MR;
      const int valid = std::min(MR, kCin - ci0);
      // A short tile takes the phase path's instantiation (a varying tap count).
      TileOfInputChannels<G, MR, 0>(dy + g * kCout * kOutPlane, kOutPlane, kOffset,
                                    Tables::phases[0], w + g * kCout * kCin, ci0, valid, panel,
                                    kOutPlane, ybuf, kOutPlane);
      for (int r = 0; r < valid; ++r) {
        float* HWY_RESTRICT plane = dx + (g * kCin + ci0 + r) * kInPlane;
        for (int j = 0; j < G.out.h; ++j) {
          SpreadEvenFloats(ybuf + r * kOutPlane + j * G.out.w, plane + 2 * j * G.in.w, G.out.w);
          ZeroFloats(plane + (2 * j + 1) * G.in.w, G.in.w);
        }
      }
    }
  }
}

}  // namespace conv2d_impl
}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#endif  // STATICNN_KERNELS_CONV2D_BACKWARD_INPUT_INL_H_
