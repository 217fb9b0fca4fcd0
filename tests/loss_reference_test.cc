// The scalar loss oracle (tests/reference/loss.hpp) checked on its own:
// gradients against central finite differences in double, known values from
// the lecture, numerical stability, and values/gradients from PyTorch.
#include "tests/reference/loss.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <limits>
#include <random>
#include <vector>

namespace staticnn::reference {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr int kClassCounts[] = {1, 2, 3, 7, 10, 17};

std::vector<double> random_vector(std::mt19937& rng, int n, double stddev) {
  std::normal_distribution<double> normal(0.0, stddev);
  std::vector<double> v(static_cast<std::size_t>(n));
  for (double& x : v) x = normal(rng);
  return v;
}

// Central differences of loss(x) times scale, one coordinate at a time.
template <class Loss>
std::vector<double> numeric_gradient(std::vector<double> x, double scale,
                                     const Loss& loss) {
  constexpr double h = 1e-6;
  std::vector<double> grad(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double saved = x[i];
    x[i] = saved + h;
    const double plus = loss(x);
    x[i] = saved - h;
    const double minus = loss(x);
    x[i] = saved;
    grad[i] = scale * (plus - minus) / (2 * h);
  }
  return grad;
}

// Every entry written (no NaN left from the pre-fill) and equal to the finite
// difference to ~1e-7 of the gradient's scale.
void expect_matches_numeric(const std::vector<double>& analytic,
                            const std::vector<double>& numeric, double scale) {
  ASSERT_EQ(analytic.size(), numeric.size());
  for (std::size_t i = 0; i < analytic.size(); ++i) {
    EXPECT_FALSE(std::isnan(analytic[i])) << "entry " << i << " never written";
    EXPECT_NEAR(analytic[i], numeric[i], 1e-7 * scale) << "entry " << i;
  }
}

TEST(LossReference, CrossEntropyGradientIsFiniteDifference) {
  std::mt19937 rng(1);
  for (int k : kClassCounts) {
    for (double scale : {1.0, 0.25}) {
      const std::vector<double> logits = random_vector(rng, k, 2.0);
      const int label = static_cast<int>(rng() % static_cast<unsigned>(k));
      std::vector<double> dlogits(logits.size(), kNaN);
      softmax_cross_entropy(k, logits.data(), label, dlogits.data(), scale);
      std::vector<double> scratch(logits.size());
      const auto loss = [&](const std::vector<double>& x) {
        return softmax_cross_entropy(k, x.data(), label, scratch.data(), 1.0);
      };
      SCOPED_TRACE(::testing::Message() << "K=" << k << " scale=" << scale);
      expect_matches_numeric(dlogits, numeric_gradient(logits, scale, loss), scale);
    }
  }
}

TEST(LossReference, HingeGradientIsFiniteDifference) {
  std::mt19937 rng(2);
  for (int k : kClassCounts) {
    for (double scale : {1.0, 0.25}) {
      std::vector<double> scores;
      int label = 0;
      // Stay away from the kinks (margin 0), where the loss has no derivative.
      for (bool near_kink = true; near_kink;) {
        scores = random_vector(rng, k, 1.5);
        label = static_cast<int>(rng() % static_cast<unsigned>(k));
        near_kink = false;
        for (int j = 0; j < k; ++j) {
          const double margin = scores[j] - scores[label] + 1;
          if (j != label && std::abs(margin) < 1e-3) near_kink = true;
        }
      }
      std::vector<double> dscores(scores.size(), kNaN);
      multiclass_hinge(k, scores.data(), label, dscores.data(), scale);
      std::vector<double> scratch(scores.size());
      const auto loss = [&](const std::vector<double>& x) {
        return multiclass_hinge(k, x.data(), label, scratch.data(), 1.0);
      };
      SCOPED_TRACE(::testing::Message() << "K=" << k << " scale=" << scale);
      expect_matches_numeric(dscores, numeric_gradient(scores, scale, loss), scale);
    }
  }
}

TEST(LossReference, MeanSquaredErrorGradientIsFiniteDifference) {
  std::mt19937 rng(3);
  for (int n : kClassCounts) {
    for (double scale : {1.0, 0.25}) {
      const std::vector<double> pred = random_vector(rng, n, 1.0);
      const std::vector<double> target = random_vector(rng, n, 1.0);
      const std::size_t size = pred.size();
      std::vector<double> dpred(size, kNaN);
      mean_squared_error(size, pred.data(), target.data(), dpred.data(), scale);
      std::vector<double> scratch(size);
      const auto loss = [&](const std::vector<double>& x) {
        return mean_squared_error(size, x.data(), target.data(), scratch.data(), 1.0);
      };
      SCOPED_TRACE(::testing::Message() << "N=" << n << " scale=" << scale);
      expect_matches_numeric(dpred, numeric_gradient(pred, scale, loss), scale);
    }
  }
}

// The output gradient is overwritten: whatever it held before does not matter.
TEST(LossReference, GradientsAreOverwritten) {
  const double x[] = {0.5, -1.0, 2.0, 0.25};
  const double t[] = {0.0, 1.0, 1.5, -0.5};
  for (int which = 0; which < 3; ++which) {
    double clean[4], dirty[4] = {1e30, -7.0, kNaN, 3.0};
    for (double& g : clean) g = 0.0;
    const auto run = [&](double* grad) {
      if (which == 0) return softmax_cross_entropy(4, x, 1, grad, 0.5);
      if (which == 1) return multiclass_hinge(4, x, 1, grad, 0.5);
      return mean_squared_error(4, x, t, grad, 0.5);
    };
    EXPECT_EQ(run(clean), run(dirty));
    for (int i = 0; i < 4; ++i) EXPECT_EQ(clean[i], dirty[i]) << which << " " << i;
  }
}

TEST(LossReference, CrossEntropyOfEqualLogitsIsLogK) {
  for (int k : kClassCounts) {
    const std::vector<double> logits(static_cast<std::size_t>(k), 0.75);
    std::vector<double> dlogits(logits.size());
    for (int label : {0, k - 1}) {
      EXPECT_NEAR(softmax_cross_entropy(k, logits.data(), label, dlogits.data(), 1.0),
                  std::log(k), 1e-15 * k) << "K=" << k;
      // softmax is uniform: dlogits = 1/K - onehot.
      for (int j = 0; j < k; ++j) {
        EXPECT_NEAR(dlogits[j], 1.0 / k - (j == label), 1e-15) << j;
      }
    }
  }
}

// CS231n, "Linear classification": three images, scores for (cat, car, frog).
TEST(LossReference, HingeOfTheLectureExamples) {
  const double cat_image[] = {3.2, 5.1, -1.7};   // label cat
  const double car_image[] = {1.3, 4.9, 2.0};    // label car
  const double frog_image[] = {2.2, 2.5, -3.1};  // label frog
  double grad[3];
  EXPECT_NEAR(multiclass_hinge(3, cat_image, 0, grad, 1.0), 2.9, 1e-14);
  EXPECT_EQ(grad[0], -1.0);  // one active margin: car
  EXPECT_EQ(grad[1], 1.0);
  EXPECT_EQ(grad[2], 0.0);
  EXPECT_EQ(multiclass_hinge(3, car_image, 1, grad, 1.0), 0.0);
  EXPECT_NEAR(multiclass_hinge(3, frog_image, 2, grad, 1.0), 12.9, 1e-14);
  EXPECT_EQ(grad[2], -2.0);

  // Single precision gives the same example to float rounding.
  const float cat_f[] = {3.2f, 5.1f, -1.7f};
  float grad_f[3];
  EXPECT_NEAR(multiclass_hinge(3, cat_f, 0, grad_f, 1.0f), 2.9f,
              4 * std::numeric_limits<float>::epsilon() * 5.1f);
}

// A margin of exactly 0 is not active (torch's convention too).
TEST(LossReference, HingeMarginOfExactlyZeroIsNotActive) {
  const double scores[] = {2.0, 1.0, 0.5};  // margin of class 1: 1 - 2 + 1 = 0
  double grad[3];
  EXPECT_EQ(multiclass_hinge(3, scores, 0, grad, 1.0), 0.0);
  EXPECT_EQ(grad[0], 0.0);
  EXPECT_EQ(grad[1], 0.0);
}

// Logits around 1e4 overflow exp() without the max shift, in float and double.
template <class T>
void expect_stable_for_huge_logits() {
  const T huge[] = {T(1e4), T(1e4) - 1, T(1e4) + 2, T(1e4) - 30};
  const T shifted[] = {0, -1, 2, -30};
  T dhuge[4], dshifted[4];
  const T loss = softmax_cross_entropy(4, huge, 1, dhuge, T(1));
  EXPECT_TRUE(std::isfinite(loss));
  EXPECT_NEAR(loss, softmax_cross_entropy(4, shifted, 1, dshifted, T(1)),
              8 * std::numeric_limits<T>::epsilon() * 3);
  T sum = 0;
  for (int j = 0; j < 4; ++j) {
    EXPECT_TRUE(std::isfinite(dhuge[j])) << j;
    EXPECT_NEAR(dhuge[j], dshifted[j], 8 * std::numeric_limits<T>::epsilon()) << j;
    sum += dhuge[j];
  }
  EXPECT_NEAR(sum, T(0), 8 * std::numeric_limits<T>::epsilon());

  // Very negative logits, and one class far ahead of the others.
  const T far[] = {T(-1e4), T(-2e4), T(1e4)};
  T dfar[3];
  EXPECT_NEAR(softmax_cross_entropy(3, far, 0, dfar, T(1)), T(2e4), T(2e4) * 1e-6);
  EXPECT_EQ(dfar[0], T(-1));
  EXPECT_EQ(dfar[2], T(1));
}

TEST(LossReference, CrossEntropyIsStableForHugeLogits) {
  expect_stable_for_huge_logits<float>();
  expect_stable_for_huge_logits<double>();
}

// ---- Golden values: generated by tools/make_optimizer_golden.py (part 2) ----
// torch 1.13, float64: F.cross_entropy, MultiMarginLoss(p=1, margin=1) * K
// (torch divides the lecture's sum by K) and F.mse_loss.
struct GoldenLoss {
  double input[5];
  int label;
  double loss;
  double grad[5];
};
constexpr GoldenLoss kCrossEntropyGolden[] = {
    {{1.5, -0.29999999999999999, 2.2000000000000002, 0.0, -1.7}, 2, 0.53632690766826108,
     {0.29044910741231234, 0.048010914540207401, -0.41510732356607261, 0.064807955851877735, 0.01183934576167507}},
    {{0.10000000000000001, 0.20000000000000001, -3.0, 4.0, 0.5}, 0, 3.9711310693556032,
     {-0.98114790195869273, 0.020834790499963649, 0.00084927198020604477, 0.93133981401814625, 0.028124025460376765}},
};
constexpr GoldenLoss kHingeGolden[] = {
    {{1.5, -0.29999999999999999, 2.2000000000000002, 0.0, -1.7}, 2, 0.29999999999999982,
     {1.0, 0.0, -1.0, 0.0, 0.0}},
    {{0.10000000000000001, 0.20000000000000001, -3.0, 4.0, 0.5}, 0, 7.4000000000000004,
     {-3.0000000000000004, 1.0, 0.0, 1.0, 1.0}},
};
constexpr double kMseTarget[5] = {0.25, -0.5, 2.0, 0.0, -1.0};
constexpr GoldenLoss kMseGolden[] = {
    {{1.5, -0.29999999999999999, 2.2000000000000002, 0.0, -1.7}, 0, 0.42649999999999999,
     {0.5, 0.080000000000000016, 0.080000000000000071, 0.0, -0.27999999999999997}},
    {{0.10000000000000001, 0.20000000000000001, -3.0, 4.0, 0.5}, 0, 8.7525000000000013,
     {-0.059999999999999998, 0.27999999999999997, -2.0, 1.6000000000000001, 0.60000000000000009}},
};
// ---- end of generated values ----

template <class Loss>
void expect_golden(const GoldenLoss& golden, const Loss& loss) {
  double grad[5];
  const double value = loss(golden.input, golden.label, grad);
  EXPECT_NEAR(value, golden.loss, 1e-14 * (1 + std::abs(golden.loss)));
  for (int j = 0; j < 5; ++j) {
    EXPECT_NEAR(grad[j], golden.grad[j], 1e-14 * (1 + std::abs(golden.grad[j]))) << j;
  }
}

TEST(LossReference, MatchesTorchCrossEntropy) {
  for (const GoldenLoss& golden : kCrossEntropyGolden) {
    expect_golden(golden, [](const double* x, int label, double* grad) {
      return softmax_cross_entropy(5, x, label, grad, 1.0);
    });
  }
}

TEST(LossReference, MatchesTorchMultiMarginLossTimesK) {
  for (const GoldenLoss& golden : kHingeGolden) {
    expect_golden(golden, [](const double* x, int label, double* grad) {
      return multiclass_hinge(5, x, label, grad, 1.0);
    });
  }
}

TEST(LossReference, MatchesTorchMseLoss) {
  for (const GoldenLoss& golden : kMseGolden) {
    expect_golden(golden, [](const double* x, int, double* grad) {
      return mean_squared_error(5, x, kMseTarget, grad, 1.0);
    });
  }
}

}  // namespace
}  // namespace staticnn::reference
