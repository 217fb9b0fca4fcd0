// A quantized network is a type: int8::Network<FoldedNet> (or
// int8::quantized_t<Net>, which folds first) is the int8
// counterpart of a float network whose BatchNorms are folded
// (fold_batch_norm_t), in TFLite's int8 scheme (requantize.hpp), so that
// LiteRT's reference kernels check it bit for bit. Supported layers: Conv2d
// (any groups: depthwise, pointwise), Linear, MaxPool2d, AvgPool2d
// (count_include_pad = false, TFLite's rule), GlobalAvgPool2d (by default as
// TFLite's AVERAGE_POOL_2D with the whole plane as filter, which keeps the
// input's quantization; with int8::quantized_t<Net, GlobalPool::kMean> as
// TFLite's MEAN, which Keras' GlobalAveragePooling2D converts to: its own
// output range, mean.hpp), Flatten, Dropout (nothing, in inference), and
// ReLU / ReLU6 right after a Conv2d or Linear, where they
// become the clamp of its requantized output (TFLite's fused activation);
// Sequential blocks (what folding makes of named blocks such as
// DwSeparable) are spliced into the list, QNet::Float: their parameters are
// contiguous in state_dict order, so the array is the same. A Residual
// (identity or projection shortcut, as ResNet-8's stacks) becomes TFLite's
// ADD: its main path and its shortcut are int8 networks of their own on the
// block's input (int8::Network over each list; a shortcut has at most one
// Conv2d, as ResNet's projection), their outputs added with requantization
// (AddParameters) and a ReLU after the block fused as the add's clamp. A
// Concat (a fire module's expand branches) becomes TFLite's CONCATENATION:
// each branch an int8 network of its own on the block's input, ending in a
// Conv2d or Linear (and its ReLU/ReLU6) that requantizes straight to the
// Concat's output quantization (its calibrated range), as TFLite's int8
// CONCATENATION requires, so concatenating is a copy.
//
//   int8::Parameters<QNet>  int8 weights (per output channel symmetric for
//                           Conv2d, per tensor for Linear as TFLite's
//                           FullyConnected), int32 biases, one Requantization
//                           per output channel, each tensor's
//                           TensorQuantization, one AddRequantization per
//                           Residual; plain arrays, no heap
//   int8::quantize<QNet>(float_params, ranges)  the conversion (the folded
//                           network's Parameters), constexpr so
//                           firmware bakes the result into flash:
//                           `constexpr auto q = int8::quantize<QNet>(p, r);`
//   QNet::flash_bytes, QNet::ram_bytes  compile-time sizes: the parameters,
//                           and the two int8 activation buffers Forward
//                           ping-pongs between, three with a Residual (its
//                           input, main path and shortcut outputs are live at
//                           once), four with a Concat (its input, its output
//                           and a branch's two; the kernels' own scratch is on
//                           the stack)
//
// The tensors (QNet::tensor_count of them; ranges and Parameters::activation
// are in this order): first the input of each float layer i and the
// network's output (index layer_count), then, for each Residual or Concat in
// order, the tensors of its main path's int8 network and of its shortcut's
// (of each branch's), each in that network's own order (its input first: the
// block's input again; a branch's output range is not used: it is the
// Concat's).
// ranges[i] is tensor i's calibrated float range: what
// int8_calibration::ObserveTensors (calibrate-inl.h) gives its observers
// (calibration.hpp; int8_calibration::Observe for a network without
// Residual or Concat, where the tensors are the layers' inputs). Only the
// ranges of the input and of each Conv2d/Linear/Residual/Concat/MEAN output
// (after its fused activation) are used: pooling and Flatten keep their input's quantization,
// as TFLite's int8 kernels require, and a path's input is the block's. The
// activation layout stays staticnn's [C][H][W], so Flatten is free (TFLite,
// NHWC, permutes the next Linear's columns instead), and a Concat along
// channels is one contiguous run per branch.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <tuple>
#include <type_traits>
#include <utility>

#include "staticnn/core.hpp"
#include "staticnn/fold.hpp"
#include "staticnn/int8/calibration.hpp"
#include "staticnn/int8/mean.hpp"
#include "staticnn/int8/requantize.hpp"

namespace staticnn::int8 {

// kPassThrough: Flatten (the layout stays [C][H][W]) and Dropout. kMean:
// GlobalAvgPool2d as TFLite's MEAN (GlobalPool::kMean).
enum class LayerKind {
  kConv2d, kLinear, kMaxPool2d, kAvgPool2d, kMean, kPassThrough, kReLU, kReLU6, kResidual, kConcat,
  kOther
};

// What GlobalAvgPool2d becomes: TFLite's AVERAGE_POOL_2D over the whole plane
// (the input's quantization kept; what a PyTorch export gives), or MEAN (its
// own output quantization, rounded as mean.hpp says; what Keras'
// GlobalAveragePooling2D converts to). The two differ by one step on some
// outputs: match the converter of the model being compared against.
enum class GlobalPool { kAveragePool2d, kMean };

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
struct kind_of<GlobalAvgPool2d> : std::integral_constant<LayerKind, LayerKind::kAvgPool2d> {};
template <>
struct kind_of<Flatten> : std::integral_constant<LayerKind, LayerKind::kPassThrough> {};
template <DropoutSpec S>
struct kind_of<Dropout<S>> : std::integral_constant<LayerKind, LayerKind::kPassThrough> {};
template <class... Parts>
struct kind_of<Residual<Parts...>> : std::integral_constant<LayerKind, LayerKind::kResidual> {};
template <class... Branches>
struct kind_of<Concat<Branches...>> : std::integral_constant<LayerKind, LayerKind::kConcat> {};
template <>
struct kind_of<ReLU> : std::integral_constant<LayerKind, LayerKind::kReLU> {};
template <>
struct kind_of<ReLU6> : std::integral_constant<LayerKind, LayerKind::kReLU6> {};

// Layer L's kind under the GlobalPool choice P.
template <class L, GlobalPool P>
constexpr LayerKind kind_in() {
  if constexpr (P == GlobalPool::kMean && std::is_same_v<L, GlobalAvgPool2d>) {
    return LayerKind::kMean;
  } else {
    return kind_of<L>::value;
  }
}

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
// A layer whose output is requantized, so that an activation after it fuses
// into its clamp.
constexpr bool requantizes(LayerKind k) { return is_weighted(k) || k == LayerKind::kResidual; }
// A layer that runs a kernel in Forward (not Flatten, Dropout or a fused activation).
constexpr bool computes(LayerKind k) {
  return requantizes(k) || k == LayerKind::kMaxPool2d || k == LayerKind::kAvgPool2d ||
         k == LayerKind::kMean || k == LayerKind::kConcat;
}

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

// The window of pooling layer L on input In (GlobalAvgPool2d: the whole plane).
template <class L, Shape In>
constexpr Pool2dGeometry pool_geometry() {
  if constexpr (std::is_same_v<L, GlobalAvgPool2d>) {
    return AvgPool2d<Pool2dSpec{.kernel_size = Size2{In.h, In.w}}>::geometry(In);
  } else {
    return L::geometry(In);
  }
}

template <class L, Shape In>
constexpr bool pools_as_tflite() {
  if constexpr (kind_of<L>::value == LayerKind::kMaxPool2d || kind_of<L>::value == LayerKind::kAvgPool2d) {
    return CountsAsTflite(pool_geometry<L, In>(), kind_of<L>::value == LayerKind::kMaxPool2d);
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
  long weight_offset = 0, weights = 0;   // int8 weights (a Residual: its paths')
  long channel_offset = 0, channels = 0; // int32 biases and Requantizations
  bool bias = false;
  long tensor_offset = 0;                // a Residual or Concat: its paths' tensors
  int add_index = 0;                     // a Residual: its AddRequantization
};

template <class FoldedNet, class Float = typename spliced<FoldedNet>::type,
          GlobalPool P = GlobalPool::kAveragePool2d>
struct Network;

// A Residual's identity shortcut: no int8 layers.
struct IdentityPath {
  static constexpr int layer_count = 0;
  static constexpr long weight_count = 0, channel_count = 0, tensor_count = 0, max_activation = 0;
  static constexpr int add_count = 0, concat_count = 0;
};

// The int8 network of a block's list (Main<...>, Shortcut<...>, or the
// Sequential of an identity Residual) on the block's input shape In.
template <Shape In, class Block, GlobalPool P>
struct path_of;
template <Shape In, template <class...> class Block, class... Ls, GlobalPool P>
struct path_of<In, Block<Ls...>, P> {
  using Float = staticnn::Network<Input<In.c, In.h, In.w>, Ls...>;
  using type = Network<Float, typename spliced<Float>::type, P>;
};

// What a layer holds inside it: nothing, but for a Residual its two paths
// and for a Concat its branches.
struct NestedCounts {
  long weights = 0, channels = 0, tensors = 0, activation = 0;
  int adds = 0, concats = 0;
};

// A Concat branch's last layer requantizes its output: a Conv2d or Linear,
// or its fused activation.
template <class Path>
constexpr bool ends_requantized() {
  constexpr LayerKind last = Path::kinds[Path::layer_count - 1];
  return is_weighted(last) || is_activation(last);
}
template <class L, Shape In, GlobalPool P>
struct nested {
  static constexpr NestedCounts counts{};
};
template <class... Parts, Shape In, GlobalPool P>
struct nested<Residual<Parts...>, In, P> {
  using R = Residual<Parts...>;
  using main = typename path_of<In, typename R::main, P>::type;
  using shortcut = typename decltype([] {
    if constexpr (R::projection) {
      return std::type_identity<typename path_of<In, typename R::parts::shortcut, P>::type>{};
    } else {
      return std::type_identity<IdentityPath>{};
    }
  }())::type;
  static_assert(main::add_count == 0 && shortcut::add_count == 0 && main::concat_count == 0 &&
                    shortcut::concat_count == 0,
                "int8::Network: a Residual or Concat inside a Residual's path has no int8 Forward yet");
  static_assert([] {
    int kernels = 0;
    if constexpr (R::projection) {
      for (LayerKind k : shortcut::kinds) kernels += computes(k);
    }
    return kernels <= 1;
  }(), "int8::Network: a Residual's shortcut runs at most one Conv2d or pool in int8 "
       "(its output has one buffer)");
  static constexpr NestedCounts counts{main::weight_count + shortcut::weight_count,
                                       main::channel_count + shortcut::channel_count,
                                       main::tensor_count + shortcut::tensor_count,
                                       std::max(main::max_activation, shortcut::max_activation), 1};
};

// A Concat's branches, each an int8 network on the block's input, their
// entries one after the other (before[b]: branch b's offsets from the
// block's first; param_offset[b]: its float parameters').
template <class... Branches, Shape In, GlobalPool P>
struct nested<Concat<Branches...>, In, P> {
  template <class B>
  using branch_of = typename path_of<In, B, P>::type;
  using branches = std::tuple<branch_of<Branches>...>;
  template <std::size_t B>
  using branch = std::tuple_element_t<B, branches>;
  static constexpr std::size_t size = sizeof...(Branches);
  static_assert(((branch_of<Branches>::add_count == 0 && branch_of<Branches>::concat_count == 0) && ...),
                "int8::Network: a Residual or Concat inside a Concat's branch has no int8 Forward yet");
  static_assert((ends_requantized<branch_of<Branches>>() && ...),
                "int8::Network: each Concat branch must end in a Conv2d or Linear (and its "
                "ReLU/ReLU6): TFLite's int8 CONCATENATION takes its inputs in its output's "
                "quantization, which that layer requantizes to");
  static constexpr std::array<NestedCounts, size + 1> before = [] {
    std::array<NestedCounts, size + 1> b{};
    const std::array<NestedCounts, size> own{NestedCounts{
        branch_of<Branches>::weight_count, branch_of<Branches>::channel_count,
        branch_of<Branches>::tensor_count, branch_of<Branches>::max_activation}...};
    for (std::size_t i = 0; i < size; ++i) {
      b[i + 1] = {b[i].weights + own[i].weights, b[i].channels + own[i].channels,
                  b[i].tensors + own[i].tensors, std::max(b[i].activation, own[i].activation)};
    }
    return b;
  }();
  static constexpr std::array<long, size + 1> param_offset = [] {
    std::array<long, size + 1> o{};
    const std::array<long, size> own{branch_of<Branches>::Float::param_count...};
    for (std::size_t i = 0; i < size; ++i) o[i + 1] = o[i] + own[i];
    return o;
  }();
  static constexpr NestedCounts counts{before[size].weights, before[size].channels,
                                       before[size].tensors, before[size].activation, 0, 1};
};

template <class FoldedNet, int C, int H, int W, class... Ls, GlobalPool P>
struct Network<FoldedNet, staticnn::Network<Input<C, H, W>, Ls...>, P> {
  using Float = staticnn::Network<Input<C, H, W>, Ls...>;  // FoldedNet, spliced
  static_assert(Float::param_count == FoldedNet::param_count);
  static constexpr int layer_count = sizeof...(Ls);
  static constexpr GlobalPool global_pool = P;
  static constexpr std::array<LayerKind, layer_count> kinds{kind_in<Ls, P>()...};
  static constexpr std::array<bool, layer_count> biased{has_bias<Ls>()...};

  static_assert(((kind_of<Ls>::value != LayerKind::kOther) && ...),
                "int8::Network: only Conv2d, Linear, MaxPool2d, AvgPool2d, GlobalAvgPool2d, Flatten, Dropout, "
                "ReLU, ReLU6 and Sequential, Residual and Concat blocks of them have int8 kernels (fold BatchNorm first: int8::quantized_t<Net> does)");
  static_assert([] {
    for (int i = 0; i < layer_count; ++i) {
      if (is_activation(kinds[i]) && (i == 0 || !requantizes(kinds[i - 1]))) return false;
    }
    return true;
  }(), "int8::Network: a ReLU/ReLU6 must directly follow a Conv2d or Linear (it becomes "
       "that layer's output clamp) or a Residual (the clamp of its add)");

  // Layer I's paths, if it is a Residual (nested<...>::main and ::shortcut).
  template <int I>
  using nested_at = nested<typename Float::template layer<std::size_t(I)>,
                           Float::plan.layers[std::size_t(I)].in, P>;
  static constexpr auto nested_counts = []<std::size_t... I>(std::index_sequence<I...>) {
    return std::array<NestedCounts, layer_count>{nested_at<int(I)>::counts...};
  }(std::index_sequence_for<Ls...>{});

  static_assert([]<std::size_t... I>(std::index_sequence<I...>) {
    return (pools_as_tflite<Ls, Float::plan.layers[I].in>() && ...);
  }(std::index_sequence_for<Ls...>{}), "int8::Network: a padded AvgPool2d must have "
      "count_include_pad = false (TFLite's int8 average divides by the positions inside the input)");

  static constexpr auto layers = [] {
    std::array<Int8LayerRecord, layer_count> r{};
    long weights = 0, channels = 0, tensors = layer_count + 1;
    int adds = 0;
    for (int i = 0; i < layer_count; ++i) {
      const staticnn::detail::LayerRecord& f = Float::plan.layers[i];
      r[i].kind = kinds[i];
      if (i + 1 < layer_count && requantizes(kinds[i])) {
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
      if (kinds[i] == LayerKind::kMean) {  // one Requantization for every channel
        r[i].channels = 1;
        r[i].channel_offset = channels;
        channels += 1;
      }
      if (kinds[i] == LayerKind::kResidual || kinds[i] == LayerKind::kConcat) {
        const NestedCounts& n = nested_counts[i];
        r[i].weight_offset = weights;
        r[i].weights = n.weights;
        r[i].channel_offset = channels;
        r[i].channels = n.channels;
        r[i].tensor_offset = tensors;
        r[i].add_index = adds;
        weights += n.weights;
        channels += n.channels;
        tensors += n.tensors;
        adds += n.adds;
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
  static constexpr long tensor_count = [] {
    long n = layer_count + 1;
    for (const NestedCounts& c : nested_counts) n += c.tensors;
    return n;
  }();
  static constexpr int add_count = [] {
    int n = 0;
    for (const NestedCounts& c : nested_counts) n += c.adds;
    return n;
  }();
  static constexpr int concat_count = [] {
    int n = 0;
    for (const NestedCounts& c : nested_counts) n += c.concats;
    return n;
  }();
  // The largest activation, in int8 values (the input and the paths' included).
  static constexpr long max_activation = [] {
    long n = Float::input_shape.size();
    for (const auto& l : Float::plan.layers) n = std::max<long>(n, l.out.size());
    for (const NestedCounts& c : nested_counts) n = std::max(n, c.activation);
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
template <class Net, GlobalPool P = GlobalPool::kAveragePool2d>
using quantized_t = Network<fold_batch_norm_t<Net>, typename spliced<fold_batch_norm_t<Net>>::type, P>;

// The Residuals' add requantizations (nothing, in a network without one).
template <int N>
struct ResidualAdds {
  AddRequantization add[N] = {};
};
template <>
struct ResidualAdds<0> {};

// The int8 parameters of QNet. activation[t] is the quantization of tensor t
// (the header comment's order: activation[i] is float layer i's input,
// activation[layer_count] the output).
template <class QNet>
struct Parameters : ResidualAdds<QNet::add_count> {
  std::int8_t weights[std::max<long>(QNet::weight_count, 1)] = {};
  std::int32_t biases[std::max<long>(QNet::channel_count, 1)] = {};
  Requantization requantization[std::max<long>(QNet::channel_count, 1)] = {};
  TensorQuantization activation[QNet::tensor_count] = {};
};

// The buffers beyond two: a third for a network with a Residual (its input,
// main path and shortcut outputs are live at once), a fourth with a Concat
// (its input, its output and a branch's two ping-pong buffers).
template <long N, int kExtra>
struct ExtraBuffers {
  alignas(64) std::int8_t c[N];
  alignas(64) std::int8_t d[N];
};
template <long N>
struct ExtraBuffers<N, 1> {
  alignas(64) std::int8_t c[N];
};
template <long N>
struct ExtraBuffers<N, 0> {};

// Forward's ping-pong activation buffers (QNet::ram_bytes).
template <class QNet>
struct Workspace
    : ExtraBuffers<QNet::max_activation, (QNet::concat_count > 0 ? 2 : QNet::add_count > 0 ? 1 : 0)> {
  alignas(64) std::int8_t a[QNet::max_activation];
  alignas(64) std::int8_t b[QNet::max_activation];
};

// The arrays of a Parameters that a network's layers index, from the
// network's first entries: the whole network's, or a Residual path's inside
// it (whose own offsets start at 0).
template <bool kConst>
struct ParameterSpan {
  template <class T>
  using Ptr = std::conditional_t<kConst, const T*, T*>;
  Ptr<std::int8_t> weights;
  Ptr<std::int32_t> biases;
  Ptr<Requantization> requantization;
  Ptr<TensorQuantization> activation;
  Ptr<AddRequantization> adds;  // nullptr without a Residual

  // The entries n.weights, n.channels, n.tensors on.
  constexpr ParameterSpan after(const NestedCounts& n) const {
    return {weights + n.weights, biases + n.channels, requantization + n.channels,
            activation + n.tensors, nullptr};
  }
  // The paths of Residual or Concat l: from the first.
  constexpr ParameterSpan paths(const Int8LayerRecord& l) const {
    return after({l.weight_offset, l.channel_offset, l.tensor_offset});
  }
  // The path of Residual l whose entries follow `before` (the main path, for
  // the shortcut; IdentityPath for the main path itself).
  template <class Before>
  constexpr ParameterSpan path(const Int8LayerRecord& l) const {
    return paths(l).after({Before::weight_count, Before::channel_count, Before::tensor_count});
  }
};
template <class QNet, class P>
constexpr ParameterSpan<std::is_const_v<P>> span_of(P& q) {
  ParameterSpan<std::is_const_v<P>> s{q.weights, q.biases, q.requantization, q.activation, nullptr};
  if constexpr (QNet::add_count > 0) s.adds = q.add;
  return s;
}

template <class FoldedNet, int C, int H, int W, class... Ls, GlobalPool P>
constexpr std::size_t Network<FoldedNet, staticnn::Network<Input<C, H, W>, Ls...>, P>::flash_bytes =
    sizeof(Parameters<Network>);
template <class FoldedNet, int C, int H, int W, class... Ls, GlobalPool P>
constexpr std::size_t Network<FoldedNet, staticnn::Network<Input<C, H, W>, Ls...>, P>::ram_bytes =
    sizeof(Workspace<Network>);

// A float's magnitude, constexpr (std::abs is not, in C++20).
constexpr float Magnitude(float x) { return x < 0.0f ? -x : x; }

template <class QNet>
constexpr void QuantizeLayers(const float* values, const Range* ranges, ParameterSpan<false> q);

// A Concat's branches (Nested: its nested<...>), each from the block's input
// quantization `in`, and each output in the Concat's quantization (TFLite's
// int8 CONCATENATION requires it): the branch's last layer, a Conv2d or
// Linear, takes the Concat's range `out` as its own output range.
template <class Nested>
constexpr void QuantizeBranches(const float* values, const Range* ranges, Range out,
                                TensorQuantization in, ParameterSpan<false> q) {
  [&]<std::size_t... B>(std::index_sequence<B...>) {
    ([&] {
      using Branch = typename Nested::template branch<B>;
      constexpr NestedCounts before = Nested::before[B];
      Range branch_ranges[Branch::tensor_count] = {};
      for (long t = 0; t < Branch::tensor_count; ++t) branch_ranges[t] = ranges[before.tensors + t];
      branch_ranges[Branch::layer_count] = out;
      const ParameterSpan<false> branch = q.after(before);
      branch.activation[0] = in;
      QuantizeLayers<Branch>(values + Nested::param_offset[B], branch_ranges, branch);
    }(), ...);
  }(std::make_index_sequence<Nested::size>{});
}

// Float layer I of QNet (q.activation[I], its input's quantization, is set).
template <class QNet, int I>
constexpr void QuantizeLayer(const float* values, const Range* ranges, ParameterSpan<false> q) {
  constexpr Int8LayerRecord l = QNet::layers[I];
  constexpr staticnn::detail::LayerRecord f = QNet::Float::plan.layers[I];
  const TensorQuantization in = q.activation[I];
  if constexpr (l.kind == LayerKind::kMean) {
    const TensorQuantization out = AsymmetricQuantization(ranges[I + 1].lo, ranges[I + 1].hi);
    q.activation[I + 1] = out;
    q.requantization[l.channel_offset] = {MeanMultiplier(in.scale, out.scale, f.in.h * f.in.w),
                                          out.zero_point, ActivationClamp{}};
    return;
  }
  if constexpr (l.kind == LayerKind::kConcat) {
    q.activation[I + 1] = AsymmetricQuantization(ranges[I + 1].lo, ranges[I + 1].hi);
    QuantizeBranches<typename QNet::template nested_at<I>>(
        values + f.param_offset, ranges + l.tensor_offset, ranges[I + 1], in, q.paths(l));
    return;
  }
  if constexpr (!requantizes(l.kind)) {  // pooling, Flatten, a fused activation
    q.activation[I + 1] = in;
    return;
  }
  const Range out_range = ranges[I + (l.fused != Activation::kNone ? 2 : 1)];
  const TensorQuantization out = AsymmetricQuantization(out_range.lo, out_range.hi);
  q.activation[I + 1] = out;
  if constexpr (l.kind == LayerKind::kResidual) {
    using Main = typename QNet::template nested_at<I>::main;
    using Shortcut = typename QNet::template nested_at<I>::shortcut;
    const ParameterSpan<false> main = q.template path<IdentityPath>(l);
    main.activation[0] = in;
    QuantizeLayers<Main>(values + f.param_offset, ranges + l.tensor_offset, main);
    TensorQuantization shortcut_out = in;
    if constexpr (!std::is_same_v<Shortcut, IdentityPath>) {
      const ParameterSpan<false> shortcut = q.template path<Main>(l);
      shortcut.activation[0] = in;
      QuantizeLayers<Shortcut>(values + f.param_offset + Main::Float::param_count,
                               ranges + l.tensor_offset + Main::tensor_count, shortcut);
      shortcut_out = shortcut.activation[Shortcut::layer_count];
    }
    q.adds[l.add_index] =
        AddParameters(main.activation[Main::layer_count], shortcut_out, out, l.fused);
  } else {
    const float* w = values + f.param_offset;
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
}

// QNet's layers in order, from values (its float parameters) and ranges (its
// tensors'), into q, whose activation[0] is set.
template <class QNet>
constexpr void QuantizeLayers(const float* values, const Range* ranges, ParameterSpan<false> q) {
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    (QuantizeLayer<QNet, int(I)>(values, ranges, q), ...);
  }(std::make_index_sequence<std::size_t(QNet::layer_count)>{});
}

// The conversion of float parameters (the folded network's, or
// QNet::Float's: the same array) and calibrated ranges (one per tensor, see
// the header comment).
template <class QNet, class FloatParameters>
constexpr Parameters<QNet> quantize(const FloatParameters& p,
                                    const Range (&ranges)[QNet::tensor_count]) {
  static_assert(sizeof(p.values) == sizeof(QNet::Float::Parameters::values),
                "int8::quantize: parameters of another network");
  Parameters<QNet> q;
  q.activation[0] = AsymmetricQuantization(ranges[0].lo, ranges[0].hi);
  QuantizeLayers<QNet>(p.values, ranges, span_of<QNet>(q));
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
