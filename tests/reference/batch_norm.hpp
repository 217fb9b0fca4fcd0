// Oracles of BatchNorm2d / BatchNorm1d, written from the definitions (PyTorch's
// semantics, layers/batch_norm.hpp) with plain loops in T. The oracle keeps
// the statistics its last forward used, as the layer keeps them in `saved`.
#pragma once

#include <cmath>
#include <cstddef>
#include <vector>

#include "tests/reference/layers.hpp"

namespace staticnn::reference {

template <BatchNormSpec Spec, class T>
struct BatchNormReference {
  std::vector<T> mean, inv_std;  // per channel, from the last forward
  bool batch_stats = false;

  // x[b][c][p]: the value of channel c at position p of sample b.
  void forward(Shape in, int batch, const T* p, T* buffers, const T* x, T* y, bool training) {
    const int C = in.c, P = in.h * in.w;
    const T n = T(batch) * T(P);
    mean.assign(std::size_t(C), T(0));
    inv_std.assign(std::size_t(C), T(0));
    batch_stats = training;
    for (int c = 0; c < C; ++c) {
      T m, var;
      if (training) {
        T sum = 0;
        for (int b = 0; b < batch; ++b)
          for (int i = 0; i < P; ++i) sum += x[(b * C + c) * P + i];
        m = sum / n;
        T sq = 0;
        for (int b = 0; b < batch; ++b)
          for (int i = 0; i < P; ++i) sq += (x[(b * C + c) * P + i] - m) * (x[(b * C + c) * P + i] - m);
        var = sq / n;  // biased: what normalises
        const T momentum = T(Spec.momentum);
        const T unbiased = n > 1 ? var * n / (n - 1) : var;  // what running_var tracks
        buffers[c] = (1 - momentum) * buffers[c] + momentum * m;
        buffers[C + c] = (1 - momentum) * buffers[C + c] + momentum * unbiased;
      } else {
        m = buffers[c];
        var = buffers[C + c];
      }
      mean[std::size_t(c)] = m;
      inv_std[std::size_t(c)] = T(1) / std::sqrt(var + T(Spec.eps));
      const T w = Spec.affine ? p[c] : T(1), bias = Spec.affine ? p[C + c] : T(0);
      for (int b = 0; b < batch; ++b)
        for (int i = 0; i < P; ++i) {
          const int k = (b * C + c) * P + i;
          y[k] = (x[k] - m) * inv_std[std::size_t(c)] * w + bias;
        }
    }
  }

  void backward(Shape in, int batch, const T* p, const T*, const T* x, const T*, const T* dy,
                T* dx, T* grads) {
    const int C = in.c, P = in.h * in.w;
    const T n = T(batch) * T(P);
    for (int c = 0; c < C; ++c) {
      const T m = mean[std::size_t(c)], s = inv_std[std::size_t(c)];
      const T w = Spec.affine ? p[c] : T(1);
      T sum_dy = 0, sum_dy_xhat = 0;
      for (int b = 0; b < batch; ++b)
        for (int i = 0; i < P; ++i) {
          const int k = (b * C + c) * P + i;
          sum_dy += dy[k];
          sum_dy_xhat += dy[k] * (x[k] - m) * s;
        }
      if (Spec.affine) {
        grads[c] += sum_dy_xhat;
        grads[C + c] += sum_dy;
      }
      for (int b = 0; b < batch; ++b)
        for (int i = 0; i < P; ++i) {
          const int k = (b * C + c) * P + i;
          const T xhat = (x[k] - m) * s;
          // Batch statistics depend on x: the full gradient. Running ones are
          // constants: an affine map.
          dx[k] = batch_stats ? w * s * (dy[k] - sum_dy / n - xhat * sum_dy_xhat / n)
                              : w * s * dy[k];
        }
    }
  }
};

template <BatchNormSpec Spec, class T>
struct Reference<BatchNorm2d<Spec>, T> : BatchNormReference<Spec, T> {};
template <BatchNormSpec Spec, class T>
struct Reference<BatchNorm1d<Spec>, T> : BatchNormReference<Spec, T> {};

}  // namespace staticnn::reference
