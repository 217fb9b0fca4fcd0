// Parameters, gradients and workspaces: plain aligned arrays whose sizes are
// constants of the network type, so that a user can put them in static
// storage (or, for trained parameters, in read-only memory).
#pragma once

#include <cstddef>
#include <utility>

#include "staticnn/kernels/conv2d_scratch.hpp"
#include "staticnn/network.hpp"

namespace staticnn {

// Array lengths must be positive even for a network without parameters.
constexpr std::size_t at_least_one(std::size_t n) { return n > 0 ? n : 1; }

// The weight count of layer I (its bias follows it).
template <class Net, std::size_t I>
constexpr long weight_count() {
  using L = typename Net::template layer<I>;
  constexpr auto& r = Net::plan.layers[I];
  if constexpr (L::kind == LayerKind::conv2d || L::kind == LayerKind::linear) {
    return L::geometry(r.in).weight_count();
  } else {
    return 0;
  }
}

// All learnable scalars of a network, flat, in PyTorch's state_dict order.
// An aggregate: `constexpr Net::Parameters p{{...}}` puts trained weights in
// .rodata (see io/weights_header.hpp).
template <class Net, class Role>
struct ParameterStorage {
  static constexpr std::size_t size = std::size_t(Net::param_count);
  alignas(64) float values[at_least_one(size)];

  template <std::size_t I>
  constexpr float* weight() { return values + Net::template param_offset<I>; }
  template <std::size_t I>
  constexpr const float* weight() const { return values + Net::template param_offset<I>; }
  // nullptr for a layer without bias.
  template <std::size_t I>
  constexpr const float* bias() const {
    return Net::template layer_params<I> > weight_count<Net, I>()
               ? weight<I>() + weight_count<Net, I>() : nullptr;
  }
  template <std::size_t I>
  constexpr float* bias() {
    return Net::template layer_params<I> > weight_count<Net, I>()
               ? weight<I>() + weight_count<Net, I>() : nullptr;
  }
  constexpr void fill(float v) {
    for (float& x : values) x = v;
  }
};

template <class Net, std::size_t I>
constexpr std::size_t layer_scratch_floats() {
  using L = typename Net::template layer<I>;
  if constexpr (L::kind == LayerKind::conv2d) {
    return conv2d_scratch_floats(L::geometry(Net::plan.layers[I].in));
  } else {
    return 0;
  }
}

// Floats of kernel scratch the most demanding layer needs (one sample at a time).
template <class Net>
constexpr std::size_t scratch_floats() {
  return []<std::size_t... I>(std::index_sequence<I...>) {
    std::size_t n = 0;
    ((n = layer_scratch_floats<Net, I>() > n ? layer_scratch_floats<Net, I>() : n), ...);
    return n;
  }(std::make_index_sequence<Net::layer_count>{});
}

// Inference: two ping-pong activation buffers and kernel scratch.
template <class Net, int Batch>
struct InferenceWorkspace {
  static_assert(Batch > 0, "staticnn: the batch size must be positive");
  static constexpr std::size_t buffer_floats = std::size_t(Batch) * Net::largest_activation;
  alignas(64) float buffer[2][buffer_floats];
  alignas(64) float scratch[at_least_one(scratch_floats<Net>())];
};

// Training: every layer's output (kept for backward), two buffers for the
// gradient flowing backward, and kernel scratch.
template <class Net, int Batch>
struct TrainingWorkspace {
  static_assert(Batch > 0, "staticnn: the batch size must be positive");
  static constexpr std::size_t gradient_floats = std::size_t(Batch) * Net::largest_activation;
  alignas(64) float activations[std::size_t(Batch) * Net::kept_activation_floats];
  alignas(64) float gradient[2][gradient_floats];
  alignas(64) float output_gradient[std::size_t(Batch) * Net::output_shape.size()];
  alignas(64) float scratch[at_least_one(scratch_floats<Net>())];
};

}  // namespace staticnn
