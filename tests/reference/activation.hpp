// Scalar reference (oracle) for the activations and Softmax: plain loops,
// templated on the scalar type. Backward functions take x and y like the
// kernels; dx is overwritten.
#pragma once

#include <cmath>
#include <cstddef>

#include "staticnn/shape.hpp"

namespace staticnn::reference {

template <class T>
void relu_forward(std::size_t n, const T* x, T* y) {
  for (std::size_t i = 0; i < n; ++i) y[i] = x[i] < T(0) ? T(0) : x[i];
}
template <class T>
void relu_backward(std::size_t n, const T* x, const T* /*y*/, const T* dy, T* dx) {
  for (std::size_t i = 0; i < n; ++i) dx[i] = x[i] > T(0) ? dy[i] : T(0);
}

template <class T>
void leaky_relu_forward(std::size_t n, const T* x, T* y, T negative_slope) {
  for (std::size_t i = 0; i < n; ++i) y[i] = x[i] < T(0) ? negative_slope * x[i] : x[i];
}
template <class T>
void leaky_relu_backward(std::size_t n, const T* x, const T* /*y*/, const T* dy, T* dx,
                         T negative_slope) {
  for (std::size_t i = 0; i < n; ++i) dx[i] = x[i] > T(0) ? dy[i] : negative_slope * dy[i];
}

// Written so that exp never overflows.
template <class T>
void sigmoid_forward(std::size_t n, const T* x, T* y) {
  for (std::size_t i = 0; i < n; ++i) {
    if (x[i] >= T(0)) {
      y[i] = T(1) / (T(1) + std::exp(-x[i]));
    } else {
      const T e = std::exp(x[i]);
      y[i] = e / (T(1) + e);
    }
  }
}
template <class T>
void sigmoid_backward(std::size_t n, const T* /*x*/, const T* y, const T* dy, T* dx) {
  for (std::size_t i = 0; i < n; ++i) dx[i] = dy[i] * y[i] * (T(1) - y[i]);
}

template <class T>
void tanh_forward(std::size_t n, const T* x, T* y) {
  for (std::size_t i = 0; i < n; ++i) y[i] = std::tanh(x[i]);
}
template <class T>
void tanh_backward(std::size_t n, const T* /*x*/, const T* y, const T* dy, T* dx) {
  for (std::size_t i = 0; i < n; ++i) dx[i] = dy[i] * (T(1) - y[i] * y[i]);
}

// Over the channels at each (h, w) of a [C][H][W] sample (torch's dim=1).
template <class T>
void softmax_forward(Shape s, const T* x, T* y) {
  const int plane = s.h * s.w;
  for (int p = 0; p < plane; ++p) {
    T max = x[p];
    for (int c = 1; c < s.c; ++c) max = std::fmax(max, x[c * plane + p]);
    T sum = 0;
    for (int c = 0; c < s.c; ++c) sum += std::exp(x[c * plane + p] - max);
    for (int c = 0; c < s.c; ++c) y[c * plane + p] = std::exp(x[c * plane + p] - max) / sum;
  }
}
// dx = y * (dy - sum_c dy * y) at each position.
template <class T>
void softmax_backward(Shape s, const T* /*x*/, const T* y, const T* dy, T* dx) {
  const int plane = s.h * s.w;
  for (int p = 0; p < plane; ++p) {
    T dot = 0;
    for (int c = 0; c < s.c; ++c) dot += dy[c * plane + p] * y[c * plane + p];
    for (int c = 0; c < s.c; ++c) {
      dx[c * plane + p] = y[c * plane + p] * (dy[c * plane + p] - dot);
    }
  }
}

}  // namespace staticnn::reference
