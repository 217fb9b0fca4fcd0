// Reference<Layer, T>: the scalar oracle of one layer, in any scalar type T
// (double for finite differences). A layer of one's own specializes it next to
// its kernel; blocks hold the oracles of their inner chains. Plain loops and
// std::vector: a test oracle, not a product.
//
//   void forward(Shape in, int batch, const T* params, T* buffers, const T* x, T* y, bool training);
//   void backward(Shape in, int batch, const T* params, const T* buffers, const T* x, const T* y,
//                 const T* dy, T* dx, T* grads);   // dx written, grads added to
#pragma once

#include <cstddef>

#include "staticnn/core.hpp"
#include "tests/reference/activation.hpp"
#include "tests/reference/conv2d.hpp"
#include "tests/reference/linear.hpp"
#include "tests/reference/pool2d.hpp"

namespace staticnn::reference {

template <class Layer, class T>
struct Reference;

// Per-sample reference functions applied to each sample of the batch.
template <class F>
void per_sample(int batch, F&& f) {
  for (int b = 0; b < batch; ++b) f(b);
}

template <Conv2dSpec Spec, class T>
struct Reference<Conv2d<Spec>, T> {
  void forward(Shape in, int batch, const T* p, T*, const T* x, T* y, bool) {
    const Conv2dGeometry g = Conv2d<Spec>::geometry(in);
    per_sample(batch, [&](int b) {
      conv2d_forward(g, x + b * g.in.size(), p, g.bias ? p + g.weight_count() : nullptr,
                     y + b * g.out.size());
    });
  }
  void backward(Shape in, int batch, const T* p, const T*, const T* x, const T*, const T* dy, T* dx,
                T* grads) {
    const Conv2dGeometry g = Conv2d<Spec>::geometry(in);
    per_sample(batch, [&](int b) {
      conv2d_backward_params(g, x + b * g.in.size(), dy + b * g.out.size(), grads,
                             g.bias ? grads + g.weight_count() : nullptr);
      conv2d_backward_input(g, dy + b * g.out.size(), p, dx + b * g.in.size());
    });
  }
};

template <LinearSpec Spec, class T>
struct Reference<Linear<Spec>, T> {
  void forward(Shape in, int batch, const T* p, T*, const T* x, T* y, bool) {
    const LinearGeometry g = Linear<Spec>::geometry(in);
    linear_forward(g, batch, x, p, g.bias ? p + g.weight_count() : nullptr, y);
  }
  void backward(Shape in, int batch, const T* p, const T*, const T* x, const T*, const T* dy, T* dx,
                T* grads) {
    const LinearGeometry g = Linear<Spec>::geometry(in);
    linear_backward_params(g, batch, x, dy, grads, g.bias ? grads + g.weight_count() : nullptr);
    linear_backward_input(g, batch, dy, p, dx);
  }
};

template <class T>
struct Reference<Flatten, T> {
  void forward(Shape in, int batch, const T*, T*, const T* x, T* y, bool) {
    for (int i = 0; i < batch * in.size(); ++i) y[i] = x[i];
  }
  void backward(Shape in, int batch, const T*, const T*, const T*, const T*, const T* dy, T* dx,
                T*) {
    for (int i = 0; i < batch * in.size(); ++i) dx[i] = dy[i];
  }
};

template <Pool2dSpec Spec, class T>
struct Reference<MaxPool2d<Spec>, T> {
  void forward(Shape in, int batch, const T*, T*, const T* x, T* y, bool) {
    const Pool2dGeometry g = MaxPool2d<Spec>::geometry(in);
    per_sample(batch, [&](int b) { max_pool2d_forward(g, x + b * g.in.size(), y + b * g.out.size()); });
  }
  void backward(Shape in, int batch, const T*, const T*, const T* x, const T*, const T* dy, T* dx,
                T*) {
    const Pool2dGeometry g = MaxPool2d<Spec>::geometry(in);
    per_sample(batch, [&](int b) {
      max_pool2d_backward(g, x + b * g.in.size(), dy + b * g.out.size(), dx + b * g.in.size());
    });
  }
};

template <Pool2dSpec Spec, class T>
struct Reference<AvgPool2d<Spec>, T> {
  void forward(Shape in, int batch, const T*, T*, const T* x, T* y, bool) {
    const Pool2dGeometry g = AvgPool2d<Spec>::geometry(in);
    per_sample(batch, [&](int b) { avg_pool2d_forward(g, x + b * g.in.size(), y + b * g.out.size()); });
  }
  void backward(Shape in, int batch, const T*, const T*, const T*, const T*, const T* dy, T* dx, T*) {
    const Pool2dGeometry g = AvgPool2d<Spec>::geometry(in);
    per_sample(batch, [&](int b) {
      avg_pool2d_backward(g, dy + b * g.out.size(), dx + b * g.in.size());
    });
  }
};

template <class T>
struct Reference<GlobalAvgPool2d, T> {
  void forward(Shape in, int batch, const T*, T*, const T* x, T* y, bool) {
    per_sample(batch, [&](int b) { global_avg_pool2d_forward(in, x + b * in.size(), y + b * in.c); });
  }
  void backward(Shape in, int batch, const T*, const T*, const T*, const T*, const T* dy, T* dx, T*) {
    per_sample(batch, [&](int b) { global_avg_pool2d_backward(in, dy + b * in.c, dx + b * in.size()); });
  }
};

template <class T>
struct Reference<Softmax, T> {
  void forward(Shape in, int batch, const T*, T*, const T* x, T* y, bool) {
    per_sample(batch, [&](int b) { softmax_forward(in, x + b * in.size(), y + b * in.size()); });
  }
  void backward(Shape in, int batch, const T*, const T*, const T* x, const T* y, const T* dy, T* dx,
                T*) {
    per_sample(batch, [&](int b) {
      const int o = b * in.size();
      softmax_backward(in, x + o, y + o, dy + o, dx + o);
    });
  }
};

// Element-wise activations: f(n, x, y) and df(n, x, y, dy, dx) over the batch.
template <class T, auto Forward, auto Backward>
struct ElementwiseReference {
  void forward(Shape in, int batch, const T*, T*, const T* x, T* y, bool) {
    Forward(std::size_t(batch) * in.size(), x, y);
  }
  void backward(Shape in, int batch, const T*, const T*, const T* x, const T* y, const T* dy, T* dx,
                T*) {
    Backward(std::size_t(batch) * in.size(), x, y, dy, dx);
  }
};

template <class T>
struct Reference<ReLU, T> : ElementwiseReference<T, relu_forward<T>, relu_backward<T>> {};
template <class T>
struct Reference<Sigmoid, T> : ElementwiseReference<T, sigmoid_forward<T>, sigmoid_backward<T>> {};
template <class T>
struct Reference<Tanh, T> : ElementwiseReference<T, tanh_forward<T>, tanh_backward<T>> {};

template <LeakyReLUSpec Spec, class T>
struct Reference<LeakyReLU<Spec>, T> {
  void forward(Shape in, int batch, const T*, T*, const T* x, T* y, bool) {
    leaky_relu_forward(std::size_t(batch) * in.size(), x, y, T(Spec.negative_slope));
  }
  void backward(Shape in, int batch, const T*, const T*, const T* x, const T* y, const T* dy, T* dx,
                T*) {
    leaky_relu_backward(std::size_t(batch) * in.size(), x, y, dy, dx, T(Spec.negative_slope));
  }
};

}  // namespace staticnn::reference

// Oracles of further layers, in their own headers (each includes this one).
#include "tests/reference/batch_norm.hpp"
#include "tests/reference/dropout.hpp"
#include "tests/reference/mobile_activations.hpp"
