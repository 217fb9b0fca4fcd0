// Optimizer hyperparameters: plain runtime values, named and defaulted like
// torch.optim. Target independent; the update kernels that take them live in
// staticnn/kernels/optimizer-inl.h. The options are small values, kept apart
// from the (parameter-sized) optimizer state of optimizers.hpp so that a static
// state is all zeros and lands in .bss.
#pragma once

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

}  // namespace staticnn
