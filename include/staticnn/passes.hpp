// The network passes for the translation unit's own Highway target (static
// dispatch, as firmware is built): staticnn::forward, backward, losses, step,
// train_step. For dynamic dispatch across targets, see dispatch.hpp.
//
// Batches come as buffers (batch_buffers.hpp): a C array, std::array or
// fixed-extent std::span must hold exactly Batch samples or the call does not
// compile; a std::vector or dynamic-extent std::span is checked at run time
// (Status::wrong_size) and may hold a partial last batch of n <= Batch
// samples where the pass allows it (inference forward, the losses,
// train_step); a raw pointer is unchecked and must hold Batch samples.
#pragma once

#include <cstddef>
#include <type_traits>

#include "staticnn/batch_buffers.hpp"
#include "staticnn/core.hpp"

#include "hwy/highway.h"
#include "staticnn/passes-inl.h"

namespace staticnn {

// Inference on a batch x ([Batch][C][H][W]); the result ([Batch][output])
// lives in `ws` until its next use. For x of run-time size: n <= Batch
// samples (a partial batch) and a BatchOutput.
template <class Net, int Batch, class Input>
auto forward(const typename Net::Parameters& p, Input&& x, InferenceWorkspace<Net, Batch>& ws) {
  // The partial-batch lambdas are generic so that they (and the per-sample
  // passes) are only instantiated for buffers of run-time size.
  return checked_infer<Net, Batch>(
      x, [&](const float* in) { return HWY_NAMESPACE::Forward<Net, Batch>(p, in, ws); },
      [&](const auto* in, int n) {
        return HWY_NAMESPACE::ForwardSamples<Net, Batch>(p, in, ws, n);
      });
}

// Forward that keeps what backward needs in `ws`: in Mode::training, with
// batch statistics and dropout, updating buffers (running statistics). Full
// batches only (x of run-time size: a BatchOutput, wrong_size unless it
// holds Batch samples).
template <class Net, int Batch, class Input>
auto forward(typename Net::Parameters& p, Input&& x, TrainingWorkspace<Net, Batch>& ws,
             Mode mode = Mode::training) {
  return checked_forward<Net, Batch>(x, [&](const float* in) {
    return HWY_NAMESPACE::Forward<Net, Batch>(p, in, ws, mode);
  });
}

// Adds the parameter gradients of the batch into g (after forward on the
// same x and ws); writes the gradient at the input into dx unless it is
// nullptr. Full batches only: wrong_size, and nothing done, for buffers of
// run-time size that do not hold Batch samples.
template <class Net, int Batch, class Input, class OutputGradient,
          class InputGradient = std::nullptr_t>
Status backward(const typename Net::Parameters& p, Input&& x, TrainingWorkspace<Net, Batch>& ws,
                OutputGradient&& dout, typename Net::Gradients& g, InputGradient&& dx = nullptr) {
  return checked_backward<Net, Batch>(
      x, dout, dx, [&](const float* in, const float* dy, float* din) {
        HWY_NAMESPACE::Backward<Net, Batch>(p, in, ws, dy, g, din);
      });
}

// A mean loss over the samples its buffers hold (Batch, or n for buffers of
// run-time size), its gradient written into the third buffer.
template <class Net, int Batch, class Scores, class Targets, class ScoreGradient, class Loss>
LossResult checked_loss(Scores&& scores, Targets&& targets, ScoreGradient&& dscores, Loss loss) {
  constexpr std::size_t k = Net::output_shape.size();
  const auto y = samples_of<const float, k, Batch>(scores);
  const auto dy = samples_of<float, k, Batch>(dscores);
  if constexpr (std::is_invocable_v<Loss, const float*, const int*, float*, int>) {
    const auto l = samples_of<const int, 1, Batch>(targets);
    const Samples<void> n = agreeing(y, l, dy);
    if (n.status != Status::ok) return {0.0f, n.status};
    if (!HWY_NAMESPACE::LabelsValid<Net, Batch>(l.data, n.count)) {
      return {0.0f, Status::label_out_of_range};
    }
    return {loss(y.data, l.data, dy.data, n.count)};
  } else {
    const auto t = samples_of<const float, k, Batch>(targets);
    const Samples<void> n = agreeing(y, t, dy);
    if (n.status != Status::ok) return {0.0f, n.status};
    return {loss(y.data, t.data, dy.data, n.count)};
  }
}

// Mean softmax cross-entropy of the batch and its gradient (into dlogits).
template <class Net, int Batch, class Logits, class Labels, class LogitGradient>
LossResult softmax_cross_entropy(Logits&& logits, Labels&& labels, LogitGradient&& dlogits) {
  return checked_loss<Net, Batch>(logits, labels, dlogits,
                                  &HWY_NAMESPACE::SoftmaxCrossEntropyLoss<Net, Batch>);
}

// Mean multiclass SVM loss (sum over j != y of max(0, s_j - s_y + 1)).
template <class Net, int Batch, class Scores, class Labels, class ScoreGradient>
LossResult multiclass_hinge(Scores&& scores, Labels&& labels, ScoreGradient&& dscores) {
  return checked_loss<Net, Batch>(scores, labels, dscores,
                                  &HWY_NAMESPACE::MulticlassHingeLoss<Net, Batch>);
}

// Mean squared error against `target` ([Batch][output]).
template <class Net, int Batch, class Outputs, class Targets, class OutputGradient>
LossResult mean_squared_error(Outputs&& out, Targets&& target, OutputGradient&& dout) {
  return checked_loss<Net, Batch>(out, target, dout,
                                  &HWY_NAMESPACE::MeanSquaredErrorLoss<Net, Batch>);
}

// The optimizer's update alone; options torch.optim would refuse change nothing.
template <class Net, class Optimizer>
Status step(typename Net::Parameters& p, const typename Net::Gradients& g, Optimizer& opt) {
  if (!options_valid(opt.options)) return Status::invalid_options;
  HWY_NAMESPACE::Step<Net>(p, g, opt);
  return Status::ok;
}

// One training step of a classifier: forward, softmax cross-entropy, backward,
// optimizer update. Bad labels leave the parameters untouched; a non-finite
// loss or gradient returns Status::non_finite and leaves the parameters
// (buffers included) and the optimizer state as they were. Buffers of
// run-time size may hold a partial batch of n <= Batch samples: the step is
// that of a batch of n (Status::partial_batch_statistics for a network with
// BatchNorm, whose batch statistics need the whole batch).
template <class Net, int Batch, class Optimizer, class Input, class Labels>
LossResult train_step(typename Net::Parameters& p, typename Net::Gradients& g, Optimizer& opt,
                      TrainingWorkspace<Net, Batch>& ws, Input&& x, Labels&& labels) {
  return checked_train_step<Net, Batch>(
      x, labels,
      [&](const float* in, const int* l) {
        return HWY_NAMESPACE::TrainStep<Net, Batch>(p, g, opt, ws, in, l);
      },
      [&](const auto* in, const auto* l, int n) {  // generic: see forward
        return HWY_NAMESPACE::TrainStepSamples<Net, Batch>(p, g, opt, ws, in, l, n);
      });
}

}  // namespace staticnn
