// What the kernels' register tiles are made of, per Highway target.
//
//   KernelTag          the float vector the kernels compute with
//   VecTile<D, R, C>   R x C vectors of tag D: acc.Get(r, c), acc.Set(r, c, v)
//   kVectorRegisters   vector registers of the target (x86: 32 with AVX-512,
//                      16 below; AArch64: 32)
//   kTileAccumulators  accumulators a register tile may use, leaving room for
//                      its operands
//   kFmaChains         independent accumulators that keep the FMA pipes busy
//   InRegister(v)      keeps a loaded vector in a register for several FMAs
//   Unshared(p)        the opposite for loads through p: each where it is used
//
// Arm SVE breaks two things that every fixed-width target allows:
//  - its vectors are sizeless types, which cannot be array elements or struct
//    members, so `V acc[R][C]` does not compile. VecTile is an array of vectors
//    where that is allowed (the code g++ generates is the array's), and on SVE
//    a block of lanes that Get/Set load and store (L1 traffic instead of
//    registers: correct at every vector length, slower than named registers);
//  - the generic SVE and SVE2 targets do not know the vector length at compile
//    time (128 to 2048 bits, MaxLanes 64 floats), but the kernels lay out tiles,
//    scratch (64 columns at most, conv2d_scratch.hpp) and stack buffers with
//    MaxLanes. There KernelTag is 128 bits, the length every SVE CPU has, so
//    MaxLanes is the real lane count. HWY_SVE_256 and HWY_SVE2_128, which
//    dynamic dispatch picks on 256- and 128-bit CPUs, use their full vectors.

#if defined(STATICNN_KERNELS_VECTORS_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef STATICNN_KERNELS_VECTORS_INL_H_
#undef STATICNN_KERNELS_VECTORS_INL_H_
#else
#define STATICNN_KERNELS_VECTORS_INL_H_
#endif

#include "hwy/highway.h"

// No silent scalar build: a translation unit with static dispatch (no
// hwy/foreach_target.h) on a CPU family that always has SIMD, compiled for
// Highway's SCALAR target, is almost always a missing flag. g++ 12 on x86-64
// without -march gets exactly that (Highway 1.0.3 needs SSSE3 for its first x86
// target, and disables EMU128 before GCC 12.3). HWY_COMPILE_ONLY_SCALAR says
// the choice is deliberate.
#if HWY_TARGET == HWY_SCALAR && !defined(HIGHWAY_HWY_FOREACH_TARGET_H_) &&    \
    !defined(HWY_COMPILE_ONLY_SCALAR) && !defined(STATICNN_ALLOW_SCALAR) && \
    (HWY_ARCH_X86_64 || HWY_ARCH_ARM_A64 || (HWY_ARCH_ARM && defined(__ARM_NEON)))
#pragma GCC warning \
    "staticnn: static dispatch compiles the kernels for Highway's SCALAR target here: no SIMD. Pass a SIMD baseline (x86-64: -mssse3, or -march=x86-64-v3 -maes -mpclmul for AVX2), or use dynamic dispatch (README: static vs dynamic dispatch); define STATICNN_ALLOW_SCALAR to silence this"
#endif

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

#if HWY_TARGET == HWY_SVE || HWY_TARGET == HWY_SVE2
using KernelTag = hn::CappedTag<float, 4>;
#else
using KernelTag = hn::ScalableTag<float>;
#endif

// AVX-512 and AArch64 (NEON and SVE alike: v0-v31) have 32; AVX2 and SSE 16.
#if HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL || HWY_ARCH_ARM_A64
inline constexpr int kVectorRegisters = 32;
#else
inline constexpr int kVectorRegisters = 16;
#endif
inline constexpr int kTileAccumulators = kVectorRegisters == 32 ? 24 : 12;
// FMAs in flight that keep both FMA pipes busy: 4 cycles of latency, 2 a
// cycle. A tile of fewer accumulators waits on their chains.
inline constexpr int kFmaChains = 8;

// A loaded vector that several FMAs use: without this, g++ folds the load into
// each FMA as a memory operand, doubling the loads (-25% time on depthwise 3x3).
template <class V>
HWY_INLINE V InRegister(V v) {
#if HWY_ARCH_X86 && HWY_TARGET != HWY_SCALAR && HWY_TARGET != HWY_EMU128 && \
    (HWY_COMPILER_GCC || HWY_COMPILER_CLANG)
  asm("" : "+v"(v.raw));
#endif
  return v;
}

// A pointer whose value the optimizer cannot follow (no instruction): loads
// through it are not merged with loads of the same floats through another
// pointer, so each value is loaded where it is used instead of being kept in a
// register from its first use to its last.
template <class T>
HWY_INLINE const T* Unshared(const T* p) {
#if HWY_COMPILER_GCC || HWY_COMPILER_CLANG
  asm("" : "+r"(p));
#endif
  return p;
}

template <class D, int R, int C = 1>
class VecTile {
  using V = hn::Vec<D>;

 public:
  // Spelled out: an implicit constructor lacks the target's attributes, and
  // then cannot inline the vectors' constructors.
  HWY_INLINE VecTile() {}
  HWY_INLINE V Get(int r, int c) const { return Get(r * C + c); }
  HWY_INLINE void Set(int r, int c, V v) { Set(r * C + c, v); }
#if HWY_HAVE_SCALABLE
  HWY_INLINE V Get(int i) const { return hn::Load(D(), lanes_ + i * kLanes); }
  HWY_INLINE void Set(int i, V v) { hn::Store(v, D(), lanes_ + i * kLanes); }

 private:
  static constexpr int kLanes = static_cast<int>(hn::MaxLanes(D()));
  HWY_ALIGN hn::TFromD<D> lanes_[R * C * kLanes];
#else
  HWY_INLINE V Get(int i) const { return v_[i]; }
  HWY_INLINE void Set(int i, V v) { v_[i] = v; }

 private:
  V v_[R * C];
#endif
};

}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#endif  // per-target include guard
