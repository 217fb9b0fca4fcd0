// The int8 oracle (tests/reference/int8.hpp) against LiteRT's reference int8
// kernels, bit for bit, on the one-operator models of
// tools/make_int8_golden.py (tests/data/int8/*.gold): convolutions (padded,
// strided with TFLite's asymmetric SAME padding, pointwise, depthwise with a
// multiplier), FullyConnected, max and average pooling, add. The
// multipliers are derived here from the stored float scales, as TFLite's
// Prepare derives them, so the test also checks that derivation.
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "staticnn/int8/requantize.hpp"
#include "tests/golden.hpp"
#include "tests/reference/int8.hpp"

namespace staticnn {
namespace {

using golden::File;
using int8::Activation;
using int8::TensorQuantization;

// The golden reader looks under data/golden; the int8 cases live beside it.
File Open(const std::string& name) { return File("../int8/" + name); }

template <class T>
std::vector<T> As(const golden::Tensor& t) {
  return std::vector<T>(t.values.begin(), t.values.end());
}

TensorQuantization Quantization(const File& f, const std::string& tensor) {
  return {f.Scalar(tensor + ".scale"), static_cast<std::int32_t>(f.Scalar(tensor + ".zero_point"))};
}

// TFLite's SAME padding puts the odd pixel at the end: the padding before is
// the floor of half the total.
WindowAxis Axis(int in, int out, int kernel, int stride) {
  const int total = std::max((out - 1) * stride + kernel - in, 0);
  return {.kernel = kernel, .stride = stride, .pad = total / 2};
}

std::vector<int> Dims(const Shape& s) { return {s.c, s.h, s.w}; }

void ExpectBitIdentical(const std::string& name, const std::vector<std::int8_t>& actual,
                        const golden::Tensor& expected) {
  ASSERT_EQ(actual.size(), expected.size()) << name;
  int mismatches = 0;
  for (std::size_t i = 0; i < actual.size(); ++i) {
    if (actual[i] != expected.values[i] && ++mismatches <= 5) {
      ADD_FAILURE() << name << ": y[" << i << "] = " << int{actual[i]} << ", LiteRT "
                    << expected.values[i];
    }
  }
  EXPECT_EQ(mismatches, 0) << name;
}

void CheckConv2d(const std::string& name, Shape in, Shape out, int kernel, int stride,
                 bool depthwise, Activation activation) {
  SCOPED_TRACE(name);
  const File f = Open(name);
  const Conv2dGeometry g{in, out, Axis(in.h, out.h, kernel, stride),
                         Axis(in.w, out.w, kernel, stride), depthwise ? in.c : 1, true};
  const TensorQuantization x_q = Quantization(f, "x"), y_q = Quantization(f, "y");
  const auto x = As<std::int8_t>(f.Get("x", Dims(in)));
  const auto w = As<std::int8_t>(f.Get("w", {out.c, g.in_per_group(), kernel, kernel}));
  const auto b = As<std::int32_t>(f.Get("b", {out.c}));
  const auto& w_scale = f.Get("w.scale", {out.c}).values;
  std::vector<int8::Requantization> requantization;
  for (int c = 0; c < out.c; ++c) {
    requantization.push_back({int8::ConvolutionMultiplier(x_q.scale, w_scale[c], y_q.scale),
                              y_q.zero_point, int8::ActivationRange(activation, y_q)});
  }
  std::vector<std::int8_t> y(out.size());
  reference::int8_conv2d(g, x.data(), x_q.zero_point, w.data(), b.data(), requantization.data(),
                         y.data());
  ExpectBitIdentical(name, y, f.Get("y", Dims(out)));
}

TEST(Int8Golden, Conv2d) {
  CheckConv2d("conv3x3_same_relu6", {3, 9, 7}, {5, 9, 7}, 3, 1, false, Activation::kReLU6);
  CheckConv2d("conv3x3_stride2_same", {4, 8, 8}, {6, 4, 4}, 3, 2, false, Activation::kNone);
  CheckConv2d("conv1x1_relu", {7, 5, 5}, {9, 5, 5}, 1, 1, false, Activation::kReLU);
}

TEST(Int8Golden, DepthwiseConv2d) {
  CheckConv2d("depthwise3x3_same_x2", {3, 7, 6}, {6, 7, 6}, 3, 1, true, Activation::kReLU);
  CheckConv2d("depthwise3x3_stride2_valid", {5, 9, 9}, {5, 4, 4}, 3, 2, true, Activation::kNone);
}

TEST(Int8Golden, Linear) {
  const File f = Open("linear_37x10");
  const LinearGeometry g{37, 10, true};
  const TensorQuantization x_q = Quantization(f, "x"), y_q = Quantization(f, "y");
  const auto x = As<std::int8_t>(f.Get("x", {37}));
  const auto w = As<std::int8_t>(f.Get("w", {10, 37}));
  const auto b = As<std::int32_t>(f.Get("b", {10}));
  const float w_scale = f.Get("w.scale", {1}).values[0];
  const std::vector<int8::Requantization> requantization(
      10, {int8::FullyConnectedMultiplier(x_q.scale, w_scale, y_q.scale), y_q.zero_point, {}});
  std::vector<std::int8_t> y(10);
  reference::int8_linear(g, x.data(), x_q.zero_point, w.data(), b.data(), requantization.data(),
                         y.data());
  ExpectBitIdentical("linear_37x10", y, f.Get("y", {10}));
}

void CheckPool2d(const std::string& name, bool max, Shape in, Shape out, int kernel, int stride,
                 Activation activation) {
  SCOPED_TRACE(name);
  const File f = Open(name);
  const Pool2dGeometry g{in, out, Axis(in.h, out.h, kernel, stride),
                         Axis(in.w, out.w, kernel, stride), false};
  const auto x = As<std::int8_t>(f.Get("x", Dims(in)));
  const int8::ActivationClamp clamp = int8::ActivationRange(activation, Quantization(f, "y"));
  std::vector<std::int8_t> y(out.size());
  (max ? reference::int8_max_pool2d : reference::int8_avg_pool2d)(g, x.data(), clamp, y.data());
  ExpectBitIdentical(name, y, f.Get("y", Dims(out)));
}

TEST(Int8Golden, Pool2d) {
  CheckPool2d("max_pool2x2", true, {3, 8, 6}, {3, 4, 3}, 2, 2, Activation::kNone);
  CheckPool2d("avg_pool3x3_same", false, {4, 7, 5}, {4, 7, 5}, 3, 1, Activation::kNone);
  CheckPool2d("avg_pool2x2_relu", false, {3, 6, 6}, {3, 3, 3}, 2, 2, Activation::kReLU);
}

TEST(Int8Golden, Add) {
  const File f = Open("add_relu");
  const std::vector<int> dims{3, 5, 4};
  const auto a = As<std::int8_t>(f.Get("x", dims));
  const auto b = As<std::int8_t>(f.Get("x2", dims));
  const int8::AddRequantization r = int8::AddParameters(
      Quantization(f, "x"), Quantization(f, "x2"), Quantization(f, "y"), Activation::kReLU);
  std::vector<std::int8_t> y(a.size());
  reference::int8_add(static_cast<int>(a.size()), a.data(), b.data(), r, y.data());
  ExpectBitIdentical("add_relu", y, f.Get("y", dims));
}

}  // namespace
}  // namespace staticnn
