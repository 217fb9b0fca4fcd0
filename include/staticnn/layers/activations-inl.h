// Kernels of the element-wise activations and Softmax for one Highway target
// (the algorithms: kernels/activation-inl.h).

#if defined(STATICNN_LAYERS_ACTIVATIONS_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef STATICNN_LAYERS_ACTIVATIONS_INL_H_
#undef STATICNN_LAYERS_ACTIVATIONS_INL_H_
#else
#define STATICNN_LAYERS_ACTIVATIONS_INL_H_
#endif

#include "hwy/highway.h"
#include <cstddef>

#include "staticnn/kernels/activation-inl.h"
#include "staticnn/layers/activations.hpp"
#include "staticnn/layers/kernel-inl.h"

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {

// The element-wise kernels run over the whole batch at once.
template <>
struct Kernel<ReLU> {
  template <Shape In, int Batch>
  static void Forward(const ForwardArgs& a) {
    ReluForward<std::size_t(Batch) * In.size()>(a.in, a.out);
  }
  template <Shape In, int Batch>
  static void Backward(const BackwardArgs& a) {
    if (a.din != nullptr) ReluBackward<std::size_t(Batch) * In.size()>(a.in, a.out, a.dout, a.din);
  }
};

template <LeakyReLUSpec Spec>
struct Kernel<LeakyReLU<Spec>> {
  template <Shape In, int Batch>
  static void Forward(const ForwardArgs& a) {
    LeakyReluForward<std::size_t(Batch) * In.size()>(a.in, a.out, Spec.negative_slope);
  }
  template <Shape In, int Batch>
  static void Backward(const BackwardArgs& a) {
    if (a.din == nullptr) return;
    LeakyReluBackward<std::size_t(Batch) * In.size()>(a.in, a.out, a.dout, a.din,
                                                       Spec.negative_slope);
  }
};

template <>
struct Kernel<ReLU6> {
  template <Shape In, int Batch>
  static void Forward(const ForwardArgs& a) {
    Relu6Forward<std::size_t(Batch) * In.size()>(a.in, a.out);
  }
  template <Shape In, int Batch>
  static void Backward(const BackwardArgs& a) {
    if (a.din != nullptr) Relu6Backward<std::size_t(Batch) * In.size()>(a.in, a.out, a.dout, a.din);
  }
};

template <>
struct Kernel<Hardswish> {
  template <Shape In, int Batch>
  static void Forward(const ForwardArgs& a) {
    HardswishForward<std::size_t(Batch) * In.size()>(a.in, a.out);
  }
  template <Shape In, int Batch>
  static void Backward(const BackwardArgs& a) {
    if (a.din == nullptr) return;
    HardswishBackward<std::size_t(Batch) * In.size()>(a.in, a.out, a.dout, a.din);
  }
};

template <>
struct Kernel<Sigmoid> {
  template <Shape In, int Batch>
  static void Forward(const ForwardArgs& a) {
    SigmoidForward<std::size_t(Batch) * In.size()>(a.in, a.out);
  }
  template <Shape In, int Batch>
  static void Backward(const BackwardArgs& a) {
    if (a.din != nullptr) SigmoidBackward<std::size_t(Batch) * In.size()>(a.in, a.out, a.dout, a.din);
  }
};

template <>
struct Kernel<Tanh> {
  template <Shape In, int Batch>
  static void Forward(const ForwardArgs& a) {
    TanhForward<std::size_t(Batch) * In.size()>(a.in, a.out);
  }
  template <Shape In, int Batch>
  static void Backward(const BackwardArgs& a) {
    if (a.din != nullptr) TanhBackward<std::size_t(Batch) * In.size()>(a.in, a.out, a.dout, a.din);
  }
};

// Softmax normalises each sample on its own.
template <>
struct Kernel<Softmax> {
  template <Shape In, int Batch>
  static void Forward(const ForwardArgs& a) {
    for (int b = 0; b < Batch; ++b) SoftmaxForward<In>(a.in + b * In.size(), a.out + b * In.size());
  }
  template <Shape In, int Batch>
  static void Backward(const BackwardArgs& a) {
    if (a.din == nullptr) return;
    for (int b = 0; b < Batch; ++b) {
      const int o = b * In.size();
      SoftmaxBackward<In>(a.in + o, a.out + o, a.dout + o, a.din + o);
    }
  }
};

}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#endif  // STATICNN_LAYERS_ACTIVATIONS_INL_H_ toggle
