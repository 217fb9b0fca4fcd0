// The four MLPerf Tiny models in int8 against LiteRT
// (tests/data/int8/mlperf_*.gold, from tools/make_int8_golden.py): DS-CNN
// (depthwise and pointwise convolutions, a 24x5 average pool), MobileNetV1-0.25,
// ResNet-8 (Residual blocks: TFLite's ADD, identity and 1x1 projection
// shortcuts) and the autoencoder. The folded float parameters and the inputs
// are drawn by the LCG the script repeats (Lcg below), so the files hold only
// the calibrated ranges, the int8 input and LiteRT's output, and what int8
// parameters the script made. Checked here:
//   - int8::quantize reproduces the script's int8 model: every bias and tensor
//     quantization, each layer's int8 weights by their FNV-1a hash;
//   - int8::Forward gives LiteRT's output bits on every Highway target, with
//     no heap;
// (int8_network_test checks that int8_calibration::ObserveTensors gives the
// script's ResNet-8 ranges: float, on the host only.)
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "tests/golden_int8_mlperf_tiny_test.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "hwy/tests/test_util-inl.h"
#include "staticnn/fold.hpp"
#include "staticnn/int8/network-inl.h"
#include "staticnn/int8/network.hpp"
#include "staticnn/models/mlperf_tiny.hpp"
#include "tests/golden.hpp"
#include "tests/support/int8_mlperf_tiny.hpp"

// Target-independent part, compiled once.
#ifndef STATICNN_TESTS_GOLDEN_INT8_MLPERF_TINY_TEST_ONCE_
#define STATICNN_TESTS_GOLDEN_INT8_MLPERF_TINY_TEST_ONCE_
#include "tests/support/allocation_counter.hpp"

namespace staticnn::int8_mlperf_tiny_test {

using golden::File;
using namespace int8_mlperf_tiny;  // NOLINT(build/namespaces): the shared cases
namespace mt = mlperf_tiny;

// ResNet-8: 3 Residuals, each with its add and a third activation buffer
// (the first stack's 16x32x32 input, main path and sum).
using QResNet8 = int8::quantized_t<mt::ResNet8>;
static_assert(QResNet8::add_count == 3 && QResNet8::tensor_count == 28);
static_assert(QResNet8::ram_bytes == 3 * 16 * 32 * 32);
static_assert(int8::quantized_t<mt::DsCnn>::add_count == 0);

std::uint32_t Fnv1a(const std::int8_t* p, long n) {
  std::uint32_t h = 2166136261u;
  for (long i = 0; i < n; ++i) h = (h ^ static_cast<std::uint8_t>(p[i])) * 16777619u;
  return h;
}

template <class Model>
void CheckQuantization(const char* name) {
  Case<Model>& c = Prepare<Model>(name);
  using C = Case<Model>;
  using QNet = typename C::QNet;
  const File f(FileName(name));
  // Weights: one hash per weighted layer, in the int8 array's order (the float
  // one's: a Residual's main path, then its shortcut).
  long weighted = 0;
  for (const Tensor& t : C::Folded::tensors) weighted += t.rank > 1;
  const golden::Tensor& hashes = f.Get("q.weights.fnv1a", {int(weighted), 2});
  long offset = 0, layer = 0;
  for (const Tensor& t : C::Folded::tensors) {
    if (t.rank == 1) continue;
    const std::uint32_t expected = std::uint32_t(hashes.values[std::size_t(2 * layer)]) << 16 |
                                   std::uint32_t(hashes.values[std::size_t(2 * layer + 1)]);
    EXPECT_EQ(Fnv1a(c.q.weights + offset, t.count()), expected) << name << " " << t.name.s;
    offset += t.count();
    ++layer;
  }
  EXPECT_EQ(offset, QNet::weight_count) << name;
  const golden::Tensor& biases = f.Get("q.biases", {int(QNet::channel_count)});
  for (long i = 0; i < QNet::channel_count; ++i) {
    ASSERT_EQ(c.q.biases[i], long(biases.values[std::size_t(i)])) << name << " bias " << i;
  }
  const golden::Tensor& scales = f.Get("q.activation.scale", {int(QNet::tensor_count)});
  const golden::Tensor& zero_points = f.Get("q.activation.zero_point", {int(QNet::tensor_count)});
  for (long i = 0; i < QNet::tensor_count; ++i) {
    EXPECT_EQ(c.q.activation[i].scale, scales.values[std::size_t(i)]) << name << " tensor " << i;
    EXPECT_EQ(c.q.activation[i].zero_point, zero_points.values[std::size_t(i)])
        << name << " tensor " << i;
  }
  // The committed int8 input is QuantizeInput of the input after the calibration ones.
  std::int8_t x[C::kIn];
  int8::QuantizeInput<QNet>(c.q, c.x + kCalibration * C::kIn, x);
  const Shape in = QNet::input_shape;
  const golden::Tensor& expected_x = f.Get("x", {in.c, in.h, in.w});
  for (long i = 0; i < C::kIn; ++i) ASSERT_EQ(x[i], expected_x.values[std::size_t(i)]) << name << " x " << i;
}

TEST(Int8MlperfTinyGoldenTest, QuantizeReproducesTheScriptsInt8Models) {
  CheckQuantization<mt::DsCnn>("ds_cnn");
  CheckQuantization<mt::MobileNetV1>("mobilenet_v1");
  CheckQuantization<mt::ResNet8>("resnet8");
  CheckQuantization<mt::AutoEncoder>("autoencoder");
}

}  // namespace staticnn::int8_mlperf_tiny_test
#endif  // STATICNN_TESTS_GOLDEN_INT8_MLPERF_TINY_TEST_ONCE_

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {
namespace {

using namespace int8_mlperf_tiny_test;  // NOLINT(build/namespaces): test helpers

// LiteRT's output bits on this target, without heap.
template <class Model>
void CheckForward(const char* name) {
  Case<Model>& c = Prepare<Model>(name);
  using C = Case<Model>;
  using QNet = typename C::QNet;
  std::int8_t x[C::kIn];
  int8::QuantizeInput<QNet>(c.q, c.x + kCalibration * C::kIn, x);
  static int8::Workspace<QNet> ws;
  const std::int8_t* y = nullptr;
  {
    const test::AllocationScope scope;
    y = int8_network::Forward<QNet>(c.q, x, ws);
    EXPECT_EQ(scope.count(), 0) << name;
  }
  constexpr int kOut = QNet::output_shape.size();
  const File f(FileName(name));
  const golden::Tensor& expected = f.Get("y", {kOut});
  for (int i = 0; i < kOut; ++i) {
    EXPECT_EQ(int{y[i]}, int(expected.values[std::size_t(i)])) << name << " output " << i;
  }
}

void TestDsCnn() { CheckForward<mt::DsCnn>("ds_cnn"); }
void TestMobileNetV1() { CheckForward<mt::MobileNetV1>("mobilenet_v1"); }
void TestResNet8() { CheckForward<mt::ResNet8>("resnet8"); }
void TestAutoEncoder() { CheckForward<mt::AutoEncoder>("autoencoder"); }

}  // namespace
// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace staticnn {
HWY_BEFORE_TEST(Int8MlperfTinyGoldenTest);
HWY_EXPORT_AND_TEST_P(Int8MlperfTinyGoldenTest, TestDsCnn);
HWY_EXPORT_AND_TEST_P(Int8MlperfTinyGoldenTest, TestMobileNetV1);
HWY_EXPORT_AND_TEST_P(Int8MlperfTinyGoldenTest, TestResNet8);
HWY_EXPORT_AND_TEST_P(Int8MlperfTinyGoldenTest, TestAutoEncoder);
}  // namespace staticnn
#endif
