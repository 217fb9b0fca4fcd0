// LiteRT's reference int8 kernels against staticnn, bit for bit, on the
// one-operator models of tools/make_int8_golden.py (tests/data/int8/*.gold):
// convolutions (padded, strided with TFLite's asymmetric SAME padding,
// pointwise, depthwise with a multiplier), FullyConnected, max and average
// pooling, add. Each case checks the scalar oracle (tests/reference/int8.hpp)
// and the Highway kernel (include/staticnn/int8/*-inl.h) of every target.
// The multipliers are derived here from the stored float scales, as TFLite's
// Prepare derives them, so the test also checks that derivation.
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "tests/golden_int8_test.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "hwy/tests/test_util-inl.h"
#include "staticnn/int8/add-inl.h"
#include "staticnn/int8/conv2d-inl.h"
#include "staticnn/int8/linear-inl.h"
#include "staticnn/int8/pool2d-inl.h"
#include "staticnn/int8/requantize.hpp"
#include "tests/golden.hpp"
#include "tests/reference/int8.hpp"

// Target-independent helpers, compiled once.
#ifndef STATICNN_TESTS_INT8_GOLDEN_TEST_ONCE_
#define STATICNN_TESTS_INT8_GOLDEN_TEST_ONCE_
namespace staticnn::int8_golden_test {

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
constexpr WindowAxis Axis(int in, int out, int kernel, int stride) {
  const int total = std::max((out - 1) * stride + kernel - in, 0);
  return {.kernel = kernel, .stride = stride, .pad = total / 2};
}

std::vector<int> Dims(const Shape& s) { return {s.c, s.h, s.w}; }

void ExpectBitIdentical(const std::string& what, const std::vector<std::int8_t>& actual,
                        const golden::Tensor& expected) {
  ASSERT_EQ(actual.size(), expected.size()) << what;
  int mismatches = 0;
  for (std::size_t i = 0; i < actual.size(); ++i) {
    if (actual[i] != expected.values[i] && ++mismatches <= 5) {
      ADD_FAILURE() << what << ": y[" << i << "] = " << int{actual[i]} << ", LiteRT "
                    << expected.values[i];
    }
  }
  EXPECT_EQ(mismatches, 0) << what;
}

// A convolution or Linear case: int8 tensors, and one Requantization per
// output channel derived from the scales.
struct WeightedCase {
  std::vector<std::int8_t> x, w;
  std::vector<std::int32_t> b;
  std::int32_t x_zero_point;
  std::vector<int8::Requantization> requantization;
};

WeightedCase LoadConv2d(const File& f, const Conv2dGeometry& g, Activation activation) {
  const TensorQuantization x_q = Quantization(f, "x"), y_q = Quantization(f, "y");
  const int k = g.y.kernel;
  WeightedCase c{As<std::int8_t>(f.Get("x", Dims(g.in))),
                 As<std::int8_t>(f.Get("w", {g.out.c, g.in_per_group(), k, k})),
                 As<std::int32_t>(f.Get("b", {g.out.c})), x_q.zero_point, {}};
  const auto& w_scale = f.Get("w.scale", {g.out.c}).values;
  for (int o = 0; o < g.out.c; ++o) {
    c.requantization.push_back({int8::ConvolutionMultiplier(x_q.scale, w_scale[o], y_q.scale),
                                y_q.zero_point, int8::ActivationRange(activation, y_q)});
  }
  return c;
}

WeightedCase LoadLinear(const File& f, const LinearGeometry& g) {
  const TensorQuantization x_q = Quantization(f, "x"), y_q = Quantization(f, "y");
  const float w_scale = f.Get("w.scale", {1}).values[0];
  const int8::Requantization r{int8::FullyConnectedMultiplier(x_q.scale, w_scale, y_q.scale),
                               y_q.zero_point, {}};
  return {As<std::int8_t>(f.Get("x", {g.in_features})),
          As<std::int8_t>(f.Get("w", {g.out_features, g.in_features})),
          As<std::int32_t>(f.Get("b", {g.out_features})), x_q.zero_point,
          std::vector<int8::Requantization>(g.out_features, r)};
}

}  // namespace staticnn::int8_golden_test
#endif  // STATICNN_TESTS_INT8_GOLDEN_TEST_ONCE_

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {
namespace {

using namespace int8_golden_test;  // NOLINT(build/namespaces): test helpers

template <Conv2dGeometry G>
void CheckConv2d(const std::string& name, Activation activation) {
  const File f = Open(name);
  const WeightedCase c = LoadConv2d(f, G, activation);
  const golden::Tensor& expected = f.Get("y", Dims(G.out));
  std::vector<std::int8_t> y(G.out.size());
  reference::int8_conv2d(G, c.x.data(), c.x_zero_point, c.w.data(), c.b.data(),
                         c.requantization.data(), y.data());
  ExpectBitIdentical(name + " (oracle)", y, expected);
  int8_kernels::Conv2dForward<G>(c.x.data(), c.x_zero_point, c.w.data(), c.b.data(),
                                 c.requantization.data(), y.data());
  ExpectBitIdentical(name + " (kernel)", y, expected);
}

void TestConv2d() {
  CheckConv2d<Conv2dGeometry{{3, 9, 7}, {5, 9, 7}, Axis(9, 9, 3, 1), Axis(7, 7, 3, 1)}>(
      "conv3x3_same_relu6", Activation::kReLU6);
  CheckConv2d<Conv2dGeometry{{4, 8, 8}, {6, 4, 4}, Axis(8, 4, 3, 2), Axis(8, 4, 3, 2)}>(
      "conv3x3_stride2_same", Activation::kNone);
  CheckConv2d<Conv2dGeometry{{7, 5, 5}, {9, 5, 5}, Axis(5, 5, 1, 1), Axis(5, 5, 1, 1)}>(
      "conv1x1_relu", Activation::kReLU);
  CheckConv2d<Conv2dGeometry{{3, 7, 6}, {6, 7, 6}, Axis(7, 7, 3, 1), Axis(6, 6, 3, 1), 3}>(
      "depthwise3x3_same_x2", Activation::kReLU);
  CheckConv2d<Conv2dGeometry{{5, 9, 9}, {5, 4, 4}, Axis(9, 4, 3, 2), Axis(9, 4, 3, 2), 5}>(
      "depthwise3x3_stride2_valid", Activation::kNone);
}

template <LinearGeometry G>
void CheckLinear(const std::string& name) {
  const File f = Open(name);
  const WeightedCase c = LoadLinear(f, G);
  const golden::Tensor& expected = f.Get("y", {G.out_features});
  std::vector<std::int8_t> y(G.out_features);
  reference::int8_linear(G, c.x.data(), c.x_zero_point, c.w.data(), c.b.data(),
                         c.requantization.data(), y.data());
  ExpectBitIdentical(name + " (oracle)", y, expected);
  int8_kernels::LinearForward<G>(c.x.data(), c.x_zero_point, c.w.data(), c.b.data(),
                                 c.requantization[0], y.data());
  ExpectBitIdentical(name + " (kernel)", y, expected);
}

void TestLinear() {
  CheckLinear<LinearGeometry{37, 10, true}>("linear_37x10");
  // Every accumulator a tie (k + 1/2 output steps), half of them negative:
  // LiteRT's FullyConnected rounds once, halves up (RequantizeFullyConnected).
  CheckLinear<LinearGeometry{5, 64, true}>("linear_ties");
}

template <Pool2dGeometry G>
void CheckPool2d(const std::string& name, bool max, Activation activation) {
  const File f = Open(name);
  const auto x = As<std::int8_t>(f.Get("x", Dims(G.in)));
  const int8::ActivationClamp clamp = int8::ActivationRange(activation, Quantization(f, "y"));
  const golden::Tensor& expected = f.Get("y", Dims(G.out));
  std::vector<std::int8_t> y(G.out.size());
  (max ? reference::int8_max_pool2d : reference::int8_avg_pool2d)(G, x.data(), clamp, y.data());
  ExpectBitIdentical(name + " (oracle)", y, expected);
  (max ? int8_kernels::MaxPool2dForward<G> : int8_kernels::AvgPool2dForward<G>)(x.data(), clamp,
                                                                                 y.data());
  ExpectBitIdentical(name + " (kernel)", y, expected);
}

void TestPool2d() {
  CheckPool2d<Pool2dGeometry{{3, 8, 6}, {3, 4, 3}, Axis(8, 4, 2, 2), Axis(6, 3, 2, 2), false}>(
      "max_pool2x2", true, Activation::kNone);
  CheckPool2d<Pool2dGeometry{{4, 7, 5}, {4, 7, 5}, Axis(7, 7, 3, 1), Axis(5, 5, 3, 1), false}>(
      "avg_pool3x3_same", false, Activation::kNone);
  CheckPool2d<Pool2dGeometry{{3, 6, 6}, {3, 3, 3}, Axis(6, 3, 2, 2), Axis(6, 3, 2, 2), false}>(
      "avg_pool2x2_relu", false, Activation::kReLU);
}

void TestAdd() {
  constexpr int kN = 3 * 5 * 4;
  const File f = Open("add_relu");
  const std::vector<int> dims{3, 5, 4};
  const auto a = As<std::int8_t>(f.Get("x", dims));
  const auto b = As<std::int8_t>(f.Get("x2", dims));
  const int8::AddRequantization r = int8::AddParameters(
      Quantization(f, "x"), Quantization(f, "x2"), Quantization(f, "y"), Activation::kReLU);
  const golden::Tensor& expected = f.Get("y", dims);
  std::vector<std::int8_t> y(kN);
  reference::int8_add(kN, a.data(), b.data(), r, y.data());
  ExpectBitIdentical("add_relu (oracle)", y, expected);
  int8_kernels::AddForward<kN>(a.data(), b.data(), r, y.data());
  ExpectBitIdentical("add_relu (kernel)", y, expected);
}

}  // namespace
// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace staticnn {
HWY_BEFORE_TEST(Int8GoldenTest);
HWY_EXPORT_AND_TEST_P(Int8GoldenTest, TestConv2d);
HWY_EXPORT_AND_TEST_P(Int8GoldenTest, TestLinear);
HWY_EXPORT_AND_TEST_P(Int8GoldenTest, TestPool2d);
HWY_EXPORT_AND_TEST_P(Int8GoldenTest, TestAdd);
}  // namespace staticnn
#endif
