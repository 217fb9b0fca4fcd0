// Optimizer steps over one flat parameter array of N floats, with the update
// formulas of torch.optim (PyTorch 1.13, the version installed here, checked
// against it by tests/optimizer_test.cc):
//
//   SGD:  g = grad + weight_decay * p                (if weight_decay != 0)
//         v = g at the first step, then
//         v = momentum * v + (1 - dampening) * g     (if momentum != 0)
//         g = nesterov ? g + momentum * v : v        (if momentum != 0)
//         p = p - lr * g
//   Adam: g = grad + weight_decay * p                (if weight_decay != 0)
//         m = beta1 * m + (1 - beta1) * g
//         v = beta2 * v + (1 - beta2) * g * g
//         v_max = max(v_max, v)                      (amsgrad; v below is then v_max)
//         p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
//   AdamW: p = p * (1 - lr * weight_decay), then Adam without the L2 term
//   RMSprop: g = grad + weight_decay * p             (if weight_decay != 0)
//         s = alpha * s + (1 - alpha) * g * g
//         a = alpha * a + (1 - alpha) * g            (if centered)
//         d = sqrt(centered ? s - a * a : s) + eps
//         b = momentum * b + g / d; p = p - lr * b   (if momentum > 0)
//         p = p - lr * g / d                         (otherwise)
//   clip_grad_norm_: n = ||grad||_2 over all parameters;
//         grad *= max_norm / (n + 1e-6)              (if that is < 1)
//
// Per element the arithmetic is float and follows torch's CPU kernels step by
// step (a scaled add `a.add_(b, alpha=s)` is one fused multiply-add, `mul_`
// then `add_` are two roundings); the per-step scalars (bias corrections,
// step size) are computed in double, as torch does in Python, then rounded
// to float. On targets with FMA (AVX2, AVX-512) the result is bit-identical
// to torch 1.13 on this machine (its AVX2 kernels); without FMA each fused
// step rounds once more. Velocity and moments start at zero (torch's first SGD
// step copies the gradient into the buffer, undamped: 0 * momentum + 1 * g is
// exactly that).
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
#include <cstdint>

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

// One SGD step; `step` is t >= 1, the number of this step (1 for the first,
// which torch does not dampen). `velocity` (N floats, zero before the first
// step) is only used when o.momentum != 0 and may otherwise be nullptr.
template <std::size_t N>
void SgdStep(float* HWY_RESTRICT param, const float* HWY_RESTRICT grad,
             float* HWY_RESTRICT velocity, const SgdOptions& o, std::int64_t step) {
  const hn::CappedTag<float, N> d;
  const hn::CappedTag<float, 1> d1;
  const std::size_t lanes = hn::Lanes(d);
  const std::size_t full = N - N % lanes;
  // torch skips these terms when their coefficient is 0; so do we, which
  // also keeps an infinite parameter from turning 0 * inf into NaN.
  const bool decay = o.weight_decay != 0.0f;
  const bool momentum = o.momentum != 0.0f;
  const bool nesterov = o.nesterov;
  HWY_DASSERT(!momentum || velocity != nullptr);
  HWY_DASSERT(step >= 1);
  // 1 - dampening in double, as torch's Python scalar; 1 (exact) at first.
  const float undamped = step == 1 ? 1.0f : static_cast<float>(1.0 - double(o.dampening));

  const auto update = [&](auto dt, std::size_t i) HWY_ATTR {
    const auto p = hn::LoadU(dt, param + i);
    auto g = hn::LoadU(dt, grad + i);
    if (decay) g = hn::MulAdd(p, hn::Set(dt, o.weight_decay), g);
    if (momentum) {
      // velocity.mul_(momentum).add_(g, alpha=1 - dampening), one fused step
      const auto v = hn::MulAdd(g, hn::Set(dt, undamped),
                                optimizer_detail::RoundedMul(dt, hn::LoadU(dt, velocity + i),
                                                             hn::Set(dt, o.momentum)));
      hn::StoreU(v, dt, velocity + i);
      // nesterov: g.add(velocity, alpha=momentum), one fused step as in torch
      g = nesterov ? hn::MulAdd(v, hn::Set(dt, o.momentum), g) : v;
    }
    hn::StoreU(hn::NegMulAdd(g, hn::Set(dt, o.lr), p), dt, param + i);
  };
  for (std::size_t i = 0; i < full; i += lanes) update(d, i);
  for (std::size_t i = full; i < N; ++i) update(d1, i);
}

namespace optimizer_detail {

// Adam and AdamW share the moment updates: `l2` is Adam's weight decay added
// to the gradient, `shrink` AdamW's factor applied to the parameter first
// (torch multiplies even by 1, which is exact). `max_v` (AMSGrad's running
// maximum of v) is used when not null.
template <std::size_t N>
void AdamUpdate(float* HWY_RESTRICT param, const float* HWY_RESTRICT grad,
                float* HWY_RESTRICT m, float* HWY_RESTRICT v, float* HWY_RESTRICT max_v,
                double lr, float beta1, float beta2, float eps, float l2, float shrink,
                std::int64_t step) {
  HWY_DASSERT(step >= 1);
  const bool amsgrad = max_v != nullptr;
  const hn::CappedTag<float, N> d;
  const hn::CappedTag<float, 1> d1;
  const std::size_t lanes = hn::Lanes(d);
  const std::size_t full = N - N % lanes;
  const bool decay = l2 != 0.0f;

  // Scalars as torch computes them (Python floats, i.e. double).
  const double b1 = beta1, b2 = beta2;
  const double correction1 = 1.0 - std::pow(b1, double(step));
  const double correction2 = 1.0 - std::pow(b2, double(step));
  const float neg_step_size = static_cast<float>(-(lr / correction1));
  const float correction2_sqrt = static_cast<float>(std::sqrt(correction2));
  const float one_minus_beta1 = static_cast<float>(1.0 - b1);
  const float one_minus_beta2 = static_cast<float>(1.0 - b2);

  const auto update = [&](auto dt, std::size_t i) HWY_ATTR {
    // param.mul_(1 - lr * weight_decay) (AdamW)
    auto p = RoundedMul(dt, hn::LoadU(dt, param + i), hn::Set(dt, shrink));
    auto g = hn::LoadU(dt, grad + i);
    if (decay) g = hn::MulAdd(p, hn::Set(dt, l2), g);
    // exp_avg.mul_(beta1).add_(grad, alpha=1 - beta1)
    const auto mt = hn::MulAdd(g, hn::Set(dt, one_minus_beta1),
                               hn::Mul(hn::LoadU(dt, m + i), hn::Set(dt, beta1)));
    // exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2); torch's
    // addcmul computes v + ((1 - beta2) * g) * g, which its compiler fuses.
    const auto vt =
        hn::MulAdd(hn::Mul(hn::Set(dt, one_minus_beta2), g), g,
                   hn::Mul(hn::LoadU(dt, v + i), hn::Set(dt, beta2)));
    // amsgrad: torch.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
    auto v_used = vt;
    if (amsgrad) {
      v_used = hn::Max(hn::LoadU(dt, max_v + i), vt);
      hn::StoreU(v_used, dt, max_v + i);
    }
    // denom = (exp_avg_sq.sqrt() / sqrt(1 - beta2^t)).add_(eps), of the max with amsgrad
    const auto denom = hn::Add(
        hn::Div(hn::Sqrt(v_used), hn::Set(dt, correction2_sqrt)), hn::Set(dt, eps));
    // param.addcdiv_(exp_avg, denom, value=-step_size)
    p = hn::Add(p, hn::Div(hn::Mul(hn::Set(dt, neg_step_size), mt), denom));
    hn::StoreU(mt, dt, m + i);
    hn::StoreU(vt, dt, v + i);
    hn::StoreU(p, dt, param + i);
  };
  for (std::size_t i = 0; i < full; i += lanes) update(d, i);
  for (std::size_t i = full; i < N; ++i) update(d1, i);
}

}  // namespace optimizer_detail

// One Adam step; `step` is t >= 1, the number of this step (1 for the first).
// m, v and max_v (N floats each) are zero before the first step; max_v is
// only used when o.amsgrad and may otherwise be nullptr.
template <std::size_t N>
void AdamStep(float* HWY_RESTRICT param, const float* HWY_RESTRICT grad,
              float* HWY_RESTRICT m, float* HWY_RESTRICT v, float* HWY_RESTRICT max_v,
              const AdamOptions& o, std::int64_t step) {
  HWY_DASSERT(!o.amsgrad || max_v != nullptr);
  optimizer_detail::AdamUpdate<N>(param, grad, m, v, o.amsgrad ? max_v : nullptr, o.lr,
                                  o.beta1, o.beta2, o.eps, o.weight_decay, 1.0f, step);
}

// One AdamW step, as AdamStep.
template <std::size_t N>
void AdamWStep(float* HWY_RESTRICT param, const float* HWY_RESTRICT grad,
               float* HWY_RESTRICT m, float* HWY_RESTRICT v, float* HWY_RESTRICT max_v,
               const AdamWOptions& o, std::int64_t step) {
  HWY_DASSERT(!o.amsgrad || max_v != nullptr);
  // 1 - lr * weight_decay in double, as torch's Python scalar.
  const float shrink = static_cast<float>(1.0 - double(o.lr) * double(o.weight_decay));
  optimizer_detail::AdamUpdate<N>(param, grad, m, v, o.amsgrad ? max_v : nullptr, o.lr,
                                  o.beta1, o.beta2, o.eps, 0.0f, shrink, step);
}

// One RMSprop step. square_avg is always used; grad_avg only when centered,
// momentum_buffer only when momentum > 0 (either may be nullptr otherwise).
// All start at zero.
template <std::size_t N>
void RmspropStep(float* HWY_RESTRICT param, const float* HWY_RESTRICT grad,
                 float* HWY_RESTRICT square_avg, float* HWY_RESTRICT grad_avg,
                 float* HWY_RESTRICT momentum_buffer, const RmspropOptions& o) {
  const hn::CappedTag<float, N> d;
  const hn::CappedTag<float, 1> d1;
  const std::size_t lanes = hn::Lanes(d);
  const std::size_t full = N - N % lanes;
  const bool decay = o.weight_decay != 0.0f;
  const bool momentum = o.momentum > 0.0f;
  const bool centered = o.centered;
  HWY_DASSERT(!centered || grad_avg != nullptr);
  HWY_DASSERT(!momentum || momentum_buffer != nullptr);
  const float one_minus_alpha = static_cast<float>(1.0 - double(o.alpha));

  const auto update = [&](auto dt, std::size_t i) HWY_ATTR {
    auto p = hn::LoadU(dt, param + i);
    auto g = hn::LoadU(dt, grad + i);
    if (decay) g = hn::MulAdd(p, hn::Set(dt, o.weight_decay), g);
    // square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha)
    const auto sq = hn::MulAdd(hn::Mul(hn::Set(dt, one_minus_alpha), g), g,
                               hn::Mul(hn::LoadU(dt, square_avg + i), hn::Set(dt, o.alpha)));
    hn::StoreU(sq, dt, square_avg + i);
    auto var = sq;
    if (centered) {
      // grad_avg.mul_(alpha).add_(grad, alpha=1 - alpha)
      const auto ga = hn::MulAdd(g, hn::Set(dt, one_minus_alpha),
                                 hn::Mul(hn::LoadU(dt, grad_avg + i), hn::Set(dt, o.alpha)));
      hn::StoreU(ga, dt, grad_avg + i);
      var = hn::NegMulAdd(ga, ga, sq);  // square_avg.addcmul(grad_avg, grad_avg, value=-1)
    }
    const auto avg = hn::Add(hn::Sqrt(var), hn::Set(dt, o.eps));
    if (momentum) {
      // buf.mul_(momentum).addcdiv_(grad, avg); param.add_(buf, alpha=-lr)
      const auto buf = hn::Add(optimizer_detail::RoundedMul(
                                   dt, hn::LoadU(dt, momentum_buffer + i),
                                   hn::Set(dt, o.momentum)),
                               hn::Div(g, avg));
      hn::StoreU(buf, dt, momentum_buffer + i);
      p = hn::MulAdd(buf, hn::Set(dt, -o.lr), p);
    } else {
      // param.addcdiv_(grad, avg, value=-lr)
      p = hn::Add(p, hn::Div(hn::Mul(hn::Set(dt, -o.lr), g), avg));
    }
    hn::StoreU(p, dt, param + i);
  };
  for (std::size_t i = 0; i < full; i += lanes) update(d, i);
  for (std::size_t i = full; i < N; ++i) update(d1, i);
}

// The sum of squares of N floats, accumulated in float vectors (four
// independent accumulators) and summed across lanes in double.
template <std::size_t N>
double SumOfSquares(const float* HWY_RESTRICT x) {
  const hn::CappedTag<float, N> d;
  const std::size_t lanes = hn::Lanes(d);
  auto a0 = hn::Zero(d), a1 = hn::Zero(d), a2 = hn::Zero(d), a3 = hn::Zero(d);
  // Loop bounds as counts (not i + k <= N): g++ then sees no overflow.
  const std::size_t full4 = N - N % (4 * lanes), full = N - N % lanes;
  std::size_t i = 0;
  for (; i < full4; i += 4 * lanes) {
    const auto x0 = hn::LoadU(d, x + i), x1 = hn::LoadU(d, x + i + lanes);
    const auto x2 = hn::LoadU(d, x + i + 2 * lanes), x3 = hn::LoadU(d, x + i + 3 * lanes);
    a0 = hn::MulAdd(x0, x0, a0);
    a1 = hn::MulAdd(x1, x1, a1);
    a2 = hn::MulAdd(x2, x2, a2);
    a3 = hn::MulAdd(x3, x3, a3);
  }
  for (; i < full; i += lanes) {
    const auto x0 = hn::LoadU(d, x + i);
    a0 = hn::MulAdd(x0, x0, a0);
  }
  HWY_ALIGN float partial[hn::MaxLanes(d)];
  hn::Store(hn::Add(hn::Add(a0, a1), hn::Add(a2, a3)), d, partial);
  double sum = 0.0;
  for (std::size_t l = 0; l < lanes; ++l) sum += partial[l];
  for (; i < N; ++i) sum += double(x[i]) * double(x[i]);
  return sum;
}

// x *= scale over N floats.
template <std::size_t N>
void Scale(float* HWY_RESTRICT x, float scale) {
  const hn::CappedTag<float, N> d;
  const hn::CappedTag<float, 1> d1;
  const std::size_t lanes = hn::Lanes(d);
  const std::size_t full = N - N % lanes;
  for (std::size_t i = 0; i < full; i += lanes) {
    hn::StoreU(hn::Mul(hn::LoadU(d, x + i), hn::Set(d, scale)), d, x + i);
  }
  for (std::size_t i = full; i < N; ++i) {
    hn::StoreU(hn::Mul(hn::LoadU(d1, x + i), hn::Set(d1, scale)), d1, x + i);
  }
}

// Whether all N floats are finite (no NaN, no infinity): the divergence
// guard checks the gradients with it before an optimizer step.
template <std::size_t N>
bool AllFinite(const float* HWY_RESTRICT x) {
  const hn::CappedTag<float, N> d;
  const hn::CappedTag<float, 1> d1;
  const std::size_t lanes = hn::Lanes(d);
  const std::size_t full = N - N % lanes;
  for (std::size_t i = 0; i < full; i += lanes) {
    if (!hn::AllTrue(d, hn::IsFinite(hn::LoadU(d, x + i)))) return false;
  }
  for (std::size_t i = full; i < N; ++i) {
    if (!hn::AllTrue(d1, hn::IsFinite(hn::LoadU(d1, x + i)))) return false;
  }
  return true;
}

// torch.nn.utils.clip_grad_norm_(max_norm) over one flat gradient array:
// returns the gradient's L2 norm before clipping, and scales it by
// max_norm / (norm + 1e-6) when that is below 1. A non-finite norm is
// returned as is and the gradient left alone (the caller decides).
template <std::size_t N>
float ClipGradNorm(float* HWY_RESTRICT grad, float max_norm) {
  const float norm = static_cast<float>(std::sqrt(SumOfSquares<N>(grad)));
  if (!std::isfinite(norm)) return norm;
  const float coef = max_norm / (norm + 1e-6f);
  if (coef < 1.0f) Scale<N>(grad, coef);
  return norm;
}

}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#endif  // STATICNN_KERNELS_OPTIMIZER_INL_H_ toggle guard
