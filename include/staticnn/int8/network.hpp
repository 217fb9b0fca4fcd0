// A quantized network is a type: int8::Network<FoldedNet> (or
// int8::quantized_t<Net>, which folds first) is the int8
// counterpart of a float network whose BatchNorms are folded
// (fold_batch_norm_t), in TFLite's int8 scheme (requantize.hpp), so that
// LiteRT's reference kernels check it bit for bit. Supported layers: Conv2d
// (any groups: depthwise, pointwise), Linear, MaxPool2d, AvgPool2d
// (count_include_pad = false, TFLite's rule), Flatten, Dropout (nothing, in
// inference), and ReLU / ReLU6 right after a Conv2d or Linear, where they
// become the clamp of its requantized output (TFLite's fused activation);
// Sequential blocks (what folding makes of named blocks such as
// DwSeparable) are spliced into the list, QNet::Float: their parameters are
// contiguous in state_dict order, so the array is the same.
//
//   int8::Parameters<QNet>  int8 weights (per output channel symmetric for
//                           Conv2d, per tensor for Linear as TFLite's
//                           FullyConnected), int32 biases, one Requantization
//                           per output channel, and each layer output's
//                           TensorQuantization; plain arrays, no heap
//   int8::quantize<QNet>(float_params, ranges)  the conversion (the folded
//                           network's Parameters), constexpr so
//                           firmware bakes the result into flash:
//                           `constexpr auto q = int8::quantize<QNet>(p, r);`
//   QNet::flash_bytes, QNet::ram_bytes  compile-time sizes: the parameters,
//                           and the two int8 activation buffers Forward
//                           ping-pongs between (the kernels' own scratch is on
//                           the stack)
//
// ranges[i] is the calibrated float range of the input of float layer i,
// ranges[layer_count] the network's output: what int8_calibration::Observe
// (calibrate-inl.h) gives its observers (calibration.hpp). Only the ranges of the input and
// of each Conv2d/Linear output (after its fused activation) are used: pooling
// and Flatten keep their input's quantization, as TFLite's int8 kernels
// require. The activation layout stays staticnn's [C][H][W], so Flatten is
// free (TFLite, NHWC, permutes the next Linear's columns instead).
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "staticnn/core.hpp"
#include "staticnn/fold.hpp"
#include "staticnn/int8/calibration.hpp"
#include "staticnn/int8/requantize.hpp"

namespace staticnn::int8 {

// kPassThrough: Flatten (the layout stays [C][H][W]) and Dropout.
enum class LayerKind { kConv2d, kLinear, kMaxPool2d, kAvgPool2d, kPassThrough, kReLU, kReLU6, kOther };

template <class L>
struct kind_of : std::integral_constant<LayerKind, LayerKind::kOther> {};
template <Conv2dSpec S>
struct kind_of<Conv2d<S>> : std::integral_constant<LayerKind, LayerKind::kConv2d> {};
template <LinearSpec S>
struct kind_of<Linear<S>> : std::integral_constant<LayerKind, LayerKind::kLinear> {};
template <Pool2dSpec S>
struct kind_of<MaxPool2d<S>> : std::integral_constant<LayerKind, LayerKind::kMaxPool2d> {};
template <Pool2dSpec S>
struct kind_of<AvgPool2d<S>> : std::integral_constant<LayerKind, LayerKind::kAvgPool2d> {};
template <>
struct kind_of<Flatten> : std::integral_constant<LayerKind, LayerKind::kPassThrough> {};
template <DropoutSpec S>
struct kind_of<Dropout<S>> : std::integral_constant<LayerKind, LayerKind::kPassThrough> {};
template <>
struct kind_of<ReLU> : std::integral_constant<LayerKind, LayerKind::kReLU> {};
template <>
struct kind_of<ReLU6> : std::integral_constant<LayerKind, LayerKind::kReLU6> {};

constexpr bool is_weighted(LayerKind k) { return k == LayerKind::kConv2d || k == LayerKind::kLinear; }
template <class L>
constexpr bool has_bias() {
  if constexpr (is_weighted(kind_of<L>::value)) {
    return L::spec.bias;
  } else {
    return false;
  }
}

constexpr bool is_activation(LayerKind k) { return k == LayerKind::kReLU || k == LayerKind::kReLU6; }

// A pooling window as TFLite's int8 kernels count it: only the positions
// inside the input. Without padding every window is whole, and a max has no
// count: both are that case whatever count_include_pad says.
constexpr bool CountsAsTflite(const Pool2dGeometry& g, bool max) {
  return max || !g.count_include_pad || (g.y.pad == 0 && g.x.pad == 0);
}
constexpr Pool2dGeometry TfliteWindow(Pool2dGeometry g) {
  g.count_include_pad = false;
  return g;
}

template <class L>
constexpr bool pools_as_tflite(Shape in) {
  if constexpr (kind_of<L>::value == LayerKind::kMaxPool2d || kind_of<L>::value == LayerKind::kAvgPool2d) {
    return CountsAsTflite(L::geometry(in), kind_of<L>::value == LayerKind::kMaxPool2d);
  } else {
    return true;
  }
}

// The network of Net's first K layers (calibrate-inl.h observes its output).
template <class Net, class Indices>
struct prefix_of;
template <int C, int H, int W, class... Ls, std::size_t... I>
struct prefix_of<staticnn::Network<Input<C, H, W>, Ls...>, std::index_sequence<I...>> {
  using type = staticnn::Network<Input<C, H, W>,
                                 typename staticnn::Network<Input<C, H, W>, Ls...>::template layer<I>...>;
};
template <class Net, int K>
using Prefix = typename prefix_of<Net, std::make_index_sequence<K>>::type;

// Net with its Sequential blocks spliced in, recursively.
template <class... Ls>
struct LayerList {};
template <class Done, class... Rest>
struct splice;
template <class... Done>
struct splice<LayerList<Done...>> {
  using type = LayerList<Done...>;
};
template <class... Done, class L, class... Rest>
struct splice<LayerList<Done...>, L, Rest...> : splice<LayerList<Done..., L>, Rest...> {};
template <class... Done, class... Inner, class... Rest>
struct splice<LayerList<Done...>, Sequential<Inner...>, Rest...>
    : splice<LayerList<Done...>, Inner..., Rest...> {};

template <class In, class List>
struct network_of;
template <class In, class... Ls>
struct network_of<In, LayerList<Ls...>> {
  using type = staticnn::Network<In, Ls...>;
};
template <class Net>
struct spliced;
template <class In, class... Ls>
struct spliced<staticnn::Network<In, Ls...>> {
  using type = typename network_of<In, typename splice<LayerList<>, Ls...>::type>::type;
};

// Where float layer i's int8 tensors are.
struct Int8LayerRecord {
  LayerKind kind = LayerKind::kOther;
  Activation fused = Activation::kNone;  // the activation layer that follows, if any
  long weight_offset = 0, weights = 0;   // int8 weights
  long channel_offset = 0, channels = 0; // int32 biases and Requantizations
  bool bias = false;
};

template <class FoldedNet, class Float = typename spliced<FoldedNet>::type>
struct Network;

template <class FoldedNet, int C, int H, int W, class... Ls>
struct Network<FoldedNet, staticnn::Network<Input<C, H, W>, Ls...>> {
  using Float = staticnn::Network<Input<C, H, W>, Ls...>;  // FoldedNet, spliced
  static_assert(Float::param_count == FoldedNet::param_count);
  static constexpr int layer_count = sizeof...(Ls);
  static constexpr std::array<LayerKind, layer_count> kinds{kind_of<Ls>::value...};
  static constexpr std::array<bool, layer_count> biased{has_bias<Ls>()...};

  static_assert(((kind_of<Ls>::value != LayerKind::kOther) && ...),
                "int8::Network: only Conv2d, Linear, MaxPool2d, AvgPool2d, Flatten, Dropout, "
                "ReLU, ReLU6 and Sequential blocks of them have int8 kernels (fold BatchNorm first: int8::quantized_t<Net> does)");
  static_assert([] {
    for (int i = 0; i < layer_count; ++i) {
      if (is_activation(kinds[i]) && (i == 0 || !is_weighted(kinds[i - 1]))) return false;
    }
    return true;
  }(), "int8::Network: a ReLU/ReLU6 must directly follow a Conv2d or Linear (it becomes "
       "that layer's output clamp)");

  static_assert([]<std::size_t... I>(std::index_sequence<I...>) {
    return (pools_as_tflite<Ls>(Float::plan.layers[I].in) && ...);
  }(std::index_sequence_for<Ls...>{}), "int8::Network: a padded AvgPool2d must have "
      "count_include_pad = false (TFLite's int8 average divides by the positions inside the input)");

  static constexpr auto layers = [] {
    std::array<Int8LayerRecord, layer_count> r{};
    long weights = 0, channels = 0;
    for (int i = 0; i < layer_count; ++i) {
      const staticnn::detail::LayerRecord& f = Float::plan.layers[i];
      r[i].kind = kinds[i];
      if (i + 1 < layer_count && is_weighted(kinds[i])) {
        if (kinds[i + 1] == LayerKind::kReLU) r[i].fused = Activation::kReLU;
        if (kinds[i + 1] == LayerKind::kReLU6) r[i].fused = Activation::kReLU6;
      }
      if (is_weighted(kinds[i])) {
        r[i].channels = f.out.c;
        r[i].bias = biased[i];
        r[i].weights = f.params - (biased[i] ? f.out.c : 0);
        r[i].weight_offset = weights;
        r[i].channel_offset = channels;
        weights += r[i].weights;
        channels += r[i].channels;
      }
    }
    return r;
  }();

  static constexpr long weight_count = [] {
    long n = 0;
    for (const auto& l : layers) n += l.weights;
    return n;
  }();
  static constexpr long channel_count = [] {
    long n = 0;
    for (const auto& l : layers) n += l.channels;
    return n;
  }();
  // The largest activation, in int8 values (the input included).
  static constexpr long max_activation = [] {
    long n = Float::input_shape.size();
    for (const auto& l : Float::plan.layers) n = std::max<long>(n, l.out.size());
    return n;
  }();
  static constexpr Shape input_shape = Float::input_shape;
  static constexpr Shape output_shape = Float::output_shape;

  // sizeof(Parameters<Network>) and sizeof(Workspace<Network>), defined once
  // those are complete (below).
  static const std::size_t flash_bytes, ram_bytes;
};

// The int8 network of any float network of the supported layers, BatchNorm
// included: folded first (then quantize takes fold_batch_norm<Net>(p)'s
// parameters).
template <class Net>
using quantized_t = Network<fold_batch_norm_t<Net>>;

// The int8 parameters of QNet. activation[i] is the quantization of float
// layer i's input (activation[layer_count]: the output).
template <class QNet>
struct Parameters {
  std::int8_t weights[std::max<long>(QNet::weight_count, 1)] = {};
  std::int32_t biases[std::max<long>(QNet::channel_count, 1)] = {};
  Requantization requantization[std::max<long>(QNet::channel_count, 1)] = {};
  TensorQuantization activation[QNet::layer_count + 1] = {};
};

// Forward's two ping-pong activation buffers (QNet::ram_bytes).
template <class QNet>
struct Workspace {
  alignas(64) std::int8_t a[QNet::max_activation];
  alignas(64) std::int8_t b[QNet::max_activation];
};

template <class FoldedNet, int C, int H, int W, class... Ls>
constexpr std::size_t Network<FoldedNet, staticnn::Network<Input<C, H, W>, Ls...>>::flash_bytes =
    sizeof(Parameters<Network>);
template <class FoldedNet, int C, int H, int W, class... Ls>
constexpr std::size_t Network<FoldedNet, staticnn::Network<Input<C, H, W>, Ls...>>::ram_bytes =
    sizeof(Workspace<Network>);

// A float's magnitude, constexpr (std::abs is not, in C++20).
constexpr float Magnitude(float x) { return x < 0.0f ? -x : x; }

// The conversion of float parameters (the folded network's, or
// QNet::Float's: the same array) and calibrated ranges (ranges[0,
// layer_count], see the header comment).
template <class QNet, class FloatParameters>
constexpr Parameters<QNet> quantize(const FloatParameters& p,
                                    const Range (&ranges)[QNet::layer_count + 1]) {
  static_assert(sizeof(p.values) == sizeof(QNet::Float::Parameters::values),
                "int8::quantize: parameters of another network");
  Parameters<QNet> q;
  q.activation[0] = AsymmetricQuantization(ranges[0].lo, ranges[0].hi);
  for (int i = 0; i < QNet::layer_count; ++i) {
    const Int8LayerRecord& l = QNet::layers[i];
    const staticnn::detail::LayerRecord& f = QNet::Float::plan.layers[i];
    const TensorQuantization in = q.activation[i];
    if (!is_weighted(l.kind)) {  // pooling, Flatten, a fused activation
      q.activation[i + 1] = in;
      continue;
    }
    const Range out_range = ranges[i + (l.fused != Activation::kNone ? 2 : 1)];
    const TensorQuantization out = AsymmetricQuantization(out_range.lo, out_range.hi);
    q.activation[i + 1] = out;
    const float* w = p.values + f.param_offset;
    const long per_channel = l.weights / l.channels;
    const float* b = w + l.weights;
    float tensor_max = 0.0f;
    for (long k = 0; k < l.weights; ++k) tensor_max = std::max(tensor_max, Magnitude(w[k]));
    for (long c = 0; c < l.channels; ++c) {
      float max_abs = tensor_max;
      if (l.kind == LayerKind::kConv2d) {
        max_abs = 0.0f;
        for (long k = 0; k < per_channel; ++k) max_abs = std::max(max_abs, Magnitude(w[c * per_channel + k]));
      }
      const float w_scale = SymmetricScale(max_abs);
      for (long k = 0; k < per_channel; ++k) {
        q.weights[l.weight_offset + c * per_channel + k] = QuantizeWeight(w[c * per_channel + k], w_scale);
      }
      q.biases[l.channel_offset + c] = l.bias ? QuantizeBias(b[c], in.scale, w_scale) : 0;
      const QuantizedMultiplier m = l.kind == LayerKind::kConv2d
                                        ? ConvolutionMultiplier(in.scale, w_scale, out.scale)
                                        : FullyConnectedMultiplier(in.scale, w_scale, out.scale);
      q.requantization[l.channel_offset + c] = {m, out.zero_point, ActivationRange(l.fused, out)};
    }
  }
  return q;
}

// The network's float input as int8 (TFLite's Quantize op), and its int8
// output back to float (Dequantize).
template <class QNet>
constexpr void QuantizeInput(const Parameters<QNet>& q, const float* x, std::int8_t* out) {
  for (long i = 0; i < QNet::input_shape.size(); ++i) out[i] = QuantizeActivation(x[i], q.activation[0]);
}
template <class QNet>
constexpr void DequantizeOutput(const Parameters<QNet>& q, const std::int8_t* y, float* out) {
  for (long i = 0; i < QNet::output_shape.size(); ++i) {
    out[i] = Dequantize(y[i], q.activation[QNet::layer_count]);
  }
}

}  // namespace staticnn::int8
