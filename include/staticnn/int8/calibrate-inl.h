// Calibration of a float network's activation ranges, the `ranges` of
// int8::quantize (network.hpp), per Highway target:
//   int8_calibration::Observe<Net>(p, x, n, observers)
// runs the n samples of x ([n][C][H][W]) through Net in inference mode (p:
// Net's parameters, or those of a network with the same arrays, such as the
// folded network QNet::Float is spliced from) and
// gives observers[i] the input of float layer i (observers[layer_count]: the
// output).
//   int8_calibration::ObserveTensors<QNet>(p, x, n, observers)
// observes every tensor of the int8 network QNet (QNet::tensor_count: the
// float layers' as Observe, then those inside each Residual's paths). An observer is anything with Status Observe(const float*, int):
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
#include <type_traits>
#include <utility>

#include "hwy/highway.h"
#include "staticnn/int8/network.hpp"
#include "staticnn/passes-inl.h"
#include "staticnn/status.hpp"

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {
namespace int8_calibration {

// The parameters of the network P whose array starts at values (and
// buffers), in a copy of P's own: static, one per P.
template <class P>
const typename P::Parameters& PrefixParameters(const float* values, const float* buffers) {
  static typename P::Parameters params;
  std::copy(values, values + P::param_count, params.values);
  std::copy(buffers, buffers + P::buffer_count, params.buffers);
  return params;
}

// Observes the output of Net's first K layers (parameters from values and
// buffers) on input(s), sample s's input to Net, for every sample.
template <class Net, int K, class SampleInput, class Observer>
Status ObservePrefix(const float* values, const float* buffers, const SampleInput& input, int n,
                     Observer& observer) {
  using P = int8::Prefix<Net, K>;
  const typename P::Parameters& params = PrefixParameters<P>(values, buffers);
  static typename P::template InferenceWorkspace<1> ws;
  for (int s = 0; s < n; ++s) {
    const float* y = Forward<P, 1>(params, input(s), ws);
    const Status status = observer.Observe(y, int(P::output_shape.size()));
    if (status != Status::ok) return status;
  }
  return Status::ok;
}

// observers[0] sees Net's input, observers[k] the output of its layer k - 1.
template <class Net, class SampleInput, class Observer, std::size_t... K>
Status ObserveLayers(const float* values, const float* buffers, const SampleInput& input, int n,
                     Observer* observers, std::index_sequence<K...>) {
  Status status = Status::ok;
  for (int s = 0; s < n && status == Status::ok; ++s) {
    status = observers[0].Observe(input(s), int(Net::input_shape.size()));
  }
  // In layer order, stopping at the first failure.
  ((status = status == Status::ok
                 ? ObservePrefix<Net, int(K) + 1>(values, buffers, input, n, observers[K + 1])
                 : status),
   ...);
  return status;
}
template <class Net, class SampleInput, class Observer>
Status ObserveLayers(const float* values, const float* buffers, const SampleInput& input, int n,
                     Observer* observers) {
  return ObserveLayers<Net>(values, buffers, input, n, observers,
                            std::make_index_sequence<std::size_t(Net::layer_count)>{});
}

template <class Net, class Parameters, class Observer>
Status Observe(const Parameters& p, const float* x, int n,
               Observer (&observers)[Net::layer_count + 1]) {
  static_assert(sizeof(p.values) == sizeof(Net::Parameters::values) &&
                    sizeof(p.buffers) == sizeof(Net::Parameters::buffers),
                "int8_calibration::Observe: parameters of another network");
  const auto sample = [&](int s) { return x + long(s) * Net::input_shape.size(); };
  return ObserveLayers<Net>(p.values, p.buffers, sample, n, observers);
}

// Float layer I's input for one sample: the network cut before it.
template <class Net, int I, class Parameters>
const float* LayerInput(const Parameters& p, const float* sample) {
  if constexpr (I == 0) {
    return sample;
  } else {
    using P = int8::Prefix<Net, I>;
    static typename P::template InferenceWorkspace<1> ws;
    return Forward<P, 1>(PrefixParameters<P>(p.values, p.buffers), sample, ws);
  }
}

// The tensors of Residual or Concat I's paths (QNet::layers[I].tensor_offset
// on), each path run as a float network on the block's float input.
template <class QNet, int I, class Parameters, class Observer>
Status ObservePaths(const Parameters& p, const float* x, int n, Observer* observers) {
  using Float = typename QNet::Float;
  constexpr int8::Int8LayerRecord l = QNet::layers[I];
  // The block's float input of sample s, and its float parameters.
  [[maybe_unused]] const auto input = [&](int s) {
    return LayerInput<Float, I>(p, x + long(s) * Float::input_shape.size());
  };
  [[maybe_unused]] const float* values = p.values + Float::plan.layers[I].param_offset;
  if constexpr (l.kind == int8::LayerKind::kConcat) {
    using Nested = typename QNet::template nested_at<I>;
    Status status = Status::ok;
    [&]<std::size_t... B>(std::index_sequence<B...>) {
      ((status = status == Status::ok
                     ? ObserveLayers<typename Nested::template branch<B>::Float>(
                           values + Nested::param_offset[B], nullptr, input, n,
                           observers + l.tensor_offset + Nested::before[B].tensors)
                     : status),
       ...);
    }(std::make_index_sequence<Nested::size>{});
    return status;
  } else if constexpr (l.kind != int8::LayerKind::kResidual) {
    return Status::ok;
  } else {
    using Main = typename QNet::template nested_at<I>::main;
    using Shortcut = typename QNet::template nested_at<I>::shortcut;
    static_assert(Main::Float::buffer_count == 0, "calibrate the folded network");
    Status status =
        ObserveLayers<typename Main::Float>(values, nullptr, input, n, observers + l.tensor_offset);
    if constexpr (!std::is_same_v<Shortcut, int8::IdentityPath>) {
      if (status == Status::ok) {
        status = ObserveLayers<typename Shortcut::Float>(values + Main::Float::param_count, nullptr,
                                                         input, n,
                                                         observers + l.tensor_offset + Main::tensor_count);
      }
    }
    return status;
  }
}

// Every tensor of QNet (the ranges int8::quantize takes, in its order):
// Observe's, then those inside each Residual and Concat. p: QNet's float parameters (the
// folded network's).
template <class QNet, class Parameters, class Observer>
Status ObserveTensors(const Parameters& p, const float* x, int n,
                      Observer (&observers)[QNet::tensor_count]) {
  using Float = typename QNet::Float;
  static_assert(sizeof(p.values) == sizeof(Float::Parameters::values),
                "int8_calibration::ObserveTensors: parameters of another network");
  const auto sample = [&](int s) { return x + long(s) * Float::input_shape.size(); };
  Status status = ObserveLayers<Float>(p.values, p.buffers, sample, n, observers);
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    ((status = status == Status::ok ? ObservePaths<QNet, int(I)>(p, x, n, observers) : status), ...);
  }(std::make_index_sequence<std::size_t(QNet::layer_count)>{});
  return status;
}

}  // namespace int8_calibration
// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#endif  // STATICNN_INT8_CALIBRATE_INL_H_
