// Step(p, g, optimizer) per Highway target: one overload per optimizer type
// of optimizers.hpp, each applying its update kernel (kernels/optimizer-inl.h)
// to the network's flat parameter array; and ClipGradNorm over the network's
// flat gradient array.

#if defined(STATICNN_OPTIMIZER_STEPS_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef STATICNN_OPTIMIZER_STEPS_INL_H_
#undef STATICNN_OPTIMIZER_STEPS_INL_H_
#else
#define STATICNN_OPTIMIZER_STEPS_INL_H_
#endif

#include "hwy/highway.h"
#include "staticnn/kernels/optimizer-inl.h"
#include "staticnn/optimizers.hpp"

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {

template <class Net>
void Step(typename Net::Parameters& p, const typename Net::Gradients& g,
          Optimizer<SgdOptions, SgdState<Net>>& opt) {
  SgdStep<Net::Parameters::size>(p.values, g.values, opt.state.velocity.values, opt.options,
                                 ++opt.state.step);
}

template <class Net>
void Step(typename Net::Parameters& p, const typename Net::Gradients& g,
          Optimizer<AdamOptions, AdamState<Net>>& opt) {
  AdamStep<Net::Parameters::size>(p.values, g.values, opt.state.m.values, opt.state.v.values,
                                  opt.state.max_v.values, opt.options, ++opt.state.step);
}

template <class Net>
void Step(typename Net::Parameters& p, const typename Net::Gradients& g,
          Optimizer<AdamWOptions, AdamState<Net>>& opt) {
  AdamWStep<Net::Parameters::size>(p.values, g.values, opt.state.m.values,
                                   opt.state.v.values, opt.state.max_v.values, opt.options,
                                   ++opt.state.step);
}

template <class Net>
void Step(typename Net::Parameters& p, const typename Net::Gradients& g,
          Optimizer<RmspropOptions, RmspropState<Net>>& opt) {
  RmspropStep<Net::Parameters::size>(p.values, g.values, opt.state.square_avg.values,
                                     opt.state.grad_avg.values,
                                     opt.state.momentum_buffer.values, opt.options);
}

template <class Net>
void Step(typename Net::Parameters& p, const typename Net::Gradients& g, Sgd<Net>& opt) {
  SgdStep<Net::Parameters::size>(p.values, g.values, opt.velocity.values, opt.options,
                                 ++opt.step);
}

template <class Net>
void Step(typename Net::Parameters& p, const typename Net::Gradients& g, Adam<Net>& opt) {
  AdamStep<Net::Parameters::size>(p.values, g.values, opt.m.values, opt.v.values,
                                  opt.max_v.values, opt.options, ++opt.step);
}

// torch.nn.utils.clip_grad_norm_ over all of the network's gradients: returns
// the norm before clipping.
template <class Net>
float ClipGradNorm(typename Net::Gradients& g, float max_norm) {
  return ClipGradNorm<Net::Gradients::size>(g.values, max_norm);
}

// Whether every gradient is finite.
template <class Net>
bool AllFinite(const typename Net::Gradients& g) {
  return AllFinite<Net::Gradients::size>(g.values);
}

}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#endif  // STATICNN_OPTIMIZER_STEPS_INL_H_ toggle
