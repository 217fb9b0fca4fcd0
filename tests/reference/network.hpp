// Whole-list oracle: the scalar reference layers (reference/layers.hpp)
// chained in the order of a list, in any scalar type T, planned at run time
// with the same fold as the Network. The Network's oracle is its list's;
// blocks (reference/blocks.hpp) use the oracles of their inner lists.
#pragma once

#include <algorithm>
#include <cstddef>
#include <tuple>
#include <utility>
#include <vector>

#include "staticnn/core.hpp"
#include "tests/reference/layers.hpp"

namespace staticnn::reference {

template <class T, class... Layers>
struct ListOracle {
  int batch;
  // acts[0] is the input, acts[i + 1] the output of layer i; [batch][size].
  std::vector<std::vector<T>> acts;
  std::tuple<Reference<Layers, T>...> layers;

  explicit ListOracle(int batch_) : batch(batch_) {}

  // Training mode uses batch statistics and updates `buffers`.
  const std::vector<T>& forward(Shape in, const T* params, T* buffers, const T* x, bool training) {
    const auto plan = detail::plan_layers<Layers...>(in, false);
    acts.assign(1, std::vector<T>(x, x + std::size_t(batch) * in.size()));
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (
          [&] {
            const detail::LayerRecord& r = plan.layers[I];
            std::vector<T> y(std::size_t(batch) * r.out.size());
            std::get<I>(layers).forward(r.in, batch, params + r.param_offset,
                                        buffers + r.buffer_offset, acts[I].data(), y.data(),
                                        training);
            acts.push_back(std::move(y));
          }(),
          ...);
    }(std::make_index_sequence<sizeof...(Layers)>{});
    return acts.back();
  }

  // After forward(): adds parameter gradients into grads, writes dx ([batch][in]).
  void backward(Shape in, const T* params, const T* buffers, const T* dout, T* grads, T* dx) {
    const auto plan = detail::plan_layers<Layers...>(in, false);
    std::vector<T> g(dout, dout + acts.back().size());
    [&]<std::size_t... R>(std::index_sequence<R...>) {
      (
          [&] {
            constexpr std::size_t I = sizeof...(Layers) - 1 - R;
            const detail::LayerRecord& r = plan.layers[I];
            std::vector<T> d(std::size_t(batch) * r.in.size(), T(0));
            std::get<I>(layers).backward(r.in, batch, params + r.param_offset,
                                         buffers + r.buffer_offset, acts[I].data(),
                                         acts[I + 1].data(), g.data(), d.data(),
                                         grads + r.param_offset);
            g = std::move(d);
          }(),
          ...);
    }(std::make_index_sequence<sizeof...(Layers)>{});
    std::copy(g.begin(), g.end(), dx);
  }
};

template <class Chain, class T>
struct ChainOracle;
template <Shape In, bool Flat, class... Layers, class T>
struct ChainOracle<detail::Chain<In, Flat, Layers...>, T> : ListOracle<T, Layers...> {
  using ListOracle<T, Layers...>::ListOracle;
  const std::vector<T>& forward(const T* params, T* buffers, const T* x, bool training) {
    return ListOracle<T, Layers...>::forward(In, params, buffers, x, training);
  }
  // For networks without buffers.
  const std::vector<T>& forward(const T* params, const T* x) {
    T no_buffers[1] = {};
    return forward(params, no_buffers, x, false);
  }
  void backward(const T* params, const T* buffers, const T* dout, T* grads, T* dx) {
    ListOracle<T, Layers...>::backward(In, params, buffers, dout, grads, dx);
  }
  void backward(const T* params, const T* dout, T* grads, T* dx) {
    const T no_buffers[1] = {};
    backward(params, no_buffers, dout, grads, dx);
  }
};

template <class Net, class T>
using NetworkOracle = ChainOracle<typename Net::chain, T>;

}  // namespace staticnn::reference

#include "tests/reference/blocks.hpp"
