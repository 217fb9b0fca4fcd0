// The layer contract. A layer is a type; everything the library needs to know
// about it lives with it, so a user adds a layer without editing the library:
//
//   struct MyLayer {
//     static constexpr const char* name = "MyLayer";                 // required
//     static constexpr LayerStep step(Shape in, bool flat);          // required:
//         // output shape, flatness, MACs, or the first rule `in` violates
//     static constexpr std::array<Tensor, N> tensors(Shape in);      // optional:
//         // parameters and buffers in state_dict order (layers/tensor.hpp)
//     static constexpr LayerMemory memory(Shape in, int batch);      // optional
//     static constexpr bool aliases_input = true;                    // optional:
//         // the output is the input's memory (Flatten); no kernel runs
//     static constexpr bool fuses_relu = true;                       // optional:
//         // a ReLU right after it runs inside its kernel
//         // (Kernel<MyLayer>::ForwardRelu<In, Batch>, the ReLU's semantics);
//         // the ReLU layer says so with `static constexpr bool relu = true`.
//         // Training too: there the layer's own output is never written,
//         // so its Backward must not read a.out
//     static constexpr bool takes_relu_backward = true;              // optional:
//         // after a ReLU, Kernel<MyLayer>::BackwardAfterRelu<In, Batch>
//         // writes the gradient at the ReLU's input (the ReLU's backward
//         // does not run)
//     static constexpr bool fuses_max_pool = true;                   // optional:
//         // inference runs a MaxPool2d after it (after its fused ReLU, if
//         // any) inside its kernel (Kernel<MyLayer>::ForwardPooled<In, Batch,
//         // kRelu, Pool>(args, pooled): args.out is its own output buffer, to
//         // use or not); the pool says so with `static constexpr bool max_pool`
//     static constexpr bool identity_in_inference = true;            // optional:
//         // inference runs no kernel: its output is its input (Dropout)
//     static void describe(TextLine& line, Shape in);                // optional:
//         // the summary's "Type (spec)" column; default: the name
//     template <class Self>                                         // optional, instead:
//     static void describe_as(TextLine& line, Shape in);
//         // the same under Self::name, Self being the type used (a type
//         // derived from this one to name it, as users name blocks)
//     template <class Visit>                                        // optional, blocks:
//     static void children(Shape in, bool flat, Visit&& visit);
//         // visit.template operator()<Child>(key, record, flat_in) per child
//   };
//
// and, per Highway target, its kernels: a specialization of
// staticnn::HWY_NAMESPACE::Kernel<MyLayer> (layers/kernel-inl.h) with
// Forward<In, Batch>(const ForwardArgs&) and Backward<In, Batch>(const BackwardArgs&).
// Blocks (Sequential, Residual, Concat) are layers too, built on the same
// contract from the lists they hold.
#pragma once

#include <array>
#include <cstddef>
#include <tuple>

#include "staticnn/layers/layer_step.hpp"
#include "staticnn/layers/tensor.hpp"
#include "staticnn/shape.hpp"
#include "staticnn/text_line.hpp"

namespace staticnn {

// Floats a layer needs beyond its input and output, for a whole batch.
struct LayerMemory {
  long inference_scratch = 0;  // inference forward; free afterwards
  long saved = 0;              // training forward writes it, backward reads it
  long training_scratch = 0;   // training forward or backward; free afterwards
};

namespace detail {

template <class L>
constexpr auto layer_tensors(Shape in) {
  if constexpr (requires { L::tensors(in); }) {
    return laid_out(L::tensors(in));
  } else {
    return std::array<Tensor, 0>{};
  }
}

template <class L>
inline constexpr std::size_t tensor_count_of =
    std::tuple_size_v<decltype(layer_tensors<L>(Shape{}))>;

template <class L>
constexpr LayerMemory layer_memory(Shape in, int batch) {
  if constexpr (requires { L::memory(in, batch); }) {
    return L::memory(in, batch);
  } else {
    return {};
  }
}

// The optional flags of the contract above, false where L does not declare
// them. A ReLU after a layer that fuses_relu runs inside that layer's kernel
// (LeNet-5: 3.6% of its inference time saved, and in training the ReLU's two
// passes over conv1's output); a MaxPool2d after a layer that fuses_max_pool
// (and its fused ReLU) runs inside that layer's kernel in inference, which may
// pool before its outputs leave registers or scratch (LeNet-5's conv2).
struct LayerFlags {
  bool aliases_input = false, fuses_relu = false, relu = false,
       takes_relu_backward = false, fuses_max_pool = false, max_pool = false,
       identity_in_inference = false;
};
template <class L>
constexpr LayerFlags layer_flags() {
  LayerFlags f;
  if constexpr (requires { L::aliases_input; }) f.aliases_input = L::aliases_input;
  if constexpr (requires { L::fuses_relu; }) f.fuses_relu = L::fuses_relu;
  if constexpr (requires { L::relu; }) f.relu = L::relu;
  if constexpr (requires { L::takes_relu_backward; }) {
    f.takes_relu_backward = L::takes_relu_backward;
  }
  if constexpr (requires { L::fuses_max_pool; }) f.fuses_max_pool = L::fuses_max_pool;
  if constexpr (requires { L::max_pool; }) f.max_pool = L::max_pool;
  if constexpr (requires { L::identity_in_inference; }) {
    f.identity_in_inference = L::identity_in_inference;
  }
  return f;
}

// Whether L holds layers of its own (a block), visited by L::children.
struct AnyChild {
  template <class Child>
  constexpr void operator()(const TensorName&, const auto& /*record*/, bool /*flat_in*/) const {}
};
template <class L>
concept has_children = requires(Shape in, bool flat) { L::children(in, flat, AnyChild{}); };

template <class L>
void describe_layer(TextLine& line, Shape in) {
  if constexpr (requires { L::template describe_as<L>(line, in); }) {
    L::template describe_as<L>(line, in);
  } else if constexpr (requires { L::describe(line, in); }) {
    L::describe(line, in);
  } else {
    line.add("%s", L::name);
  }
}

}  // namespace detail
}  // namespace staticnn
