// Dropout's kernels for one Highway target. The mask is drawn element by
// element with the scalar SplitMix64 of layers/dropout.hpp (64-bit multiplies,
// which x86 vectors below AVX-512 lack; the draw is a few instructions per
// element, next to a convolution's hundreds) and kept as multipliers in
// `saved`; applying it, forward and backward, is a vector product.

#if defined(STATICNN_LAYERS_DROPOUT_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef STATICNN_LAYERS_DROPOUT_INL_H_
#undef STATICNN_LAYERS_DROPOUT_INL_H_
#else
#define STATICNN_LAYERS_DROPOUT_INL_H_
#endif

#include <cstddef>
#include <cstdint>

#include "hwy/highway.h"
#include "staticnn/kernels/memory-inl.h"
#include "staticnn/layers/dropout.hpp"
#include "staticnn/layers/kernel-inl.h"

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {

namespace dropout_detail {
namespace hn = hwy::HWY_NAMESPACE;

// out = a * b over N floats (out may be a or b).
template <std::size_t N>
HWY_INLINE void Multiply(const float* a, const float* b, float* out) {
  ForEachVector<N>([&](auto d, std::size_t i) HWY_ATTR {
    hn::StoreU(hn::Mul(hn::LoadU(d, a + i), hn::LoadU(d, b + i)), d, out + i);
  });
}
template <std::size_t N>
HWY_INLINE void Copy(const float* from, float* to) {
  ForEachVector<N>(
      [&](auto d, std::size_t i) HWY_ATTR { hn::StoreU(hn::LoadU(d, from + i), d, to + i); });
}

}  // namespace dropout_detail

template <DropoutSpec Spec>
struct Kernel<Dropout<Spec>> {
  using L = Dropout<Spec>;

  template <Shape In, int Batch>
  static void Forward(const ForwardArgs& a) {
    constexpr std::size_t n = std::size_t(Batch) * In.size();
    if (!a.training) {  // the identity; backward passes the gradient through
      dropout_detail::Copy<n>(a.in, a.out);
      if (a.saved != nullptr) a.saved[n] = 0.0f;
      return;
    }
    float* mask = a.saved;
    std::uint64_t state = *a.rng;
    for (std::size_t i = 0; i < n; ++i) {
      mask[i] = (splitmix64_next(state) >> 40) >= L::threshold ? L::scale : 0.0f;
    }
    *a.rng = state;
    mask[n] = 1.0f;
    dropout_detail::Multiply<n>(a.in, mask, a.out);
  }

  template <Shape In, int Batch>
  static void Backward(const BackwardArgs& a) {
    constexpr std::size_t n = std::size_t(Batch) * In.size();
    if (a.din == nullptr) return;
    if (a.saved[n] != 0.0f) {
      dropout_detail::Multiply<n>(a.dout, a.saved, a.din);
    } else {
      dropout_detail::Copy<n>(a.dout, a.din);
    }
  }
};

}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#endif  // STATICNN_LAYERS_DROPOUT_INL_H_ toggle
