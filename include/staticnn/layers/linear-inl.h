// Linear's kernels for one Highway target (the algorithms: kernels/linear-inl.h).
// Flatten has none: it aliases its input.

#if defined(STATICNN_LAYERS_LINEAR_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef STATICNN_LAYERS_LINEAR_INL_H_
#undef STATICNN_LAYERS_LINEAR_INL_H_
#else
#define STATICNN_LAYERS_LINEAR_INL_H_
#endif

#include "hwy/highway.h"
#include "staticnn/kernels/linear-inl.h"
#include "staticnn/layers/linear.hpp"
#include "staticnn/layers/kernel-inl.h"

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {

template <LinearSpec Spec>
struct Kernel<Linear<Spec>> {
  template <Shape In, int Batch>
  static void Forward(const ForwardArgs& a) {
    constexpr LinearGeometry g = Linear<Spec>::geometry(In);
    LinearForward<g, Batch>(a.in, a.params, g.bias ? a.params + g.weight_count() : nullptr,
                            a.out);
  }

  // Forward, then a ReLU (Linear, ReLU in inference and training: chain.hpp).
  template <Shape In, int Batch>
  static void ForwardRelu(const ForwardArgs& a) {
    constexpr LinearGeometry g = Linear<Spec>::geometry(In);
    LinearForward<g, Batch, true>(a.in, a.params,
                                  g.bias ? a.params + g.weight_count() : nullptr, a.out);
  }

  template <Shape In, int Batch>
  static void Backward(const BackwardArgs& a) {
    constexpr LinearGeometry g = Linear<Spec>::geometry(In);
    LinearBackwardParams<g, Batch>(a.in, a.dout, a.grads,
                                   g.bias ? a.grads + g.weight_count() : nullptr);
    if (a.din != nullptr) LinearBackwardInput<g, Batch>(a.dout, a.params, a.din);
  }
};

}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#endif  // STATICNN_LAYERS_LINEAR_INL_H_ toggle
