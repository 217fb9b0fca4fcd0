// Scalar reference (oracle) for Linear: plain loops, templated on the scalar
// type. x [batch][in], w [out][in], b [out] (or nullptr), y [batch][out].
// dx is overwritten; dw and db are accumulated (+=).
#pragma once

#include "staticnn/geometry.hpp"

namespace staticnn::reference {

template <class T>
void linear_forward(const LinearGeometry& g, int batch, const T* x, const T* w, const T* b, T* y) {
  const int in = g.in_features, out = g.out_features;
  for (int n = 0; n < batch; ++n) {
    for (int o = 0; o < out; ++o) {
      T sum = (g.bias && b != nullptr) ? b[o] : T(0);
      for (int i = 0; i < in; ++i) sum += x[n * in + i] * w[o * in + i];
      y[n * out + o] = sum;
    }
  }
}

// dx = dy w.
template <class T>
void linear_backward_input(const LinearGeometry& g, int batch, const T* dy, const T* w, T* dx) {
  const int in = g.in_features, out = g.out_features;
  for (int n = 0; n < batch; ++n) {
    for (int i = 0; i < in; ++i) {
      T sum = 0;
      for (int o = 0; o < out; ++o) sum += dy[n * out + o] * w[o * in + i];
      dx[n * in + i] = sum;
    }
  }
}

// dw += dy^T x summed over the batch; db += dy summed over the batch.
template <class T>
void linear_backward_params(const LinearGeometry& g, int batch, const T* x, const T* dy, T* dw,
                            T* db) {
  const int in = g.in_features, out = g.out_features;
  for (int o = 0; o < out; ++o) {
    for (int i = 0; i < in; ++i) {
      T sum = 0;
      for (int n = 0; n < batch; ++n) sum += dy[n * out + o] * x[n * in + i];
      dw[o * in + i] += sum;
    }
  }
  if (!g.bias || db == nullptr) return;
  for (int o = 0; o < out; ++o) {
    T sum = 0;
    for (int n = 0; n < batch; ++n) sum += dy[n * out + o];
    db[o] += sum;
  }
}

}  // namespace staticnn::reference
