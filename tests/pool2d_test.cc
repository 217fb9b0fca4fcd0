// Pooling kernels against the scalar oracle on every Highway target: odd
// shapes, padding, overlapping and strided windows, ties and -inf for max
// pooling, and canaries around every output.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "tests/pool2d_test.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "staticnn/kernels/pool2d-inl.h"
#include "hwy/tests/test_util-inl.h"
#include "tests/support/guarded.hpp"
#include "tests/reference/pool2d.hpp"

// Target-independent helpers, compiled once.
#ifndef STATICNN_TESTS_POOL2D_TEST_ONCE_
#define STATICNN_TESTS_POOL2D_TEST_ONCE_
namespace staticnn::pool2d_test {

// An output buffer with canaries on both sides: kernels must write inside.
using test::Guarded;

// Geometry with PyTorch's floor rule for the output size.
constexpr Pool2dGeometry Geometry(Shape in, WindowAxis y, WindowAxis x, bool include_pad = true) {
  return {in,
          {in.c, (in.h + 2 * y.pad - y.kernel) / y.stride + 1,
           (in.w + 2 * x.pad - x.kernel) / x.stride + 1},
          y,
          x,
          include_pad};
}

enum class Values { uniform, ties, with_neg_inf };

std::vector<float> MakeInput(std::size_t n, Values kind, std::mt19937& rng) {
  std::vector<float> v(n);
  std::uniform_real_distribution<float> u(-4.0f, 4.0f);
  std::uniform_int_distribution<int> small(0, 2);
  for (float& e : v) {
    switch (kind) {
      case Values::uniform: e = u(rng); break;
      case Values::ties: e = float(small(rng)); break;  // many equal maxima
      case Values::with_neg_inf:
        e = small(rng) == 0 ? u(rng) : -std::numeric_limits<float>::infinity();
        break;
    }
  }
  return v;
}

std::vector<double> ToDouble(const std::vector<float>& v) { return {v.begin(), v.end()}; }
std::vector<double> Abs(std::vector<double> v) {
  for (double& e : v) e = std::abs(e);
  return v;
}

// |actual - expected| <= eps * terms * magnitude, magnitude being the same
// computation on absolute values; exact equality is required where both
// are infinite.
void ExpectClose(const Guarded& actual, const std::vector<double>& expected,
                 const std::vector<double>& magnitude, double terms, const char* what) {
  ASSERT_EQ(actual.size(), expected.size());
  const double eps = std::numeric_limits<float>::epsilon();
  for (std::size_t i = 0; i < expected.size(); ++i) {
    if (std::isinf(expected[i])) {
      EXPECT_EQ(double(actual[i]), expected[i]) << what << " at " << i;
      continue;
    }
    const double tolerance = eps * terms * magnitude[i] + 1e-30;
    EXPECT_NEAR(actual[i], expected[i], tolerance) << what << " at " << i;
  }
  EXPECT_TRUE(actual.CanariesIntact()) << what << ": wrote outside its output";
}

}  // namespace staticnn::pool2d_test
#endif  // STATICNN_TESTS_POOL2D_TEST_ONCE_

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {

using namespace staticnn::pool2d_test;  // NOLINT
namespace ref = staticnn::reference;

// The kernels of one geometry, as plain function pointers: the checks below
// are compiled once per target, not once per geometry.
struct PoolKernels {
  Pool2dGeometry g;
  void (*max_forward)(const float*, float*);
  void (*max_backward)(const float*, const float*, float*);
  void (*avg_forward)(const float*, float*);
  void (*avg_backward)(const float*, float*);
  // MaxPool2dBackward<G, true>, or null: not checked for this geometry.
  void (*max_backward_after_relu)(const float*, const float*, float*) = nullptr;
};

testing::Message Describe(const char* what, const Pool2dGeometry& g) {
  return testing::Message() << what << " " << g.in.c << "x" << g.in.h << "x" << g.in.w
                            << " kernel " << g.y.kernel << "x" << g.x.kernel << " stride "
                            << g.y.stride << "x" << g.x.stride << " pad " << g.y.pad << "x"
                            << g.x.pad << " include_pad " << g.count_include_pad;
}

void CheckMaxPool(const PoolKernels& k, Values kind, std::mt19937& rng) {
  const Pool2dGeometry& g = k.g;
  SCOPED_TRACE(Describe("max pool", g) << " values " << int(kind));
  const std::vector<float> x = MakeInput(g.in.size(), kind, rng);
  const std::vector<float> dy = MakeInput(g.out.size(), Values::uniform, rng);
  const std::vector<double> xd = ToDouble(x), dyd = ToDouble(dy);

  std::vector<double> y_ref(g.out.size());
  ref::max_pool2d_forward(g, xd.data(), y_ref.data());
  Guarded y(g.out.size(), std::numeric_limits<float>::quiet_NaN());
  k.max_forward(x.data(), y.begin());
  ExpectClose(y, y_ref, y_ref, 0.0, "MaxPool2dForward");  // exact

  // Overlapping windows may add several dy into one cell, in another order.
  std::vector<double> dx_ref(g.in.size()), dx_mag(g.in.size());
  ref::max_pool2d_backward(g, xd.data(), dyd.data(), dx_ref.data());
  ref::max_pool2d_backward(g, xd.data(), Abs(dyd).data(), dx_mag.data());
  Guarded dx(g.in.size(), std::numeric_limits<float>::quiet_NaN());  // must be overwritten
  k.max_backward(x.data(), dy.data(), dx.begin());
  ExpectClose(dx, dx_ref, dx_mag, g.y.kernel * g.x.kernel, "MaxPool2dBackward");

  if (k.max_backward_after_relu == nullptr) return;
  // After a ReLU: on r = max(x, 0), the oracle's pool backward, then ReLU's
  // (no gradient where r is 0); many windows are all zeros.
  std::vector<float> r(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) r[i] = std::max(x[i], 0.0f);
  const std::vector<double> rd = ToDouble(r);
  ref::max_pool2d_backward(g, rd.data(), dyd.data(), dx_ref.data());
  ref::max_pool2d_backward(g, rd.data(), Abs(dyd).data(), dx_mag.data());
  for (std::size_t i = 0; i < r.size(); ++i) {
    if (!(r[i] > 0.0f)) dx_ref[i] = dx_mag[i] = 0.0;
  }
  Guarded dx_relu(g.in.size(), std::numeric_limits<float>::quiet_NaN());
  k.max_backward_after_relu(r.data(), dy.data(), dx_relu.begin());
  ExpectClose(dx_relu, dx_ref, dx_mag, g.y.kernel * g.x.kernel, "MaxPool2dBackward after ReLU");
}

void CheckAvgPool(const Pool2dGeometry& g, void (*forward)(const float*, float*),
                  void (*backward)(const float*, float*), std::mt19937& rng) {
  SCOPED_TRACE(Describe("avg pool", g));
  const std::vector<float> x = MakeInput(g.in.size(), Values::uniform, rng);
  const std::vector<float> dy = MakeInput(g.out.size(), Values::uniform, rng);
  const std::vector<double> xd = ToDouble(x), dyd = ToDouble(dy);
  const double terms = g.y.kernel * g.x.kernel + 2;  // the sum, then one division

  std::vector<double> y_ref(g.out.size()), y_mag(g.out.size());
  ref::avg_pool2d_forward(g, xd.data(), y_ref.data());
  ref::avg_pool2d_forward(g, Abs(xd).data(), y_mag.data());
  Guarded y(g.out.size(), std::numeric_limits<float>::quiet_NaN());
  forward(x.data(), y.begin());
  ExpectClose(y, y_ref, y_mag, terms, "AvgPool2dForward");

  std::vector<double> dx_ref(g.in.size()), dx_mag(g.in.size());
  ref::avg_pool2d_backward(g, dyd.data(), dx_ref.data());
  ref::avg_pool2d_backward(g, Abs(dyd).data(), dx_mag.data());
  Guarded dx(g.in.size(), std::numeric_limits<float>::quiet_NaN());
  backward(dy.data(), dx.begin());
  ExpectClose(dx, dx_ref, dx_mag, terms, "AvgPool2dBackward");
}

// kAlsoExcludePad: also average pooling with count_include_pad = False;
// kAfterRelu: also the max pool's backward after a ReLU.
template <Pool2dGeometry G, bool kAlsoExcludePad = false, bool kAfterRelu = false>
void CheckPools(std::mt19937& rng) {
  PoolKernels k{G, &MaxPool2dForward<G>, &MaxPool2dBackward<G>, &AvgPool2dForward<G>,
                &AvgPool2dBackward<G>};
  if constexpr (kAfterRelu) k.max_backward_after_relu = &MaxPool2dBackward<G, true>;
  CheckMaxPool(k, Values::uniform, rng);
  CheckMaxPool(k, Values::ties, rng);
  CheckMaxPool(k, Values::with_neg_inf, rng);
  CheckAvgPool(G, k.avg_forward, k.avg_backward, rng);
  if constexpr (kAlsoExcludePad) {
    constexpr Pool2dGeometry kExcludePad = [] {
      Pool2dGeometry g = G;
      g.count_include_pad = false;
      return g;
    }();
    CheckAvgPool(kExcludePad, &AvgPool2dForward<kExcludePad>, &AvgPool2dBackward<kExcludePad>,
                 rng);
  }
}

void TestPool2d() {
  std::mt19937 rng(1234);
  // Channels 1, 3, 7; widths 1 .. 33 around the vector lengths; strides 1-5
  // (5 takes the gather path); kernels 1-5; padding; rectangular windows.
  CheckPools<Geometry({1, 1, 1}, {1, 1, 0}, {1, 1, 0})>(rng);
  CheckPools<Geometry({3, 3, 3}, {2, 1, 0}, {2, 1, 0})>(rng);
  CheckPools<Geometry({7, 7, 7}, {3, 2, 1}, {3, 2, 1}), true, true>(rng);
  CheckPools<Geometry({1, 5, 15}, {2, 2, 0}, {2, 2, 0}), false, true>(rng);  // floor: last column unused
  CheckPools<Geometry({3, 4, 16}, {2, 2, 0}, {2, 2, 0})>(rng);
  CheckPools<Geometry({1, 3, 17}, {3, 2, 1}, {3, 2, 1})>(rng);
  CheckPools<Geometry({3, 6, 31}, {2, 2, 0}, {3, 1, 1}), true>(rng);  // rectangular
  CheckPools<Geometry({1, 5, 33}, {3, 3, 1}, {3, 3, 1})>(rng);
  CheckPools<Geometry({1, 4, 33}, {4, 4, 2}, {4, 4, 2}), true>(rng);
  CheckPools<Geometry({2, 7, 19}, {5, 5, 2}, {5, 5, 2}), true>(rng);
  CheckPools<Geometry({3, 9, 40}, {3, 1, 1}, {3, 1, 1})>(rng);
  CheckPools<Geometry({2, 8, 56}, {2, 2, 0}, {2, 2, 0})>(rng);
  // 2x2 / stride 2 without padding (a dedicated path): output widths 3 .. 17,
  // odd and even input sizes, LeNet's two pools. After a ReLU: the general
  // path (7x7x7) and the 2x2 one (odd, floor, LeNet's first).
  CheckPools<Geometry({2, 6, 7}, {2, 2, 0}, {2, 2, 0}), false, true>(rng);
  CheckPools<Geometry({1, 2, 9}, {2, 2, 0}, {2, 2, 0})>(rng);
  CheckPools<Geometry({16, 10, 10}, {2, 2, 0}, {2, 2, 0})>(rng);
  CheckPools<Geometry({6, 28, 28}, {2, 2, 0}, {2, 2, 0}), false, true>(rng);
  CheckPools<Geometry({3, 7, 31}, {2, 2, 0}, {2, 2, 0})>(rng);
  CheckPools<Geometry({1, 3, 35}, {2, 2, 0}, {2, 2, 0})>(rng);
  // TensorFlow-style `same`: the last window reaches past the input's end.
  CheckPools<Pool2dGeometry{{2, 7, 16}, {2, 4, 8}, {3, 2, 1}, {3, 2, 0}, true}>(rng);
  // Windows of whole rows without padding (a dedicated average path, a run of
  // floats each): DS-CNN's 24x5 over 25x5, overlapping windows, a dropped last
  // row; and, left to the general path, a last window past the input's end.
  CheckPools<Geometry({64, 25, 5}, {24, 24, 0}, {5, 5, 0})>(rng);
  CheckPools<Geometry({3, 7, 9}, {3, 1, 0}, {9, 1, 0})>(rng);
  CheckPools<Geometry({2, 8, 6}, {3, 2, 0}, {6, 6, 0})>(rng);
  // Backward fills runs where the windows do not overlap: ResNet-8's 8x8
  // global window, and rows skipped between windows and after the last.
  CheckPools<Geometry({64, 8, 8}, {8, 8, 0}, {8, 8, 0})>(rng);
  CheckPools<Geometry({2, 10, 6}, {2, 3, 0}, {6, 6, 0})>(rng);
  CheckPools<Pool2dGeometry{{2, 6, 4}, {2, 3, 1}, {3, 2, 0}, {4, 1, 0}, true}>(rng);
}

void TestGlobalAvgPool2d() {
  std::mt19937 rng(99);
  const auto check = [&rng](auto shape_constant) {
    constexpr Shape S = decltype(shape_constant)::value;
    SCOPED_TRACE(testing::Message() << "global avg pool " << S.c << "x" << S.h << "x" << S.w);
    const std::vector<float> x = MakeInput(S.size(), Values::uniform, rng);
    const std::vector<float> dy = MakeInput(S.c, Values::uniform, rng);
    const std::vector<double> xd = ToDouble(x), dyd = ToDouble(dy);
    std::vector<double> y_ref(S.c), y_mag(S.c), dx_ref(S.size());
    ref::global_avg_pool2d_forward(S, xd.data(), y_ref.data());
    ref::global_avg_pool2d_forward(S, Abs(xd).data(), y_mag.data());
    ref::global_avg_pool2d_backward(S, dyd.data(), dx_ref.data());
    Guarded y(S.c, std::numeric_limits<float>::quiet_NaN());
    GlobalAvgPool2dForward<S>(x.data(), y.begin());
    ExpectClose(y, y_ref, y_mag, S.h * S.w + 2, "GlobalAvgPool2dForward");
    Guarded dx(S.size(), std::numeric_limits<float>::quiet_NaN());
    GlobalAvgPool2dBackward<S>(dy.data(), dx.begin());
    ExpectClose(dx, dx_ref, Abs(dx_ref), 1, "GlobalAvgPool2dBackward");
  };
  check(std::integral_constant<Shape, Shape{1, 1, 1}>());
  check(std::integral_constant<Shape, Shape{3, 1, 7}>());
  check(std::integral_constant<Shape, Shape{7, 3, 5}>());
  check(std::integral_constant<Shape, Shape{3, 4, 4}>());
  check(std::integral_constant<Shape, Shape{1, 1, 33}>());
  check(std::integral_constant<Shape, Shape{3, 7, 7}>());
  check(std::integral_constant<Shape, Shape{2, 31, 17}>());
}

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace staticnn {
HWY_BEFORE_TEST(Pool2dTest);
HWY_EXPORT_AND_TEST_P(Pool2dTest, TestPool2d);
HWY_EXPORT_AND_TEST_P(Pool2dTest, TestGlobalAvgPool2d);
}  // namespace staticnn
#endif
