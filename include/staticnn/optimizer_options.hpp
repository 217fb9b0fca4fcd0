// Optimizer hyperparameters: plain runtime values, named and defaulted like
// torch.optim. Target independent; the update kernels that take them live in
// staticnn/kernels/optimizer-inl.h. The options are small values, kept apart
// from the (parameter-sized) optimizer state of optimizers.hpp so that a static
// state is all zeros and lands in .bss.
#pragma once

#include <limits>

namespace staticnn {

// torch.optim.SGD. (dampening comes last here, so that the positional
// {lr, momentum, weight_decay, nesterov} of earlier versions keeps its meaning.)
struct SgdOptions {
  float lr = 0.01f;
  float momentum = 0.0f;
  float weight_decay = 0.0f;  // L2: weight_decay * param is added to the gradient
  bool nesterov = false;      // as torch: needs momentum > 0 and dampening = 0
  float dampening = 0.0f;     // the gradient enters the velocity times 1 - dampening
                              // (from the second step on, as in torch)
};

// torch.optim.Adam. weight_decay is L2 added to the gradient (Adam), not
// decoupled (that is AdamWOptions).
struct AdamOptions {
  float lr = 1e-3f;
  float beta1 = 0.9f;
  float beta2 = 0.999f;
  float eps = 1e-8f;
  float weight_decay = 0.0f;
  bool amsgrad = false;  // divide by the largest v so far (AdamState::max_v)
};

// torch.optim.AdamW: the parameters shrink by (1 - lr * weight_decay) before
// the Adam update, which never sees the decay.
struct AdamWOptions {
  float lr = 1e-3f;
  float beta1 = 0.9f;
  float beta2 = 0.999f;
  float eps = 1e-8f;
  float weight_decay = 1e-2f;  // torch's default for AdamW
  bool amsgrad = false;
};

// torch.optim.RMSprop.
struct RmspropOptions {
  float lr = 1e-2f;
  float alpha = 0.99f;  // smoothing of the squared-gradient average
  float eps = 1e-8f;
  float weight_decay = 0.0f;  // L2, added to the gradient
  float momentum = 0.0f;
  bool centered = false;  // divide by the variance estimate instead
};

// Whether torch.optim would accept the options (it raises ValueError
// otherwise), and every value is finite: train_step refuses a step with
// others (Status::invalid_options) before touching anything.
namespace detail {
constexpr bool non_negative(float v) { return v >= 0.0f && v <= std::numeric_limits<float>::max(); }
constexpr bool in_unit_interval(float v) { return v >= 0.0f && v < 1.0f; }  // [0, 1)
}  // namespace detail

constexpr bool options_valid(const SgdOptions& o) {
  using namespace detail;
  return non_negative(o.lr) && non_negative(o.momentum) && non_negative(o.weight_decay) &&
         non_negative(o.dampening) && (!o.nesterov || (o.momentum > 0.0f && o.dampening == 0.0f));
}
constexpr bool options_valid(const AdamOptions& o) {
  using namespace detail;
  return non_negative(o.lr) && in_unit_interval(o.beta1) && in_unit_interval(o.beta2) &&
         non_negative(o.eps) && non_negative(o.weight_decay);
}
constexpr bool options_valid(const AdamWOptions& o) {
  return options_valid(AdamOptions{o.lr, o.beta1, o.beta2, o.eps, o.weight_decay, o.amsgrad});
}
constexpr bool options_valid(const RmspropOptions& o) {
  using namespace detail;
  return non_negative(o.lr) && non_negative(o.alpha) && non_negative(o.eps) &&
         non_negative(o.weight_decay) && non_negative(o.momentum);
}

}  // namespace staticnn
