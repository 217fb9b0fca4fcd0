// Scalar reference (oracle) of TFLite's reference int8 kernels
// (reference_integer_ops: ConvPerChannel, DepthwiseConvPerChannel,
// FullyConnected, MaxPool, AveragePool, AddElementwise), one small function
// each, in staticnn's layouts: activations [C][H][W] for one sample, weights
// as PyTorch stores them ([out][in / groups][kh][kw], [out][in]). A depthwise
// convolution is a grouped one with groups == in.c (TFLite's output channel
// ic * multiplier + m is PyTorch's group ic). tools/make_int8_golden.py
// transposes to TFLite's NHWC/OHWI/1HWO when it writes the .tflite files.
//
// Every output is the int32 sum requantized by its output channel's
// Requantization (int8/requantize.hpp); weights are symmetric (no zero point),
// the input's zero point is subtracted from every input that lies inside the
// input (padding contributes real zero, as in TFLite).
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "staticnn/geometry.hpp"
#include "staticnn/int8/requantize.hpp"
#include "tests/reference/conv2d.hpp"
#include "tests/reference/pool2d.hpp"

namespace staticnn::reference {

// Convolution, grouped or not (pointwise and depthwise included).
// requantization[co] holds output channel co's multiplier.
inline void int8_conv2d(const Conv2dGeometry& g, const std::int8_t* x, std::int32_t input_zero_point,
                        const std::int8_t* w, const std::int32_t* b,
                        const int8::Requantization* requantization, std::int8_t* y) {
  const int plane = g.out.h * g.out.w;
  std::vector<std::int32_t> sum(static_cast<std::size_t>(g.out.size()));
  for (int i = 0; i < g.out.size(); ++i) sum[i] = g.bias ? b[i / plane] : 0;
  conv2d_for_each_term(g, [&](int yi, int wi, int xi) {
    sum[yi] += std::int32_t{w[wi]} * (std::int32_t{x[xi]} - input_zero_point);
  });
  for (int i = 0; i < g.out.size(); ++i) y[i] = int8::Requantize(sum[i], requantization[i / plane]);
}

// Linear (TFLite's FullyConnected): x [in], w [out][in].
inline void int8_linear(const LinearGeometry& g, const std::int8_t* x, std::int32_t input_zero_point,
                        const std::int8_t* w, const std::int32_t* b,
                        const int8::Requantization* requantization, std::int8_t* y) {
  for (int o = 0; o < g.out_features; ++o) {
    std::int32_t sum = g.bias ? b[o] : 0;
    for (int i = 0; i < g.in_features; ++i) {
      sum += std::int32_t{w[o * g.in_features + i]} * (std::int32_t{x[i]} - input_zero_point);
    }
    y[o] = int8::RequantizeFullyConnected(sum, requantization[o]);
  }
}

// Max pooling over the window's positions inside the input; the output keeps
// the input's quantization, then the activation clamp.
inline void int8_max_pool2d(const Pool2dGeometry& g, const std::int8_t* x,
                            int8::ActivationClamp clamp, std::int8_t* y) {
  for (int c = 0; c < g.out.c; ++c) {
    const std::int8_t* plane = x + c * g.in.h * g.in.w;
    for (int oy = 0; oy < g.out.h; ++oy) {
      for (int ox = 0; ox < g.out.w; ++ox) {
        const std::int32_t max = plane[pool2d_detail::argmax(g, plane, oy, ox)];
        y[(c * g.out.h + oy) * g.out.w + ox] =
            static_cast<std::int8_t>(std::clamp(max, clamp.min, clamp.max));
      }
    }
  }
}

// Average pooling over the positions inside the input (TFLite never counts
// padding), the quotient rounded half away from zero as TFLite does:
// (sum +- count / 2) / count with a truncating division.
inline void int8_avg_pool2d(const Pool2dGeometry& g, const std::int8_t* x,
                            int8::ActivationClamp clamp, std::int8_t* y) {
  for (int c = 0; c < g.out.c; ++c) {
    const std::int8_t* plane = x + c * g.in.h * g.in.w;
    for (int oy = 0; oy < g.out.h; ++oy) {
      for (int ox = 0; ox < g.out.w; ++ox) {
        const auto wy = pool2d_detail::window(g.y, g.in.h, oy);
        const auto wx = pool2d_detail::window(g.x, g.in.w, ox);
        std::int32_t sum = 0;
        for (int iy = wy.begin; iy < wy.end; ++iy) {
          for (int ix = wx.begin; ix < wx.end; ++ix) sum += plane[iy * g.in.w + ix];
        }
        const std::int32_t count = (wy.end - wy.begin) * (wx.end - wx.begin);
        const std::int32_t average = (sum + (sum > 0 ? count / 2 : -(count / 2))) / count;
        y[(c * g.out.h + oy) * g.out.w + ox] =
            static_cast<std::int8_t>(std::clamp(average, clamp.min, clamp.max));
      }
    }
  }
}

// Elementwise add of two int8 tensors with their own quantizations (TFLite's
// AddElementwise): each input, offset and shifted left by 20 bits, is scaled
// to the common scale 2 * max(scale_a, scale_b); the sum is scaled to the
// output's.
inline void int8_add(int n, const std::int8_t* a, const std::int8_t* b,
                     const int8::AddRequantization& r, std::int8_t* y) {
  using int8::MultiplyByQuantizedMultiplier;
  for (int i = 0; i < n; ++i) {
    const std::int32_t a_shifted = (std::int32_t{a[i]} - r.a_zero_point) * (1 << r.left_shift);
    const std::int32_t b_shifted = (std::int32_t{b[i]} - r.b_zero_point) * (1 << r.left_shift);
    const std::int32_t sum = MultiplyByQuantizedMultiplier(a_shifted, r.a_scale) +
                             MultiplyByQuantizedMultiplier(b_shifted, r.b_scale);
    y[i] = int8::Requantize(sum, r.output);
  }
}

}  // namespace staticnn::reference
