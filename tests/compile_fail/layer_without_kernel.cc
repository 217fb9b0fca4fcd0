// expect: staticnn: this layer has no kernel for this Highway target: specialize staticnn::HWY_NAMESPACE::Kernel<Layer>
// expect: In instantiation of 'struct staticnn::error::layer_has_no_kernel<Swish>'
//
// A layer of one's own (static side only) in a network that the passes run:
// without a Kernel<Swish> specialization for the target, the error names the
// layer. The twin adds the kernel (scalar loops, enough for the point).
#define STATICNN_ALLOW_SCALAR  // static dispatch without -march: the SCALAR target on purpose
#include "staticnn/staticnn.hpp"

#include "hwy/highway.h"
#include "staticnn/layers/kernel-inl.h"

struct Swish : staticnn::Elementwise {
  static constexpr const char* name = "Swish";
};

#ifdef STATICNN_TWIN
#include <cmath>
namespace staticnn::HWY_NAMESPACE {
template <>
struct Kernel<Swish> {
  template <Shape In, int Batch>
  static void Forward(const ForwardArgs& a) {
    for (int i = 0; i < Batch * In.size(); ++i) a.out[i] = a.in[i] / (1 + std::exp(-a.in[i]));
  }
  template <Shape In, int Batch>
  static void Backward(const BackwardArgs& a) {
    if (a.din == nullptr) return;
    for (int i = 0; i < Batch * In.size(); ++i) {
      const float s = 1 / (1 + std::exp(-a.in[i]));
      a.din[i] = a.dout[i] * s * (1 + a.in[i] * (1 - s));
    }
  }
};
}  // namespace staticnn::HWY_NAMESPACE
#endif

#include "staticnn/passes.hpp"

namespace nn = staticnn;
using Net = nn::Network<nn::Input<8>, nn::Linear<{.out_features = 4}>, Swish,
                        nn::Linear<{.out_features = 2}>>;

float Run(const Net::Parameters& p, const float* x, Net::InferenceWorkspace<1>& ws) {
  return nn::forward<Net, 1>(p, x, ws)[0];
}
