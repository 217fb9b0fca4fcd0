// Step(p, g, optimizer) per Highway target: one overload per optimizer type
// of optimizers.hpp, each applying its update kernel (kernels/optimizer-inl.h)
// to the network's flat parameter array.

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
void Step(typename Net::Parameters& p, const typename Net::Gradients& g, Sgd<Net>& opt) {
  SgdStep<Net::Parameters::size>(p.values, g.values, opt.velocity.values, opt.options);
}

template <class Net>
void Step(typename Net::Parameters& p, const typename Net::Gradients& g, Adam<Net>& opt) {
  AdamStep<Net::Parameters::size>(p.values, g.values, opt.m.values, opt.v.values,
                                  opt.options, ++opt.step);
}

}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#endif  // STATICNN_OPTIMIZER_STEPS_INL_H_ toggle
