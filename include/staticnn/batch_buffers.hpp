// How the network passes (passes.hpp, dispatch.hpp) take a batch: inputs,
// labels, targets and gradients, `PerSample` values per sample.
//
//   - a buffer whose size the compiler knows (a C array, std::array, a
//     fixed-extent std::span) must hold exactly Batch samples, or the call
//     does not compile;
//   - a buffer whose size is a run-time value (std::vector, std::span of
//     dynamic extent) may hold n = 1 .. Batch whole samples (a partial last
//     batch), checked at run time: Status::wrong_size otherwise;
//   - a raw pointer is not checked: it must point to Batch samples (the form
//     for advanced use, e.g. memory of one's own layout).
#pragma once

#include <cstddef>
#include <span>
#include <type_traits>

#include "staticnn/status.hpp"

namespace staticnn {

// Where a batch's values are and how many samples they hold.
template <class T>
struct Samples {
  T* data = nullptr;
  int count = 0;
  Status status = Status::ok;
};

// Whether Arg is a buffer of run-time size (it may carry a partial batch).
template <class Arg>
constexpr bool has_runtime_size() {
  using A = std::remove_cvref_t<Arg>;
  if constexpr (std::is_pointer_v<A> || std::is_null_pointer_v<A>) {
    return false;
  } else {
    return decltype(std::span(std::declval<Arg&>()))::extent == std::dynamic_extent;
  }
}

template <class T, std::size_t PerSample, int Batch, class Arg>
constexpr Samples<T> samples_of(Arg&& arg) {
  using A = std::remove_cvref_t<Arg>;
  if constexpr (std::is_pointer_v<A>) {
    static_assert(std::is_convertible_v<A, T*>,
                  "staticnn: a batch buffer of the wrong element type (inputs, targets and "
                  "gradients are float, labels int)");
    return {arg, Batch};  // unchecked
  } else {
    const auto view = std::span(arg);
    using View = decltype(view);
    static_assert(std::is_convertible_v<typename View::element_type (*)[], T (*)[]>,
                  "staticnn: a batch buffer of the wrong element type (inputs, targets and "
                  "gradients are float, labels int; outputs must be writable)");
    if constexpr (View::extent != std::dynamic_extent) {
      static_assert(View::extent == std::size_t(Batch) * PerSample,
                    "staticnn: a buffer of fixed size (C array, std::array, fixed-extent "
                    "std::span) must hold exactly one batch: Batch * Net::input_shape.size() "
                    "floats of input, Batch labels, Batch * Net::output_shape.size() floats "
                    "of output, target or gradient. For a partial last batch, pass a "
                    "std::span of dynamic extent over its n samples");
      return {view.data(), Batch};
    } else {
      const std::size_t size = view.size();
      if (size == 0 || size % PerSample != 0 || size > std::size_t(Batch) * PerSample) {
        return {nullptr, 0, Status::wrong_size};
      }
      return {view.data(), int(size / PerSample)};
    }
  }
}

// The sample count that the buffers of one call agree on, or wrong_size.
template <class... T>
constexpr Samples<void> agreeing(const Samples<T>&... s) {
  const int counts[] = {s.count...};
  const int count = counts[0];
  const bool ok = ((s.status == Status::ok && s.count == count) && ...);
  return {nullptr, ok ? count : 0, ok ? Status::ok : Status::wrong_size};
}

// What forward returns for a batch of run-time size: the outputs
// ([samples][output], in the workspace until its next use) or why there are
// none.
struct BatchOutput {
  const float* values = nullptr;
  int samples = 0;
  Status status = Status::ok;
  constexpr explicit operator bool() const { return status == Status::ok; }
};

// The checks of the passes' entry points, shared by static (passes.hpp) and
// dynamic dispatch (dispatch.hpp), which pass the target's functions in.

// Inference: infer(x) on a full batch, infer_samples(x, n) on n <= Batch.
template <class Net, int Batch, class Input, class Infer, class InferSamples>
auto checked_infer(Input&& x, Infer infer, InferSamples infer_samples) {
  const Samples<const float> in = samples_of<const float, Net::input_shape.size(), Batch>(x);
  if constexpr (has_runtime_size<Input>()) {
    if (in.status != Status::ok) return BatchOutput{nullptr, 0, in.status};
    return BatchOutput{infer_samples(in.data, in.count), in.count};
  } else {
    return infer(in.data);
  }
}

// Forward that keeps state for backward: full batches only.
template <class Net, int Batch, class Input, class Forward>
auto checked_forward(Input&& x, Forward forward) {
  const Samples<const float> in = samples_of<const float, Net::input_shape.size(), Batch>(x);
  if constexpr (has_runtime_size<Input>()) {
    if (in.status != Status::ok || in.count != Batch) {
      return BatchOutput{nullptr, 0, Status::wrong_size};
    }
    return BatchOutput{forward(in.data), Batch};
  } else {
    return forward(in.data);
  }
}

// Backward: backward(x, dout, dx), full batches only; dx may be nullptr.
template <class Net, int Batch, class Input, class OutputGradient, class InputGradient,
          class Backward>
Status checked_backward(Input&& x, OutputGradient&& dout, InputGradient&& dx,
                        Backward backward) {
  const auto in = samples_of<const float, Net::input_shape.size(), Batch>(x);
  const auto dy = samples_of<const float, Net::output_shape.size(), Batch>(dout);
  Samples<float> din{nullptr, Batch};
  if constexpr (!std::is_null_pointer_v<std::remove_cvref_t<InputGradient>>) {
    din = samples_of<float, Net::input_shape.size(), Batch>(dx);
  }
  const Samples<void> n = agreeing(in, dy, din);
  if (n.status != Status::ok || n.count != Batch) return Status::wrong_size;
  backward(in.data, dy.data, din.data);
  return Status::ok;
}

// A training step: step(x, labels) on a full batch, step_samples(x, labels,
// n) on buffers of run-time size.
template <class Net, int Batch, class Input, class Labels, class Step, class StepSamples>
LossResult checked_train_step(Input&& x, Labels&& labels, Step step, StepSamples step_samples) {
  const auto in = samples_of<const float, Net::input_shape.size(), Batch>(x);
  const auto l = samples_of<const int, 1, Batch>(labels);
  if constexpr (has_runtime_size<Input>() || has_runtime_size<Labels>()) {
    const Samples<void> n = agreeing(in, l);
    if (n.status != Status::ok) return {0.0f, n.status};
    return step_samples(in.data, l.data, n.count);
  } else {
    return step(in.data, l.data);
  }
}

}  // namespace staticnn
