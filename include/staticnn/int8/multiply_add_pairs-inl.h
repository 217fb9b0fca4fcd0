// The int16 pairs of the int8 kernels: two centered int8 values (or weights)
// in one int32 lane, and the multiply-add of the row, depthwise and Linear
// kernels, and of the GEMM tile where it does not take quads of bytes
// (gemm_tile-inl.h): int32 lanes of accumulators plus the products of the
// pairs in those lanes:
//   PackPair(low, high)                    the lane (low in the low half)
//   MultiplyAddPairs(d, a, b, sum0, sum1)  as ReorderWidenMulAccumulate:
//                                          sum0 + a*b, sum1 where the target
//                                          needs a second sum (NEON)
//   MultiplyAddQuads(u, s, sum)            AVX3_DL only: sum + the products
//                                          of unsigned bytes of u by signed
//                                          bytes of s, four per int32 lane
// On AVX3_DL (AVX-512 VNNI) it is one vpdpwssd, which Highway 1.0.3 does not
// emit: its ReorderWidenMulAccumulate is vpmaddwd and vpaddd. The pair sums
// are the same exact integers, so the kernels keep TFLite's bits. This CPU
// issues 1.7 times as many vpdpwssd as vpmaddwd + vpaddd pairs (0.197 against
// 0.34 ns each, 12 independent chains of 512 bits). A translation unit
// compiles AVX3_DL only when it defines HWY_WANT_AVX3_DL before including
// Highway (see README.md, int8). The instruction is written in asm: Highway
// 1.0.3's AVX3_DL target string enables avxvnni (the VEX form), not
// avx512vnni, so the intrinsic does not compile there; Highway selects
// AVX3_DL only on CPUs with AVX-512 VNNI. The same holds for vpdpbusd. On
// AVX2 Highway's two instructions are written in asm too, for the registers
// g++ gives them (below).

#if defined(STATICNN_INT8_MULTIPLY_ADD_PAIRS_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef STATICNN_INT8_MULTIPLY_ADD_PAIRS_INL_H_
#undef STATICNN_INT8_MULTIPLY_ADD_PAIRS_INL_H_
#else
#define STATICNN_INT8_MULTIPLY_ADD_PAIRS_INL_H_
#endif

#include <cstdint>

#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {
namespace int8_kernels {
namespace hn = hwy::HWY_NAMESPACE;

HWY_INLINE constexpr std::int32_t PackPair(std::int32_t low, std::int32_t high) {
  return static_cast<std::int32_t>(
      static_cast<std::uint32_t>(static_cast<std::uint16_t>(high)) << 16 |
      static_cast<std::uint16_t>(low));
}

template <class D32, class V16>
HWY_INLINE hn::Vec<D32> MultiplyAddPairs(D32 d, V16 a, V16 b, hn::Vec<D32> sum0,
                                         hn::Vec<D32>& sum1) {
#if HWY_TARGET == HWY_AVX3_DL
  (void)d;
  (void)sum1;
  // The register names follow the operands' width: xmm, ymm or zmm.
  asm("vpdpwssd %2, %1, %0" : "+v"(sum0.raw) : "v"(a.raw), "v"(b.raw));
  return sum0;
#elif HWY_TARGET == HWY_AVX2
  // The same two instructions as Highway's, vpmaddwd and vpaddd, written so
  // that the sum is added in place: from the intrinsics, g++ 12 put each new
  // sum in another register and moved it back, 6 to 9 moves per 8
  // multiply-adds, and kept one of the 4 x 2 tile's sums on the stack (Zen 3:
  // int8 MobileNetV1 inference 422 -> 382 us, DS-CNN 103 -> 97 us, LeNet-5's
  // Linear 400 -> 120 1.42 -> 1.11 us).
  (void)d;
  (void)sum1;
  decltype(sum0.raw) product;
  asm("vpmaddwd %[b], %[a], %[p]" : [p] "=x"(product) : [a] "x"(a.raw), [b] "x"(b.raw));
  asm("vpaddd %[p], %[s], %[s]" : [s] "+x"(sum0.raw) : [p] "x"(product));
  return sum0;
#else
  return hn::ReorderWidenMulAccumulate(d, a, b, sum0, sum1);
#endif
}

#if HWY_TARGET == HWY_AVX3_DL
// vpdpbusd, for the kernels that stage quads of bytes (the GEMM tile and the
// Linear layer).
template <class V32>
HWY_INLINE V32 MultiplyAddQuads(V32 u, V32 s, V32 sum) {
  asm("vpdpbusd %2, %1, %0" : "+v"(sum.raw) : "v"(u.raw), "v"(s.raw));
  return sum;
}
#endif

}  // namespace int8_kernels
// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#endif  // STATICNN_INT8_MULTIPLY_ADD_PAIRS_INL_H_
