// The SIMD loss kernels (staticnn/kernels/loss-inl.h) against the scalar
// oracle (tests/reference/loss.hpp), on every Highway target compiled here.
//
// Cross-entropy and MSE are compared with the oracle in double on the same
// float inputs, within bounds derived from float rounding (epsilon times the
// size of the reduction and the magnitudes involved). The hinge loss is
// compared with the oracle in float: its margins are the same float
// operations, so its gradient must match exactly.
#include <cmath>
#include <cstddef>
#include <limits>
#include <random>
#include <vector>

#include "tests/reference/loss.hpp"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "tests/loss_test.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include "hwy/highway.h"
#include "staticnn/kernels/loss-inl.h"
#include "hwy/tests/test_util-inl.h"

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {
namespace {

constexpr float kEps = std::numeric_limits<float>::epsilon();

// An output buffer with canaries on both sides; the odd guard length leaves
// the data misaligned for every vector size.
class GuardedOutput {
 public:
  static constexpr std::size_t kGuard = 17;
  static constexpr float kCanary = -3.25e38f;

  explicit GuardedOutput(std::size_t n, float fill)
      : n_(n), storage_(n + 2 * kGuard, kCanary) {
    for (std::size_t i = 0; i < n; ++i) data()[i] = fill;
  }
  float* data() { return storage_.data() + kGuard; }
  bool canaries_intact() const {
    for (std::size_t i = 0; i < kGuard; ++i) {
      if (storage_[i] != kCanary || storage_[kGuard + n_ + i] != kCanary) {
        return false;
      }
    }
    return true;
  }

 private:
  std::size_t n_;
  std::vector<float> storage_;
};

// An input that starts one float into its allocation (misaligned) and ends
// exactly at the end of it, so that a sanitizer build catches any over-read.
class MisalignedInput {
 public:
  explicit MisalignedInput(const std::vector<float>& values)
      : storage_(values.size() + 1) {
    for (std::size_t i = 0; i < values.size(); ++i) storage_[i + 1] = values[i];
  }
  const float* data() const { return storage_.data() + 1; }

 private:
  std::vector<float> storage_;
};

std::vector<double> ToDouble(const std::vector<float>& v) {
  return std::vector<double>(v.begin(), v.end());
}

// The kinds of input each size is tested with.
enum class Data { normal, huge, equal, small_integers };
constexpr Data kAllData[] = {Data::normal, Data::huge, Data::equal,
                             Data::small_integers};

std::vector<float> MakeData(std::mt19937& rng, std::size_t n, Data kind) {
  std::normal_distribution<float> normal(0.0f, 3.0f);
  std::uniform_int_distribution<int> small_int(-2, 2);
  std::vector<float> v(n);
  for (float& x : v) {
    switch (kind) {
      case Data::normal: x = normal(rng); break;
      case Data::huge: x = 1e4f + normal(rng); break;  // exp(1e4) overflows
      case Data::equal: x = 0.75f; break;
      case Data::small_integers: x = static_cast<float>(small_int(rng)); break;
    }
  }
  return v;
}

// Labels to try: the first, the last and a random one.
std::vector<int> Labels(std::mt19937& rng, int k) {
  return {0, k - 1, static_cast<int>(rng() % static_cast<unsigned>(k))};
}

constexpr float kScales[] = {1.0f, 1.0f / 32, 0.37f};

template <int K>
void CheckSoftmaxCrossEntropy(std::mt19937& rng) {
  for (Data kind : kAllData) {
    const std::vector<float> logits = MakeData(rng, K, kind);
    const MisalignedInput input(logits);
    const std::vector<double> logits_d = ToDouble(logits);
    double max_logit = logits_d[0];
    for (double x : logits_d) max_logit = HWY_MAX(max_logit, x);
    for (int label : Labels(rng, K)) {
      for (float scale : kScales) {
        SCOPED_TRACE(::testing::Message() << "K=" << K << " data=" << int(kind)
                                          << " label=" << label << " scale=" << scale);
        GuardedOutput dlogits(K, std::numeric_limits<float>::quiet_NaN());
        const float loss = SoftmaxCrossEntropy<K>(input.data(), label,
                                                  dlogits.data(), scale);
        std::vector<double> expected(K);
        const double expected_loss = reference::softmax_cross_entropy(
            K, logits_d.data(), label, expected.data(), double{scale});

        // exp(x - m) is off by eps * (|x - m| + 2) relatively, the sum by up
        // to (K + 2) eps; the label entry loses eps * scale in "- scale".
        double spread = 0;
        for (double x : logits_d) spread = HWY_MAX(spread, max_logit - x);
        ASSERT_TRUE(std::isfinite(loss));
        EXPECT_NEAR(loss, expected_loss,
                    kEps * (K + 8 + 2 * spread + 2 * std::abs(expected_loss)));
        for (int j = 0; j < K; ++j) {
          const double softmax = expected[j] / scale + (j == label ? 1 : 0);
          const double error_bound =
              scale * kEps * (softmax * (max_logit - logits_d[j] + K + 8) + 4);
          ASSERT_TRUE(std::isfinite(dlogits.data()[j])) << j;
          EXPECT_NEAR(dlogits.data()[j], expected[j], error_bound) << j;
        }
        EXPECT_TRUE(dlogits.canaries_intact());

        // In place (dlogits over the logits) gives the same numbers.
        std::vector<float> in_place = logits;
        EXPECT_EQ(loss, SoftmaxCrossEntropy<K>(in_place.data(), label,
                                               in_place.data(), scale));
        for (int j = 0; j < K; ++j) EXPECT_EQ(in_place[j], dlogits.data()[j]) << j;
      }
    }
  }
}

template <int K>
void CheckMulticlassHinge(std::mt19937& rng) {
  for (Data kind : kAllData) {
    // Small integers make many margins exactly 0 (not active) or 1.
    const std::vector<float> scores = MakeData(rng, K, kind);
    const MisalignedInput input(scores);
    for (int label : Labels(rng, K)) {
      for (float scale : kScales) {
        SCOPED_TRACE(::testing::Message() << "K=" << K << " data=" << int(kind)
                                          << " label=" << label << " scale=" << scale);
        GuardedOutput dscores(K, std::numeric_limits<float>::quiet_NaN());
        const float loss =
            MulticlassHinge<K>(input.data(), label, dscores.data(), scale);
        std::vector<float> expected(K);
        const float expected_loss = reference::multiclass_hinge(
            K, scores.data(), label, expected.data(), scale);
        // The same positive margins, summed in another order.
        EXPECT_NEAR(loss, expected_loss, (K + 1) * kEps * expected_loss);
        for (int j = 0; j < K; ++j) EXPECT_EQ(dscores.data()[j], expected[j]) << j;
        EXPECT_TRUE(dscores.canaries_intact());

        std::vector<float> in_place = scores;
        EXPECT_EQ(loss, MulticlassHinge<K>(in_place.data(), label,
                                           in_place.data(), scale));
        for (int j = 0; j < K; ++j) EXPECT_EQ(in_place[j], dscores.data()[j]) << j;
      }
    }
  }
}

template <std::size_t N>
void CheckMeanSquaredError(std::mt19937& rng) {
  for (Data kind : kAllData) {
    const std::vector<float> pred = MakeData(rng, N, kind);
    for (bool exact : {false, true}) {
      const std::vector<float> target =
          exact ? pred : MakeData(rng, N, Data::normal);
      const MisalignedInput pred_in(pred), target_in(target);
      const std::vector<double> pred_d = ToDouble(pred), target_d = ToDouble(target);
      for (float scale : kScales) {
        SCOPED_TRACE(::testing::Message() << "N=" << N << " data=" << int(kind)
                                          << " exact=" << exact << " scale=" << scale);
        GuardedOutput dpred(N, std::numeric_limits<float>::quiet_NaN());
        const float loss = MeanSquaredError<N>(pred_in.data(), target_in.data(),
                                               dpred.data(), scale);
        std::vector<double> expected(N);
        const double expected_loss = reference::mean_squared_error(
            N, pred_d.data(), target_d.data(), expected.data(), double{scale});
        // A sum of N positive terms, each off by 3 eps; dpred rounds 3 times.
        EXPECT_NEAR(loss, expected_loss, (N + 6) * kEps * expected_loss);
        for (std::size_t i = 0; i < N; ++i) {
          EXPECT_NEAR(dpred.data()[i], expected[i], 4 * kEps * std::abs(expected[i]))
              << i;
        }
        EXPECT_TRUE(dpred.canaries_intact());

        std::vector<float> in_place = pred;
        EXPECT_EQ(loss, MeanSquaredError<N>(in_place.data(), target.data(),
                                            in_place.data(), scale));
        for (std::size_t i = 0; i < N; ++i) EXPECT_EQ(in_place[i], dpred.data()[i]) << i;
      }
    }
  }
}

// Class counts and output sizes: odd ones, and one lane count either side.
template <int... Ks>
void ForClassCounts(std::mt19937& rng) {
  (CheckSoftmaxCrossEntropy<Ks>(rng), ...);
  (CheckMulticlassHinge<Ks>(rng), ...);
  (CheckMeanSquaredError<static_cast<std::size_t>(Ks)>(rng), ...);
}

}  // namespace

void TestLossKernelsMatchOracle() {
  std::mt19937 rng(42);
  ForClassCounts<1, 2, 3, 7, 10, 15, 16, 17, 33, 1000>(rng);
}

// The lecture's example, and logits that would overflow exp() unshifted.
void TestLossKnownValues() {
  const float cat_image[] = {3.2f, 5.1f, -1.7f};
  float grad[3];
  EXPECT_NEAR(MulticlassHinge<3>(cat_image, 0, grad, 1.0f), 2.9f, 4 * kEps * 5.1f);
  EXPECT_EQ(grad[0], -1.0f);
  EXPECT_EQ(grad[1], 1.0f);
  EXPECT_EQ(grad[2], 0.0f);

  float equal[10], dequal[10];
  for (float& x : equal) x = -2.5f;
  EXPECT_NEAR(SoftmaxCrossEntropy<10>(equal, 3, dequal, 1.0f), std::log(10.0f),
              8 * kEps * std::log(10.0f));

  const float huge[] = {1e4f, 1e4f - 1, 1e4f + 2};
  const float shifted[] = {0.0f, -1.0f, 2.0f};
  float dhuge[3], dshifted[3];
  const float loss = SoftmaxCrossEntropy<3>(huge, 0, dhuge, 1.0f);
  EXPECT_TRUE(std::isfinite(loss));
  EXPECT_NEAR(loss, SoftmaxCrossEntropy<3>(shifted, 0, dshifted, 1.0f), 8 * kEps * 3);
  for (int j = 0; j < 3; ++j) EXPECT_NEAR(dhuge[j], dshifted[j], 8 * kEps) << j;
}

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace staticnn {
HWY_BEFORE_TEST(LossTest);
HWY_EXPORT_AND_TEST_P(LossTest, TestLossKernelsMatchOracle);
HWY_EXPORT_AND_TEST_P(LossTest, TestLossKnownValues);
}  // namespace staticnn
#endif
