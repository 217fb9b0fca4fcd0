// Scalar reference Conv2d (the oracle): the definition written as plain loops.
//
//   y[co][oh][ow] = b[co] + sum_{ci in group(co), kh, kw}
//                   w[co][ci][kh][kw] * x[ci][oh*sy - pad_y + kh*dil_y][ow*sx - pad_x + kw*dil_x]
//
// with x read as zero outside the input. Same conventions as the kernels: one
// sample, dx overwritten, dw and db accumulated (+=), b/db unused when !g.bias.
#pragma once

#include "staticnn/geometry.hpp"

namespace staticnn::reference {

// Visits every (output, weight, input) index triple that the convolution sums over,
// once: f(y_index, w_index, x_index). Forward and both backward passes are the
// same visit with a different multiply-add.
template <class F>
void conv2d_for_each_term(const Conv2dGeometry& g, F&& f) {
  const int cin = g.in_per_group(), cout = g.out_per_group();
  for (int co = 0; co < g.out.c; ++co) {
    const int group = co / cout;
    for (int oh = 0; oh < g.out.h; ++oh) {
      for (int ow = 0; ow < g.out.w; ++ow) {
        const int y_index = (co * g.out.h + oh) * g.out.w + ow;
        for (int c = 0; c < cin; ++c) {
          const int ci = group * cin + c;
          for (int kh = 0; kh < g.y.kernel; ++kh) {
            const int ih = oh * g.y.stride - g.y.pad + kh * g.y.dilation;
            if (ih < 0 || ih >= g.in.h) continue;
            for (int kw = 0; kw < g.x.kernel; ++kw) {
              const int iw = ow * g.x.stride - g.x.pad + kw * g.x.dilation;
              if (iw < 0 || iw >= g.in.w) continue;
              const int w_index = ((co * cin + c) * g.y.kernel + kh) * g.x.kernel + kw;
              const int x_index = (ci * g.in.h + ih) * g.in.w + iw;
              f(y_index, w_index, x_index);
            }
          }
        }
      }
    }
  }
}

template <class T>
void conv2d_forward(const Conv2dGeometry& g, const T* x, const T* w, const T* b, T* y) {
  for (int co = 0; co < g.out.c; ++co) {
    for (int i = 0; i < g.out.h * g.out.w; ++i) {
      y[co * g.out.h * g.out.w + i] = g.bias ? b[co] : T(0);
    }
  }
  conv2d_for_each_term(g, [&](int yi, int wi, int xi) { y[yi] += w[wi] * x[xi]; });
}

template <class T>
void conv2d_backward_input(const Conv2dGeometry& g, const T* dy, const T* w, T* dx) {
  for (int i = 0; i < g.in.size(); ++i) dx[i] = T(0);
  conv2d_for_each_term(g, [&](int yi, int wi, int xi) { dx[xi] += w[wi] * dy[yi]; });
}

template <class T>
void conv2d_backward_params(const Conv2dGeometry& g, const T* x, const T* dy, T* dw, T* db) {
  conv2d_for_each_term(g, [&](int yi, int wi, int xi) { dw[wi] += dy[yi] * x[xi]; });
  if (!g.bias) return;
  for (int co = 0; co < g.out.c; ++co) {
    for (int i = 0; i < g.out.h * g.out.w; ++i) db[co] += dy[co * g.out.h * g.out.w + i];
  }
}

}  // namespace staticnn::reference
