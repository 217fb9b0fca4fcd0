// Whole-network passes, per Highway target: forward (inference or training),
// backward, losses over a batch and optimizer steps, for networks of the
// built-in layers (a layer of one's own: include its -inl.h too).
//
// Static dispatch: include "staticnn/passes.hpp" and call staticnn::forward
// etc. Dynamic dispatch: include this file from a translation unit that uses
// hwy/foreach_target.h and HWY_EXPORT a function of yours that calls
// staticnn::HWY_NAMESPACE::Forward<...> (see examples/train_fashion_mnist.cc).

#if defined(STATICNN_PASSES_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef STATICNN_PASSES_INL_H_
#undef STATICNN_PASSES_INL_H_
#else
#define STATICNN_PASSES_INL_H_
#endif

#include <cmath>
#include <cstddef>
#include <type_traits>
#include <utility>

#include "hwy/highway.h"
#include "staticnn/chain-inl.h"
#include "staticnn/kernels/loss-inl.h"
#include "staticnn/layers/activations-inl.h"
#include "staticnn/layers/batch_norm-inl.h"
#include "staticnn/layers/blocks-inl.h"
#include "staticnn/layers/conv2d-inl.h"
#include "staticnn/layers/dropout-inl.h"
#include "staticnn/layers/linear-inl.h"
#include "staticnn/layers/pool2d-inl.h"
#include "staticnn/optimizer_steps-inl.h"
#include "staticnn/status.hpp"
#include "staticnn/storage.hpp"

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {

// Inference on a batch: x [Batch][C][H][W] -> the returned [Batch][output] lives
// in the workspace until its next use. Layers run in inference mode (running
// statistics, no dropout).
template <class Net, int Batch>
const float* Forward(const typename Net::Parameters& p, const float* x,
                     InferenceWorkspace<Net, Batch>& ws) {
  return ChainInfer<typename Net::chain, Batch>(p.values, p.buffers, x, ws.memory);
}

// Forward that keeps what Backward needs in `ws`. Mode::training uses batch
// statistics, draws dropout masks and updates buffers (running statistics);
// Mode::inference computes what Forward on an InferenceWorkspace computes.
template <class Net, int Batch>
const float* Forward(typename Net::Parameters& p, const float* x,
                     TrainingWorkspace<Net, Batch>& ws, Mode mode = Mode::training) {
  return ChainForward<typename Net::chain, Batch>(
      p.values, p.buffers, mode == Mode::training ? p.buffers : nullptr, x, ws.saved, ws.scratch,
      &ws.rng);
}

// Inference on the first n (1 .. Batch) samples of x, which holds only
// those: for n < Batch each sample runs alone, at batch 1, in the batch's
// workspace (batch 1 needs less of every region), and the n outputs are
// gathered after the memory batch 1 uses. Samples are independent in
// inference, so each output is the one a full batch would give.
template <class Net, int Batch>
const float* ForwardSamples(const typename Net::Parameters& p, const float* x,
                            InferenceWorkspace<Net, Batch>& ws, int n) {
  HWY_DASSERT(n >= 1 && n <= Batch);
  using C = typename Net::chain;
  if (n == Batch || LastComputing<C>() == C::size) {  // the latter: the output is x
    return Forward<Net, Batch>(p, x, ws);
  }
  constexpr std::size_t in = Net::input_shape.size(), out = Net::output_shape.size();
  constexpr long gathered_at = detail::round_up16(C::template memory<1>.inference_floats);
  static_assert(gathered_at + long(Batch * out) <= C::template memory<Batch>.inference_floats,
                "staticnn: this network's inference workspace has no room for a partial "
                "batch (run full batches, or a larger Batch)");
  float* gathered = ws.memory + gathered_at;
  for (int b = 0; b < n; ++b) {
    ChainInfer<C, 1>(p.values, p.buffers, x + b * in, ws.memory, gathered + b * out);
  }
  return gathered;
}

// Backward after Forward(p, x, ws): dout is the loss gradient at the output
// ([Batch][output]); parameter gradients are added into g (zero it first for a
// fresh batch). If dx is not null, the gradient at the input is written there.
template <class Net, int Batch>
void Backward(const typename Net::Parameters& p, const float* x,
              TrainingWorkspace<Net, Batch>& ws, const float* dout,
              typename Net::Gradients& g, float* dx = nullptr) {
  ChainBackward<typename Net::chain, Batch>(p.values, p.buffers, x, ws.saved, ws.scratch, dout,
                                            dx, g.values);
}

// Mean over the first n samples (n = Batch unless given: a partial batch) of
// a per-sample classification loss (float loss(scores, label, dscores,
// scale)); labels must be valid (the wrappers in passes.hpp check them).
// dscores gets d(mean loss)/d(scores).
template <class Net, int Batch, class SampleLoss>
float MeanClassificationLoss(const float* scores, const int* labels, float* dscores,
                             SampleLoss sample_loss, int n = Batch) {
  constexpr int k = Net::output_shape.size();
  float sum = 0.0f;
  for (int b = 0; b < n; ++b) {
    sum += sample_loss(scores + b * k, labels[b], dscores + b * k, 1.0f / n);
  }
  return sum / n;
}

// Softmax cross-entropy takes logits: on a network ending in Softmax, a
// compile error that says so.
template <class Net>
constexpr void CheckTrainsOnLogits() {
  static_assert(!std::is_same_v<typename Net::template layer<Net::layer_count - 1>, Softmax>,
                "staticnn: the network ends with Softmax, but softmax cross-entropy (and "
                "train_step) takes logits and applies softmax itself: softmax twice trains "
                "badly. Remove the last Softmax and train on logits (keep it in a separate "
                "inference network if you want probabilities)");
}

// Mean softmax cross-entropy over the batch (its first n samples).
template <class Net, int Batch>
float SoftmaxCrossEntropyLoss(const float* logits, const int* labels, float* dlogits,
                              int n = Batch) {
  CheckTrainsOnLogits<Net>();
  return MeanClassificationLoss<Net, Batch>(logits, labels, dlogits,
                                            &SoftmaxCrossEntropy<Net::output_shape.size()>, n);
}

// Mean multiclass SVM (hinge) loss over the batch, the lecture's form.
template <class Net, int Batch>
float MulticlassHingeLoss(const float* scores, const int* labels, float* dscores,
                          int n = Batch) {
  return MeanClassificationLoss<Net, Batch>(scores, labels, dscores,
                                            &MulticlassHinge<Net::output_shape.size()>, n);
}

// Mean squared error over every output of the batch (torch.nn.MSELoss()); of
// its first n samples, the mean of their means.
template <class Net, int Batch>
float MeanSquaredErrorLoss(const float* out, const float* target, float* dout, int n = Batch) {
  constexpr std::size_t k = Net::output_shape.size();
  if (n == Batch) return MeanSquaredError<std::size_t(Batch) * k>(out, target, dout, 1.0f);
  float sum = 0.0f;
  for (int b = 0; b < n; ++b) {
    sum += MeanSquaredError<k>(out + b * k, target + b * k, dout + b * k, 1.0f / n);
  }
  return sum / n;
}

// Whether every label of the first n samples is a class index of Net's output.
template <class Net, int Batch>
bool LabelsValid(const int* labels, int n = Batch) {
  for (int b = 0; b < n; ++b) {
    if (labels[b] < 0 || labels[b] >= Net::output_shape.size()) return false;
  }
  return true;
}

// Zeroes g, runs `gradients` (forward, loss and backward in training mode,
// returning the loss) and, if the loss and gradients are finite, the
// optimizer step. Options torch.optim would refuse are refused first. The divergence guard: one non-finite loss or gradient (a
// NaN input, a learning rate that exploded) would spread through every
// parameter and the optimizer state; the step is refused, and the buffers
// that forward updated are restored.
template <class Net, class Optimizer, class Workspace, class Gradients>
LossResult GuardedStep(typename Net::Parameters& p, typename Net::Gradients& g, Optimizer& opt,
                       Workspace& ws, Gradients gradients) {
  if (!options_valid(opt.options)) return {0.0f, Status::invalid_options};
  constexpr std::size_t buffers = std::size_t(Net::buffer_count);
  for (std::size_t i = 0; i < buffers; ++i) ws.buffers_before[i] = p.buffers[i];
  g.fill(0.0f);
  const float loss = gradients();
  if (!std::isfinite(loss) || !AllFinite<Net>(g)) {
    for (std::size_t i = 0; i < buffers; ++i) p.buffers[i] = ws.buffers_before[i];
    return {loss, Status::non_finite};
  }
  Step<Net>(p, g, opt);
  return {loss};
}

// Forward in training mode, softmax cross-entropy and backward on the first
// n (1 .. Batch) samples of x: the gradients of the sum of their losses
// divided by `mean_over` are added into g, and the sum is returned. n ==
// Batch runs the batch at once; for n < Batch each sample runs alone, at
// batch 1, in the batch's workspace. A step on a batch of m samples, done in
// parts (a partial batch, shards on threads: parallel-inl.h), calls this per
// part with mean_over = m.
template <class Net, int Batch>
float AddLossGradients(typename Net::Parameters& p, typename Net::Gradients& g,
                       TrainingWorkspace<Net, Batch>& ws, const float* x, const int* labels,
                       int n, int mean_over) {
  HWY_DASSERT(n >= 1 && n <= Batch);
  CheckTrainsOnLogits<Net>();
  using C = typename Net::chain;
  constexpr std::size_t in = Net::input_shape.size();
  constexpr int k = Net::output_shape.size();
  const float scale = 1.0f / mean_over;
  float sum = 0.0f;
  if (n == Batch) {
    const float* logits = Forward<Net, Batch>(p, x, ws, Mode::training);
    for (int b = 0; b < Batch; ++b) {
      sum += SoftmaxCrossEntropy<k>(logits + b * k, labels[b], ws.output_gradient + b * k, scale);
    }
    Backward<Net, Batch>(p, x, ws, ws.output_gradient, g);
    return sum;
  }
  constexpr auto& batch = C::template memory<Batch>;
  constexpr auto& one = C::template memory<1>;
  static_assert(one.saved_floats <= batch.saved_floats &&
                one.training_scratch_floats <= batch.training_scratch_floats);
  for (int b = 0; b < n; ++b) {
    const float* xb = x + b * in;
    const float* logits = ChainForward<C, 1>(p.values, p.buffers, p.buffers, xb, ws.saved,
                                             ws.scratch, &ws.rng);
    sum += SoftmaxCrossEntropy<k>(logits, labels[b], ws.output_gradient, scale);
    ChainBackward<C, 1>(p.values, p.buffers, xb, ws.saved, ws.scratch, ws.output_gradient,
                        nullptr, g.values);
  }
  return sum;
}

// One training step of a classifier: forward in training mode, mean softmax
// cross-entropy, backward, optimizer update. Bad labels leave the parameters
// untouched; a non-finite loss or gradient returns Status::non_finite before
// the update, with the buffers restored. The one implementation behind
// staticnn::train_step and the dynamic-dispatch entry points (dispatch.hpp).
template <class Net, int Batch, class Optimizer>
LossResult TrainStep(typename Net::Parameters& p, typename Net::Gradients& g, Optimizer& opt,
                     TrainingWorkspace<Net, Batch>& ws, const float* x, const int* labels) {
  if (!LabelsValid<Net, Batch>(labels)) return {0.0f, Status::label_out_of_range};
  return GuardedStep<Net>(p, g, opt, ws, [&] {
    return AddLossGradients<Net, Batch>(p, g, ws, x, labels, Batch, Batch) / Batch;
  });
}

// TrainStep on the first n (1 .. Batch) samples of x and labels, which hold
// only those: the loss and gradients are those of a batch of n. For n < Batch
// each sample runs forward and backward alone, at batch 1, in the batch's
// workspace. A network with buffers (BatchNorm) would see batch statistics
// of single samples: it gets Status::partial_batch_statistics instead.
template <class Net, int Batch, class Optimizer>
LossResult TrainStepSamples(typename Net::Parameters& p, typename Net::Gradients& g,
                            Optimizer& opt, TrainingWorkspace<Net, Batch>& ws, const float* x,
                            const int* labels, int n) {
  HWY_DASSERT(n >= 1 && n <= Batch);
  if (n == Batch) return TrainStep<Net, Batch>(p, g, opt, ws, x, labels);
  if (Net::buffer_count > 0) return {0.0f, Status::partial_batch_statistics};
  if (!LabelsValid<Net, Batch>(labels, n)) return {0.0f, Status::label_out_of_range};
  return GuardedStep<Net>(p, g, opt, ws, [&] {
    return AddLossGradients<Net, Batch>(p, g, ws, x, labels, n, n) / n;
  });
}

}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#endif  // STATICNN_PASSES_INL_H_ toggle
