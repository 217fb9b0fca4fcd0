// Linear kernels against the scalar oracle on every Highway target: feature
// counts around the vector lengths, batches 1 and 3 (dot products), 8, 13
// and 64 (packed register tiles, with a shorter last block of rows), inputs
// longer than one packed panel, with and without bias; canaries around
// every output, NaN-filled dx (must be overwritten) and dw/db that must be
// added to, never assigned.
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "tests/linear_test.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "staticnn/kernels/linear-inl.h"
#include "hwy/tests/test_util-inl.h"
#include "tests/support/guarded.hpp"
#include "tests/reference/linear.hpp"

// Target-independent helpers, compiled once.
#ifndef STATICNN_TESTS_LINEAR_TEST_ONCE_
#define STATICNN_TESTS_LINEAR_TEST_ONCE_
namespace staticnn::linear_test {

namespace ref = staticnn::reference;

using test::Guarded;

std::vector<float> Uniform(std::size_t n, std::mt19937& rng) {
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& e : v) e = u(rng);
  return v;
}
std::vector<float> Filled(std::size_t n, float value) { return std::vector<float>(n, value); }
std::vector<double> ToDouble(const std::vector<float>& v) { return {v.begin(), v.end()}; }
std::vector<double> Abs(std::vector<double> v) {
  for (double& e : v) e = std::abs(e);
  return v;
}

// |actual - expected| <= eps * terms * magnitude, where magnitude is the same
// computation on absolute values (a bound on float rounding of a sum).
void ExpectClose(const Guarded& actual, const std::vector<double>& expected,
                 const std::vector<double>& magnitude, double terms, const char* what) {
  const double eps = std::numeric_limits<float>::epsilon();
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_NEAR(actual[i], expected[i], eps * terms * magnitude[i] + 1e-30) << what << " at " << i;
  }
  EXPECT_TRUE(actual.CanariesIntact()) << what << ": wrote outside its output";
}

using Forward = void (*)(const float*, const float*, const float*, float*);
using BackwardInput = void (*)(const float*, const float*, float*);
using BackwardParams = void (*)(const float*, const float*, float*, float*);

// One geometry and batch: the kernels as plain function pointers, so this
// check is compiled once per target rather than once per shape.
void CheckLinear(const LinearGeometry& g, int batch, Forward forward, BackwardInput backward_input,
                 BackwardParams backward_params, std::mt19937& rng) {
  SCOPED_TRACE(testing::Message() << "Linear " << g.in_features << "->" << g.out_features
                                  << (g.bias ? "" : " (no bias)") << " batch " << batch);
  const std::size_t in = g.in_features, out = g.out_features, n = batch;
  const std::vector<float> x = Uniform(n * in, rng), w = Uniform(out * in, rng);
  const std::vector<float> b = Uniform(out, rng), dy = Uniform(n * out, rng);
  const std::vector<double> xd = ToDouble(x), wd = ToDouble(w), bd = ToDouble(b),
                            dyd = ToDouble(dy);
  const std::vector<double> xa = Abs(xd), wa = Abs(wd), ba = Abs(bd), dya = Abs(dyd);
  const float nan = std::numeric_limits<float>::quiet_NaN();

  // Forward, with the bias and with bias == nullptr.
  for (bool with_bias : {true, false}) {
    std::vector<double> y_ref(n * out), y_mag(n * out);
    ref::linear_forward(g, batch, xd.data(), wd.data(), with_bias ? bd.data() : nullptr,
                        y_ref.data());
    ref::linear_forward(g, batch, xa.data(), wa.data(), with_bias ? ba.data() : nullptr,
                        y_mag.data());
    Guarded y(Filled(n * out, nan));
    forward(x.data(), w.data(), with_bias ? b.data() : nullptr, y.begin());
    ExpectClose(y, y_ref, y_mag, double(in + 1), with_bias ? "LinearForward" : "LinearForward(nullptr)");
  }

  // Backward input: dx starts as NaN and must be overwritten everywhere.
  std::vector<double> dx_ref(n * in), dx_mag(n * in);
  ref::linear_backward_input(g, batch, dyd.data(), wd.data(), dx_ref.data());
  ref::linear_backward_input(g, batch, dya.data(), wa.data(), dx_mag.data());
  Guarded dx(Filled(n * in, nan));
  backward_input(dy.data(), w.data(), dx.begin());
  ExpectClose(dx, dx_ref, dx_mag, double(out), "LinearBackwardInput");

  // Backward params: added onto random dw/db.
  const std::vector<float> dw0 = Uniform(out * in, rng), db0 = Uniform(out, rng);
  std::vector<double> dw_ref = ToDouble(dw0), db_ref = ToDouble(db0);
  std::vector<double> dw_mag = Abs(dw_ref), db_mag = Abs(db_ref);
  ref::linear_backward_params(g, batch, xd.data(), dyd.data(), dw_ref.data(), db_ref.data());
  ref::linear_backward_params(g, batch, xa.data(), dya.data(), dw_mag.data(), db_mag.data());
  Guarded dw(dw0), db(db0);
  backward_params(x.data(), dy.data(), dw.begin(), db.begin());
  ExpectClose(dw, dw_ref, dw_mag, double(batch + 1), "LinearBackwardParams dw");
  ExpectClose(db, db_ref, db_mag, double(batch + 1), "LinearBackwardParams db");  // db0 if no bias

  // A NaN sentinel stays NaN only where the kernel adds; an assignment would
  // replace it.
  Guarded dw_nan(Filled(out * in, nan)), db_nan(Filled(out, nan));
  backward_params(x.data(), dy.data(), dw_nan.begin(), db_nan.begin());
  for (std::size_t i = 0; i < out * in; ++i) ASSERT_TRUE(std::isnan(dw_nan[i])) << "dw " << i;
  for (std::size_t i = 0; i < out; ++i) ASSERT_TRUE(std::isnan(db_nan[i])) << "db " << i;
  EXPECT_TRUE(dw_nan.CanariesIntact() && db_nan.CanariesIntact());

  if (!g.bias) {  // db may be nullptr then; dw is unchanged by that
    Guarded dw_again(dw0);
    backward_params(x.data(), dy.data(), dw_again.begin(), nullptr);
    for (std::size_t i = 0; i < out * in; ++i) ASSERT_EQ(dw_again[i], dw[i]) << "dw " << i;
  }
}

// Forward with a fused ReLU (what inference runs for Linear, ReLU): exactly the
// bits of forward followed by ReLU (max(x, 0), NaN kept; forward is checked
// against the oracle above), with and without the bias.
void CheckForwardRelu(const LinearGeometry& g, int batch, Forward forward, Forward forward_relu,
                      std::mt19937& rng) {
  SCOPED_TRACE(testing::Message() << "Linear " << g.in_features << "->" << g.out_features
                                  << " batch " << batch << ", ReLU fused");
  const std::size_t n = std::size_t(batch) * g.out_features;
  const std::vector<float> x = Uniform(batch * g.in_features, rng);
  const std::vector<float> w = Uniform(g.out_features * g.in_features, rng);
  const std::vector<float> b = Uniform(g.out_features, rng);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (bool with_bias : {true, false}) {
    Guarded y(Filled(n, nan)), y_relu(Filled(n, nan));
    forward(x.data(), w.data(), with_bias ? b.data() : nullptr, y.begin());
    forward_relu(x.data(), w.data(), with_bias ? b.data() : nullptr, y_relu.begin());
    int negative = 0;
    for (std::size_t i = 0; i < n; ++i) {
      negative += y[i] < 0.0f;
      const float expected = y[i] < 0.0f ? 0.0f : y[i];
      ASSERT_EQ(0, std::memcmp(&expected, y_relu.begin() + i, sizeof(float))) << "y " << i;
    }
    EXPECT_GT(negative, 0) << "the data should test the ReLU";
    EXPECT_TRUE(y_relu.CanariesIntact());
  }
}

// Backward input of each sample alone gives the bits of its row in a batch
// (one sample holds dx in registers with 512-bit vectors; a batch runs the
// column tiles): a shard of a parallel step computes what the whole batch does.
void CheckBackwardInputBatchBits(const LinearGeometry& g, int batch, BackwardInput one,
                                 BackwardInput all, std::mt19937& rng) {
  SCOPED_TRACE(testing::Message() << "Linear " << g.in_features << "->" << g.out_features
                                  << " backward input, batch " << batch << " vs 1");
  const std::size_t in = g.in_features, out = g.out_features;
  const std::vector<float> w = Uniform(out * in, rng), dy = Uniform(batch * out, rng);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  Guarded dx(Filled(batch * in, nan));
  all(dy.data(), w.data(), dx.begin());
  for (int b = 0; b < batch; ++b) {
    Guarded row(Filled(in, nan));
    one(dy.data() + b * out, w.data(), row.begin());
    ASSERT_EQ(0, std::memcmp(row.begin(), dx.begin() + b * in, in * sizeof(float)))
        << "sample " << b;
  }
}

}  // namespace staticnn::linear_test
#endif  // STATICNN_TESTS_LINEAR_TEST_ONCE_

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {

template <LinearGeometry G, int Batch>
void Check(std::mt19937& rng) {
  linear_test::CheckLinear(G, Batch, &LinearForward<G, Batch>, &LinearBackwardInput<G, Batch>,
                           &LinearBackwardParams<G, Batch>, rng);
}

// The fused ReLU at batch 1 (in the dot products) and 64 (a pass over y).
template <LinearGeometry G>
void CheckRelu(std::mt19937& rng) {
  linear_test::CheckForwardRelu(G, 1, &LinearForward<G, 1>, &LinearForward<G, 1, true>, rng);
  linear_test::CheckForwardRelu(G, 64, &LinearForward<G, 64>, &LinearForward<G, 64, true>, rng);
}

template <LinearGeometry G>
void CheckBatches(std::mt19937& rng) {
  Check<G, 1>(rng);
  Check<G, 3>(rng);
  Check<G, 64>(rng);
}

void TestLinear() {
  std::mt19937 rng(4321);
  // Feature counts around 4/8/16 lanes; 130 and 400 in-features span more
  // than one packed panel of 128.
  CheckBatches<LinearGeometry{1, 1, true}>(rng);
  CheckBatches<LinearGeometry{3, 7, true}>(rng);
  CheckBatches<LinearGeometry{16, 16, true}>(rng);
  CheckBatches<LinearGeometry{17, 15, true}>(rng);
  CheckBatches<LinearGeometry{31, 33, true}>(rng);
  CheckBatches<LinearGeometry{33, 31, false}>(rng);
  CheckBatches<LinearGeometry{130, 20, true}>(rng);
  CheckBatches<LinearGeometry{400, 120, true}>(rng);
  // Batches that leave a shorter block of rows in the register tiles.
  Check<LinearGeometry{17, 15, true}, 13>(rng);
  Check<LinearGeometry{130, 20, true}, 8>(rng);
  Check<LinearGeometry{33, 31, true}, 9>(rng);
  CheckRelu<LinearGeometry{400, 120, true}>(rng);
  CheckRelu<LinearGeometry{17, 15, true}>(rng);
  constexpr LinearGeometry kLeNet{400, 120, true}, kTail{33, 31, true};
  linear_test::CheckBackwardInputBatchBits(kLeNet, 3, &LinearBackwardInput<kLeNet, 1>,
                                           &LinearBackwardInput<kLeNet, 3>, rng);
  linear_test::CheckBackwardInputBatchBits(kTail, 5, &LinearBackwardInput<kTail, 1>,
                                           &LinearBackwardInput<kTail, 5>, rng);
}

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace staticnn {
HWY_BEFORE_TEST(LinearTest);
HWY_EXPORT_AND_TEST_P(LinearTest, TestLinear);
}  // namespace staticnn
#endif
