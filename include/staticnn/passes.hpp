// The network passes for the translation unit's own Highway target (static
// dispatch, as firmware is built): staticnn::forward, backward, losses, step,
// train_step. For dynamic dispatch across targets, see dispatch.hpp.
#pragma once

#include "staticnn/core.hpp"

#include "hwy/highway.h"
#include "staticnn/passes-inl.h"

namespace staticnn {

// Inference on a batch; the result lives in `ws` until its next use.
template <class Net, int Batch>
const float* forward(const typename Net::Parameters& p, const float* x,
                     InferenceWorkspace<Net, Batch>& ws) {
  return HWY_NAMESPACE::Forward<Net, Batch>(p, x, ws);
}

// Forward that keeps what backward needs in `ws`: in Mode::training, with
// batch statistics and dropout, updating buffers (running statistics).
template <class Net, int Batch>
const float* forward(typename Net::Parameters& p, const float* x,
                     TrainingWorkspace<Net, Batch>& ws, Mode mode = Mode::training) {
  return HWY_NAMESPACE::Forward<Net, Batch>(p, x, ws, mode);
}

// Adds the parameter gradients of the batch into g; writes dx if not null.
template <class Net, int Batch>
void backward(const typename Net::Parameters& p, const float* x,
              TrainingWorkspace<Net, Batch>& ws, const float* dout,
              typename Net::Gradients& g, float* dx = nullptr) {
  HWY_NAMESPACE::Backward<Net, Batch>(p, x, ws, dout, g, dx);
}

template <class Net, int Batch>
constexpr Status check_labels(const int* labels) {
  for (int b = 0; b < Batch; ++b) {
    if (labels[b] < 0 || labels[b] >= Net::output_shape.size()) return Status::label_out_of_range;
  }
  return Status::ok;
}

// Mean softmax cross-entropy of the batch and its gradient (into dlogits).
template <class Net, int Batch>
LossResult softmax_cross_entropy(const float* logits, const int* labels, float* dlogits) {
  if (const Status s = check_labels<Net, Batch>(labels); s != Status::ok) return {0.0f, s};
  return {HWY_NAMESPACE::SoftmaxCrossEntropyLoss<Net, Batch>(logits, labels, dlogits)};
}

// Mean multiclass SVM loss (sum over j != y of max(0, s_j - s_y + 1)).
template <class Net, int Batch>
LossResult multiclass_hinge(const float* scores, const int* labels, float* dscores) {
  if (const Status s = check_labels<Net, Batch>(labels); s != Status::ok) return {0.0f, s};
  return {HWY_NAMESPACE::MulticlassHingeLoss<Net, Batch>(scores, labels, dscores)};
}

// Mean squared error against `target` ([Batch][output]).
template <class Net, int Batch>
LossResult mean_squared_error(const float* out, const float* target, float* dout) {
  return {HWY_NAMESPACE::MeanSquaredErrorLoss<Net, Batch>(out, target, dout)};
}

template <class Net, class Optimizer>
void step(typename Net::Parameters& p, const typename Net::Gradients& g, Optimizer& opt) {
  HWY_NAMESPACE::Step<Net>(p, g, opt);
}

// One training step of a classifier: forward, softmax cross-entropy, backward,
// optimizer update. Bad labels leave the parameters untouched; a non-finite
// loss or gradient returns Status::non_finite and leaves the parameters
// (buffers included) and the optimizer state as they were.
template <class Net, int Batch, class Optimizer>
LossResult train_step(typename Net::Parameters& p, typename Net::Gradients& g, Optimizer& opt,
                      TrainingWorkspace<Net, Batch>& ws, const float* x, const int* labels) {
  return HWY_NAMESPACE::TrainStep<Net, Batch>(p, g, opt, ws, x, labels);
}

}  // namespace staticnn
