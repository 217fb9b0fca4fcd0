// Oracles of ReLU6 and Hardswish (MobileNet's activations), with PyTorch's
// gradients at the kinks (kernels/activation-inl.h says which).
#pragma once

#include <cstddef>

#include "tests/reference/layers.hpp"

namespace staticnn::reference {

template <class T>
void relu6_forward(std::size_t n, const T* x, T* y) {
  for (std::size_t i = 0; i < n; ++i) y[i] = x[i] < T(0) ? T(0) : x[i] > T(6) ? T(6) : x[i];
}
// Zero at x <= 0 and x >= 6 (both kinks), as hardtanh_backward.
template <class T>
void relu6_backward(std::size_t n, const T* x, const T*, const T* dy, T* dx) {
  for (std::size_t i = 0; i < n; ++i) dx[i] = x[i] <= T(0) || x[i] >= T(6) ? T(0) : dy[i];
}

template <class T>
void hardswish_forward(std::size_t n, const T* x, T* y) {
  for (std::size_t i = 0; i < n; ++i) {
    const T t = x[i] + T(3);
    y[i] = x[i] * (t < T(0) ? T(0) : t > T(6) ? T(6) : t) / T(6);
  }
}
// -1/2 dy at x = -3, dy at x = 3 (PyTorch's vectorized path).
template <class T>
void hardswish_backward(std::size_t n, const T* x, const T*, const T* dy, T* dx) {
  for (std::size_t i = 0; i < n; ++i) {
    dx[i] = x[i] < T(-3) ? T(0) : x[i] >= T(3) ? dy[i] : dy[i] * (x[i] / T(3) + T(0.5));
  }
}

template <class T>
struct Reference<ReLU6, T> : ElementwiseReference<T, relu6_forward<T>, relu6_backward<T>> {};
template <class T>
struct Reference<Hardswish, T>
    : ElementwiseReference<T, hardswish_forward<T>, hardswish_backward<T>> {};

}  // namespace staticnn::reference
