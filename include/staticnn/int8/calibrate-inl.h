// Calibration of a float network's activation ranges, the `ranges` of
// int8::quantize (network.hpp), per Highway target:
//   int8_calibration::Observe<Net>(p, x, n, observers)
// runs the n samples of x ([n][C][H][W]) through Net in inference mode (p:
// Net's parameters, or those of a network with the same arrays, such as the
// folded network QNet::Float is spliced from) and
// gives observers[i] the input of float layer i (observers[layer_count]: the
// output). An observer is anything with Status Observe(const float*, int):
// MinMaxObserver, or, in a second pass, HistogramObserver for a percentile
// (calibration.hpp). The first non-ok Status (a non-finite value) stops it.
//
// Layer i's output comes from the network cut after layer i (Prefix<Net, i+1>,
// whose parameters are the first of Net's: state_dict order), so no float
// layer needs a hook; calibration runs each sample through every prefix,
// layer_count times the network's cost, once, offline. Memory: a copy of the
// parameters and an inference workspace per prefix, static (no heap).

#if defined(STATICNN_INT8_CALIBRATE_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef STATICNN_INT8_CALIBRATE_INL_H_
#undef STATICNN_INT8_CALIBRATE_INL_H_
#else
#define STATICNN_INT8_CALIBRATE_INL_H_
#endif

#include <algorithm>
#include <cstddef>
#include <utility>

#include "hwy/highway.h"
#include "staticnn/int8/network.hpp"
#include "staticnn/passes-inl.h"
#include "staticnn/status.hpp"

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {
namespace int8_calibration {

// Observes the output of Net's first K layers for every sample.
template <class Net, int K, class Parameters, class Observer>
Status ObservePrefix(const Parameters& p, const float* x, int n, Observer& observer) {
  using P = int8::Prefix<Net, K>;
  static typename P::Parameters prefix_params;
  static typename P::template InferenceWorkspace<1> ws;
  std::copy(p.values, p.values + P::param_count, prefix_params.values);
  std::copy(p.buffers, p.buffers + P::buffer_count, prefix_params.buffers);
  for (int s = 0; s < n; ++s) {
    const float* y = Forward<P, 1>(prefix_params, x + long(s) * P::input_shape.size(), ws);
    const Status status = observer.Observe(y, int(P::output_shape.size()));
    if (status != Status::ok) return status;
  }
  return Status::ok;
}

template <class Net, class Parameters, class Observer, std::size_t... K>
Status ObserveLayers(const Parameters& p, const float* x, int n,
                     Observer* observers, std::index_sequence<K...>) {
  Status status = Status::ok;
  // In layer order, stopping at the first failure.
  ((status = status == Status::ok ? ObservePrefix<Net, int(K) + 1>(p, x, n, observers[K + 1])
                                  : status),
   ...);
  return status;
}

template <class Net, class Parameters, class Observer>
Status Observe(const Parameters& p, const float* x, int n,
               Observer (&observers)[Net::layer_count + 1]) {
  static_assert(sizeof(p.values) == sizeof(Net::Parameters::values) &&
                    sizeof(p.buffers) == sizeof(Net::Parameters::buffers),
                "int8_calibration::Observe: parameters of another network");
  const Status status = observers[0].Observe(x, int(n * Net::input_shape.size()));
  if (status != Status::ok) return status;
  return ObserveLayers<Net>(p, x, n, observers, std::make_index_sequence<Net::layer_count>{});
}

}  // namespace int8_calibration
// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#endif  // STATICNN_INT8_CALIBRATE_INL_H_
