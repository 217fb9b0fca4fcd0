// Linear (fully connected) layer on a batch, forward and backward:
//   forward          y[b][o]  = sum_k x[b][k] w[o][k] + bias[o]
//   backward input   dx[b][k] = sum_o dy[b][o] w[o][k]          (overwritten)
//   backward params  dw[o][k] += sum_b dy[b][o] x[b][k],  db[o] += sum_b dy[b][o]
// Layouts are PyTorch's: x [Batch][in], w [out][in], bias [out], y [Batch][out].
//
// All three are built from one register tile, MulAddTile: MR rows times NV
// vectors of accumulators, each step broadcasting MR scalars of one operand
// against NV vectors of the other. Backward input (vectors along in, over
// w's rows) and backward params (vectors along in, over x's rows) read both
// operands in their natural layout; for one sample with 512-bit vectors
// backward input keeps dx in registers and reads w's rows in order
// (RowMulAddHeld); backward params of one sample updates dw's rows in order
// on every fixed-width target (RowOuter). Forward pairs rows of x with rows of w,
// which are both contiguous along the reduction, so:
//   - small batches (matrix-vector products, memory bound) use dot products,
//     vectors along in, one horizontal sum per output: a few rows of x
//     against a few rows of w (8 rows of w in flight for one sample), each
//     load of w serving every row of x; with 512-bit vectors w's rows are
//     read in order instead, one at a time (RowDots; one sample keeps x in
//     registers, RowDotsHeld);
//   - larger batches copy a panel of w, transposed (8x8 register transposes
//     on x86, 4x4 elsewhere), to a stack buffer of at most kPanelK
//     in-features by kForwardVectors vectors of outputs and run the register
//     tile on it, so that the whole batch reuses every element of w from L1.
// The tiles (MulAddTile, DotTile, RowDots) take their sizes and strides at run time and
// are not inlined: one instance per tile shape serves every layer, which keeps
// compile time and code size independent of the number of Linear shapes. The
// shape-specific code is only the loops around them, and RowDotsHeld (x in
// registers needs K at compile time: one instance per in-feature count, only
// for one sample with 512-bit vectors).
// No heap; stack use is the panel (24 KiB with AVX-512, 12 KiB below).

// Per-target include guard (Highway's module pattern).
#if defined(STATICNN_KERNELS_LINEAR_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef STATICNN_KERNELS_LINEAR_INL_H_
#undef STATICNN_KERNELS_LINEAR_INL_H_
#else
#define STATICNN_KERNELS_LINEAR_INL_H_
#endif

#include <cstddef>
#include <type_traits>
#include <utility>

#include "hwy/highway.h"
#include "staticnn/geometry.hpp"
#include "staticnn/kernels/activation-inl.h"
#include "staticnn/kernels/memory-inl.h"
#include "staticnn/kernels/transpose_blocks-inl.h"
#include "staticnn/kernels/vectors-inl.h"

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

namespace linear_detail {

using D = KernelTag;
using V = hn::Vec<D>;
using std::size_t;

template <int N>
using Int = std::integral_constant<int, N>;

// f(Int<0>), f(Int<1>), ..., f(Int<N-1>): unrolled, so arrays of vectors
// indexed by the constant stay in registers.
template <class F, int... I>
HWY_INLINE void UnrollImpl(F& f, std::integer_sequence<int, I...>) {
  (f(Int<I>()), ...);
}
template <int N, class F>
HWY_INLINE void Unroll(F&& f) {
  UnrollImpl(f, std::make_integer_sequence<int, N>());
}

// Splits [0, kTotal) into blocks of kStep and calls f(Int<size>, start) for
// each; a shorter last block gets its own compile-time size.
template <int kTotal, int kStep, class F>
HWY_INLINE void ForEachBlock(F&& f) {
  constexpr int kFull = kTotal / kStep * kStep;
  for (int start = 0; start < kFull; start += kStep) f(Int<kStep>(), start);
  if constexpr (kFull < kTotal) f(Int<kTotal - kFull>(), kFull);
}

// Register budget: x86 below AVX-512 has 16 vector registers, the rest 32.
// kRows is the rows of the register tile for large batches, of
// VectorsFor(kRows) vectors. With 16 registers that is 4 x 3: 12 accumulators,
// 3 loaded vectors and a broadcast, 7 loads per 12 FMAs, where 4 x 2 made 6
// per 8 with just enough accumulators to cover the FMA latency (400 -> 120 at
// batch 64 on a Zen 3, AVX2: forward 72.1 -> 67.6 us, backward input 68.1 ->
// 66.0, backward params unchanged).
#if HWY_ARCH_X86 && HWY_TARGET > HWY_AVX3
constexpr int kAccumulators = 12;
constexpr int kRows = 4;
#else
constexpr int kAccumulators = 16;
constexpr int kRows = 8;
#endif
// Vectors per tile row for `rows` rows: enough independent accumulators to
// hide the FMA latency, at most 8 (longer tiles only cost code size).
constexpr int VectorsFor(int rows) {
  const int v = kAccumulators / rows;
  return v < 1 ? 1 : (v > 8 ? 8 : v);
}
// In-features per packed panel of w in the forward pass, at most: the panel is
// kPanelK x kForwardVectors vectors, 24 KiB with AVX-512, and stays in L1 with
// the rows of x.
constexpr size_t kPanelK = 128;

// The register tile, shared by all three passes:
//   c[r][v] = init[r][v] + sum_{t < count} a[r * a_row + t * a_step] * b[t * b_step + v]
// for r < MR and v < NV vectors of columns; with kMaskLast the last vector has
// only last_lanes columns (the rest are neither read nor written). init is c
// itself (accumulate), a row repeated for every r (init_row == 0: the bias),
// or nullptr (zero). Not inlined and independent of the layer's shape: one
// instance serves every geometry, which keeps compile time and code size down.
template <int MR, int NV, bool kMaskLast>
HWY_NOINLINE void MulAddTile(size_t count, const float* HWY_RESTRICT a, size_t a_row,
                             size_t a_step, const float* HWY_RESTRICT b, size_t b_step,
                             const float* init, size_t init_row, float* c, size_t c_row,
                             size_t last_lanes) {
  const D d;
  const size_t lanes = hn::Lanes(d);
  const auto columns = [&](auto v) HWY_ATTR {
    return kMaskLast && decltype(v)::value == NV - 1 ? last_lanes : lanes;
  };
  VecTile<D, MR, NV> acc;
  Unroll<MR>([&](auto r) HWY_ATTR {
    Unroll<NV>([&](auto v) HWY_ATTR {
      acc.Set(r, v, init == nullptr ? hn::Zero(d)
                                    : LoadUpTo(d, init + r * init_row + v * lanes, columns(v)));
    });
  });
  for (size_t t = 0; t < count; ++t) {
    const float* bt = b + t * b_step;
    VecTile<D, NV> bv;
    Unroll<NV>([&](auto v) HWY_ATTR {
      if constexpr (kMaskLast && decltype(v)::value == NV - 1) {
        bv.Set(v, LoadFirstN(d, bt + v * lanes, last_lanes));
      } else {
        bv.Set(v, hn::LoadU(d, bt + v * lanes));
      }
    });
    const float* at = a + t * a_step;
    Unroll<MR>([&](auto r) HWY_ATTR {
      const V ar = hn::Set(d, at[r * a_row]);
      Unroll<NV>([&](auto v) HWY_ATTR { acc.Set(r, v, hn::MulAdd(ar, bv.Get(v), acc.Get(r, v))); });
    });
  }
  Unroll<MR>([&](auto r) HWY_ATTR {
    Unroll<NV>([&](auto v) HWY_ATTR {
      StoreFirstN(d, acc.Get(r, v), c + r * c_row + v * lanes, columns(v));
    });
  });
}

// tile(Int<NV>, bool_constant<kMaskLast>, last_lanes) for one tile of `outs`
// columns: ceil(outs / lanes) <= NR vectors, the last partial one masked.
template <int NR, class Tile>
HWY_INLINE void OneColumnTile(size_t outs, Tile&& tile) {
  const size_t lanes = hn::Lanes(D());
  const size_t vectors = (outs + lanes - 1) / lanes;
  const size_t last_lanes = outs - (vectors - 1) * lanes;
  if constexpr (NR > 1) {
    if (vectors < NR) {
      OneColumnTile<NR - 1>(outs, tile);
      return;
    }
  }
  if (last_lanes == lanes) {
    tile(Int<NR>(), std::false_type(), lanes);
  } else {
    tile(Int<NR>(), std::true_type(), last_lanes);
  }
}

// Calls tile(Int<NV>, bool_constant<kMaskLast>, column, last_lanes) over
// `columns` floats split into vectors: tiles of NR vectors, then one tile of
// the vectors left; the last vector is masked where it is partial. The vectors
// left were tiles of one vector each: 400 in-features in tiles of 3 vectors
// (AVX2) ended with two 4 x 1 tiles, 4 accumulators each, too few for the FMA
// latency. Every column sums the same products in the same order whatever its
// tile: the same bits.
template <int NR, class Tile>
HWY_INLINE void ForEachColumnTile(size_t columns, Tile&& tile) {
  const size_t lanes = hn::Lanes(D());
  const size_t vectors = (columns + lanes - 1) / lanes;
  const size_t tiles = vectors / NR, rest = vectors % NR;
  const bool partial = columns % lanes != 0;
  for (size_t i = 0; i < tiles; ++i) {
    if (partial && rest == 0 && i + 1 == tiles) {
      tile(Int<NR>(), std::true_type(), i * NR * lanes, columns % lanes);
    } else {
      tile(Int<NR>(), std::false_type(), i * NR * lanes, lanes);
    }
  }
  if constexpr (NR > 1) {
    if (rest != 0) {
      const size_t column = tiles * NR * lanes;
      const auto at_column = [&](auto nv, auto mask_last, size_t last_lanes) HWY_ATTR {
        tile(nv, mask_last, column, last_lanes);
      };
      OneColumnTile<NR - 1>(columns - column, at_column);
    }
  }
}

// Forward for small batches: R rows of x against Q rows of w (both with row
// stride k), as dot products; y[r][q] = sum + bias[q] (y row stride y_row),
// max(0, sum + bias[q]) with kRelu (a fused ReLU: ReluForward's semantics).
template <int R, int Q, bool kRelu>
HWY_NOINLINE void DotTile(size_t k, const float* HWY_RESTRICT x, const float* HWY_RESTRICT w,
                          const float* HWY_RESTRICT bias, float* HWY_RESTRICT y, size_t y_row) {
  const D d;
  const size_t lanes = hn::Lanes(d);
  VecTile<D, R, Q> acc;
  Unroll<R>([&](auto r) HWY_ATTR {
    Unroll<Q>([&](auto q) HWY_ATTR { acc.Set(r, q, hn::Zero(d)); });
  });
  // Inlined: called twice, it would otherwise keep the accumulators in memory.
  const auto step = [&](size_t i, size_t n) HWY_ATTR __attribute__((always_inline)) {
    VecTile<D, R> xv;
    Unroll<R>([&](auto r) HWY_ATTR { xv.Set(r, LoadUpTo(d, x + r * k + i, n)); });
    Unroll<Q>([&](auto q) HWY_ATTR {
      const V wv = LoadUpTo(d, w + q * k + i, n);
      Unroll<R>([&](auto r) HWY_ATTR { acc.Set(r, q, hn::MulAdd(xv.Get(r), wv, acc.Get(r, q))); });
    });
  };
  size_t i = 0;
  for (; i + lanes <= k; i += lanes) step(i, lanes);
  if (i < k) step(i, k - i);
  Unroll<R>([&](auto r) HWY_ATTR {
    Unroll<Q>([&](auto q) HWY_ATTR {
      const float sum = hn::GetLane(hn::SumOfLanes(d, acc.Get(r, q))) + (bias ? bias[q] : 0.0f);
      y[r * y_row + q] = kRelu && sum < 0.0f ? 0.0f : sum;
    });
  });
}

// Forward for R <= 4 samples with 512-bit vectors: y[r][o] = x[r] . w[o] +
// bias[o] (with kRelu max(0, ...)), one row of w after the other, four
// accumulators per sample (the FMA latency), each load of w serving every
// sample. w is read in order: one stream, which the hardware prefetcher
// follows from L2 at 150-165 GB/s on this machine's AVX-512 (one sample),
// against 105-115 GB/s for 8 rows of w in flight (8 streams, DotTile<1, 8>).
// Every R sums in the same order, so a sample's outputs do not depend on the
// batch it came in (a partial batch's shard of one gives the full batch's
// rows: parallel_dispatch_test). With narrower vectors the loads of x, one
// per FMA for one sample, are the bottleneck and DotTile's 8 rows sharing each
// are faster (AVX2 LeNet-5 inference 9.0-9.3 us with DotTile, 9.4-9.5 with
// pairs of rows read in order). A layout packed for one sample (outputs in
// lanes, as XNNPACK packs at model load) streams at 180-190 GB/s (AVX-512) but
// would be a copy of PyTorch's [out][in].
template <int R, bool kRelu>
HWY_NOINLINE void RowDots(size_t k, size_t outs, const float* HWY_RESTRICT x,
                          const float* HWY_RESTRICT w, const float* HWY_RESTRICT bias,
                          float* HWY_RESTRICT y, size_t y_row) {
  const D d;
  const size_t lanes = hn::Lanes(d);
  for (size_t o = 0; o < outs; ++o, w += k) {
    VecTile<D, R, 4> acc;
    Unroll<R>([&](auto r) HWY_ATTR {
      Unroll<4>([&](auto c) HWY_ATTR { acc.Set(r, c, hn::Zero(d)); });
    });
    // Chain c of sample r: acc(r, c) += x[r] * w over vectors c, c + 4, ...,
    // then the remaining whole vectors in chain 0, a partial one in chain 1.
    const auto step = [&](size_t i, size_t n, auto c) HWY_ATTR __attribute__((always_inline)) {
      const V wv = LoadUpTo(d, w + i, n);
      Unroll<R>([&](auto r) HWY_ATTR {
        acc.Set(r, c, hn::MulAdd(LoadUpTo(d, x + r * k + i, n), wv, acc.Get(r, c)));
      });
    };
    size_t i = 0;
    for (; i + 4 * lanes <= k; i += 4 * lanes) {
      Unroll<4>([&](auto c) HWY_ATTR { step(i + c * lanes, lanes, c); });
    }
    for (; i + lanes <= k; i += lanes) step(i, lanes, Int<0>());
    if (i < k) step(i, k - i, Int<1>());
    Unroll<R>([&](auto r) HWY_ATTR {
      const V sum = hn::Add(hn::Add(acc.Get(r, 0), acc.Get(r, 1)),
                            hn::Add(acc.Get(r, 2), acc.Get(r, 3)));
      const float dot = hn::GetLane(hn::SumOfLanes(d, sum)) + (bias ? bias[o] : 0.0f);
      y[r * y_row + o] = kRelu && dot < 0.0f ? 0.0f : dot;
    });
  }
}

// RowDots<1, kRelu> with x in registers for the whole layer (K floats, at
// most kHeldVectors vectors: 25 and 4 accumulators fit the 32 registers with
// one reload per row): only w is loaded, one load per FMA instead of two.
// Same chains in the same order as RowDots, so the same bits at every batch.
// 400 -> 120 at batch 1 (layers_bench BM_LinearForward<1>, AVX-512):
// 1.20-1.22 -> 1.05-1.08 us, w streamed from L2 at 180 GB/s, the rate of a
// packed layout; LeNet-5 inference 5.30-5.43 -> 5.07-5.15 us. Prefetching w
// one to four rows ahead changed nothing, nor did dropping the horizontal sums
// (an experiment): the loop is bound by L2.
constexpr int kHeldVectors = 25;
template <int K, bool kRelu>
HWY_NOINLINE void RowDotsHeld(size_t outs, const float* HWY_RESTRICT x,
                              const float* HWY_RESTRICT w, const float* HWY_RESTRICT bias,
                              float* HWY_RESTRICT y) {
  const D d;
  constexpr int kLanes = static_cast<int>(hn::MaxLanes(D()));
  constexpr int kWhole = K / kLanes, kTail = K % kLanes;
  constexpr int kQuads = kWhole / 4 * 4;  // vectors in the four chains
  VecTile<D, kWhole + (kTail != 0)> xv;
  Unroll<kWhole>([&](auto v) HWY_ATTR { xv.Set(v, hn::LoadU(d, x + v * kLanes)); });
  if constexpr (kTail != 0) xv.Set(kWhole, LoadFirstN(d, x + kWhole * kLanes, kTail));
  for (size_t o = 0; o < outs; ++o, w += K) {
    VecTile<D, 4> acc;
    Unroll<4>([&](auto c) HWY_ATTR { acc.Set(c, hn::Zero(d)); });
    Unroll<kWhole>([&](auto v) HWY_ATTR {
      constexpr int c = decltype(v)::value < kQuads ? decltype(v)::value % 4 : 0;
      acc.Set(c, hn::MulAdd(xv.Get(v), hn::LoadU(d, w + v * kLanes), acc.Get(c)));
    });
    if constexpr (kTail != 0) {
      acc.Set(1, hn::MulAdd(xv.Get(kWhole), LoadFirstN(d, w + kWhole * kLanes, kTail), acc.Get(1)));
    }
    const V sum = hn::Add(hn::Add(acc.Get(0), acc.Get(1)), hn::Add(acc.Get(2), acc.Get(3)));
    const float dot = hn::GetLane(hn::SumOfLanes(d, sum)) + (bias ? bias[o] : 0.0f);
    y[o] = kRelu && dot < 0.0f ? 0.0f : dot;
  }
}

// Backward input of one sample with dx in registers (K floats, at most
// kHeldVectors vectors): dx += dy[o] * w[o] over the rows of w in order, one
// stream. Each dx float sums the same products in the same order as
// MulAddTile's column tiles (o ascending from zero): the same bits.
// 400 -> 120 at batch 1 (layers_bench BM_LinearBackwardInput<1>, AVX-512):
// 1.36 -> 1.08 us, the column tiles having read w in 4 strips of 512 B per row.
template <int K>
HWY_NOINLINE void RowMulAddHeld(size_t outs, const float* HWY_RESTRICT dy,
                                const float* HWY_RESTRICT w, float* HWY_RESTRICT dx) {
  const D d;
  constexpr int kLanes = static_cast<int>(hn::MaxLanes(D()));
  constexpr int kWhole = K / kLanes, kTail = K % kLanes;
  VecTile<D, kWhole + (kTail != 0)> acc;
  Unroll<kWhole + (kTail != 0)>([&](auto v) HWY_ATTR { acc.Set(v, hn::Zero(d)); });
  for (size_t o = 0; o < outs; ++o, w += K) {
    const V g = hn::Set(d, dy[o]);
    Unroll<kWhole>([&](auto v) HWY_ATTR {
      acc.Set(v, hn::MulAdd(g, hn::LoadU(d, w + v * kLanes), acc.Get(v)));
    });
    if constexpr (kTail != 0) {
      acc.Set(kWhole, hn::MulAdd(g, LoadFirstN(d, w + kWhole * kLanes, kTail), acc.Get(kWhole)));
    }
  }
  Unroll<kWhole>([&](auto v) HWY_ATTR { hn::StoreU(acc.Get(v), d, dx + v * kLanes); });
  if constexpr (kTail != 0) StoreFirstN(d, acc.Get(kWhole), dx + kWhole * kLanes, kTail);
}

// Backward params of one sample: dw[o] += dy[o] * x, the rows of dw read and
// written in order (two streams, where the column tiles went over each row in
// strips), x held in registers where it fits (kHeld: at most kHeldVectors
// vectors), else loaded from L1 with each vector of dw. One FMA per float of
// dw, as in the tiles: the same bits.
template <int K, bool kHeld>
HWY_NOINLINE void RowOuter(size_t outs, const float* HWY_RESTRICT x,
                           const float* HWY_RESTRICT dy, float* HWY_RESTRICT dw) {
  const D d;
  constexpr int kLanes = static_cast<int>(hn::MaxLanes(D()));
  constexpr int kWhole = K / kLanes, kTail = K % kLanes;
  VecTile<D, kHeld ? kWhole + (kTail != 0) : 1> xv;
  if constexpr (kHeld) {
    Unroll<kWhole>([&](auto v) HWY_ATTR { xv.Set(v, hn::LoadU(d, x + v * kLanes)); });
    if constexpr (kTail != 0) xv.Set(kWhole, LoadFirstN(d, x + kWhole * kLanes, kTail));
  }
  for (size_t o = 0; o < outs; ++o, dw += K) {
    const V g = hn::Set(d, dy[o]);
    if constexpr (kHeld) {
      Unroll<kWhole>([&](auto v) HWY_ATTR {
        float* p = dw + v * kLanes;
        hn::StoreU(hn::MulAdd(g, xv.Get(v), hn::LoadU(d, p)), d, p);
      });
    } else {
      for (int i = 0; i < kWhole * kLanes; i += kLanes) {
        hn::StoreU(hn::MulAdd(g, hn::LoadU(d, x + i), hn::LoadU(d, dw + i)), d, dw + i);
      }
    }
    if constexpr (kTail != 0) {
      float* p = dw + kWhole * kLanes;
      const V xt = [&]() HWY_ATTR {
        if constexpr (kHeld) {
          return xv.Get(kWhole);
        } else {
          return LoadFirstN(d, x + kWhole * kLanes, kTail);
        }
      }();
      StoreFirstN(d, hn::MulAdd(g, xt, LoadFirstN(d, p, kTail)), p, kTail);
    }
  }
}

template <LinearGeometry G, int Batch, bool kRelu>
HWY_INLINE void ForwardDot(const float* HWY_RESTRICT x, const float* HWY_RESTRICT w,
                           const float* HWY_RESTRICT bias, float* HWY_RESTRICT y) {
  constexpr int K = G.in_features, O = G.out_features;
  constexpr int kMaxRows = 4;
  ForEachBlock<Batch, kMaxRows>([&](auto rows, int b0) HWY_ATTR {
    constexpr int R = decltype(rows)::value;
    if constexpr (!HWY_HAVE_SCALABLE && hn::MaxLanes(D()) >= 16 && R == 1 &&
                  (K + hn::MaxLanes(D()) - 1) / hn::MaxLanes(D()) <= kHeldVectors) {
      RowDotsHeld<K, kRelu>(O, x + b0 * K, w, bias, y + b0 * O);
    } else if constexpr (hn::MaxLanes(D()) >= 16) {
      RowDots<R, kRelu>(K, O, x + b0 * K, w, bias, y + b0 * O, O);
    } else {
      // One batch row: 8 rows of w in flight; more batch rows share each load of w.
      constexpr int kQ = R == 1 ? 8 : (kAccumulators >= 16 ? 4 : 2);
      ForEachBlock<O, kQ>([&](auto outs, int o0) HWY_ATTR {
        DotTile<R, decltype(outs)::value, kRelu>(K, x + b0 * K, w + o0 * K,
                                                 bias ? bias + o0 : nullptr, y + b0 * O + o0, O);
      });
    }
  });
}

// Vectors of outputs per forward tile: 8 rows x 3 vectors with 32 registers
// (24 accumulators; 8 x 2 spent 10 loads per 16 FMAs), 4 x 3 with 16.
constexpr int kForwardVectors = 3;


template <LinearGeometry G, int Batch>
HWY_INLINE void ForwardPacked(const float* HWY_RESTRICT x, const float* HWY_RESTRICT w,
                              const float* HWY_RESTRICT bias, float* HWY_RESTRICT y) {
  constexpr size_t K = G.in_features, O = G.out_features;
  constexpr int NR = kForwardVectors;
  const size_t lanes = hn::Lanes(D());
  const size_t width = NR * lanes;  // panel row stride
  // Outputs and in-features split into near-equal panels, each one tile wide:
  // 120 outputs with AVX-512 run as 3 + 3 + 2 vectors (the last masked), not
  // 2 + 2 + 2 + 1 + a masked one in tiles of 8 accumulators; 400 in-features as
  // 4 x 100, not 3 x 128 + 16 (a panel's partial sums are stored and reloaded).
  const size_t out_vectors = (O + lanes - 1) / lanes;
  const size_t out_panels = (out_vectors + NR - 1) / NR;
  const size_t panel_outs = (out_vectors + out_panels - 1) / out_panels * lanes;
  constexpr size_t kDepthPanels = (K + kPanelK - 1) / kPanelK;
  constexpr size_t kDepth = (K + kDepthPanels - 1) / kDepthPanels;

  // panel[kk][j] = w[o0 + j][k0 + kk]
  HWY_ALIGN float panel[kPanelK * NR * hn::MaxLanes(D())];
  for (size_t o0 = 0; o0 < O; o0 += panel_outs) {
    const size_t outs = O - o0 < panel_outs ? O - o0 : panel_outs;
    for (size_t k0 = 0; k0 < K; k0 += kDepth) {
      const size_t depth = K - k0 < kDepth ? K - k0 : kDepth;
      conv2d_impl::TransposeBlocks(w + o0 * K + k0, static_cast<int>(K), static_cast<int>(outs),
                                   static_cast<int>(depth), panel, static_cast<int>(width));
      ForEachBlock<Batch, kRows>([&](auto rows, int b0) HWY_ATTR {
        constexpr int R = decltype(rows)::value;
        OneColumnTile<NR>(outs, [&](auto nv, auto mask_last, size_t last_lanes) HWY_ATTR {
          float* c = y + b0 * O + o0;
          // Start from the bias, or from the partial sums of earlier panels.
          const float* init = k0 != 0 ? c : (bias ? bias + o0 : nullptr);
          MulAddTile<R, decltype(nv)::value, decltype(mask_last)::value>(
              depth, x + b0 * K + k0, K, 1, panel, width, init, k0 != 0 ? O : 0, c, O,
              last_lanes);
        });
      });
    }
  }
}

}  // namespace linear_detail

// y = x w^T + bias. bias may be nullptr (and is ignored when G.bias is false).
// kRelu: y = max(0, x w^T + bias), a fused ReLU (in the dot products' final
// sums at small batches; a pass over y in cache otherwise).
template <LinearGeometry G, int Batch, bool kRelu = false>
void LinearForward(const float* HWY_RESTRICT x, const float* HWY_RESTRICT w,
                   const float* HWY_RESTRICT b, float* HWY_RESTRICT y) {
  static_assert(G.in_features > 0 && G.out_features > 0 && Batch > 0);
  using namespace linear_detail;  // NOLINT: the helpers of this file
  const float* bias = G.bias ? b : nullptr;
  // Below one register tile of rows, packing w costs more than it saves.
  if constexpr (Batch < kRows) {
    ForwardDot<G, Batch, kRelu>(x, w, bias, y);
  } else {
    ForwardPacked<G, Batch>(x, w, bias, y);
    if constexpr (kRelu) ReluForward<std::size_t(Batch) * G.out_features>(y, y);
  }
}

// dx = dy w (overwritten).
template <LinearGeometry G, int Batch>
void LinearBackwardInput(const float* HWY_RESTRICT dy, const float* HWY_RESTRICT w,
                         float* HWY_RESTRICT dx) {
  static_assert(G.in_features > 0 && G.out_features > 0 && Batch > 0);
  using namespace linear_detail;  // NOLINT: the helpers of this file
  constexpr size_t K = G.in_features, O = G.out_features;
  constexpr size_t kLanes = hn::MaxLanes(D());
  if constexpr (!HWY_HAVE_SCALABLE && kLanes >= 16 && Batch == 1 &&
                (K + kLanes - 1) / kLanes <= kHeldVectors) {
    RowMulAddHeld<static_cast<int>(K)>(O, dy, w, dx);
    return;
  }
  // Columns of dx (in-features) outer, so a panel of w stays in L1 for the
  // whole batch.
  constexpr int kTileRows = Batch < kRows ? Batch : kRows;
  ForEachColumnTile<VectorsFor(kTileRows)>(K, [&](auto nv, auto mask_last, size_t col,
                                                  size_t last_lanes) HWY_ATTR {
    ForEachBlock<Batch, kTileRows>([&](auto rows, int b0) HWY_ATTR {
      MulAddTile<decltype(rows)::value, decltype(nv)::value, decltype(mask_last)::value>(
          O, dy + b0 * O, O, 1, w + col, K, nullptr, 0, dx + b0 * K + col, K, last_lanes);
    });
  });
}

// dw += dy^T x, db += column sums of dy (db may be nullptr; ignored when
// G.bias is false).
template <LinearGeometry G, int Batch>
void LinearBackwardParams(const float* HWY_RESTRICT x, const float* HWY_RESTRICT dy,
                          float* HWY_RESTRICT dw, float* HWY_RESTRICT db) {
  static_assert(G.in_features > 0 && G.out_features > 0 && Batch > 0);
  using namespace linear_detail;  // NOLINT: the helpers of this file
  constexpr size_t K = G.in_features, O = G.out_features;
  constexpr size_t kLanes = hn::MaxLanes(D());
  if constexpr (!HWY_HAVE_SCALABLE && Batch == 1) {
    constexpr bool kHeld = kLanes >= 16 && (K + kLanes - 1) / kLanes <= kHeldVectors;
    RowOuter<static_cast<int>(K), kHeld>(O, x, dy, dw);
  } else {
    // Columns of dw (in-features) outer, so the matching columns of x stay in
    // L1 for all rows of dw. Row r of the tile is output o0 + r: a[r][t] =
    // dy[t][o0 + r].
    ForEachColumnTile<VectorsFor(kRows)>(K, [&](auto nv, auto mask_last, size_t col,
                                                size_t last_lanes) HWY_ATTR {
      ForEachBlock<O, kRows>([&](auto rows, int o0) HWY_ATTR {
        float* c = dw + o0 * K + col;
        MulAddTile<decltype(rows)::value, decltype(nv)::value, decltype(mask_last)::value>(
            Batch, dy + o0, 1, O, x + col, K, c, K, c, K, last_lanes);
      });
    });
  }
  if (!G.bias || db == nullptr) return;
  const D d;
  const size_t lanes = hn::Lanes(d);
  for (size_t o = 0; o < O; o += lanes) {
    const size_t n = O - o < lanes ? O - o : lanes;
    V sum = LoadUpTo(d, db + o, n);
    for (size_t b = 0; b < Batch; ++b) sum = hn::Add(sum, LoadUpTo(d, dy + b * O + o, n));
    StoreFirstN(d, sum, db + o, n);
  }
}

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#endif  // STATICNN_KERNELS_LINEAR_INL_H_
