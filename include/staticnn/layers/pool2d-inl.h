// MaxPool2d, AvgPool2d and GlobalAvgPool2d kernels for one Highway target
// (the algorithms: kernels/pool2d-inl.h).

#if defined(STATICNN_LAYERS_POOL2D_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef STATICNN_LAYERS_POOL2D_INL_H_
#undef STATICNN_LAYERS_POOL2D_INL_H_
#else
#define STATICNN_LAYERS_POOL2D_INL_H_
#endif

#include "hwy/highway.h"
#include "staticnn/kernels/pool2d-inl.h"
#include "staticnn/layers/pool2d.hpp"
#include "staticnn/layers/kernel-inl.h"

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {

template <Pool2dSpec Spec>
struct Kernel<MaxPool2d<Spec>> {
  template <Shape In, int Batch>
  static void Forward(const ForwardArgs& a) {
    constexpr Pool2dGeometry g = MaxPool2d<Spec>::geometry(In);
    for (int b = 0; b < Batch; ++b) {
      MaxPool2dForward<g>(a.in + b * g.in.size(), a.out + b * g.out.size());
    }
  }
  template <Shape In, int Batch>
  static void Backward(const BackwardArgs& a) {
    BackwardOf<In, Batch, false>(a);
  }
  // After a ReLU (takes_relu_backward): a.din gets the gradient at its input.
  template <Shape In, int Batch>
  static void BackwardAfterRelu(const BackwardArgs& a) {
    BackwardOf<In, Batch, true>(a);
  }

 private:
  template <Shape In, int Batch, bool kAfterRelu>
  static void BackwardOf(const BackwardArgs& a) {
    constexpr Pool2dGeometry g = MaxPool2d<Spec>::geometry(In);
    if (a.din == nullptr) return;
    for (int b = 0; b < Batch; ++b) {
      MaxPool2dBackward<g, kAfterRelu>(a.in + b * g.in.size(), a.dout + b * g.out.size(),
                                       a.din + b * g.in.size());
    }
  }
};

template <Pool2dSpec Spec>
struct Kernel<AvgPool2d<Spec>> {
  template <Shape In, int Batch>
  static void Forward(const ForwardArgs& a) {
    constexpr Pool2dGeometry g = AvgPool2d<Spec>::geometry(In);
    for (int b = 0; b < Batch; ++b) {
      AvgPool2dForward<g>(a.in + b * g.in.size(), a.out + b * g.out.size());
    }
  }
  template <Shape In, int Batch>
  static void Backward(const BackwardArgs& a) {
    constexpr Pool2dGeometry g = AvgPool2d<Spec>::geometry(In);
    if (a.din == nullptr) return;
    for (int b = 0; b < Batch; ++b) {
      AvgPool2dBackward<g>(a.dout + b * g.out.size(), a.din + b * g.in.size());
    }
  }
};

template <>
struct Kernel<GlobalAvgPool2d> {
  template <Shape In, int Batch>
  static void Forward(const ForwardArgs& a) {
    for (int b = 0; b < Batch; ++b) GlobalAvgPool2dForward<In>(a.in + b * In.size(), a.out + b * In.c);
  }
  template <Shape In, int Batch>
  static void Backward(const BackwardArgs& a) {
    if (a.din == nullptr) return;
    for (int b = 0; b < Batch; ++b) {
      GlobalAvgPool2dBackward<In>(a.dout + b * In.c, a.din + b * In.size());
    }
  }
};

}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#endif  // STATICNN_LAYERS_POOL2D_INL_H_ toggle
