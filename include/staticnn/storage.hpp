// Parameters, gradients and workspaces: plain aligned arrays whose sizes are
// constants of the network type, so that a user can put them in static
// storage (or, for trained parameters, in read-only memory).
#pragma once

#include <cstddef>
#include <cstdint>

#include "staticnn/layers/kernel_args.hpp"
#include "staticnn/network.hpp"

namespace staticnn {

// Array lengths must be positive even for a network without parameters.
constexpr std::size_t at_least_one(long n) { return n > 0 ? std::size_t(n) : 1; }

namespace detail {

// Where layer I's tensor `name` starts in its role's array, or -1.
template <class Net, std::size_t I>
constexpr long tensor_offset(const char* name, TensorRole role) {
  const LayerRecord& r = Net::plan.layers[I];
  for (const Tensor& t : layer_tensors<typename Net::template layer<I>>(r.in)) {
    if (t.role == role && t.name == TensorName(name)) {
      return t.offset + (role == TensorRole::parameter ? r.param_offset : r.buffer_offset);
    }
  }
  return -1;
}

}  // namespace detail

// The trainable parameters of a network, flat, in PyTorch's state_dict order
// (what gradients and optimizers see). For ParametersRole the buffers follow
// in their own array. An aggregate: `constexpr Net::Parameters p{{...}, {...}}`
// puts trained weights in .rodata (see io/weights.hpp).
template <class Net, class Role>
struct ParameterStorage {
  static constexpr std::size_t size = std::size_t(Net::param_count);
  alignas(64) float values[at_least_one(Net::param_count)];

  // Layer I's first parameter (its weight, for Conv2d and Linear).
  template <std::size_t I>
  constexpr float* weight() { return values + Net::template param_offset<I>; }
  template <std::size_t I>
  constexpr const float* weight() const { return values + Net::template param_offset<I>; }
  // Layer I's parameter named "bias", or nullptr.
  template <std::size_t I>
  constexpr float* bias() { return at<I>("bias"); }
  template <std::size_t I>
  constexpr const float* bias() const { return const_cast<ParameterStorage*>(this)->template at<I>("bias"); }

  constexpr void fill(float v) {
    for (float& x : values) x = v;
  }

 private:
  template <std::size_t I>
  constexpr float* at(const char* name) {
    const long o = detail::tensor_offset<Net, I>(name, TensorRole::parameter);
    return o < 0 ? nullptr : values + o;
  }
};

// A network's whole state: trainable parameters and buffers.
template <class Net>
struct ParameterStorage<Net, ParametersRole> {
  static constexpr std::size_t size = std::size_t(Net::param_count);
  static constexpr std::size_t buffer_size = std::size_t(Net::buffer_count);
  alignas(64) float values[at_least_one(Net::param_count)];
  alignas(64) float buffers[at_least_one(Net::buffer_count)];

  template <std::size_t I>
  constexpr float* weight() { return values + Net::template param_offset<I>; }
  template <std::size_t I>
  constexpr const float* weight() const { return values + Net::template param_offset<I>; }
  template <std::size_t I>
  constexpr float* bias() { return param<I>("bias"); }
  template <std::size_t I>
  constexpr const float* bias() const {
    const long o = detail::tensor_offset<Net, I>("bias", TensorRole::parameter);
    return o < 0 ? nullptr : values + o;
  }
  // Layer I's tensor by its name in the layer ("weight", "running_mean"...), or nullptr.
  template <std::size_t I>
  constexpr float* param(const char* name) {
    const long o = detail::tensor_offset<Net, I>(name, TensorRole::parameter);
    return o < 0 ? nullptr : values + o;
  }
  template <std::size_t I>
  constexpr float* buffer(const char* name) {
    const long o = detail::tensor_offset<Net, I>(name, TensorRole::buffer);
    return o < 0 ? nullptr : buffers + o;
  }

  // Sets the trainable parameters only (buffers keep their values).
  constexpr void fill(float v) {
    for (float& x : values) x = v;
  }
};

// Inference: two ping-pong activation buffers and kernel scratch, as the
// network's plan lays them out (Net::memory<Batch>).
template <class Net, int Batch>
struct InferenceWorkspace {
  static_assert(Batch > 0, "staticnn: the batch size must be positive");
  alignas(64) float memory[at_least_one(Net::template memory<Batch>.inference_floats)];
};

// Training: every layer's output and saved state (kept from forward for
// backward), scratch (the gradient flowing backward, kernel scratch), the
// loss gradient, and the random state of layers that draw (Dropout).
template <class Net, int Batch>
struct TrainingWorkspace {
  static_assert(Batch > 0, "staticnn: the batch size must be positive");
  alignas(64) float saved[at_least_one(Net::template memory<Batch>.saved_floats)];
  alignas(64) float scratch[at_least_one(Net::template memory<Batch>.training_scratch_floats)];
  alignas(64) float output_gradient[std::size_t(Batch) * Net::output_shape.size()];
  // The buffers (running statistics) before train_step's forward updated
  // them, restored if the step is refused as non-finite.
  alignas(64) float buffers_before[at_least_one(Net::buffer_count)];
  std::uint64_t rng = 0x9E3779B97F4A7C15ull;
};

}  // namespace staticnn
