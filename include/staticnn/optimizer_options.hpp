// Optimizer hyperparameters: plain runtime values, named and defaulted like
// torch.optim. Target independent; the update kernels that take them live in
// staticnn/kernels/optimizer-inl.h.
#pragma once

namespace staticnn {

// torch.optim.SGD with dampening = 0 and nesterov = False.
struct SgdOptions {
  float lr = 0.01f;
  float momentum = 0.0f;
  float weight_decay = 0.0f;  // L2: weight_decay * param is added to the gradient
};

// torch.optim.Adam with amsgrad = False. weight_decay is L2 added to the
// gradient (Adam), not decoupled (that would be AdamW).
struct AdamOptions {
  float lr = 1e-3f;
  float beta1 = 0.9f;
  float beta2 = 0.999f;
  float eps = 1e-8f;
  float weight_decay = 0.0f;
};

}  // namespace staticnn
