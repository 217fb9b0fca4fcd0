// int8 LeNet-5 end to end against LiteRT (tests/data/int8/lenet5.gold, from
// tools/make_int8_golden.py): the script quantizes a float LeNet-5 with
// calibrated ranges, writes it as one int8 .tflite model and runs LiteRT's
// reference kernels. Checked here:
//   - int8::quantize reproduces the committed int8 weights, biases and
//     activation quantizations from the committed float parameters and ranges;
//   - int8::Forward gives LiteRT's output bits on every Highway target, with
//     no heap;
//   - quantize runs at compile time, and the sizes are what the layout says.
// And GlobalAvgPool2d as TFLite's MEAN (GlobalPool::kMean) against LiteRT's
// reference MEAN (tests/data/int8/mean_*.gold): one case that requantizes,
// one with equal input and output ranges, where AVERAGE_POOL_2D's rounding
// differs from MEAN's on one output of 24. And a SqueezeNet fire module,
// whose Concat is TFLite's CONCATENATION (tests/data/int8/fire.gold, the
// script's "fire" network with its weights drawn by script_weights.hpp):
// quantize gives the script's quantizations, Forward LiteRT's bits, and
// calibration the script's ranges.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "tests/golden_int8_network_test.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "hwy/tests/test_util-inl.h"
#include "staticnn/fold.hpp"
#include "staticnn/int8/calibrate-inl.h"
#include "staticnn/int8/network-inl.h"
#include "staticnn/int8/network.hpp"
#include "tests/golden.hpp"
#include "tests/support/nets.hpp"
#include "tests/support/script_weights.hpp"

// Target-independent part, compiled once.
#ifndef STATICNN_TESTS_GOLDEN_INT8_NETWORK_TEST_ONCE_
#define STATICNN_TESTS_GOLDEN_INT8_NETWORK_TEST_ONCE_
#include "tests/support/allocation_counter.hpp"

namespace staticnn::int8_network_test {

using golden::File;
using Float = fold_batch_norm_t<test::LeNet>;
using QNet = int8::Network<Float>;
static_assert(std::is_same_v<int8::quantized_t<test::LeNet>, QNet>);

// 61,470 int8 weights (padded to 4 bytes), 236 channels of int32 bias and a
// 20-byte Requantization, 13 activation quantizations.
static_assert(QNet::weight_count == 61470 && QNet::channel_count == 236);
static_assert(QNet::flash_bytes == 61472 + 236 * 4 + 236 * 20 + 13 * 8);
// Two buffers of the largest activation, the first conv's 6x28x28 (4,704
// bytes, each aligned to 64: 4,736).
static_assert(QNet::ram_bytes == 2 * 4736);

// A tiny network quantized at compile time: what firmware does to bake it.
using Tiny = Network<Input<1, 4, 4>, Conv2d<Conv2dSpec{.out_channels = 2, .kernel_size = 3}>,
                     ReLU6, Flatten, Linear<LinearSpec{.out_features = 3}>>;
using QTiny = int8::Network<Tiny>;
constexpr auto kTiny = [] {
  Tiny::Parameters p{};
  for (int i = 0; i < Tiny::param_count; ++i) p.values[i] = float(i % 7 - 3) * 0.1f;
  const int8::Range ranges[] = {{0.0f, 1.0f}, {-2.0f, 3.0f}, {0.0f, 2.5f}, {0.0f, 2.5f},
                                {-1.0f, 1.0f}};
  return int8::quantize<QTiny>(p, ranges);
}();
// Channel 0's weights are -0.3 .. 0.3 (9 of them, from -0.3): scale 0.3 / 127.
static_assert(kTiny.weights[0] == -127 && kTiny.weights[3] == 0 && kTiny.weights[6] == 127);
// ReLU6 is fused into the conv: its output uses the range after ReLU6, [0, 2.5],
// zero point -128, and the clamp stops at 6 (beyond the range: 127).
static_assert(kTiny.activation[1].zero_point == -128 && kTiny.activation[3].zero_point == -128);
static_assert(kTiny.requantization[0].clamp == int8::ActivationClamp{-128, 127});
// Channel 0's bias is parameter 18: 0.1, in the scale input_scale * weight_scale.
static_assert(kTiny.biases[0] == 10795);  // 0.1 / ((1 / 255) * (0.3 / 127)), rounded

// GlobalAvgPool2d as MEAN: its own output quantization, one Requantization
// for all channels.
template <int C, int H, int W>
using MeanNet = int8::quantized_t<Network<Input<C, H, W>, GlobalAvgPool2d>, int8::GlobalPool::kMean>;
static_assert(MeanNet<16, 5, 5>::kinds[0] == int8::LayerKind::kMean);
static_assert(MeanNet<16, 5, 5>::channel_count == 1 && MeanNet<16, 5, 5>::tensor_count == 2);
static_assert(int8::quantized_t<Network<Input<16, 5, 5>, GlobalAvgPool2d>>::kinds[0] ==
              int8::LayerKind::kAvgPool2d);
// 1/25 with equal scales: 2^30 * 2^4 / 25 = 687,194,767 (truncated) and shift 1 - 4.
static_assert(int8::MeanMultiplier(0.5f, 0.5f, 25) == int8::QuantizedMultiplier{687194767, -3});

// The fire module: a squeeze 1x1 conv, then two expand branches (1x1 and
// 3x3) concatenated along channels, each branch's ReLU output already in the
// Concat's quantization.
using Fire = Network<Input<3, 10, 10>, Conv2d<{.out_channels = 8, .kernel_size = 3, .padding = 1}>, ReLU,
                     Conv2d<{.out_channels = 4, .kernel_size = 1}>, ReLU,
                     Concat<Branch<Conv2d<{.out_channels = 6, .kernel_size = 1}>, ReLU>,
                            Branch<Conv2d<{.out_channels = 10, .kernel_size = 3, .padding = 1}>, ReLU>>,
                     AvgPool2d<{.kernel_size = 2}>>;
using QFire = int8::quantized_t<Fire>;
static_assert(QFire::concat_count == 1 && QFire::add_count == 0);
// The 6 float tensors, then each branch's 3 (its input, the conv's output and
// the ReLU's, the last in the Concat's quantization).
static_assert(QFire::tensor_count == 7 + 3 + 3);
// Four buffers of the largest activation, the concatenation's 16x10x10.
static_assert(QFire::max_activation == 1600 && QFire::ram_bytes == 4 * 1600);
constexpr int kFireCalibration = 4;
constexpr long kFireIn = QFire::input_shape.size();

// The fire module's float weights and inputs as the script draws them (the
// last input is the test's), the committed ranges and int8::quantize's
// parameters.
struct FireCase {
  Fire::Parameters params{};
  float x[(kFireCalibration + 1) * kFireIn];
  int8::Range ranges[QFire::tensor_count];
  int8::Parameters<QFire> q;
};
File OpenFire() { return File("../int8/fire"); }
FireCase& PrepareFire() {
  static FireCase c;
  script_weights::Draw<Fire>(c.params.values);
  script_weights::Lcg inputs{7};
  for (float& v : c.x) v = inputs.Uniform(1.0f);
  const File f = OpenFire();
  const golden::Tensor& ranges = f.Get("ranges", {int(QFire::tensor_count), 2});
  for (long i = 0; i < QFire::tensor_count; ++i) {
    c.ranges[i] = {ranges.values[std::size_t(2 * i)], ranges.values[std::size_t(2 * i + 1)]};
  }
  c.q = int8::quantize<QFire>(c.params, c.ranges);
  return c;
}

// The script's quantization of every tensor and bias (each branch's output
// in the Concat's quantization), and its int8 input.
TEST(Int8NetworkGoldenTest, FireQuantizeReproducesTheScriptsModel) {
  const FireCase& c = PrepareFire();
  const File f = OpenFire();
  const golden::Tensor& scales = f.Get("q.activation.scale", {int(QFire::tensor_count)});
  const golden::Tensor& zero_points = f.Get("q.activation.zero_point", {int(QFire::tensor_count)});
  for (long t = 0; t < QFire::tensor_count; ++t) {
    EXPECT_EQ(c.q.activation[t].scale, scales.values[std::size_t(t)]) << t;
    EXPECT_EQ(c.q.activation[t].zero_point, zero_points.values[std::size_t(t)]) << t;
  }
  EXPECT_EQ(c.q.activation[9].scale, c.q.activation[5].scale);  // branch 0's output: the Concat's
  EXPECT_EQ(c.q.activation[12].zero_point, c.q.activation[5].zero_point);
  const golden::Tensor& biases = f.Get("q.biases", {int(QFire::channel_count)});
  for (long i = 0; i < QFire::channel_count; ++i) EXPECT_EQ(c.q.biases[i], biases.values[std::size_t(i)]) << i;
  std::int8_t x[kFireIn];
  int8::QuantizeInput<QFire>(c.q, c.x + kFireCalibration * kFireIn, x);
  const golden::Tensor& expected_x = f.Get("x", {3, 10, 10});
  for (long i = 0; i < kFireIn; ++i) ASSERT_EQ(x[i], expected_x.values[std::size_t(i)]) << i;
}

File Open() { return File("../int8/lenet5"); }

std::vector<int> Dims(const Tensor& t) { return {t.dims.begin(), t.dims.begin() + t.rank}; }

// The float parameters (state_dict order, which is staticnn's) and the
// calibrated ranges, from the file.
struct FloatModel {
  Float::Parameters params{};
  int8::Range ranges[Float::layer_count + 1];
};

void Load(const File& f, FloatModel& m) {
  long filled = 0;
  for (const Tensor& t : Float::tensors) {
    const golden::Tensor& values = f.Get(t.name.s, Dims(t));
    std::copy(values.values.begin(), values.values.end(), m.params.values + filled);
    filled += t.count();
  }
  ASSERT_EQ(filled, Float::param_count);
  const golden::Tensor& ranges = f.Get("ranges", {Float::layer_count + 1, 2});
  for (int i = 0; i <= Float::layer_count; ++i) m.ranges[i] = {ranges.values[2 * i], ranges.values[2 * i + 1]};
}

// The parameters int8::quantize computes are the committed ones (which LiteRT ran).
TEST(Int8NetworkGoldenTest, QuantizeReproducesTheCommittedInt8Model) {
  const File f = Open();
  static FloatModel m;
  Load(f, m);
  static int8::Parameters<QNet> q;
  q = int8::quantize<QNet>(m.params, m.ranges);
  long weights = 0, channels = 0;
  int mismatches = 0;
  for (const Tensor& t : Float::tensors) {
    const bool bias = t.rank == 1;
    const golden::Tensor& expected = f.Get(std::string("q.") + t.name.s, Dims(t));
    for (long i = 0; i < t.count(); ++i) {
      const long actual = bias ? long{q.biases[channels + i]} : long{q.weights[weights + i]};
      if (actual != long(expected.values[std::size_t(i)]) && ++mismatches <= 5) {
        ADD_FAILURE() << t.name.s << "[" << i << "] = " << actual << ", expected "
                      << expected.values[std::size_t(i)];
      }
    }
    (bias ? channels : weights) += t.count();
  }
  EXPECT_EQ(mismatches, 0);
  EXPECT_EQ(weights, QNet::weight_count);
  EXPECT_EQ(channels, QNet::channel_count);
  const golden::Tensor& scales = f.Get("q.activation.scale", {Float::layer_count + 1});
  const golden::Tensor& zero_points = f.Get("q.activation.zero_point", {Float::layer_count + 1});
  for (int i = 0; i <= Float::layer_count; ++i) {
    EXPECT_EQ(q.activation[i].scale, scales.values[std::size_t(i)]) << i;
    EXPECT_EQ(q.activation[i].zero_point, zero_points.values[std::size_t(i)]) << i;
  }
  // The committed int8 input is QuantizeInput of the committed float input.
  std::int8_t x[28 * 28];
  int8::QuantizeInput<QNet>(q, f.Get("x.float", {1, 28, 28}).values.data(), x);
  const golden::Tensor& expected_x = f.Get("x", {1, 28, 28});
  for (int i = 0; i < 28 * 28; ++i) ASSERT_EQ(x[i], expected_x.values[std::size_t(i)]) << i;
}

}  // namespace staticnn::int8_network_test
#endif  // STATICNN_TESTS_GOLDEN_INT8_NETWORK_TEST_ONCE_

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {
namespace {

using namespace int8_network_test;  // NOLINT(build/namespaces): test helpers

// LiteRT's output bits on this target, without heap.
void TestLeNetForward() {
  const File f = Open();
  static FloatModel m;
  Load(f, m);
  static int8::Parameters<QNet> q;
  q = int8::quantize<QNet>(m.params, m.ranges);
  const golden::Tensor& x_values = f.Get("x", {1, 28, 28});
  std::int8_t x[28 * 28];
  for (int i = 0; i < 28 * 28; ++i) x[i] = static_cast<std::int8_t>(x_values.values[std::size_t(i)]);
  static int8::Workspace<QNet> ws;
  const std::int8_t* y = nullptr;
  {
    const test::AllocationScope scope;
    y = int8_network::Forward<QNet>(q, x, ws);
    EXPECT_EQ(scope.count(), 0);
  }
  const golden::Tensor& expected = f.Get("y", {10});
  for (int i = 0; i < 10; ++i) EXPECT_EQ(int{y[i]}, int(expected.values[std::size_t(i)])) << i;
  float logits[10];
  int8::DequantizeOutput<QNet>(q, y, logits);
  const int8::TensorQuantization out = q.activation[QNet::layer_count];
  EXPECT_EQ(logits[0], out.scale * float(int{y[0]} - out.zero_point));
}

// Calibration through the float network's prefixes gives the ranges the
// script's float64 numpy forward gave, up to float32 rounding.
void TestCalibrateLeNet() {
  const File f = Open();
  static FloatModel m;
  Load(f, m);
  const golden::Tensor& images = f.Get("calibration", {8, 1, 28, 28});
  int8::MinMaxObserver observers[Float::layer_count + 1];
  ASSERT_EQ(int8_calibration::Observe<Float>(m.params, images.values.data(), 8, observers),
            Status::ok);
  for (int i = 0; i <= Float::layer_count; ++i) {
    const int8::Range r = observers[i].range(), expected = m.ranges[i];
    const float tolerance = 1e-5f * std::max(expected.hi - expected.lo, 1.0f);
    EXPECT_NEAR(r.lo, expected.lo, tolerance) << "layer input " << i;
    EXPECT_NEAR(r.hi, expected.hi, tolerance) << "layer input " << i;
  }
  // A non-finite input is refused.
  static float bad[28 * 28] = {};
  bad[100] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(int8_calibration::Observe<Float>(m.params, bad, 1, observers), Status::non_finite);
}

// MEAN over the plane: the quantization int8::quantize derives from the
// ranges is the script's, and Forward gives LiteRT's bits, without heap.
template <int C, int H, int W>
void CheckMean(const char* name) {
  using QMean = MeanNet<C, H, W>;
  const File f(std::string("../int8/") + name);
  const golden::Tensor& ranges = f.Get("ranges", {2, 2});
  const int8::Range r[2] = {{ranges.values[0], ranges.values[1]}, {ranges.values[2], ranges.values[3]}};
  const typename QMean::Float::Parameters p{};
  static int8::Parameters<QMean> q;
  q = int8::quantize<QMean>(p, r);
  EXPECT_EQ(q.activation[0].scale, f.Scalar("x.scale")) << name;
  EXPECT_EQ(q.activation[0].zero_point, f.Scalar("x.zero_point")) << name;
  EXPECT_EQ(q.activation[1].scale, f.Scalar("y.scale")) << name;
  EXPECT_EQ(q.activation[1].zero_point, f.Scalar("y.zero_point")) << name;
  const golden::Tensor& x_values = f.Get("x", {C, H, W});
  std::int8_t x[C * H * W];
  for (int i = 0; i < C * H * W; ++i) x[i] = static_cast<std::int8_t>(x_values.values[std::size_t(i)]);
  static int8::Workspace<QMean> ws;
  const std::int8_t* y = nullptr;
  {
    const test::AllocationScope scope;
    y = int8_network::Forward<QMean>(q, x, ws);
    EXPECT_EQ(scope.count(), 0);
  }
  const golden::Tensor& expected = f.Get("y", {C});
  for (int c = 0; c < C; ++c) EXPECT_EQ(int{y[c]}, int(expected.values[std::size_t(c)])) << name << " " << c;
}

// The fire module: LiteRT's CONCATENATION bits on this target, without heap;
// ObserveTensors gives the script's ranges (each branch's tensors included).
void TestFireMatchesLiteRT() {
  FireCase& c = PrepareFire();
  const File f = OpenFire();
  std::int8_t x[kFireIn];
  int8::QuantizeInput<QFire>(c.q, c.x + kFireCalibration * kFireIn, x);
  static int8::Workspace<QFire> ws;
  const std::int8_t* y = nullptr;
  {
    const test::AllocationScope scope;
    y = int8_network::Forward<QFire>(c.q, x, ws);
    EXPECT_EQ(scope.count(), 0);
  }
  constexpr int kOut = QFire::output_shape.size();
  const golden::Tensor& expected = f.Get("y", {16, 5, 5});
  int mismatches = 0;
  for (int i = 0; i < kOut; ++i) {
    if (int{y[i]} != int(expected.values[std::size_t(i)]) && ++mismatches <= 5) {
      ADD_FAILURE() << "output " << i << ": " << int{y[i]} << ", LiteRT " << expected.values[std::size_t(i)];
    }
  }
  EXPECT_EQ(mismatches, 0);
  int8::MinMaxObserver observers[QFire::tensor_count];
  ASSERT_EQ(int8_calibration::ObserveTensors<QFire>(c.params, c.x, kFireCalibration, observers), Status::ok);
  for (long t = 0; t < QFire::tensor_count; ++t) {
    const int8::Range r = observers[t].range(), e = c.ranges[t];
    const float tolerance = 1e-5f * std::max(e.hi - e.lo, 1.0f);
    EXPECT_NEAR(r.lo, e.lo, tolerance) << "tensor " << t;
    EXPECT_NEAR(r.hi, e.hi, tolerance) << "tensor " << t;
  }
}

void TestMeanMatchesLiteRT() {
  CheckMean<16, 5, 5>("mean_requantized_16x5x5");
  CheckMean<24, 7, 6>("mean_same_range_24x7x6");
}

}  // namespace
// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace staticnn {
HWY_BEFORE_TEST(Int8NetworkGoldenTest);
HWY_EXPORT_AND_TEST_P(Int8NetworkGoldenTest, TestLeNetForward);
HWY_EXPORT_AND_TEST_P(Int8NetworkGoldenTest, TestCalibrateLeNet);
HWY_EXPORT_AND_TEST_P(Int8NetworkGoldenTest, TestMeanMatchesLiteRT);
HWY_EXPORT_AND_TEST_P(Int8NetworkGoldenTest, TestFireMatchesLiteRT);
}  // namespace staticnn
#endif
