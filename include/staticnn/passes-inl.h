// Whole-network passes, per Highway target: forward (inference or training),
// backward, losses over a batch and optimizer steps. The layer sequence is
// unrolled at compile time by a fold over an index sequence: no virtual calls,
// no run-time loop over layers, no run-time shapes, no heap.
//
// Static dispatch: include "staticnn/staticnn.hpp" and call staticnn::forward
// etc. Dynamic dispatch: include this file from a translation unit that uses
// hwy/foreach_target.h and HWY_EXPORT a function of yours that calls
// staticnn::HWY_NAMESPACE::Forward<...> (see examples/train_fashion_mnist.cc).

#if defined(STATICNN_PASSES_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef STATICNN_PASSES_INL_H_
#undef STATICNN_PASSES_INL_H_
#else
#define STATICNN_PASSES_INL_H_
#endif

#include <cstddef>
#include <utility>

#include "hwy/highway.h"
#include "staticnn/kernels/activation-inl.h"
#include "staticnn/kernels/conv2d-inl.h"
#include "staticnn/kernels/linear-inl.h"
#include "staticnn/kernels/loss-inl.h"
#include "staticnn/kernels/pool2d-inl.h"
#include "staticnn/optimizer_steps-inl.h"
#include "staticnn/storage.hpp"

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {

// Layer I of Net on a batch: in [Batch][in], out [Batch][out]. A pointer into
// the parameters is passed so that Parameters and baked read-only arrays both work.
template <class Net, std::size_t I, int Batch>
void ForwardLayer(const typename Net::Parameters& p, const float* in, float* out,
                  float* scratch) {
  using L = typename Net::template layer<I>;
  constexpr Shape si = Net::plan.layers[I].in;
  constexpr Shape so = Net::plan.layers[I].out;
  constexpr std::size_t n = std::size_t(Batch) * si.size();
  constexpr LayerKind kind = L::kind;
  if constexpr (kind == LayerKind::conv2d) {
    for (int b = 0; b < Batch; ++b) {
      Conv2dForward<L::geometry(si)>(in + b * si.size(), p.template weight<I>(),
                                     p.template bias<I>(), out + b * so.size(), scratch);
    }
  } else if constexpr (kind == LayerKind::linear) {
    LinearForward<L::geometry(si), Batch>(in, p.template weight<I>(), p.template bias<I>(), out);
  } else if constexpr (kind == LayerKind::max_pool2d || kind == LayerKind::avg_pool2d) {
    for (int b = 0; b < Batch; ++b) {
      if constexpr (kind == LayerKind::max_pool2d) {
        MaxPool2dForward<L::geometry(si)>(in + b * si.size(), out + b * so.size());
      } else {
        AvgPool2dForward<L::geometry(si)>(in + b * si.size(), out + b * so.size());
      }
    }
  } else if constexpr (kind == LayerKind::global_avg_pool2d) {
    for (int b = 0; b < Batch; ++b) {
      GlobalAvgPool2dForward<si>(in + b * si.size(), out + b * so.size());
    }
  } else if constexpr (kind == LayerKind::relu) {
    ReluForward<n>(in, out);
  } else if constexpr (kind == LayerKind::leaky_relu) {
    LeakyReluForward<n>(in, out, L::spec.negative_slope);
  } else if constexpr (kind == LayerKind::sigmoid) {
    SigmoidForward<n>(in, out);
  } else if constexpr (kind == LayerKind::tanh) {
    TanhForward<n>(in, out);
  } else if constexpr (kind == LayerKind::softmax) {
    for (int b = 0; b < Batch; ++b) SoftmaxForward<si>(in + b * si.size(), out + b * so.size());
  } else {
    static_assert(kind == LayerKind::flatten);  // aliases its input: nothing to do
  }
}

// Backward through layer I: `in`/`out` are its forward input and output, `dout`
// the gradient at its output. Writes `din` (if not null) and adds the parameter
// gradients into g.
template <class Net, std::size_t I, int Batch>
void BackwardLayer(const typename Net::Parameters& p, const float* in, const float* out,
                   const float* dout, float* din, typename Net::Gradients& g,
                   float* scratch) {
  using L = typename Net::template layer<I>;
  constexpr Shape si = Net::plan.layers[I].in;
  constexpr Shape so = Net::plan.layers[I].out;
  constexpr std::size_t n = std::size_t(Batch) * si.size();
  constexpr LayerKind kind = L::kind;
  if constexpr (kind == LayerKind::conv2d) {
    constexpr Conv2dGeometry geo = L::geometry(si);
    for (int b = 0; b < Batch; ++b) {
      Conv2dBackwardParams<geo>(in + b * si.size(), dout + b * so.size(),
                                g.template weight<I>(), g.template bias<I>(), scratch);
      if (din != nullptr) {
        Conv2dBackwardInput<geo>(dout + b * so.size(), p.template weight<I>(),
                                 din + b * si.size(), scratch);
      }
    }
  } else if constexpr (kind == LayerKind::linear) {
    constexpr LinearGeometry geo = L::geometry(si);
    LinearBackwardParams<geo, Batch>(in, dout, g.template weight<I>(), g.template bias<I>());
    if (din != nullptr) LinearBackwardInput<geo, Batch>(dout, p.template weight<I>(), din);
  } else if (din == nullptr) {
    return;  // no parameters and nobody wants the input gradient
  } else if constexpr (kind == LayerKind::max_pool2d) {
    for (int b = 0; b < Batch; ++b) {
      MaxPool2dBackward<L::geometry(si)>(in + b * si.size(), dout + b * so.size(),
                                         din + b * si.size());
    }
  } else if constexpr (kind == LayerKind::avg_pool2d) {
    for (int b = 0; b < Batch; ++b) {
      AvgPool2dBackward<L::geometry(si)>(dout + b * so.size(), din + b * si.size());
    }
  } else if constexpr (kind == LayerKind::global_avg_pool2d) {
    for (int b = 0; b < Batch; ++b) {
      GlobalAvgPool2dBackward<si>(dout + b * so.size(), din + b * si.size());
    }
  } else if constexpr (kind == LayerKind::relu) {
    ReluBackward<n>(in, out, dout, din);
  } else if constexpr (kind == LayerKind::leaky_relu) {
    LeakyReluBackward<n>(in, out, dout, din, L::spec.negative_slope);
  } else if constexpr (kind == LayerKind::sigmoid) {
    SigmoidBackward<n>(in, out, dout, din);
  } else if constexpr (kind == LayerKind::tanh) {
    TanhBackward<n>(in, out, dout, din);
  } else if constexpr (kind == LayerKind::softmax) {
    for (int b = 0; b < Batch; ++b) {
      SoftmaxBackward<si>(in + b * si.size(), out + b * so.size(), dout + b * so.size(),
                          din + b * si.size());
    }
  } else {
    static_assert(kind == LayerKind::flatten);
    for (std::size_t i = 0; i < n; ++i) din[i] = dout[i];
  }
}

// Inference on a batch: x [Batch][C][H][W] -> the returned [Batch][output] lives
// in the workspace until the next call.
template <class Net, int Batch>
const float* Forward(const typename Net::Parameters& p, const float* x,
                     InferenceWorkspace<Net, Batch>& ws) {
  const float* result = x;
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    ((result = [&] {
       constexpr int buf = Net::inference_buffer_of[I];
       constexpr int prev = I == 0 ? -1 : Net::inference_buffer_of[I == 0 ? 0 : I - 1];
       const float* in = prev < 0 ? x : ws.buffer[prev < 0 ? 0 : prev];
       float* out = ws.buffer[buf < 0 ? 0 : buf];
       if constexpr (buf < 0) return x;  // Flatten of the input itself
       ForwardLayer<Net, I, Batch>(p, in, out, ws.scratch);
       return static_cast<const float*>(out);
     }()), ...);
  }(std::make_index_sequence<Net::layer_count>{});
  return result;
}

// Where layer I's output lives in a training workspace (-1: the input x).
template <class Net, int Batch>
const float* KeptOutput(const TrainingWorkspace<Net, Batch>& ws, const float* x, long offset) {
  return offset < 0 ? x : ws.activations + offset * Batch;
}

// Forward for training: keeps every layer's output for Backward.
template <class Net, int Batch>
const float* Forward(const typename Net::Parameters& p, const float* x,
                     TrainingWorkspace<Net, Batch>& ws) {
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    (
        [&] {
          constexpr long off = Net::activation_offset[I];
          constexpr long prev = I == 0 ? -1 : Net::activation_offset[I == 0 ? 0 : I - 1];
          if constexpr (off >= 0 && off != prev) {
            ForwardLayer<Net, I, Batch>(p, KeptOutput(ws, x, prev), ws.activations + off * Batch,
                                        ws.scratch);
          }
        }(),
        ...);
  }(std::make_index_sequence<Net::layer_count>{});
  return KeptOutput(ws, x, Net::activation_offset[Net::layer_count - 1]);
}

// Backward after Forward(p, x, ws): dout is the loss gradient at the output
// ([Batch][output]); parameter gradients are added into g (zero it first for a
// fresh batch). If dx is not null, the gradient at the input is written there.
template <class Net, int Batch>
void Backward(const typename Net::Parameters& p, const float* x,
              TrainingWorkspace<Net, Batch>& ws, const float* dout,
              typename Net::Gradients& g, float* dx = nullptr) {
  const float* grad = dout;
  [&]<std::size_t... R>(std::index_sequence<R...>) {
    (
        [&] {
          constexpr std::size_t I = Net::layer_count - 1 - R;
          constexpr long off = Net::activation_offset[I];
          constexpr long prev = I == 0 ? -1 : Net::activation_offset[I == 0 ? 0 : I - 1];
          // The gradient buffer that does not hold `grad` (Flatten keeps it in place).
          float* spare = grad == ws.gradient[0] ? ws.gradient[1] : ws.gradient[0];
          float* din = I == 0 ? dx : spare;
          if constexpr (Net::plan.layers[I].kind == LayerKind::flatten) {
            return;  // same data, same gradient
          } else {
            BackwardLayer<Net, I, Batch>(p, KeptOutput(ws, x, prev), KeptOutput(ws, x, off),
                                         grad, din, g, ws.scratch);
            grad = din;
          }
        }(),
        ...);
  }(std::make_index_sequence<Net::layer_count>{});
  if (dx != nullptr && grad != dx) {  // the first layers were Flatten only
    for (std::size_t i = 0; i < std::size_t(Batch) * Net::input_shape.size(); ++i) dx[i] = grad[i];
  }
}

// Mean over the batch of a per-sample classification loss
// (float loss(scores, label, dscores, scale)); labels must be valid (the
// wrappers in passes.hpp check them). dscores gets d(mean loss)/d(scores).
template <class Net, int Batch, class SampleLoss>
float MeanClassificationLoss(const float* scores, const int* labels, float* dscores,
                             SampleLoss sample_loss) {
  constexpr int k = Net::output_shape.size();
  float sum = 0.0f;
  for (int b = 0; b < Batch; ++b) {
    sum += sample_loss(scores + b * k, labels[b], dscores + b * k, 1.0f / Batch);
  }
  return sum / Batch;
}

// Mean softmax cross-entropy over the batch.
template <class Net, int Batch>
float SoftmaxCrossEntropyLoss(const float* logits, const int* labels, float* dlogits) {
  return MeanClassificationLoss<Net, Batch>(logits, labels, dlogits,
                                            &SoftmaxCrossEntropy<Net::output_shape.size()>);
}

// Mean multiclass SVM (hinge) loss over the batch, the lecture's form.
template <class Net, int Batch>
float MulticlassHingeLoss(const float* scores, const int* labels, float* dscores) {
  return MeanClassificationLoss<Net, Batch>(scores, labels, dscores,
                                            &MulticlassHinge<Net::output_shape.size()>);
}

// Mean squared error over every output of the batch (torch.nn.MSELoss()).
template <class Net, int Batch>
float MeanSquaredErrorLoss(const float* out, const float* target, float* dout) {
  constexpr std::size_t n = std::size_t(Batch) * Net::output_shape.size();
  return MeanSquaredError<n>(out, target, dout, 1.0f);
}

}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#endif  // STATICNN_PASSES_INL_H_ toggle
