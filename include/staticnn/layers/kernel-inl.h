// Kernel<Layer>: a layer's forward and backward for one Highway target. Every
// layer specializes it in its own -inl.h, inside HWY_NAMESPACE (Highway's
// module pattern), with
//
//   template <Shape In, int Batch> static void Forward(const ForwardArgs&);
//   template <Shape In, int Batch> static void Backward(const BackwardArgs&);
//
// `In` is the layer's input shape for one sample, so every trip count is a
// constant. A layer without a specialization for the target does not compile;
// a named block (`struct DwSeparable : Sequential<...> {}`) needs none.

#if defined(STATICNN_LAYERS_KERNEL_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef STATICNN_LAYERS_KERNEL_INL_H_
#undef STATICNN_LAYERS_KERNEL_INL_H_
#else
#define STATICNN_LAYERS_KERNEL_INL_H_
#endif

#include "hwy/highway.h"
#include <type_traits>

#include "staticnn/diagnostics.hpp"
#include "staticnn/layers/blocks.hpp"
#include "staticnn/layers/kernel_args.hpp"
#include "staticnn/shape.hpp"

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {

template <class Layer>
struct Kernel;

// Without a specialization: a named block (derived from Sequential, Residual or
// Concat) runs its base block's kernel; any other layer is an error that names
// it (diagnostics.hpp).
template <class Layer>
struct NoKernel : error::layer_has_no_kernel<Layer> {
  template <Shape In, int Batch>
  static void Forward(const ForwardArgs&) {}
  template <Shape In, int Batch>
  static void Backward(const BackwardArgs&) {}
};
template <class Layer>
struct Kernel : std::conditional_t<detail::is_named_block<Layer>,
                                   Kernel<detail::block_base_t<Layer>>, NoKernel<Layer>> {};

}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#endif  // STATICNN_LAYERS_KERNEL_INL_H_ toggle
