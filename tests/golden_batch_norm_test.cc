// BatchNorm2d/1d, ReLU6, Hardswish and Dropout against PyTorch's golden data
// (tools/make_golden.py), through Kernel<L> on every Highway target; the
// batch-norm oracle too (in double, on the same data).
//
// Tolerance (tests/golden.hpp): |actual - pytorch| <= K * eps * T.mag + eps * |pytorch|,
// with T.mag from the file and K per tensor below (tests/batch_norm_test.cc
// derives them; m = values per channel = N * H * W).
//
// Dropout: staticnn draws its masks from its own generator (layers/dropout.hpp),
// not PyTorch's, so no golden value can be compared element by element. The
// file holds what PyTorch's semantics fix instead: the factor kept elements
// are multiplied by (checked bit for bit), the fraction kept (both ours and
// PyTorch's must lie within 5 standard deviations of 1 - p), and p = 0, p = 1
// and eval mode (checked bit for bit). The masks themselves are checked
// against the oracle, which reproduces the generator (mobile_layers_test).
#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <vector>

#include "staticnn/layers/activations.hpp"
#include "staticnn/layers/batch_norm.hpp"
#include "staticnn/layers/dropout.hpp"
#include "tests/golden.hpp"
#include "tests/reference/layers.hpp"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "tests/golden_batch_norm_test.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include "hwy/highway.h"
#include "staticnn/layers/activations-inl.h"
#include "staticnn/layers/batch_norm-inl.h"
#include "staticnn/layers/dropout-inl.h"
#include "hwy/tests/test_util-inl.h"

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {
namespace {

using golden::File;
using golden::Tensor;
using Dims = std::vector<int>;

std::vector<float> Unwritten(std::size_t n) {
  return std::vector<float>(n, std::numeric_limits<float>::quiet_NaN());
}

void Check(const File& f, const std::string& case_name, const std::string& name,
           const Dims& dims, const float* actual, double terms, const char* target) {
  const Tensor& expected = f.Get(name, dims);
  golden::ExpectNear(case_name, name, target, actual, expected, terms, f.Scalar(name + ".mag"));
}

// ---------------------------------------------------------------- BatchNorm

template <class L, Shape In, int N>
void CheckBatchNorm(const std::string& name) {
  constexpr bool kAffine = L::spec.affine;
  constexpr int C = In.c;
  constexpr double m = double(N) * In.h * In.w;
  const File f(name);
  if (!f.ok()) return;
  EXPECT_EQ(f.Scalar("eps"), L::spec.eps);
  EXPECT_EQ(f.Scalar("momentum"), L::spec.momentum);
  const bool flat = !L::step(In, true).violation.ok() ? false : true;
  const Dims dims = flat ? Dims{N, C} : Dims{N, C, In.h, In.w}, per_channel{C};
  const Tensor& x = f.Get("x", dims);
  const Tensor& dy = f.Get("dy", dims);
  std::vector<float> params(kAffine ? 2 * C : 1, 0.0f);
  if (kAffine) {
    const Tensor& w = f.Get("weight", per_channel);
    const Tensor& b = f.Get("bias", per_channel);
    std::copy(w.values.begin(), w.values.end(), params.begin());
    std::copy(b.values.begin(), b.values.end(), params.begin() + C);
  }
  std::vector<float> buffers0(2 * C);
  const Tensor& rm = f.Get("running_mean", per_channel);
  const Tensor& rv = f.Get("running_var", per_channel);
  std::copy(rm.values.begin(), rm.values.end(), buffers0.begin());
  std::copy(rv.values.begin(), rv.values.end(), buffers0.begin() + C);
  const char* target = hwy::TargetName(HWY_TARGET);

  for (const bool training : {true, false}) {
    const std::string mode = training ? "train." : "eval.";
    std::vector<float> buffers = buffers0, saved(L::saved_floats(In));
    std::vector<float> y = Unwritten(x.size()), dx = Unwritten(x.size());
    std::vector<float> grads(kAffine ? 2 * C : 1, 0.0f);
    Kernel<L>::template Forward<In, N>(ForwardArgs{x.data(), y.data(), params.data(),
                                                   buffers.data(),
                                                   training ? buffers.data() : nullptr,
                                                   saved.data(), nullptr, training, nullptr});
    Kernel<L>::template Backward<In, N>(BackwardArgs{x.data(), y.data(), dy.data(), dx.data(),
                                                     params.data(), buffers.data(), saved.data(),
                                                     grads.data(), nullptr});
    Check(f, name, mode + "y", dims, y.data(), training ? m + 8 : 8, target);
    Check(f, name, mode + "dx", dims, dx.data(), training ? 3 * m + 20 : 4, target);
    if (kAffine) {
      Check(f, name, mode + "dweight", per_channel, grads.data(), training ? 2 * m + 8 : m + 6,
            target);
      Check(f, name, mode + "dbias", per_channel, grads.data() + C, m + 2, target);
    }
    if (training) {
      Check(f, name, "train.running_mean", per_channel, buffers.data(), m + 4, target);
      Check(f, name, "train.running_var", per_channel, buffers.data() + C, m + 8, target);
    }

    // The oracle on the same data, in double: within the golden value's own
    // rounding (eps |r|), where a wrong formula is off by far more.
    std::vector<double> xd(x.values.begin(), x.values.end()), dyd(dy.values.begin(), dy.values.end());
    std::vector<double> pd(params.begin(), params.end()), bd(buffers0.begin(), buffers0.end());
    std::vector<double> yd(x.size()), dxd(x.size()), gd(grads.size(), 0.0);
    reference::Reference<L, double> oracle;
    oracle.forward(In, N, pd.data(), bd.data(), xd.data(), yd.data(), training);
    oracle.backward(In, N, pd.data(), bd.data(), xd.data(), yd.data(), dyd.data(), dxd.data(),
                    gd.data());
    const auto as_float = [](const std::vector<double>& v, std::size_t from, std::size_t count) {
      return std::vector<float>(v.begin() + long(from), v.begin() + long(from + count));
    };
    Check(f, name, mode + "y", dims, as_float(yd, 0, yd.size()).data(), 0, "oracle");
    Check(f, name, mode + "dx", dims, as_float(dxd, 0, dxd.size()).data(), 0, "oracle");
    if (kAffine) {
      Check(f, name, mode + "dweight", per_channel, as_float(gd, 0, C).data(), 0, "oracle");
      Check(f, name, mode + "dbias", per_channel, as_float(gd, C, C).data(), 0, "oracle");
    }
    if (training) {
      Check(f, name, "train.running_mean", per_channel, as_float(bd, 0, C).data(), 0, "oracle");
      Check(f, name, "train.running_var", per_channel, as_float(bd, C, C).data(), 0, "oracle");
    }
  }
}

void TestBatchNorm() {
  CheckBatchNorm<BatchNorm2d<>, Shape{4, 5, 7}, 3>("batchnorm2d");
  CheckBatchNorm<BatchNorm2d<{.eps = 1e-3f, .momentum = 0.3f, .affine = false}>, Shape{3, 4, 4},
                 2>("batchnorm2d_eps1e-3_momentum0.3_noaffine");
  CheckBatchNorm<BatchNorm1d<>, Shape{37, 1, 1}, 5>("batchnorm1d");
}

// ------------------------------------------------------ ReLU6 and Hardswish

// Backward reads x only, so each direction is judged on its own.
template <class L>
void CheckActivation(const std::string& name, double y_terms, double dx_terms) {
  constexpr Shape In{3, 5, 7};
  constexpr int N = 2;
  const File f(name);
  if (!f.ok()) return;
  const Dims dims{N, In.c, In.h, In.w};
  const Tensor& x = f.Get("x", dims);
  const Tensor& dy = f.Get("dy", dims);
  std::vector<float> y = Unwritten(x.size()), dx = Unwritten(x.size());
  Kernel<L>::template Forward<In, N>(
      ForwardArgs{x.data(), y.data(), nullptr, nullptr, nullptr, nullptr, nullptr, true, nullptr});
  Kernel<L>::template Backward<In, N>(BackwardArgs{x.data(), y.data(), dy.data(), dx.data(),
                                                   nullptr, nullptr, nullptr, nullptr, nullptr});
  const char* target = hwy::TargetName(HWY_TARGET);
  Check(f, name, "y", dims, y.data(), y_terms, target);
  Check(f, name, "dx", dims, dx.data(), dx_terms, target);
}

void TestMobileActivations() {
  CheckActivation<ReLU6>("relu6", 0, 0);  // selections: exact (x holds the kinks)
  // x + 3, the product, the division (relative to |y|); x / 3, + 1/2, the
  // product (relative to |dy| (|x|/3 + 1/2)).
  CheckActivation<Hardswish>("hardswish", 3, 3);
}

// ------------------------------------------------------------------ Dropout

template <float P>
void CheckDropoutStatistics(const File& f, const std::string& key) {
  using L = Dropout<{.p = P}>;
  constexpr int n = 1 << 16;
  EXPECT_EQ(f.Scalar(key), P);
  EXPECT_EQ(f.Scalar(key + ".scale"), L::scale) << "kept elements: x * float(1 / (1 - p))";
  const double sd = std::sqrt(P * (1.0 - P) / n);
  EXPECT_NEAR(f.Scalar(key + ".kept_fraction"), 1.0 - P, 5 * sd) << "PyTorch's";
  static std::vector<float> ones(n, 1.0f), y(n), saved(n + 1);
  std::uint64_t rng = 2026;
  Kernel<L>::template Forward<Shape{n, 1, 1}, 1>(ForwardArgs{
      ones.data(), y.data(), nullptr, nullptr, nullptr, saved.data(), nullptr, true, &rng});
  int kept = 0;
  for (float v : y) {
    ASSERT_TRUE(v == 0.0f || v == f.Scalar(key + ".scale")) << v;
    kept += v != 0.0f;
  }
  EXPECT_NEAR(double(kept) / n, 1.0 - P, 5 * sd) << "ours";
}

void TestDropout() {
  const File f("dropout");
  if (!f.ok()) return;
  CheckDropoutStatistics<0.5f>(f, "p0.5");
  CheckDropoutStatistics<0.3f>(f, "p0.3");
  CheckDropoutStatistics<0.1f>(f, "p0.1");
  constexpr Shape In{4, 5, 1};
  const Tensor& x = f.Get("x", {3, 4, 5});
  const auto run = [&](auto layer, bool training) {
    using L = decltype(layer);
    std::vector<float> y = Unwritten(x.size()), saved(x.size() + 1);
    std::uint64_t rng = 7;
    Kernel<L>::template Forward<In, 3>(ForwardArgs{x.data(), y.data(), nullptr, nullptr, nullptr,
                                                   saved.data(), nullptr, training, &rng});
    return y;
  };
  const auto same_bits = [](const std::vector<float>& a, const Tensor& b, const char* what) {
    for (std::size_t i = 0; i < b.size(); ++i) {
      ASSERT_EQ(std::memcmp(&a[i], &b.values[i], sizeof(float)), 0) << what << " at " << i;
    }
  };
  same_bits(run(Dropout<{.p = 0.5f}>{}, false), f.Get("eval", {3, 4, 5}), "eval: identity");
  same_bits(run(Dropout<{.p = 0.0f}>{}, true), f.Get("p0", {3, 4, 5}), "p = 0: identity");
  same_bits(run(Dropout<{.p = 1.0f}>{}, true), f.Get("p1", {3, 4, 5}), "p = 1: zeros");
}

}  // namespace
}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace staticnn {
HWY_BEFORE_TEST(GoldenBatchNormTest);
HWY_EXPORT_AND_TEST_P(GoldenBatchNormTest, TestBatchNorm);
HWY_EXPORT_AND_TEST_P(GoldenBatchNormTest, TestMobileActivations);
HWY_EXPORT_AND_TEST_P(GoldenBatchNormTest, TestDropout);
[[maybe_unused]] static const bool kSummary = golden::RegisterSummary();
}  // namespace staticnn
#endif  // HWY_ONCE
