// Kernel<Layer>: a layer's forward and backward for one Highway target. Every
// layer specializes it in its own -inl.h, inside HWY_NAMESPACE (Highway's
// module pattern), with
//
//   template <Shape In, int Batch> static void Forward(const ForwardArgs&);
//   template <Shape In, int Batch> static void Backward(const BackwardArgs&);
//
// `In` is the layer's input shape for one sample, so every trip count is a
// constant. A layer without a specialization for the target does not compile.

#if defined(STATICNN_LAYERS_KERNEL_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef STATICNN_LAYERS_KERNEL_INL_H_
#undef STATICNN_LAYERS_KERNEL_INL_H_
#else
#define STATICNN_LAYERS_KERNEL_INL_H_
#endif

#include "hwy/highway.h"
#include "staticnn/diagnostics.hpp"
#include "staticnn/layers/kernel_args.hpp"
#include "staticnn/shape.hpp"

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {

// Without a specialization: the error names the layer (diagnostics.hpp).
template <class Layer>
struct Kernel : error::layer_has_no_kernel<Layer> {
  template <Shape In, int Batch>
  static void Forward(const ForwardArgs&) {}
  template <Shape In, int Batch>
  static void Backward(const BackwardArgs&) {}
};

}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#endif  // STATICNN_LAYERS_KERNEL_INL_H_ toggle
