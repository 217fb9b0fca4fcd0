// Calibration observers (staticnn/int8/calibration.hpp): the min/max range of
// several batches, refusal of non-finite values, and percentile ranges that
// drop outliers, checked against the known distribution of the data (to one
// bin's width), with the quantization they lead to.
#include "staticnn/int8/calibration.hpp"

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace staticnn::int8 {
namespace {

TEST(Int8Calibration, MinMaxOverBatches) {
  MinMaxObserver observer;
  EXPECT_TRUE(observer.empty());
  EXPECT_EQ(observer.range(), (Range{0.0f, 0.0f}));
  EXPECT_EQ(observer.quantization().scale, 1.0f);
  const float a[] = {0.5f, -0.25f, 2.0f}, b[] = {-1.5f, 1.0f};
  EXPECT_EQ(observer.Observe(a, 3), Status::ok);
  EXPECT_EQ(observer.Observe(b, 2), Status::ok);
  EXPECT_EQ(observer.range(), (Range{-1.5f, 2.0f}));
  const TensorQuantization q = observer.quantization();
  EXPECT_FLOAT_EQ(q.scale, 3.5f / 255.0f);
  EXPECT_EQ(Dequantize(QuantizeActivation(0.0f, q), q), 0.0f);
}

TEST(Int8Calibration, NonFiniteValuesAreRefused) {
  MinMaxObserver min_max;
  HistogramObserver<16> histogram(Range{-1.0f, 1.0f});
  const float ok[] = {0.25f};
  ASSERT_EQ(min_max.Observe(ok, 1), Status::ok);
  ASSERT_EQ(histogram.Observe(ok, 1), Status::ok);
  for (const float bad : {std::numeric_limits<float>::quiet_NaN(),
                          std::numeric_limits<float>::infinity()}) {
    const float batch[] = {-7.0f, bad, 9.0f};
    EXPECT_EQ(min_max.Observe(batch, 3), Status::non_finite);
    EXPECT_EQ(histogram.Observe(batch, 3), Status::non_finite);
  }
  EXPECT_EQ(min_max.range(), (Range{0.25f, 0.25f}));  // untouched
  EXPECT_EQ(histogram.Percentile(50.0), (Range{0.25f, 0.375f}));  // only 0.25's bin
}

TEST(Int8Calibration, PercentileDropsOutliers) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::vector<float> x(10000);
  for (float& v : x) v = uniform(rng);
  for (int i = 0; i < 10; ++i) x[i * 997] = 50.0f;  // 0.1% outliers
  MinMaxObserver min_max;
  ASSERT_EQ(min_max.Observe(x.data(), static_cast<int>(x.size())), Status::ok);
  EXPECT_EQ(min_max.range().hi, 50.0f);

  constexpr int kBins = 2048;
  HistogramObserver<kBins> histogram(min_max.range());
  // Two batches: counts accumulate.
  ASSERT_EQ(histogram.Observe(x.data(), 5000), Status::ok);
  ASSERT_EQ(histogram.Observe(x.data() + 5000, 5000), Status::ok);
  const float bin = (50.0f - min_max.range().lo) / kBins;
  EXPECT_EQ(histogram.Percentile(100.0), min_max.range());
  // 99.8%: 10 values dropped at each end, the outliers at the top.
  const Range r = histogram.Percentile(99.8);
  EXPECT_GE(r.hi, 1.0f - bin);
  EXPECT_LE(r.hi, 1.0f + bin);
  EXPECT_GE(r.lo, min_max.range().lo);
  EXPECT_LE(r.lo, -1.0f + bin);
  // 50%: the quartiles of a uniform [-1, 1] are -0.5 and 0.5.
  const Range half = histogram.Percentile(50.0);
  EXPECT_NEAR(half.lo, -0.5f, 0.05f);
  EXPECT_NEAR(half.hi, 0.5f, 0.05f);
  // The scale follows the clipped range, not the outliers.
  EXPECT_NEAR(histogram.quantization(99.8).scale, 2.0f / 255.0f, 2 * bin / 255.0f);
  EXPECT_NEAR(min_max.quantization().scale, 51.0f / 255.0f, 1e-3f);
}

}  // namespace
}  // namespace staticnn::int8
