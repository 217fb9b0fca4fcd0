// int8 inference of a quantized network (network.hpp), per Highway target:
//   int8::Forward<QNet>(q, x, workspace) -> the int8 output
// x is the int8 input ([C][H][W], quantized by QuantizeInput); each layer
// runs its int8 kernel (int8/*-inl.h) from one workspace buffer into the
// other; Flatten, Dropout and the fused activations run nothing. A Residual
// runs its main path in the two buffers that do not hold its input, its
// shortcut into the one left, and adds them into the one neither output is
// in. A Concat runs each branch in the two buffers that hold neither its
// input nor its output, and copies the branch's output to its channels. The returned pointer is into the workspace (or x, for a network of
// Flattens only). No heap.

#if defined(STATICNN_INT8_NETWORK_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef STATICNN_INT8_NETWORK_INL_H_
#undef STATICNN_INT8_NETWORK_INL_H_
#else
#define STATICNN_INT8_NETWORK_INL_H_
#endif

#include <cstdint>
#include <cstring>
#include <type_traits>
#include <utility>

#include "hwy/highway.h"
#include "staticnn/int8/add-inl.h"
#include "staticnn/int8/conv2d-inl.h"
#include "staticnn/int8/linear-inl.h"
#include "staticnn/int8/mean-inl.h"
#include "staticnn/int8/network.hpp"
#include "staticnn/int8/pool2d-inl.h"

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {
namespace int8_kernels {

// The workspace buffers a network may write to.
struct Buffers {
  std::int8_t* list[4];
  int count;
  // The first that is none of a, b, c.
  std::int8_t* Other(const std::int8_t* a, const std::int8_t* b = nullptr,
                     const std::int8_t* c = nullptr) const {
    for (int i = 0; i < count; ++i) {
      if (list[i] != a && list[i] != b && list[i] != c) return list[i];
    }
    return nullptr;  // not reached: a Residual's path has one buffer per kernel it runs
  }
};

// Runs float layer I of QNet and the ones after it; x is layer I's input.
template <class QNet, int I>
const std::int8_t* ForwardFrom(const int8::ParameterSpan<true>& q, const std::int8_t* x,
                               const Buffers& buffers) {
  if constexpr (I == QNet::layer_count) {
    return x;
  } else {
    using L = typename QNet::Float::template layer<I>;
    constexpr int8::Int8LayerRecord l = QNet::layers[I];
    constexpr Shape in = QNet::Float::plan.layers[I].in;
    std::int8_t* y = buffers.Other(x);
    const std::int8_t* out = y;
    const std::int32_t zero_point = q.activation[I].zero_point;
    if constexpr (l.kind == int8::LayerKind::kConv2d) {
      Conv2dForward<L::geometry(in)>(x, zero_point, q.weights + l.weight_offset,
                                     q.biases + l.channel_offset,
                                     q.requantization + l.channel_offset, y);
    } else if constexpr (l.kind == int8::LayerKind::kLinear) {
      LinearForward<L::geometry(in)>(x, zero_point, q.weights + l.weight_offset,
                                     q.biases + l.channel_offset,
                                     q.requantization[l.channel_offset], y);
    } else if constexpr (l.kind == int8::LayerKind::kMaxPool2d) {
      MaxPool2dForward<int8::TfliteWindow(L::geometry(in))>(x, int8::ActivationClamp{}, y);
    } else if constexpr (l.kind == int8::LayerKind::kAvgPool2d) {
      AvgPool2dForward<int8::TfliteWindow(int8::pool_geometry<L, in>())>(x, int8::ActivationClamp{},
                                                                         y);
    } else if constexpr (l.kind == int8::LayerKind::kMean) {
      MeanForward<in.c, in.h * in.w>(x, zero_point, q.requantization[l.channel_offset], y);
    } else if constexpr (l.kind == int8::LayerKind::kResidual) {
      using Main = typename QNet::template nested_at<I>::main;
      using Shortcut = typename QNet::template nested_at<I>::shortcut;
      std::int8_t* first = buffers.Other(x);
      const Buffers main_buffers{{first, buffers.Other(x, first)}, 2};
      const std::int8_t* main = ForwardFrom<Main, 0>(q.path<int8::IdentityPath>(l), x, main_buffers);
      const std::int8_t* shortcut = x;
      if constexpr (!std::is_same_v<Shortcut, int8::IdentityPath>) {
        const Buffers shortcut_buffer{{buffers.Other(x, main)}, 1};
        shortcut = ForwardFrom<Shortcut, 0>(q.path<Main>(l), x, shortcut_buffer);
      }
      out = y = buffers.Other(main, shortcut);
      AddForward<QNet::Float::plan.layers[I].out.size()>(main, shortcut, q.adds[l.add_index], y);
    } else if constexpr (l.kind == int8::LayerKind::kConcat) {
      // Each branch in the two buffers that hold neither x nor y, its output
      // copied to its channels of y ([C][H][W]: one contiguous run).
      using Nested = typename QNet::template nested_at<I>;
      std::int8_t* first = buffers.Other(x, y);
      const Buffers branch_buffers{{first, buffers.Other(x, y, first)}, 2};
      const int8::ParameterSpan<true> paths = q.paths(l);
      [&]<std::size_t... B>(std::index_sequence<B...>) {
        std::int8_t* channels = y;
        ([&] {
          using Branch = typename Nested::template branch<B>;
          const std::int8_t* branch = ForwardFrom<Branch, 0>(paths.after(Nested::before[B]), x, branch_buffers);
          std::memcpy(channels, branch, Branch::output_shape.size());
          channels += Branch::output_shape.size();
        }(), ...);
      }(std::make_index_sequence<Nested::size>{});
    } else {  // Flatten, Dropout, or an activation fused into the layer before
      out = x;
    }
    return ForwardFrom<QNet, I + 1>(q, out, buffers);
  }
}

}  // namespace int8_kernels

namespace int8_network {
template <class QNet>
const std::int8_t* Forward(const int8::Parameters<QNet>& q, const std::int8_t* x,
                           int8::Workspace<QNet>& ws) {
  int8_kernels::Buffers buffers{{ws.a, ws.b}, 2};
  if constexpr (QNet::concat_count > 0) {
    buffers = {{ws.a, ws.b, ws.c, ws.d}, 4};
  } else if constexpr (QNet::add_count > 0) {
    buffers = {{ws.a, ws.b, ws.c}, 3};
  }
  return int8_kernels::ForwardFrom<QNet, 0>(int8::span_of<QNet>(q), x, buffers);
}
}  // namespace int8_network

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#endif  // STATICNN_INT8_NETWORK_INL_H_
