// Conv2d's kernels for one Highway target (the algorithms: kernels/conv2d-inl.h).

#if defined(STATICNN_LAYERS_CONV2D_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef STATICNN_LAYERS_CONV2D_INL_H_
#undef STATICNN_LAYERS_CONV2D_INL_H_
#else
#define STATICNN_LAYERS_CONV2D_INL_H_
#endif

#include "hwy/highway.h"
#include "staticnn/kernels/conv2d-inl.h"
#include "staticnn/layers/conv2d.hpp"
#include "staticnn/layers/kernel-inl.h"

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {

template <Conv2dSpec Spec>
struct Kernel<Conv2d<Spec>> {
  template <Shape In, int Batch>
  static void Forward(const ForwardArgs& a) {
    constexpr Conv2dGeometry g = Conv2d<Spec>::geometry(In);
    const float* bias = g.bias ? a.params + g.weight_count() : nullptr;
    Conv2dForward<g, Batch>(a.in, a.params, bias, a.out, a.scratch);
  }

  // Forward, then a ReLU (Conv2d, ReLU in inference and training: chain.hpp).
  template <Shape In, int Batch>
  static void ForwardRelu(const ForwardArgs& a) {
    constexpr Conv2dGeometry g = Conv2d<Spec>::geometry(In);
    const float* bias = g.bias ? a.params + g.weight_count() : nullptr;
    Conv2dForward<g, Batch, true>(a.in, a.params, bias, a.out, a.scratch);
  }

  // Forward (and the ReLU after it, kRelu), then the MaxPool2d `Pool` after
  // that into `pooled` (inference of Conv2d, [ReLU,] MaxPool2d: chain.hpp);
  // a.out, the convolution's own buffer, holds its output where a path needs it.
  template <Shape In, int Batch, bool kRelu, class Pool>
  static void ForwardPooled(const ForwardArgs& a, float* pooled) {
    constexpr Conv2dGeometry g = Conv2d<Spec>::geometry(In);
    const float* bias = g.bias ? a.params + g.weight_count() : nullptr;
    Conv2dForwardPooled<g, Pool::geometry(g.out), Batch, kRelu>(a.in, a.params, bias, a.out,
                                                                pooled, a.scratch);
  }

  template <Shape In, int Batch>
  static void Backward(const BackwardArgs& a) {
    constexpr Conv2dGeometry g = Conv2d<Spec>::geometry(In);
    float* dbias = g.bias ? a.grads + g.weight_count() : nullptr;
    Conv2dBackwardParams<g, Batch>(a.in, a.dout, a.grads, dbias, a.scratch);
    if (a.din != nullptr) Conv2dBackwardInput<g, Batch>(a.dout, a.params, a.din, a.scratch);
  }
};

}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#endif  // STATICNN_LAYERS_CONV2D_INL_H_ toggle
