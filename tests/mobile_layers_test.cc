// ReLU6, Hardswish and Dropout: the kernels (Kernel<L>, as the network passes
// call them) against the scalar oracle on every Highway target, then the
// oracle's gradients against central finite differences.
//
// ReLU6 and its gradient, and Dropout's masks, are exact (selections, and one
// product by the same float scale). Hardswish: y = fl(fl(x * fl(x + 3)) / 6)
// is three roundings of a product of factors, so |y - exact| <= 2 eps |exact|
// (three half-ulp relative errors); dx = fl(dy * fl(fl(x / 3) + 1/2)) is
// within 2 eps |dy| (|x| / 3 + 1/2) (x/3's rounding is absolute in |x|/3, the
// sum's in |x/3 + 1/2|, the product's relative). Plus the smallest normal
// float for results that underflow.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "tests/mobile_layers_test.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "staticnn/layers/activations-inl.h"
#include "staticnn/layers/dropout-inl.h"
#include "hwy/tests/test_util-inl.h"
#include "tests/reference/layers.hpp"
#include "tests/support/finite_differences.hpp"
#include "tests/support/guarded.hpp"

#ifndef STATICNN_TESTS_MOBILE_LAYERS_TEST_ONCE_
#define STATICNN_TESTS_MOBILE_LAYERS_TEST_ONCE_
#include "staticnn/init.hpp"

namespace staticnn::mobile_layers_test {

// Uniform in [-8, 8], with the kinks (-3, 0, 3, 6), values next to them and
// a NaN every few elements when `special`.
inline std::vector<float> Input(std::size_t n, std::uint64_t seed, bool special) {
  static const float kSpecial[] = {-3.0f, 0.0f, 3.0f, 6.0f, -0.0f,
                                   std::nextafter(3.0f, 4.0f), std::nextafter(-3.0f, -4.0f),
                                   std::nextafter(6.0f, 5.0f), std::nextafter(0.0f, 1.0f),
                                   std::numeric_limits<float>::quiet_NaN(), 1e30f, -1e30f};
  SplitMix64 rng{seed};
  std::vector<float> v(n);
  for (std::size_t i = 0; i < n; ++i) {
    v[i] = special && i % 3 == 1 ? kSpecial[(i / 3) % std::size(kSpecial)] : 8.0f * rng.symmetric();
  }
  return v;
}

inline bool SameBits(float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0; }
// Equal values, or both NaN.
inline bool SameValue(float a, double r) { return std::isnan(a) ? std::isnan(r) : a == r; }

}  // namespace staticnn::mobile_layers_test
#endif  // STATICNN_TESTS_MOBILE_LAYERS_TEST_ONCE_

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {
namespace {

namespace mt = mobile_layers_test;
using test::Guarded;

// Runs Kernel<L> over `n` = Batch * In.size() floats: forward out of place and
// in place, backward; compares with Reference<L, double>.
template <class L, Shape In, int Batch>
void CheckActivation(bool special, std::uint64_t seed) {
  constexpr std::size_t n = std::size_t(Batch) * In.size();
  constexpr bool kHardswish = std::is_same_v<L, Hardswish>;
  SCOPED_TRACE(testing::Message() << L::name << " n=" << n << (special ? " special" : ""));
  const std::vector<float> x = mt::Input(n, seed, special);
  std::vector<float> dy = mt::Input(n, seed + 1, false);
  const std::vector<double> xd(x.begin(), x.end()), dyd(dy.begin(), dy.end());
  std::vector<double> y_ref(n), dx_ref(n);
  reference::Reference<L, double> oracle;
  oracle.forward(In, Batch, nullptr, nullptr, xd.data(), y_ref.data(), true);
  oracle.backward(In, Batch, nullptr, nullptr, xd.data(), y_ref.data(), dyd.data(), dx_ref.data(),
                  nullptr);

  const float nan = std::numeric_limits<float>::quiet_NaN();
  Guarded y(n, nan), dx(n, nan);
  Kernel<L>::template Forward<In, Batch>(
      ForwardArgs{x.data(), y.begin(), nullptr, nullptr, nullptr, nullptr, nullptr, true, nullptr});
  Kernel<L>::template Backward<In, Batch>(BackwardArgs{x.data(), y.begin(), dy.data(), dx.begin(),
                                                       nullptr, nullptr, nullptr, nullptr,
                                                       nullptr});
  const double eps = std::numeric_limits<float>::epsilon(), tiny = std::numeric_limits<float>::min();
  for (std::size_t i = 0; i < n; ++i) {
    if (kHardswish && std::isfinite(y_ref[i])) {
      EXPECT_NEAR(y[i], y_ref[i], 2 * eps * std::abs(y_ref[i]) + tiny) << "y at " << i << " x " << x[i];
      EXPECT_NEAR(dx[i], dx_ref[i], 2 * eps * std::abs(dyd[i]) * (std::abs(xd[i]) / 3 + 0.5) + tiny)
          << "dx at " << i << " x " << x[i];
    } else if (kHardswish) {  // a NaN x: y is NaN, dx = dy (PyTorch passes dy through)
      EXPECT_TRUE(std::isnan(x[i]) && std::isnan(y[i])) << i;
      EXPECT_TRUE(mt::SameValue(dx[i], dx_ref[i])) << "dx at " << i << ": " << dx[i];
    } else {
      EXPECT_TRUE(mt::SameValue(y[i], y_ref[i])) << "y at " << i << ": " << y[i] << " vs " << y_ref[i];
      EXPECT_TRUE(mt::SameValue(dx[i], dx_ref[i])) << "dx at " << i << ": " << dx[i];
    }
  }
  EXPECT_TRUE(y.CanariesIntact() && dx.CanariesIntact());

  // In place (the chain never does it, a user's code may): the same bits.
  Guarded in_place(x);
  Kernel<L>::template Forward<In, Batch>(ForwardArgs{in_place.begin(), in_place.begin(), nullptr,
                                                     nullptr, nullptr, nullptr, nullptr, false,
                                                     nullptr});
  for (std::size_t i = 0; i < n; ++i) EXPECT_TRUE(mt::SameBits(in_place[i], y[i])) << i;
}

void TestRelu6() {
  CheckActivation<ReLU6, Shape{1, 1, 1}, 1>(false, 1);
  CheckActivation<ReLU6, Shape{37, 1, 1}, 3>(true, 2);
  CheckActivation<ReLU6, Shape{3, 5, 7}, 2>(true, 3);
  CheckActivation<ReLU6, Shape{16, 4, 4}, 2>(false, 4);
}

void TestHardswish() {
  CheckActivation<Hardswish, Shape{1, 1, 1}, 1>(false, 5);
  CheckActivation<Hardswish, Shape{37, 1, 1}, 3>(true, 6);
  CheckActivation<Hardswish, Shape{3, 5, 7}, 2>(true, 7);
  CheckActivation<Hardswish, Shape{16, 4, 4}, 2>(false, 8);
}

// The kinks, value by value: PyTorch's gradients there.
void TestKinks() {
  const float x[8] = {-3.0f, 0.0f, 3.0f, 6.0f, -4.0f, 7.0f, -1.5f, 1.0f};
  const float dy[8] = {2, 2, 2, 2, 2, 2, 2, 2};
  float y[8] = {}, dx[8];  // ReLU6's backward reads x, not y
  Kernel<ReLU6>::Backward<Shape{8, 1, 1}, 1>(
      BackwardArgs{x, y, dy, dx, nullptr, nullptr, nullptr, nullptr, nullptr});
  const float relu6_dx[8] = {0, 0, 2, 0, 0, 0, 0, 2};  // zero at both kinks 0 and 6
  for (int i = 0; i < 8; ++i) EXPECT_EQ(dx[i], relu6_dx[i]) << "ReLU6 at " << x[i];
  Kernel<Hardswish>::Backward<Shape{8, 1, 1}, 1>(
      BackwardArgs{x, y, dy, dx, nullptr, nullptr, nullptr, nullptr, nullptr});
  const float hardswish_dx[8] = {-1, 1, 2, 2, 0, 2, 0, 2.0f * (1.0f / 3 + 0.5f)};
  for (int i = 0; i < 7; ++i) EXPECT_EQ(dx[i], hardswish_dx[i]) << "Hardswish at " << x[i];
  EXPECT_FLOAT_EQ(dx[7], hardswish_dx[7]);
  Kernel<Hardswish>::Forward<Shape{8, 1, 1}, 1>(
      ForwardArgs{x, y, nullptr, nullptr, nullptr, nullptr, nullptr, false, nullptr});
  const float hardswish_y[8] = {0, 0, 3, 6, 0, 7, -0.375f, 1.0f * 4.0f / 6.0f};
  for (int i = 0; i < 8; ++i) EXPECT_EQ(y[i], hardswish_y[i]) << "Hardswish at " << x[i];
}

// Dropout in training mode against the oracle drawing from the same seed: the
// same mask element by element, the same final random state; then inference
// mode, the seeding, and p = 0 and p = 1.
template <float P, Shape In, int Batch>
void CheckDropout(std::uint64_t seed) {
  using L = Dropout<{.p = P}>;
  constexpr std::size_t n = std::size_t(Batch) * In.size();
  SCOPED_TRACE(testing::Message() << "Dropout p=" << P << " n=" << n);
  const std::vector<float> x = mt::Input(n, seed, false), dy = mt::Input(n, seed + 1, false);
  const std::vector<double> xd(x.begin(), x.end()), dyd(dy.begin(), dy.end());
  const float nan = std::numeric_limits<float>::quiet_NaN();

  reference::oracle_rng = seed;
  reference::Reference<L, double> oracle;
  std::vector<double> y_ref(n), dx_ref(n);
  oracle.forward(In, Batch, nullptr, nullptr, xd.data(), y_ref.data(), true);
  oracle.backward(In, Batch, nullptr, nullptr, xd.data(), y_ref.data(), dyd.data(), dx_ref.data(),
                  nullptr);

  std::uint64_t rng = seed;
  Guarded y(n, nan), saved(n + 1, nan), dx(n, nan);
  Kernel<L>::template Forward<In, Batch>(
      ForwardArgs{x.data(), y.begin(), nullptr, nullptr, nullptr, saved.begin(), nullptr, true, &rng});
  EXPECT_EQ(rng, reference::oracle_rng) << "one draw per element";
  Kernel<L>::template Backward<In, Batch>(BackwardArgs{x.data(), y.begin(), dy.data(), dx.begin(),
                                                       nullptr, nullptr, saved.begin(), nullptr,
                                                       nullptr});
  std::size_t kept = 0;
  for (std::size_t i = 0; i < n; ++i) {
    // x * scale in float is the rounding of the oracle's exact product.
    EXPECT_EQ(y[i], float(y_ref[i])) << "y at " << i;
    EXPECT_EQ(dx[i], float(dx_ref[i])) << "dx at " << i;
    EXPECT_EQ(y[i] == 0.0f, dx[i] == 0.0f) << "one mask for both, at " << i;
    kept += y[i] != 0.0f;
  }
  EXPECT_TRUE(y.CanariesIntact() && saved.CanariesIntact() && dx.CanariesIntact());
  // Binomial(n, 1 - p): within 5 standard deviations.
  const double expected = n * (1.0 - P), sd = std::sqrt(n * P * (1.0 - P));
  EXPECT_NEAR(double(kept), expected, 5 * sd + 1e-9) << "kept " << kept << " of " << n;

  // The same seed gives the same mask; the next call (advanced state) another.
  std::uint64_t again = seed;
  Guarded y2(n, nan), saved2(n + 1, nan);
  Kernel<L>::template Forward<In, Batch>(ForwardArgs{x.data(), y2.begin(), nullptr, nullptr,
                                                     nullptr, saved2.begin(), nullptr, true, &again});
  for (std::size_t i = 0; i < n; ++i) ASSERT_TRUE(mt::SameBits(y2[i], y[i])) << i;
  if (P > 0.0f && P < 1.0f && n >= 64) {
    Kernel<L>::template Forward<In, Batch>(ForwardArgs{x.data(), y2.begin(), nullptr, nullptr,
                                                       nullptr, saved2.begin(), nullptr, true,
                                                       &again});
    std::size_t differ = 0;
    for (std::size_t i = 0; i < n; ++i) differ += (y2[i] == 0.0f) != (y[i] == 0.0f);
    EXPECT_GT(differ, 0u) << "the state advanced: a new mask";
  }

  // Inference: the identity, with or without saved state; backward after it
  // passes the gradient through; the random state is not touched.
  std::uint64_t untouched = seed;
  Guarded yi(n, nan), savedi(n + 1, nan), dxi(n, nan);
  Kernel<L>::template Forward<In, Batch>(ForwardArgs{x.data(), yi.begin(), nullptr, nullptr,
                                                     nullptr, savedi.begin(), nullptr, false,
                                                     &untouched});
  Kernel<L>::template Backward<In, Batch>(BackwardArgs{x.data(), yi.begin(), dy.data(),
                                                       dxi.begin(), nullptr, nullptr,
                                                       savedi.begin(), nullptr, nullptr});
  EXPECT_EQ(untouched, seed);
  for (std::size_t i = 0; i < n; ++i) {
    ASSERT_TRUE(mt::SameBits(yi[i], x[i])) << i;
    ASSERT_TRUE(mt::SameBits(dxi[i], dy[i])) << i;
  }
  Guarded y_no_saved(n, nan);
  Kernel<L>::template Forward<In, Batch>(ForwardArgs{x.data(), y_no_saved.begin(), nullptr,
                                                     nullptr, nullptr, nullptr, nullptr, false,
                                                     nullptr});
  for (std::size_t i = 0; i < n; ++i) ASSERT_TRUE(mt::SameBits(y_no_saved[i], x[i])) << i;
  EXPECT_TRUE(yi.CanariesIntact() && savedi.CanariesIntact() && dxi.CanariesIntact() &&
              y_no_saved.CanariesIntact());
}

void TestDropout() {
  CheckDropout<0.5f, Shape{1, 1, 1}, 1>(11);
  CheckDropout<0.3f, Shape{37, 1, 1}, 3>(12);
  CheckDropout<0.5f, Shape{8, 16, 16}, 4>(13);   // 8192 elements: the statistics bite
  CheckDropout<0.1f, Shape{3, 5, 7}, 2>(14);
  CheckDropout<0.0f, Shape{3, 5, 7}, 2>(15);     // keeps all: y = x
  CheckDropout<1.0f, Shape{3, 5, 7}, 2>(16);     // drops all: zeros (PyTorch's p = 1)
}

}  // namespace
}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace staticnn {
HWY_BEFORE_TEST(MobileLayersTest);
HWY_EXPORT_AND_TEST_P(MobileLayersTest, TestRelu6);
HWY_EXPORT_AND_TEST_P(MobileLayersTest, TestHardswish);
HWY_EXPORT_AND_TEST_P(MobileLayersTest, TestKinks);
HWY_EXPORT_AND_TEST_P(MobileLayersTest, TestDropout);

namespace {

// Vigna's published SplitMix64 outputs for the seed 1234567, through the
// layer's generator and the oracle's.
TEST(DropoutGeneratorTest, SplitMix64KnownOutputs) {
  const std::uint64_t expected[5] = {6457827717110365317ull, 3203168211198807973ull,
                                     9817491932198370423ull, 4593380528125082431ull,
                                     16408922859458223821ull};
  std::uint64_t a = 1234567, b = 1234567;
  for (std::uint64_t e : expected) {
    EXPECT_EQ(splitmix64_next(a), e);
    EXPECT_EQ(reference::splitmix64(b), e);
  }
  static_assert(dropout_threshold(0.5f) == (1u << 23));
  static_assert(dropout_threshold(0.0f) == 0 && dropout_threshold(1.0f) == (1u << 24));
  static_assert(Dropout<{.p = 0.25f}>::scale == 1.0f / 0.75f);
}

// The oracles' gradients against central differences: away from the kinks
// for the activations; for Dropout with the mask fixed by the seed.
template <class L>
void ExpectOracleGradient(bool reseed) {
  SCOPED_TRACE(L::name);
  constexpr Shape In{5, 3, 2};
  constexpr int kBatch = 2;
  constexpr std::size_t n = kBatch * In.size();
  std::vector<double> x(n), r(n);
  SplitMix64 rng{99};
  for (std::size_t i = 0; i < n; ++i) {
    do x[i] = 8.0 * rng.symmetric();
    while (std::abs(x[i]) < 1e-3 || std::abs(x[i] - 6) < 1e-3 || std::abs(std::abs(x[i]) - 3) < 1e-3);
    r[i] = rng.symmetric();
  }
  reference::Reference<L, double> oracle;
  const auto loss = [&] {
    if (reseed) reference::oracle_rng = 42;
    std::vector<double> y(n);
    oracle.forward(In, kBatch, nullptr, nullptr, x.data(), y.data(), true);
    return test::weighted_sum(r, y);
  };
  loss();
  std::vector<double> dx(n), y(n);
  oracle.backward(In, kBatch, nullptr, nullptr, x.data(), y.data(), r.data(), dx.data(), nullptr);
  test::ExpectCentralDifferences(x, dx, loss, "input");
}

TEST(MobileLayersOracleTest, GradientsMatchFiniteDifferences) {
  ExpectOracleGradient<ReLU6>(false);
  ExpectOracleGradient<Hardswish>(false);
  ExpectOracleGradient<Dropout<{.p = 0.4f}>>(true);
}

TEST(MobileLayersTest, Descriptions) {
  TextLine a, b;
  detail::describe_layer<Dropout<{.p = 0.25f}>>(a, Shape{1, 1, 1});
  EXPECT_STREQ(a.s, "Dropout(p=0.25)");
  detail::describe_layer<Hardswish>(b, Shape{1, 1, 1});
  EXPECT_STREQ(b.s, "Hardswish");
}

}  // namespace
}  // namespace staticnn
#endif  // HWY_ONCE
