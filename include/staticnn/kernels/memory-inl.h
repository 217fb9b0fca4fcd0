// Tails, copies, fills, transposes and sums: the memory helpers that every
// kernel shares, per Highway target.
//
//   ForEachVector<N>(op)          op(d, i) over [0, N): whole vectors, then single lanes
//   LoadFirstN / LoadUpTo         the first n lanes of a vector from p[0, n), zeros after
//   StoreFirstN                   the first n lanes of a vector to p[0, n)
//   StoreTile                     rows [0, rows) x columns [0, cols) of a register tile
//   CopyFloats / FillFloats /     n floats, the last vector overlapping the previous one
//     ZeroFloats
//   CopyEvenFloats                to[i] = from[2 * i] for i < n, the same way
//   ScatterEvenRow                row[first + 2 * i] = from[i]: the inverse, into a row
//   SpreadEvenFloats              row[2 * i] = from[i], row[2 * i + 1] = 0: a whole row
//   Transpose                     dst[i][r] = src[r][i], in 4x4 blocks
//   SumFloats                     p[0] + ... + p[n - 1]
//   PrefetchFloats                asks for the cache lines of p[0, n)
//
// Nothing here reads or writes outside [p, p + n). A length that is not a
// multiple of the vector length is handled in one of three ways, each the
// fastest for its case:
//   - element-wise maps over a compile-time length (activations, dropout,
//     batch norm): ForEachVector, vectors of CappedTag<float, N> (a 10-float
//     tensor gets one 8-lane vector, not a mostly empty 16-lane one), then the
//     rest one lane at a time: no mask, nothing read past the end;
//   - one partial vector inside a loop (the last columns of a row, the end of
//     a plane in a sum): LoadFirstN / StoreFirstN; the last, short chunk of
//     columns of a register tile: StoreTile, through a copy on the stack;
//   - copies and fills, where writing a float twice is harmless: CopyFloats
//     and FillFloats end with a vector that overlaps the previous one, and use
//     half or quarter vectors for rows shorter than a vector (LeNet's rows of
//     10 and 14 floats). Rows there are short (tens of floats) and many: a call
//     to memcpy per row costs more than the copy.
//
// What Highway 1.0.3 offers for this, and why it is not used: SafeCopyN and
// SafeFillN (hwy/ops/generic_ops-inl.h) are a masked load and store only where
// HWY_MEM_OPS_MIGHT_FAULT is 0 (AVX3, SVE) and a scalar loop on every other
// target, AVX2 included, where vmaskmovps does not fault and LoadFirstN uses
// it; contrib/algo's Copy and Fill are whole vectors followed by those, so a
// row of 10 floats costs a vector and a loop of two scalar copies on AVX2
// where CopyFloats does two overlapping vectors. 1.0.3 has no LoadN/StoreN
// (they came later): LoadFirstN and StoreFirstN stand in for them.

#if defined(STATICNN_KERNELS_MEMORY_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef STATICNN_KERNELS_MEMORY_INL_H_
#undef STATICNN_KERNELS_MEMORY_INL_H_
#else
#define STATICNN_KERNELS_MEMORY_INL_H_
#endif

#include <cstddef>
#include <cstdint>

#include "hwy/highway.h"
#include "staticnn/kernels/vectors-inl.h"

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// op(d, i) for the vectors at i = 0, lanes, ... that fit in [0, N), then
// op(d1, i) for each remaining index with a one-lane tag d1. Small N get
// narrower vectors (CappedTag).
template <std::size_t N, class Op>
HWY_INLINE void ForEachVector(Op&& op) {
  static_assert(N >= 1, "at least one element");
  const hn::CappedTag<float, N> d;
  const hn::CappedTag<float, 1> d1;
  const std::size_t lanes = hn::Lanes(d);
  const std::size_t whole = N - N % lanes;
  for (std::size_t i = 0; i < whole; i += lanes) op(d, i);
  // Counted from zero: g++ 12 misjudges the trip count of `i < N` here.
  for (std::size_t i = 0; i < N % lanes; ++i) op(d1, whole + i);
}

// p[0, n) in the first n lanes, zeros after, never touching p[n..]. Highway
// 1.0.3's MaskedLoad reads a whole aligned vector below AVX2, so those
// targets go through a local copy.
template <class D>
HWY_INLINE hn::Vec<D> LoadFirstN(D d, const float* HWY_RESTRICT p, std::size_t n) {
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2
  return hn::MaskedLoad(hn::FirstN(d, n), d, p);
#else
  HWY_ALIGN float copy[hn::MaxLanes(D())] = {};
  for (std::size_t i = 0; i < n; ++i) copy[i] = p[i];
  return hn::Load(d, copy);
#endif
}

// LoadFirstN for n <= Lanes(d), with a plain load for a whole vector.
template <class D>
HWY_INLINE hn::Vec<D> LoadUpTo(D d, const float* HWY_RESTRICT p, std::size_t n) {
  return n == hn::Lanes(d) ? hn::LoadU(d, p) : LoadFirstN(d, p, n);
}

// Stores lanes [0, n) of v to p[0, n), n <= Lanes(d). Highway 1.0.3's
// BlendedStore loads and stores the whole vector on NEON and WASM (writing the
// floats past n back): those targets store through a local copy.
template <class D>
HWY_INLINE void StoreFirstN(D d, hn::Vec<D> v, float* HWY_RESTRICT p, std::size_t n) {
  if (n == hn::Lanes(d)) {
    hn::StoreU(v, d, p);
  } else {
#if HWY_TARGET == HWY_NEON || HWY_TARGET == HWY_WASM || HWY_TARGET == HWY_WASM_EMU256
    HWY_ALIGN float copy[hn::MaxLanes(D())];
    hn::Store(v, d, copy);
    for (std::size_t i = 0; i < n; ++i) p[i] = copy[i];
#else
    hn::BlendedStore(v, hn::FirstN(d, n), d, p);
#endif
  }
}

// Rows [0, rows) and columns [0, cols) of the R x NV tile acc to out (rows
// out_stride apart): whole vectors, or, for a short last chunk of columns,
// through a copy on the stack.
template <int R, int NV, class D>
HWY_INLINE void StoreTile(D d, const VecTile<D, R, NV>& acc, int rows, float* HWY_RESTRICT out,
                          int out_stride, int cols) {
  constexpr int N = static_cast<int>(hn::MaxLanes(d));
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

// to[0, n) = from[0, n).
template <int kLanes = static_cast<int>(hn::MaxLanes(KernelTag()))>
HWY_INLINE void CopyFloats(const float* HWY_RESTRICT from, float* HWY_RESTRICT to, int n) {
  const hn::CappedTag<float, kLanes> d;
  constexpr int N = static_cast<int>(hn::MaxLanes(d));  // = Lanes(d), see KernelTag
  if (n < N) {
    if constexpr (kLanes > 4) {
      CopyFloats<kLanes / 2>(from, to, n);
    } else {
      for (int i = 0; i < n; ++i) to[i] = from[i];
    }
    return;
  }
  for (int i = 0; i + N < n; i += N) hn::StoreU(hn::LoadU(d, from + i), d, to + i);
  hn::StoreU(hn::LoadU(d, from + n - N), d, to + n - N);
}

// to[i] = from[2 * i] for i < n (a stride-2 phase of a row), reading only
// from[0, 2n - 1): pairs of vectors split by ConcatEven, then a last vector
// that overlaps the previous one and takes the odd lanes of a window starting
// one float early, so that it ends at from[2n - 2]. On SVE, one float at a
// time: Highway 1.0.3's ConcatEven/ConcatOdd there run uzp1/uzp2 over the whole
// register, which is wrong for a vector narrower than it (KernelTag's 128 bits
// on longer SVE vectors, the capped tails: memory_test failed on SVE_256).
template <int kLanes = static_cast<int>(hn::MaxLanes(KernelTag()))>
HWY_INLINE void CopyEvenFloats(const float* HWY_RESTRICT from, float* HWY_RESTRICT to, int n) {
#if HWY_TARGET == HWY_SCALAR || \
    (HWY_TARGET & (HWY_SVE | HWY_SVE2 | HWY_SVE_256 | HWY_SVE2_128)) != 0
  for (int i = 0; i < n; ++i) to[i] = from[2 * i];
#else
  const hn::CappedTag<float, kLanes> d;
  constexpr int N = static_cast<int>(hn::MaxLanes(d));  // = Lanes(d), see KernelTag
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2
  if (n == N) {  // one pair, its second vector a masked load ending at from[2n - 2]
    hn::StoreU(hn::ConcatEven(d, LoadFirstN(d, from + N, N - 1), hn::LoadU(d, from)), d, to);
    return;
  }
#endif
  if (n <= N) {  // the window one float early needs n > N
    if constexpr (kLanes > 4) {
      CopyEvenFloats<kLanes / 2>(from, to, n);
    } else {
      for (int i = 0; i < n; ++i) to[i] = from[2 * i];
    }
    return;
  }
  for (int i = 0; i + N < n; i += N) {
    const float* HWY_RESTRICT pair = from + 2 * i;
    hn::StoreU(hn::ConcatEven(d, hn::LoadU(d, pair + N), hn::LoadU(d, pair)), d, to + i);
  }
  const float* HWY_RESTRICT last = from + 2 * (n - N) - 1;
  hn::StoreU(hn::ConcatOdd(d, hn::LoadU(d, last + N), hn::LoadU(d, last)), d, to + n - N);
#endif
}

// row[first + 2 * i] = from[i] for i < n, where first + 2 * (n - 1) is the
// last position of that parity before `width` (one stride-2 phase of a row:
// backward input scatters each phase's positions into dx). Whole vectors of
// the row are read, the phase's even lanes replaced (TableLookupLanes spreads
// from[j] to lanes 2j and 2j + 1, OddEven keeps the row's odd lanes) and
// stored back: the other phase's floats are rewritten unchanged, none outside
// row[0, width); from is read at [0, n) only. The last vector is moved back
// to end at the row's end (on a start of the phase's parity), overlapping the
// previous one. A scalar loop where a vector does not fit the row, and on
// SVE (see CopyEvenFloats) and SCALAR.
HWY_INLINE void ScatterEvenRow(const float* HWY_RESTRICT from, int n, float* HWY_RESTRICT row,
                               int first, int width) {
  int i = 0;
  (void)width;
#if HWY_TARGET != HWY_SCALAR && \
    (HWY_TARGET & (HWY_SVE | HWY_SVE2 | HWY_SVE_256 | HWY_SVE2_128)) == 0
  const KernelTag d;
  constexpr int N = static_cast<int>(hn::MaxLanes(d));  // = Lanes(d), see KernelTag
  const hn::RebindToSigned<KernelTag> di;
  const auto spread = hn::IndicesFromVec(d, hn::ShiftRight<1>(hn::Iota(di, 0)));
  const auto put = [&](int start) HWY_ATTR {  // row[start, start + N), start - first even
    const int j = (start - first) / 2;
    const auto values = hn::TableLookupLanes(LoadUpTo(d, from + j, std::min(N / 2, n - j)), spread);
    hn::StoreU(hn::OddEven(hn::LoadU(d, row + start), values), d, row + start);
  };
  for (; first + 2 * i + N <= width && i < n; i += N / 2) put(first + 2 * i);
  // The last start of first's parity whose vector fits the row, if that
  // vector reaches the phase's last position (else the rest is scalar).
  const int last = width - N - ((width - N - first) & 1);
  if (i < n && last >= first && last + N > first + 2 * (n - 1)) {
    put(last);
    i = n;
  }
#endif
  for (; i < n; ++i) row[first + 2 * i] = from[i];
}

// row[2 * i] = from[i] and row[2 * i + 1] = 0 for i < n: a whole row of the
// input positions of a 1x1 stride-2 convolution, written once (no clear of dx,
// no read of it as ScatterEvenRow needs). Half a vector of floats zero-extended
// to 64-bit lanes is that row on a little-endian machine: one PromoteTo per
// vector stored. One float at a time on SCALAR (no 64-bit lane of a float's
// size) and on SVE (see CopyEvenFloats: its halves of a capped vector).
HWY_INLINE void SpreadEvenFloats(const float* HWY_RESTRICT from, float* HWY_RESTRICT row, int n) {
  int i = 0;
#if HWY_TARGET != HWY_SCALAR && \
    (HWY_TARGET & (HWY_SVE | HWY_SVE2 | HWY_SVE_256 | HWY_SVE2_128)) == 0
  static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the float is a 64-bit lane's low half");
  const KernelTag d;
  const hn::Repartition<uint64_t, KernelTag> d64;
  const hn::Rebind<float, decltype(d64)> dh;  // half a vector of floats
  const hn::RebindToUnsigned<decltype(dh)> du;
  constexpr int kHalf = static_cast<int>(hn::MaxLanes(d64));  // = Lanes(d64), see KernelTag
  for (; i + kHalf <= n; i += kHalf) {
    const auto bits = hn::BitCast(du, hn::LoadU(dh, from + i));
    hn::StoreU(hn::BitCast(d, hn::PromoteTo(d64, bits)), d, row + 2 * i);
  }
#endif
  for (; i < n; ++i) {
    row[2 * i] = from[i];
    row[2 * i + 1] = 0.0f;
  }
}

// to[0, n) = value.
template <int kLanes = static_cast<int>(hn::MaxLanes(KernelTag()))>
HWY_INLINE void FillFloats(float* HWY_RESTRICT to, int n, float value) {
  const hn::CappedTag<float, kLanes> d;
  constexpr int N = static_cast<int>(hn::MaxLanes(d));  // = Lanes(d), see KernelTag
  if (n < N) {
    if constexpr (kLanes > 4) {
      FillFloats<kLanes / 2>(to, n, value);
    } else {
      for (int i = 0; i < n; ++i) to[i] = value;
    }
    return;
  }
  const auto v = hn::Set(d, value);
  for (int i = 0; i + N < n; i += N) hn::StoreU(v, d, to + i);
  hn::StoreU(v, d, to + n - N);
}

HWY_INLINE void ZeroFloats(float* HWY_RESTRICT to, int n) { FillFloats(to, n, 0.0f); }

// dst[i * dst_stride + r] = src[r * src_stride + i] for r < rows, i < cols:
// 4x4 blocks in 128-bit registers (8 shuffles per 16 floats), the ragged
// edges one float at a time.
inline void Transpose(const float* HWY_RESTRICT src, int src_stride, int rows, int cols,
                      float* HWY_RESTRICT dst, int dst_stride) {
  int r4 = 0, c4 = 0;
#if HWY_TARGET != HWY_SCALAR
  const hn::FixedTag<float, 4> d4;
  r4 = rows & ~3;
  c4 = cols & ~3;
  for (int r = 0; r < r4; r += 4) {
    const float* HWY_RESTRICT s0 = src + r * src_stride;
    for (int i = 0; i < c4; i += 4) {
      const auto r0 = hn::LoadU(d4, s0 + i), r1 = hn::LoadU(d4, s0 + src_stride + i);
      const auto r2 = hn::LoadU(d4, s0 + 2 * src_stride + i);
      const auto r3 = hn::LoadU(d4, s0 + 3 * src_stride + i);
      const auto t0 = hn::InterleaveLower(d4, r0, r1), t1 = hn::InterleaveUpper(d4, r0, r1);
      const auto t2 = hn::InterleaveLower(d4, r2, r3), t3 = hn::InterleaveUpper(d4, r2, r3);
      float* HWY_RESTRICT out = dst + i * dst_stride + r;
      hn::StoreU(hn::ConcatLowerLower(d4, t2, t0), d4, out);
      hn::StoreU(hn::ConcatUpperUpper(d4, t2, t0), d4, out + dst_stride);
      hn::StoreU(hn::ConcatLowerLower(d4, t3, t1), d4, out + 2 * dst_stride);
      hn::StoreU(hn::ConcatUpperUpper(d4, t3, t1), d4, out + 3 * dst_stride);
    }
  }
#endif
  for (int r = 0; r < rows; ++r) {
    const float* HWY_RESTRICT from = src + r * src_stride;
    for (int i = r < r4 ? c4 : 0; i < cols; ++i) dst[i * dst_stride + r] = from[i];
  }
}

// Asks for the cache lines of floats [p, p + n). The builtin, not
// hwy/cache_control.h: that brings <emmintrin.h> (and its posix_memalign) into
// every includer, which no_heap_test's allocation counter must declare first.
HWY_INLINE void PrefetchFloats(const float* p, int n) {
#if HWY_COMPILER_GCC  // and clang
  for (int i = 0; i < n; i += 16) __builtin_prefetch(p + i);
  __builtin_prefetch(p + n - 1);
#else
  (void)p, (void)n;
#endif
}

// p[0] + ... + p[n - 1]: two accumulators hide the add latency on long runs,
// the last partial vector is masked.
HWY_INLINE float SumFloats(const float* HWY_RESTRICT p, int n) {
  const KernelTag d;
  const int lanes = static_cast<int>(hn::Lanes(d));
  auto sum0 = hn::Zero(d), sum1 = hn::Zero(d);
  int i = 0;
  for (; i + 2 * lanes <= n; i += 2 * lanes) {
    sum0 = hn::Add(sum0, hn::LoadU(d, p + i));
    sum1 = hn::Add(sum1, hn::LoadU(d, p + i + lanes));
  }
  for (; i + lanes <= n; i += lanes) sum0 = hn::Add(sum0, hn::LoadU(d, p + i));
  if (i < n) sum1 = hn::Add(sum1, LoadFirstN(d, p + i, static_cast<std::size_t>(n - i)));
  return hn::GetLane(hn::SumOfLanes(d, hn::Add(sum0, sum1)));
}

}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#endif  // STATICNN_KERNELS_MEMORY_INL_H_
