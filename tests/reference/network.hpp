// Whole-network oracle: the scalar reference layers chained by the same
// network type, in any scalar type T (double for finite differences). Plain
// loops and std::vector; it is a test oracle, not a product.
#pragma once

#include <algorithm>
#include <cstddef>
#include <utility>
#include <vector>

#include "staticnn/core.hpp"
#include "tests/reference/activation.hpp"
#include "tests/reference/conv2d.hpp"
#include "tests/reference/linear.hpp"
#include "tests/reference/pool2d.hpp"

namespace staticnn::reference {

template <class Net, class T>
struct NetworkOracle {
  int batch;
  // acts[0] is the input, acts[i + 1] the output of layer i; [batch][size].
  std::vector<std::vector<T>> acts;

  explicit NetworkOracle(int batch_) : batch(batch_) {}

  template <std::size_t I>
  static const T* weight(const T* params) { return params + Net::template param_offset<I>; }
  template <std::size_t I>
  static constexpr bool has_bias() {
    return Net::template layer_params<I> > weight_count<Net, I>();
  }
  template <std::size_t I>
  static const T* bias(const T* params) {
    return has_bias<I>() ? weight<I>(params) + weight_count<Net, I>() : nullptr;
  }

  const std::vector<T>& forward(const T* params, const T* x) {
    constexpr Shape in = Net::input_shape;
    acts.assign(1, std::vector<T>(x, x + std::size_t(batch) * in.size()));
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (forward_layer<I>(params), ...);
    }(std::make_index_sequence<Net::layer_count>{});
    return acts.back();
  }

  template <std::size_t I>
  void forward_layer(const T* params) {
    using L = typename Net::template layer<I>;
    constexpr Shape si = Net::plan.layers[I].in, so = Net::plan.layers[I].out;
    const std::vector<T>& x = acts[I];
    std::vector<T> y(std::size_t(batch) * so.size());
    const int n = batch * si.size();
    for (int b = 0; b < batch; ++b) {
      const T* xb = x.data() + b * si.size();
      T* yb = y.data() + b * so.size();
      if constexpr (L::kind == LayerKind::conv2d) {
        conv2d_forward(L::geometry(si), xb, weight<I>(params), bias<I>(params), yb);
      } else if constexpr (L::kind == LayerKind::max_pool2d) {
        max_pool2d_forward(L::geometry(si), xb, yb);
      } else if constexpr (L::kind == LayerKind::avg_pool2d) {
        avg_pool2d_forward(L::geometry(si), xb, yb);
      } else if constexpr (L::kind == LayerKind::global_avg_pool2d) {
        global_avg_pool2d_forward(si, xb, yb);
      } else if constexpr (L::kind == LayerKind::softmax) {
        softmax_forward(si, xb, yb);
      }
    }
    if constexpr (L::kind == LayerKind::linear) {
      linear_forward(L::geometry(si), batch, x.data(), weight<I>(params), bias<I>(params),
                     y.data());
    } else if constexpr (L::kind == LayerKind::flatten) {
      y = x;
    } else if constexpr (L::kind == LayerKind::relu) {
      relu_forward(n, x.data(), y.data());
    } else if constexpr (L::kind == LayerKind::leaky_relu) {
      leaky_relu_forward(n, x.data(), y.data(), T(L::spec.negative_slope));
    } else if constexpr (L::kind == LayerKind::sigmoid) {
      sigmoid_forward(n, x.data(), y.data());
    } else if constexpr (L::kind == LayerKind::tanh) {
      tanh_forward(n, x.data(), y.data());
    }
    acts.push_back(std::move(y));
  }

  // After forward(): adds parameter gradients into grads, writes dx ([batch][in]).
  void backward(const T* params, const T* dout, T* grads, T* dx) {
    std::vector<T> g(dout, dout + acts.back().size());
    [&]<std::size_t... R>(std::index_sequence<R...>) {
      (backward_layer<Net::layer_count - 1 - R>(params, g, grads), ...);
    }(std::make_index_sequence<Net::layer_count>{});
    std::copy(g.begin(), g.end(), dx);
  }

  template <std::size_t I>
  void backward_layer(const T* params, std::vector<T>& g, T* grads) {
    using L = typename Net::template layer<I>;
    constexpr Shape si = Net::plan.layers[I].in, so = Net::plan.layers[I].out;
    const std::vector<T>& x = acts[I];
    const std::vector<T>& y = acts[I + 1];
    std::vector<T> dx(std::size_t(batch) * si.size());
    const int n = batch * si.size();
    T* gw = grads + Net::template param_offset<I>;
    T* gb = has_bias<I>() ? gw + weight_count<Net, I>() : nullptr;
    for (int b = 0; b < batch; ++b) {
      const T* xb = x.data() + b * si.size();
      const T* yb = y.data() + b * so.size();
      const T* gyb = g.data() + b * so.size();
      T* dxb = dx.data() + b * si.size();
      if constexpr (L::kind == LayerKind::conv2d) {
        conv2d_backward_params(L::geometry(si), xb, gyb, gw, gb);
        conv2d_backward_input(L::geometry(si), gyb, weight<I>(params), dxb);
      } else if constexpr (L::kind == LayerKind::max_pool2d) {
        max_pool2d_backward(L::geometry(si), xb, gyb, dxb);
      } else if constexpr (L::kind == LayerKind::avg_pool2d) {
        avg_pool2d_backward(L::geometry(si), gyb, dxb);
      } else if constexpr (L::kind == LayerKind::global_avg_pool2d) {
        global_avg_pool2d_backward(si, gyb, dxb);
      } else if constexpr (L::kind == LayerKind::softmax) {
        softmax_backward(si, xb, yb, gyb, dxb);
      }
    }
    if constexpr (L::kind == LayerKind::linear) {
      linear_backward_params(L::geometry(si), batch, x.data(), g.data(), gw, gb);
      linear_backward_input(L::geometry(si), batch, g.data(), weight<I>(params), dx.data());
    } else if constexpr (L::kind == LayerKind::flatten) {
      dx = g;
    } else if constexpr (L::kind == LayerKind::relu) {
      relu_backward(n, x.data(), y.data(), g.data(), dx.data());
    } else if constexpr (L::kind == LayerKind::leaky_relu) {
      leaky_relu_backward(n, x.data(), y.data(), g.data(), dx.data(), T(L::spec.negative_slope));
    } else if constexpr (L::kind == LayerKind::sigmoid) {
      sigmoid_backward(n, x.data(), y.data(), g.data(), dx.data());
    } else if constexpr (L::kind == LayerKind::tanh) {
      tanh_backward(n, x.data(), y.data(), g.data(), dx.data());
    }
    g = std::move(dx);
  }
};

}  // namespace staticnn::reference
