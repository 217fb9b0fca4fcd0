// Network<Input<C, H, W>, Layer...>: a flat type list. Boost.Hana folds the
// list once at compile time into a table of per-layer records (shapes, counts,
// the first violated rule); every constant below is read from that table.
#pragma once

#include <array>
#include <cstddef>
#include <type_traits>

#include <boost/hana/fold_left.hpp>
#include <boost/hana/at.hpp>
#include <boost/hana/integral_constant.hpp>
#include <boost/hana/type.hpp>
#include <boost/hana/tuple.hpp>

#include "staticnn/diagnostics.hpp"
#include "staticnn/layers/layer_step.hpp"
#include "staticnn/shape.hpp"

namespace staticnn {

template <int C, int H, int W>
struct Input {
  static_assert(C > 0 && H > 0 && W > 0,
                "staticnn: Input<C, H, W> needs positive channels, height and width");
  static constexpr Shape shape{C, H, W};
};

// Storage types, defined in storage.hpp; every network names its own.
struct ParametersRole;
struct GradientsRole;
template <class Net, class Role> struct ParameterStorage;
template <class Net, int Batch> struct InferenceWorkspace;
template <class Net, int Batch> struct TrainingWorkspace;

namespace detail {

template <class T> struct is_input : std::false_type {};
template <int C, int H, int W> struct is_input<Input<C, H, W>> : std::true_type {};

struct LayerRecord {
  LayerKind kind{};
  Shape in, out;
  bool flat = false;
  long params = 0, macs = 0;
  long param_offset = 0;  // first scalar of this layer in Parameters
  Violation violation;    // set only on the first failing layer
};

template <class... Layers>
struct Plan {
  std::array<LayerRecord, sizeof...(Layers)> layers{};
  int first_error = -1;
};

// Propagates the shape through the list. After the first violation the shape
// stops changing and no further rule is checked, so one mistake gives one error.
template <class... Layers>
constexpr Plan<Layers...> plan_network(Shape input) {
  struct State {
    Plan<Layers...> plan;
    int index = 0;
    Shape shape;
    bool flat = false;
    long offset = 0;
  };
  State s = boost::hana::fold_left(
      boost::hana::tuple_t<Layers...>, State{{}, 0, input, false, 0},
      [](State st, auto layer_type) {
        using L = typename decltype(layer_type)::type;
        LayerRecord& r = st.plan.layers[st.index];
        r.kind = L::kind;
        r.in = st.shape;
        r.out = st.shape;
        r.param_offset = st.offset;
        if (st.plan.first_error < 0) {
          const LayerStep step = L::step(st.shape, st.flat);
          if (step.violation.ok()) {
            r.out = step.out;
            r.flat = step.flat;
            r.params = step.params;
            r.macs = step.macs;
            st.shape = step.out;
            st.flat = step.flat;
            st.offset += step.params;
          } else {
            r.violation = step.violation;
            st.plan.first_error = st.index;
          }
        }
        ++st.index;
        return st;
      });
  return s.plan;
}

template <class... Layers>
using layer_list = decltype(boost::hana::tuple_t<Layers...>);

template <class List, std::size_t I>
using layer_at = typename decltype(+boost::hana::at_c<I>(List{}))::type;

}  // namespace detail

// Whether Input followed by Layers forms a valid network, without the hard
// error that naming an invalid Network type gives: for tests and for code that
// chooses between topologies at compile time.
template <class InputLayer, class... Layers>
inline constexpr bool network_is_valid = false;
template <int C, int H, int W, class... Layers>
inline constexpr bool network_is_valid<Input<C, H, W>, Layers...> = [] {
  if constexpr (sizeof...(Layers) == 0 || C <= 0 || H <= 0 || W <= 0 ||
                (detail::is_input<Layers>::value || ...)) {
    return false;
  } else {
    return detail::plan_network<Layers...>(Shape{C, H, W}).first_error < 0;
  }
}();

// Anything else than Input<...> followed by at least one layer.
template <class... Ls>
struct Network {
  static_assert(sizeof...(Ls) > 0,
                "staticnn: the Network is empty: write Network<Input<C, H, W>, Layer...>");
  static_assert(sizeof...(Ls) == 0 || (detail::is_input<Ls>::value || ...),
                "staticnn: a Network must start with Input<C, H, W>");
  static_assert(sizeof...(Ls) == 0 || !(detail::is_input<Ls>::value || ...),
                "staticnn: Input<C, H, W> must come first in the Network, and only once");
  static constexpr bool valid = false;
};

template <int C, int H, int W, class... Layers>
struct Network<Input<C, H, W>, Layers...> {
  static_assert(sizeof...(Layers) > 0,
                "staticnn: the Network has no layers after Input<C, H, W>");
  static_assert(!(detail::is_input<Layers>::value || ...),
                "staticnn: Input<C, H, W> must come first in the Network, and only once");
  static_assert(C > 0 && H > 0 && W > 0,
                "staticnn: Input<C, H, W> needs positive channels, height and width");
  // Layers are only planned (and their rules checked) in a well-formed list,
  // so that a list error above is the only error.
  static constexpr bool list_ok =
      sizeof...(Layers) > 0 && !(detail::is_input<Layers>::value || ...) && C > 0 && H > 0 && W > 0;

  using layers = detail::layer_list<Layers...>;
  template <std::size_t I>
  using layer = detail::layer_at<layers, I>;

  static constexpr int layer_count = sizeof...(Layers);

  // Learnable scalars in PyTorch's state_dict order: per layer weight, bias.
  using Parameters = ParameterStorage<Network, ParametersRole>;
  using Gradients = ParameterStorage<Network, GradientsRole>;
  template <int Batch = 1>
  using InferenceWorkspace = staticnn::InferenceWorkspace<Network, Batch>;
  template <int Batch = 1>
  using TrainingWorkspace = staticnn::TrainingWorkspace<Network, Batch>;
  static constexpr Shape input_shape{C, H, W};
  static constexpr detail::Plan<Layers...> plan = [] {
    if constexpr (list_ok) {
      return detail::plan_network<Layers...>(input_shape);
    } else {
      return detail::Plan<Layers...>{};
    }
  }();

  static constexpr bool valid = list_ok && plan.first_error < 0;

 private:
  // Names the report of the first failing layer, which instantiates its error.
  template <int E>
  static constexpr bool reported =
      std::is_same_v<decltype(report_violation<E, layer<E>, plan.layers[E].in,
                                               plan.layers[E].violation>()),
                     bool>;
  // Only an invalid network names its report (so that instantiating it, and
  // the failing layer's type, costs nothing when the network is valid).
  static constexpr bool checked = [] {
    if constexpr (list_ok && plan.first_error >= 0) {
      return reported<plan.first_error>;
    } else {
      return true;
    }
  }();
  static_assert(checked);

 public:
  template <std::size_t I>
  static constexpr Shape shape_after = plan.layers[I].out;
  template <std::size_t I>
  static constexpr Shape shape_before = plan.layers[I].in;
  static constexpr Shape output_shape = plan.layers[layer_count - 1].out;

  template <std::size_t I>
  static constexpr long layer_params = plan.layers[I].params;
  template <std::size_t I>
  static constexpr long param_offset = plan.layers[I].param_offset;
  template <std::size_t I>
  static constexpr long layer_macs = plan.layers[I].macs;

  static constexpr long param_count = [] {
    long n = 0;
    for (const auto& r : plan.layers) n += r.params;
    return n;
  }();
  static constexpr long macs = [] {
    long n = 0;
    for (const auto& r : plan.layers) n += r.macs;
    return n;
  }();
  static constexpr std::size_t param_bytes = std::size_t(param_count) * sizeof(float);

  // Activation memory, in floats per sample. The input belongs to the caller;
  // Flatten moves no data, so its output aliases its input.
  static constexpr std::size_t largest_activation = [] {
    int n = 0;
    for (const auto& r : plan.layers) {
      if (r.kind != LayerKind::flatten) n = r.out.size() > n ? r.out.size() : n;
    }
    return std::size_t(n > 0 ? n : 1);
  }();
  // Inference keeps two buffers alive and writes each layer's output into the
  // one its input is not in (ping-pong). buffer_of[i]: -1 = the caller's input.
  static constexpr std::array<int, sizeof...(Layers)> inference_buffer_of = [] {
    std::array<int, sizeof...(Layers)> b{};
    int current = -1;
    for (std::size_t i = 0; i < b.size(); ++i) {
      if (plan.layers[i].kind != LayerKind::flatten) current = current == 0 ? 1 : 0;
      b[i] = current;
    }
    return b;
  }();
  static constexpr std::size_t inference_activation_floats = 2 * largest_activation;
  // Training keeps every layer's output for backward. activation_offset[i] is
  // where layer i's output starts (per sample, times the batch); -1 = input.
  static constexpr std::array<long, sizeof...(Layers)> activation_offset = [] {
    std::array<long, sizeof...(Layers)> o{};
    long next = 0, current = -1;
    for (std::size_t i = 0; i < o.size(); ++i) {
      if (plan.layers[i].kind != LayerKind::flatten) {
        current = next;
        next += plan.layers[i].out.size();
      }
      o[i] = current;
    }
    return o;
  }();
  static constexpr std::size_t kept_activation_floats = [] {
    std::size_t n = 0;
    for (const auto& r : plan.layers) n += r.kind == LayerKind::flatten ? 0 : std::size_t(r.out.size());
    return n;
  }();
  // Plus two buffers for the gradient flowing backward.
  static constexpr std::size_t training_activation_floats =
      kept_activation_floats + 2 * largest_activation;
  template <int Batch = 1>
  static constexpr std::size_t inference_activation_bytes =
      std::size_t(Batch) * inference_activation_floats * sizeof(float);
  template <int Batch = 1>
  static constexpr std::size_t training_activation_bytes =
      std::size_t(Batch) * training_activation_floats * sizeof(float);
};

}  // namespace staticnn
