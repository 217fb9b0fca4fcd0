// Optimizer steps over one flat parameter array of N floats, with the update
// formulas of torch.optim (PyTorch 1.13, the version installed here, checked
// against it by tests/optimizer_test.cc):
//
//   SGD:  g = grad + weight_decay * p                (if weight_decay != 0)
//         v = momentum * v + g; g = v                (if momentum != 0)
//         p = p - lr * g
//   Adam: g = grad + weight_decay * p                (if weight_decay != 0)
//         m = beta1 * m + (1 - beta1) * g
//         v = beta2 * v + (1 - beta2) * g * g
//         p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
//
// Per element the arithmetic is float and follows torch's CPU kernels step by
// step (a scaled add `a.add_(b, alpha=s)` is one fused multiply-add, `mul_`
// then `add_` are two roundings); the per-step scalars (bias corrections,
// step size) are computed in double, as torch does in Python, then rounded
// to float. On targets with FMA (AVX2, AVX-512) the result is bit-identical
// to torch 1.13 on this machine (its AVX2 kernels); without FMA each fused
// step rounds once more. Velocity and moments start at zero (torch's first SGD step copies
// the gradient into the buffer: 0 * momentum + g is exactly that).
//
// The remainder after the last full vector is processed one lane at a time
// with a one-lane tag: Highway 1.0.3's MaskedLoad loads a whole (aligned)
// vector on SSE4/SSSE3/EMU128, which would read past the end of the buffer.

// Per-target include guard (Highway's module pattern).
#if defined(STATICNN_KERNELS_OPTIMIZER_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef STATICNN_KERNELS_OPTIMIZER_INL_H_
#undef STATICNN_KERNELS_OPTIMIZER_INL_H_
#else
#define STATICNN_KERNELS_OPTIMIZER_INL_H_
#endif

#include <cmath>
#include <cstddef>

#include "hwy/highway.h"
#include "staticnn/optimizer_options.hpp"

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

namespace optimizer_detail {

// a * b rounded to float on its own, as torch's separate `mul_` does. g++
// compiles C++ with -ffp-contract=fast and would fuse Add(Mul(a, b), c) into
// one FMA (one rounding fewer than torch); an FMA with a zero addend rounds
// the product exactly once, and is not fused with what follows.
template <class D, class V>
HWY_INLINE V RoundedMul(D d, V a, V b) {
  return hn::MulAdd(a, b, hn::Zero(d));
}

}  // namespace optimizer_detail

// One SGD step. `velocity` (N floats, zero before the first step) is only
// used when o.momentum != 0 and may then be nullptr.
template <std::size_t N>
void SgdStep(float* HWY_RESTRICT param, const float* HWY_RESTRICT grad,
             float* HWY_RESTRICT velocity, const SgdOptions& o) {
  const hn::CappedTag<float, N> d;
  const hn::CappedTag<float, 1> d1;
  const std::size_t lanes = hn::Lanes(d);
  const std::size_t full = N - N % lanes;
  // torch skips these terms when their coefficient is 0; so do we, which
  // also keeps an infinite parameter from turning 0 * inf into NaN.
  const bool decay = o.weight_decay != 0.0f;
  const bool momentum = o.momentum != 0.0f;
  HWY_DASSERT(!momentum || velocity != nullptr);

  const auto step = [&](auto dt, std::size_t i) HWY_ATTR {
    const auto p = hn::LoadU(dt, param + i);
    auto g = hn::LoadU(dt, grad + i);
    if (decay) g = hn::MulAdd(p, hn::Set(dt, o.weight_decay), g);
    if (momentum) {
      // velocity.mul_(momentum).add_(g)
      g = hn::Add(optimizer_detail::RoundedMul(dt, hn::LoadU(dt, velocity + i),
                                               hn::Set(dt, o.momentum)),
                  g);
      hn::StoreU(g, dt, velocity + i);
    }
    hn::StoreU(hn::NegMulAdd(g, hn::Set(dt, o.lr), p), dt, param + i);
  };
  for (std::size_t i = 0; i < full; i += lanes) step(d, i);
  for (std::size_t i = full; i < N; ++i) step(d1, i);
}

// One Adam step; `step` is t >= 1, the number of this step (1 for the first).
// m and v (N floats each) are zero before the first step.
template <std::size_t N>
void AdamStep(float* HWY_RESTRICT param, const float* HWY_RESTRICT grad,
              float* HWY_RESTRICT m, float* HWY_RESTRICT v,
              const AdamOptions& o, int step) {
  HWY_DASSERT(step >= 1);
  const hn::CappedTag<float, N> d;
  const hn::CappedTag<float, 1> d1;
  const std::size_t lanes = hn::Lanes(d);
  const std::size_t full = N - N % lanes;
  const bool decay = o.weight_decay != 0.0f;

  // Scalars as torch computes them (Python floats, i.e. double).
  const double beta1 = o.beta1, beta2 = o.beta2;
  const double correction1 = 1.0 - std::pow(beta1, step);
  const double correction2 = 1.0 - std::pow(beta2, step);
  const float neg_step_size = static_cast<float>(-(o.lr / correction1));
  const float correction2_sqrt = static_cast<float>(std::sqrt(correction2));
  const float one_minus_beta1 = static_cast<float>(1.0 - beta1);
  const float one_minus_beta2 = static_cast<float>(1.0 - beta2);

  const auto update = [&](auto dt, std::size_t i) HWY_ATTR {
    auto p = hn::LoadU(dt, param + i);
    auto g = hn::LoadU(dt, grad + i);
    if (decay) g = hn::MulAdd(p, hn::Set(dt, o.weight_decay), g);
    // exp_avg.mul_(beta1).add_(grad, alpha=1 - beta1)
    const auto mt = hn::MulAdd(g, hn::Set(dt, one_minus_beta1),
                               hn::Mul(hn::LoadU(dt, m + i), hn::Set(dt, o.beta1)));
    // exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2); torch's
    // addcmul computes v + ((1 - beta2) * g) * g, which its compiler fuses.
    const auto vt =
        hn::MulAdd(hn::Mul(hn::Set(dt, one_minus_beta2), g), g,
                   hn::Mul(hn::LoadU(dt, v + i), hn::Set(dt, o.beta2)));
    // denom = (exp_avg_sq.sqrt() / sqrt(1 - beta2^t)).add_(eps)
    const auto denom = hn::Add(
        hn::Div(hn::Sqrt(vt), hn::Set(dt, correction2_sqrt)), hn::Set(dt, o.eps));
    // param.addcdiv_(exp_avg, denom, value=-step_size)
    p = hn::Add(p, hn::Div(hn::Mul(hn::Set(dt, neg_step_size), mt), denom));
    hn::StoreU(mt, dt, m + i);
    hn::StoreU(vt, dt, v + i);
    hn::StoreU(p, dt, param + i);
  };
  for (std::size_t i = 0; i < full; i += lanes) update(d, i);
  for (std::size_t i = full; i < N; ++i) update(d1, i);
}

}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#endif  // STATICNN_KERNELS_OPTIMIZER_INL_H_ toggle guard
