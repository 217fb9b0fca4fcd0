// Scalar reference (oracle) for pooling: plain loops in PyTorch's semantics,
// templated on the scalar type so that its gradients can be checked by finite
// differences in double. Layout [C][H][W] for one sample. Input gradients are
// overwritten.
#pragma once

#include <algorithm>
#include <limits>

#include "staticnn/geometry.hpp"
#include "staticnn/shape.hpp"

namespace staticnn::reference {

namespace pool2d_detail {

// First input index and the [begin, end) of real inputs of window `o`.
struct Window {
  int first, begin, end;
};
inline Window window(const WindowAxis& a, int size, int o) {
  const int first = o * a.stride - a.pad;
  return {first, std::max(first, 0), std::min(first + a.kernel, size)};
}

// Average pooling's divisor of output (oy, ox).
inline int avg_divisor(const Pool2dGeometry& g, int oy, int ox) {
  const auto count = [&](const WindowAxis& a, int size, int o) {
    const int first = o * a.stride - a.pad;
    const int lo = g.count_include_pad ? -a.pad : 0;
    const int hi = g.count_include_pad ? size + a.pad : size;
    return std::min(first + a.kernel, hi) - std::max(first, lo);
  };
  return count(g.y, g.in.h, oy) * count(g.x, g.in.w, ox);
}

// Index into the input plane of the first maximum of window (oy, ox) in
// row-major order, over real positions only; -1 for a window without any.
template <class T>
int argmax(const Pool2dGeometry& g, const T* plane, int oy, int ox) {
  const Window wy = window(g.y, g.in.h, oy), wx = window(g.x, g.in.w, ox);
  int best = -1;
  for (int iy = wy.begin; iy < wy.end; ++iy) {
    for (int ix = wx.begin; ix < wx.end; ++ix) {
      const int i = iy * g.in.w + ix;
      if (best < 0 || plane[i] > plane[best]) best = i;
    }
  }
  return best;
}

}  // namespace pool2d_detail

template <class T>
void max_pool2d_forward(const Pool2dGeometry& g, const T* x, T* y) {
  for (int c = 0; c < g.out.c; ++c) {
    const T* plane = x + c * g.in.h * g.in.w;
    for (int oy = 0; oy < g.out.h; ++oy) {
      for (int ox = 0; ox < g.out.w; ++ox) {
        const int i = pool2d_detail::argmax(g, plane, oy, ox);
        y[(c * g.out.h + oy) * g.out.w + ox] = i < 0 ? -std::numeric_limits<T>::infinity() : plane[i];
      }
    }
  }
}

template <class T>
void max_pool2d_backward(const Pool2dGeometry& g, const T* x, const T* dy, T* dx) {
  std::fill(dx, dx + g.in.size(), T(0));
  for (int c = 0; c < g.out.c; ++c) {
    const int offset = c * g.in.h * g.in.w;
    for (int oy = 0; oy < g.out.h; ++oy) {
      for (int ox = 0; ox < g.out.w; ++ox) {
        const int i = pool2d_detail::argmax(g, x + offset, oy, ox);
        if (i >= 0) dx[offset + i] += dy[(c * g.out.h + oy) * g.out.w + ox];
      }
    }
  }
}

template <class T>
void avg_pool2d_forward(const Pool2dGeometry& g, const T* x, T* y) {
  for (int c = 0; c < g.out.c; ++c) {
    const T* plane = x + c * g.in.h * g.in.w;
    for (int oy = 0; oy < g.out.h; ++oy) {
      for (int ox = 0; ox < g.out.w; ++ox) {
        const auto wy = pool2d_detail::window(g.y, g.in.h, oy);
        const auto wx = pool2d_detail::window(g.x, g.in.w, ox);
        T sum = 0;
        for (int iy = wy.begin; iy < wy.end; ++iy) {
          for (int ix = wx.begin; ix < wx.end; ++ix) sum += plane[iy * g.in.w + ix];
        }
        y[(c * g.out.h + oy) * g.out.w + ox] = sum / T(pool2d_detail::avg_divisor(g, oy, ox));
      }
    }
  }
}

template <class T>
void avg_pool2d_backward(const Pool2dGeometry& g, const T* dy, T* dx) {
  std::fill(dx, dx + g.in.size(), T(0));
  for (int c = 0; c < g.out.c; ++c) {
    T* plane = dx + c * g.in.h * g.in.w;
    for (int oy = 0; oy < g.out.h; ++oy) {
      for (int ox = 0; ox < g.out.w; ++ox) {
        const auto wy = pool2d_detail::window(g.y, g.in.h, oy);
        const auto wx = pool2d_detail::window(g.x, g.in.w, ox);
        const T share = dy[(c * g.out.h + oy) * g.out.w + ox] /
                        T(pool2d_detail::avg_divisor(g, oy, ox));
        for (int iy = wy.begin; iy < wy.end; ++iy) {
          for (int ix = wx.begin; ix < wx.end; ++ix) plane[iy * g.in.w + ix] += share;
        }
      }
    }
  }
}

// [C][H][W] -> [C]: the mean of each plane.
template <class T>
void global_avg_pool2d_forward(Shape in, const T* x, T* y) {
  const int plane = in.h * in.w;
  for (int c = 0; c < in.c; ++c) {
    T sum = 0;
    for (int i = 0; i < plane; ++i) sum += x[c * plane + i];
    y[c] = sum / T(plane);
  }
}

template <class T>
void global_avg_pool2d_backward(Shape in, const T* dy, T* dx) {
  const int plane = in.h * in.w;
  for (int c = 0; c < in.c; ++c) {
    for (int i = 0; i < plane; ++i) dx[c * plane + i] = dy[c] / T(plane);
  }
}

}  // namespace staticnn::reference
