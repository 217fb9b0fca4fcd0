// Scalar oracle for the optimizer steps of staticnn/kernels/optimizer-inl.h:
// torch.optim's update formulas as plain loops in any scalar type T.
// Velocity and moments start at zero; `step` counts from 1.
#pragma once

#include <cmath>
#include <cstddef>

#include "staticnn/optimizer_options.hpp"

namespace staticnn::reference {

// torch.optim.SGD, dampening 0, no nesterov. `vel` is unused (may be
// nullptr) when o.momentum == 0.
template <class T>
void sgd_step(std::size_t n, T* p, const T* g, T* vel, const SgdOptions& o) {
  const T lr = o.lr, momentum = o.momentum, weight_decay = o.weight_decay;
  for (std::size_t i = 0; i < n; ++i) {
    T d = g[i];
    if (weight_decay != 0) d = d + weight_decay * p[i];
    if (momentum != 0) {
      vel[i] = momentum * vel[i] + d;
      d = vel[i];
    }
    p[i] = p[i] - lr * d;
  }
}

// torch.optim.Adam, amsgrad off, L2 weight decay added to the gradient.
template <class T>
void adam_step(std::size_t n, T* p, const T* g, T* m, T* v,
               const AdamOptions& o, int step) {
  const T lr = o.lr, beta1 = o.beta1, beta2 = o.beta2, eps = o.eps;
  const T weight_decay = o.weight_decay;
  const T correction1 = T(1) - T(std::pow(beta1, step));
  const T correction2 = T(1) - T(std::pow(beta2, step));
  const T step_size = lr / correction1;
  for (std::size_t i = 0; i < n; ++i) {
    T d = g[i];
    if (weight_decay != 0) d = d + weight_decay * p[i];
    m[i] = beta1 * m[i] + (T(1) - beta1) * d;
    v[i] = beta2 * v[i] + (T(1) - beta2) * d * d;
    const T denom = std::sqrt(v[i]) / std::sqrt(correction2) + eps;
    p[i] = p[i] - step_size * m[i] / denom;
  }
}

}  // namespace staticnn::reference
