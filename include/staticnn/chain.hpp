// A chain: a flat list of layers applied in order to an input shape. The
// Network is a chain that starts at its Input; blocks (Sequential, Residual,
// Concat) hold chains of their own. Boost.Hana folds the list once at compile
// time into a table of per-layer records; every constant is read from it.
#pragma once

#include <array>
#include <cstddef>
#include <tuple>
#include <utility>

#include <boost/hana/at.hpp>
#include <boost/hana/fold_left.hpp>
#include <boost/hana/tuple.hpp>
#include <boost/hana/type.hpp>

#include "staticnn/diagnostics.hpp"
#include "staticnn/layers/layer.hpp"
#include "staticnn/shape.hpp"

namespace staticnn::detail {

struct LayerRecord {
  Shape in, out;
  bool flat = false;     // the output is flat (after Flatten/Linear)
  bool aliases = false;  // the output is the input's memory
  bool fuses_relu = false;  // a ReLU after it runs inside its kernel
  bool fused = false;       // a ReLU fused into the layer before it
  bool fuses_max_pool = false;  // a max pool after it runs inside its kernel (inference)
  bool pool_fused = false;      // a max pool run by the layer before it (or the one
                                // before its fused ReLU); the buffers stay as unfused
  bool skipped = false;     // the identity in inference: no kernel runs (Dropout)
  long params = 0, buffers = 0, macs = 0;
  long param_offset = 0, buffer_offset = 0;  // first scalar in the chain's arrays
  Violation violation;   // set only on the first failing layer
};

template <std::size_t N>
struct Plan {
  std::array<LayerRecord, N> layers{};
  int first_error = -1;
  Violation violation;  // the first error's
  Shape out;
  bool flat = false;
  long params = 0, buffers = 0, macs = 0;
};

// Propagates the shape through the list. After the first violation the shape
// stops changing and no further rule is checked, so one mistake gives one error.
template <class... Layers>
constexpr Plan<sizeof...(Layers)> plan_layers(Shape input, bool flat) {
  struct State {
    Plan<sizeof...(Layers)> plan;
    int index = 0;
  };
  State init{};
  init.plan.out = input;
  init.plan.flat = flat;
  State s = boost::hana::fold_left(
      boost::hana::tuple_t<Layers...>, init, [](State st, auto layer_type) {
        using L = typename decltype(layer_type)::type;
        Plan<sizeof...(Layers)>& p = st.plan;
        LayerRecord& r = p.layers[std::size_t(st.index)];
        r.in = r.out = p.out;
        r.flat = p.flat;
        r.param_offset = p.params;
        r.buffer_offset = p.buffers;
        if (p.first_error < 0) {
          const LayerStep step = L::step(p.out, p.flat);
          if (step.violation.ok()) {
            const auto tensors = layer_tensors<L>(p.out);
            r.out = step.out;
            r.flat = step.flat;
            constexpr LayerFlags flags = layer_flags<L>();
            r.aliases = flags.aliases_input;
            r.fuses_relu = flags.fuses_relu && !r.aliases;
            r.fused = flags.relu && st.index > 0 &&
                      p.layers[std::size_t(st.index - 1)].fuses_relu;
            r.fuses_max_pool = flags.fuses_max_pool && !r.aliases;
            if (flags.max_pool && st.index > 0) {
              const LayerRecord& before = p.layers[std::size_t(st.index - 1)];
              r.pool_fused = before.fuses_max_pool ||
                             (before.fused && p.layers[std::size_t(st.index - 2)].fuses_max_pool);
            }
            r.skipped = flags.identity_in_inference && !r.aliases;
            r.params = count_of(tensors, TensorRole::parameter);
            r.buffers = count_of(tensors, TensorRole::buffer);
            r.macs = step.macs;
            p.out = step.out;
            p.flat = step.flat;
            p.params += r.params;
            p.buffers += r.buffers;
            p.macs += r.macs;
          } else {
            r.violation = step.violation;
            p.violation = step.violation;
            p.first_error = st.index;
          }
        }
        ++st.index;
        return st;
      });
  return s.plan;
}

// Memory regions are rounded to 16 floats, so each starts 64-byte aligned.
constexpr long round_up16(long n) { return (n + 15) / 16 * 16; }
constexpr long max_of(long a, long b) { return a > b ? a : b; }

// Where a chain keeps what, for a batch, in floats. `-1` as an output offset
// means "the chain's input" (a layer that aliases it, such as a leading Flatten).
template <std::size_t N>
struct ChainMemory {
  // Inference: [output A][output B][scratch], outputs alternating (ping-pong);
  // a fused ReLU's output is its layer's, a skipped layer's its input.
  std::array<long, N> inference_out{};
  long inference_floats = 0, inference_scratch_at = 0;
  long largest_output = 0;  // floats of one ping-pong buffer
  // Training, kept from forward to backward: [outputs...][saved...]; a layer
  // and the ReLU fused into it share one output.
  std::array<long, N> kept_out{}, saved_at{};
  long kept_floats = 0, saved_floats = 0;
  // Training scratch: [gradient A][gradient B][layer scratch].
  long gradient_floats = 0, training_scratch_at = 0, training_scratch_floats = 0;
};

template <std::size_t N>
constexpr ChainMemory<N> lay_out_memory(const Plan<N>& plan, const std::array<LayerMemory, N>& m,
                                        int batch) {
  ChainMemory<N> c;
  long largest = 0, inference_scratch = 0, training_scratch = 0;
  for (std::size_t i = 0; i < N; ++i) {
    if (!plan.layers[i].aliases) largest = max_of(largest, long(batch) * plan.layers[i].out.size());
    inference_scratch = max_of(inference_scratch, m[i].inference_scratch);
    training_scratch = max_of(training_scratch, m[i].training_scratch);
  }
  c.largest_output = round_up16(largest);
  long current = -1, kept = 0;
  for (std::size_t i = 0; i < N; ++i) {
    if (!plan.layers[i].aliases) {
      if (!plan.layers[i].fused && !plan.layers[i].skipped) {
        current = current == 0 ? c.largest_output : 0;
      }
      c.kept_out[i] = kept;
      // A layer whose ReLU is fused writes the ReLU's output (ChainForward)
      // and shares its place: its own output is never written, and nothing
      // reads it (its backward reads its input and dy, the ReLU's backward
      // or the max pool's after it the ReLU's output).
      if (!(i + 1 < N && plan.layers[i + 1].fused)) {
        kept += round_up16(long(batch) * plan.layers[i].out.size());
      }
    } else {
      c.kept_out[i] = i == 0 ? -1 : c.kept_out[i - 1];
    }
    c.inference_out[i] = current;
  }
  c.inference_scratch_at = 2 * c.largest_output;
  c.inference_floats = c.inference_scratch_at + round_up16(inference_scratch);
  c.kept_floats = kept;
  long saved = kept;
  for (std::size_t i = 0; i < N; ++i) {
    c.saved_at[i] = saved;
    saved += round_up16(m[i].saved);
  }
  c.saved_floats = saved;
  c.gradient_floats = c.largest_output;
  c.training_scratch_at = 2 * c.gradient_floats;
  c.training_scratch_floats = c.training_scratch_at + round_up16(training_scratch);
  return c;
}

template <class... Layers>
inline constexpr std::size_t tensor_count_of_list = (std::size_t{0} + ... + tensor_count_of<Layers>);

// Every tensor of a list of layers in state_dict order, keyed "<index>.<name>"
// as nn.Sequential keys its children, with its offset in its role's array.
template <class... Layers>
constexpr std::array<Tensor, tensor_count_of_list<Layers...>> chain_tensors(Shape in, bool flat) {
  const Plan<sizeof...(Layers)> plan = plan_layers<Layers...>(in, flat);
  std::array<Tensor, tensor_count_of_list<Layers...>> all{};
  std::size_t n = 0, index = 0;
  (
      [&] {
        const LayerRecord& r = plan.layers[index];
        for (Tensor t : layer_tensors<Layers>(r.in)) {
          TensorName key;
          key.append(int(index));
          t.name = t.name.under(key);
          t.offset += t.role == TensorRole::parameter ? r.param_offset : r.buffer_offset;
          all[n++] = t;
        }
        ++index;
      }(),
      ...);
  return all;
}

// The memory layout of a list of layers for a batch.
template <class... Layers>
constexpr ChainMemory<sizeof...(Layers)> chain_memory(Shape in, bool flat, int batch) {
  const Plan<sizeof...(Layers)> plan = plan_layers<Layers...>(in, flat);
  std::array<LayerMemory, sizeof...(Layers)> m{};
  std::size_t index = 0;
  ((m[index] = layer_memory<Layers>(plan.layers[index].in, batch), ++index), ...);
  return lay_out_memory(plan, m, batch);
}

template <Shape In, bool FlatIn, class... Layers>
struct Chain {
  static constexpr std::size_t size = sizeof...(Layers);
  using list = decltype(boost::hana::tuple_t<Layers...>);
  template <std::size_t I>
  using layer = typename decltype(+boost::hana::at_c<I>(list{}))::type;

  static constexpr Shape input_shape = In;
  static constexpr bool input_flat = FlatIn;
  static constexpr Plan<size> plan = plan_layers<Layers...>(In, FlatIn);
  static constexpr bool valid = plan.first_error < 0;
  static constexpr Shape output_shape = plan.out;
  static constexpr long param_count = plan.params, buffer_count = plan.buffers, macs = plan.macs;

  static constexpr std::size_t tensor_count = tensor_count_of_list<Layers...>;
  static constexpr std::array<Tensor, tensor_count> tensors = chain_tensors<Layers...>(In, FlatIn);

  template <int Batch>
  static constexpr ChainMemory<size> memory = chain_memory<Layers...>(In, FlatIn, Batch);
};

}  // namespace staticnn::detail
