// Network<Input<C, H, W>, Layer...>: a flat type list, planned once at compile
// time (chain.hpp); every constant below is read from that plan.
#pragma once

#include <array>
#include <cstddef>
#include <type_traits>

#include "staticnn/chain.hpp"
#include "staticnn/diagnostics.hpp"
#include "staticnn/shape.hpp"

namespace staticnn {

// Input<C, H, W> for images; Input<N> for a flat input of N features (a
// network of Linear layers), on which spatial layers are an error.
template <int C, int H = 0, int W = 0>
struct Input {
  static_assert(C > 0 && ((H > 0 && W > 0) || (H == 0 && W == 0)),
                "staticnn: Input<C, H, W> needs positive channels, height and width "
                "(or Input<N> for N flat features)");
  static constexpr bool flat = H == 0 && W == 0;
  static constexpr Shape shape{C, flat ? 1 : H, flat ? 1 : W};
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

// Instantiated (as a base of the Network) only for an invalid network: its
// template arguments name just the failing layer, so the network's own long
// type appears once in the error, in the "required from" line.
template <int Index, class Top, Shape TopIn, Violation V>
struct Reported {
  static_assert(std::is_same_v<decltype(report_violation<Index, Top, TopIn, V>()), bool>);
};
struct NothingToReport {};

template <int C, int H, int W>
inline constexpr bool input_is_valid = C > 0 && ((H > 0 && W > 0) || (H == 0 && W == 0));

// The chain a Network<Input<C, H, W>, Layers...> plans; an empty one when the
// list itself is malformed, so that the list error is the only error.
template <int C, int H, int W, class... Layers>
struct network_chain {
  static constexpr bool list_ok = sizeof...(Layers) > 0 &&
                                  !(is_input<Layers>::value || ...) && input_is_valid<C, H, W>;
  static constexpr bool flat = H == 0 && W == 0;
  static constexpr Shape shape{C, flat ? 1 : H, flat ? 1 : W};
  using type = std::conditional_t<list_ok, Chain<shape, flat, Layers...>, Chain<shape, flat>>;
};

template <class Chain, bool ListOk>
struct network_verdict {
  using type = NothingToReport;
};
template <class Chain>
  requires(Chain::plan.first_error >= 0)
struct network_verdict<Chain, true> {
  static constexpr int e = Chain::plan.first_error;
  using type = Reported<e, typename Chain::template layer<std::size_t(e)>,
                        Chain::plan.layers[std::size_t(e)].in, Chain::plan.violation>;
};

}  // namespace detail

// Whether Input followed by Layers forms a valid network, without the hard
// error that naming an invalid Network type gives: for tests and for code that
// chooses between topologies at compile time.
template <class InputLayer, class... Layers>
inline constexpr bool network_is_valid = false;
template <int C, int H, int W, class... Layers>
inline constexpr bool network_is_valid<Input<C, H, W>, Layers...> = [] {
  if constexpr (sizeof...(Layers) == 0 || C <= 0 ||
                !((H > 0 && W > 0) || (H == 0 && W == 0)) ||
                (detail::is_input<Layers>::value || ...)) {
    return false;
  } else {
    return detail::network_chain<C, H, W, Layers...>::type::valid;
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
struct Network<Input<C, H, W>, Layers...>
    : detail::network_verdict<typename detail::network_chain<C, H, W, Layers...>::type,
                              detail::network_chain<C, H, W, Layers...>::list_ok>::type {
  static_assert(sizeof...(Layers) > 0,
                "staticnn: the Network has no layers after Input<C, H, W>");
  static_assert(!(detail::is_input<Layers>::value || ...),
                "staticnn: Input<C, H, W> must come first in the Network, and only once");
  static_assert(detail::input_is_valid<C, H, W>,
                "staticnn: Input<C, H, W> needs positive channels, height and width "
                "(or Input<N> for N flat features)");

  // The layers, planned from the input.
  using chain = typename detail::network_chain<C, H, W, Layers...>::type;
  template <std::size_t I>
  using layer = typename chain::template layer<I>;
  static constexpr int layer_count = sizeof...(Layers);
  static constexpr detail::Plan<sizeof...(Layers)> plan = chain::plan;
  static constexpr bool valid = detail::network_chain<C, H, W, Layers...>::list_ok && chain::valid;

  // Trainable parameters, then the buffers (BatchNorm's running statistics),
  // each in PyTorch's state_dict order; gradients mirror the parameters.
  using Parameters = ParameterStorage<Network, ParametersRole>;
  using Gradients = ParameterStorage<Network, GradientsRole>;
  template <int Batch = 1>
  using InferenceWorkspace = staticnn::InferenceWorkspace<Network, Batch>;
  template <int Batch = 1>
  using TrainingWorkspace = staticnn::TrainingWorkspace<Network, Batch>;

  static constexpr Shape input_shape = chain::input_shape;
  static constexpr Shape output_shape = chain::output_shape;
  template <std::size_t I>
  static constexpr Shape shape_after = plan.layers[I].out;
  template <std::size_t I>
  static constexpr Shape shape_before = plan.layers[I].in;

  template <std::size_t I>
  static constexpr long layer_params = plan.layers[I].params;
  template <std::size_t I>
  static constexpr long param_offset = plan.layers[I].param_offset;
  template <std::size_t I>
  static constexpr long buffer_offset = plan.layers[I].buffer_offset;
  template <std::size_t I>
  static constexpr long layer_macs = plan.layers[I].macs;

  static constexpr long param_count = chain::param_count;
  static constexpr long buffer_count = chain::buffer_count;
  static constexpr long macs = chain::macs;
  static constexpr std::size_t param_bytes = std::size_t(param_count) * sizeof(float);
  // What read-only memory holds for inference: parameters and buffers.
  static constexpr std::size_t flash_bytes =
      std::size_t(param_count + buffer_count) * sizeof(float);
  // state_dict: every tensor's key, role, PyTorch shape and offset.
  static constexpr std::array<Tensor, chain::tensor_count> tensors = chain::tensors;

  // Where activations, saved state and scratch live for a batch (chain.hpp).
  template <int Batch>
  static constexpr detail::ChainMemory<sizeof...(Layers)> memory = chain::template memory<Batch>;

  // Activation memory alone (the ping-pong pair for inference; every kept
  // output plus the gradient pair for training), in bytes.
  template <int Batch = 1>
  static constexpr std::size_t inference_activation_bytes =
      2 * std::size_t(memory<Batch>.largest_output) * sizeof(float);
  template <int Batch = 1>
  static constexpr std::size_t training_activation_bytes =
      std::size_t(memory<Batch>.kept_floats + 2 * memory<Batch>.gradient_floats) * sizeof(float);
  // Everything a user must reserve in RAM to run the network: the workspace
  // (activations, saved state, kernel scratch). Parameters are flash_bytes.
  template <int Batch = 1>
  static constexpr std::size_t inference_ram_bytes = sizeof(InferenceWorkspace<Batch>);
  template <int Batch = 1>
  static constexpr std::size_t training_ram_bytes = sizeof(TrainingWorkspace<Batch>);
};

}  // namespace staticnn
