// Whole-chain oracle: the scalar reference layers (reference/layers.hpp)
// chained by the same chain type, in any scalar type T. The Network's oracle
// is its chain's; blocks use the oracles of their inner chains.
#pragma once

#include <algorithm>
#include <cstddef>
#include <tuple>
#include <utility>
#include <vector>

#include "staticnn/core.hpp"
#include "tests/reference/layers.hpp"

namespace staticnn::reference {

template <class Chain, class T>
struct ChainOracle;

template <Shape In, bool Flat, class... Layers, class T>
struct ChainOracle<detail::Chain<In, Flat, Layers...>, T> {
  using C = detail::Chain<In, Flat, Layers...>;
  int batch;
  // acts[0] is the input, acts[i + 1] the output of layer i; [batch][size].
  std::vector<std::vector<T>> acts;
  std::tuple<Reference<Layers, T>...> layers;

  explicit ChainOracle(int batch_) : batch(batch_) {}

  // Training mode uses batch statistics and updates `buffers`.
  const std::vector<T>& forward(const T* params, T* buffers, const T* x, bool training) {
    acts.assign(1, std::vector<T>(x, x + std::size_t(batch) * In.size()));
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (
          [&] {
            constexpr detail::LayerRecord r = C::plan.layers[I];
            std::vector<T> y(std::size_t(batch) * r.out.size());
            std::get<I>(layers).forward(r.in, batch, params + r.param_offset,
                                        buffers + r.buffer_offset, acts[I].data(), y.data(),
                                        training);
            acts.push_back(std::move(y));
          }(),
          ...);
    }(std::make_index_sequence<C::size>{});
    return acts.back();
  }
  // For chains without buffers.
  const std::vector<T>& forward(const T* params, const T* x) {
    T no_buffers[1] = {};
    return forward(params, no_buffers, x, false);
  }

  // After forward(): adds parameter gradients into grads, writes dx ([batch][in]).
  void backward(const T* params, const T* buffers, const T* dout, T* grads, T* dx) {
    std::vector<T> g(dout, dout + acts.back().size());
    [&]<std::size_t... R>(std::index_sequence<R...>) {
      (
          [&] {
            constexpr std::size_t I = C::size - 1 - R;
            constexpr detail::LayerRecord r = C::plan.layers[I];
            std::vector<T> d(std::size_t(batch) * r.in.size(), T(0));
            std::get<I>(layers).backward(r.in, batch, params + r.param_offset,
                                         buffers + r.buffer_offset, acts[I].data(),
                                         acts[I + 1].data(), g.data(), d.data(),
                                         grads + r.param_offset);
            g = std::move(d);
          }(),
          ...);
    }(std::make_index_sequence<C::size>{});
    std::copy(g.begin(), g.end(), dx);
  }
  void backward(const T* params, const T* dout, T* grads, T* dx) {
    const T no_buffers[1] = {};
    backward(params, no_buffers, dout, grads, dx);
  }
};

template <class Net, class T>
using NetworkOracle = ChainOracle<typename Net::chain, T>;

}  // namespace staticnn::reference
