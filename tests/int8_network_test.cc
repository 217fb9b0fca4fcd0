// int8::quantized_t on MLPerf Tiny models: DS-CNN (DwSeparable blocks,
// Dropout, a 24x5 average pool), the autoencoder (flat input, Linear +
// BatchNorm1d + ReLU blocks) and ResNet-8 (Residual blocks, identity and
// projection shortcuts, each followed by a ReLU fused into its add). Their layers'
// kernels are checked bit for bit against LiteRT elsewhere
// (golden_int8_test, golden_int8_network_test); here the networks quantize
// from their folded parameters and calibration, run without heap, give the
// same bits on every Highway target, and stay close to the float network
// (its output dequantized, within a few output steps). And calibration of
// every tensor, those inside ResNet-8's Residual paths included, gives the
// ranges tools/make_int8_golden.py computed (float: here, not in the cross
// suite, where emulating it takes a minute per target).
#include <algorithm>
#include <cmath>
#include <cstdint>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "tests/int8_network_test.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "hwy/tests/test_util-inl.h"
#include "staticnn/fold.hpp"
#include "staticnn/init.hpp"
#include "staticnn/int8/calibrate-inl.h"
#include "staticnn/int8/network-inl.h"
#include "staticnn/int8/network.hpp"
#include "staticnn/models/mlperf_tiny.hpp"
#include "staticnn/passes-inl.h"
#include "tests/support/int8_mlperf_tiny.hpp"

#ifndef STATICNN_TESTS_INT8_NETWORK_TEST_ONCE_
#define STATICNN_TESTS_INT8_NETWORK_TEST_ONCE_
#include "tests/support/allocation_counter.hpp"

namespace staticnn::int8_network_test {

constexpr int kCalibration = 4;

// A model's float (folded) parameters, calibration inputs, int8 parameters
// and the int8 output of the first target that ran (the others must match).
template <class Model>
struct Case {
  using Folded = fold_batch_norm_t<Model>;
  using QNet = int8::quantized_t<Model>;
  Folded::Parameters params;
  float x[kCalibration * Model::input_shape.size()];
  int8::Range ranges[QNet::tensor_count];
  int8::Parameters<QNet> q;
  std::int8_t first_output[QNet::output_shape.size()];
  bool prepared = false, have_first = false;
};

// A small network ending in GlobalAvgPool2d, and its twin with the same
// average as an AvgPool2d over the whole plane (TFLite's AVERAGE_POOL_2D).
template <class Pool>
using PooledNet = Network<Input<3, 7, 5>, Conv2d<{.out_channels = 6, .kernel_size = 3, .padding = 1}>,
                          ReLU, Pool, Flatten, Linear<{.out_features = 4}>>;
using GlobalPooled = PooledNet<GlobalAvgPool2d>;
using WindowPooled = PooledNet<AvgPool2d<{.kernel_size = {7, 5}}>>;

}  // namespace staticnn::int8_network_test
#endif  // STATICNN_TESTS_INT8_NETWORK_TEST_ONCE_

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {
namespace {

using namespace int8_network_test;  // NOLINT(build/namespaces): test helpers

// Random parameters folded (BatchNorm at its initial state: the fold is
// then nearly the identity), inputs in [-1, 1], ranges by calibration on the
// first target, so that every target runs the same int8 model.
template <class Model>
Case<Model>& Prepare() {
  static Case<Model> c;
  if (c.prepared) return c;
  c.prepared = true;
  static typename Model::Parameters trained;
  init_parameters<Model>(trained, 11);
  c.params = fold_batch_norm<Model>(trained);
  std::uint32_t state = 7;
  for (float& v : c.x) {
    state = state * 1664525u + 1013904223u;
    v = float(state >> 8) / float(1 << 24) * 2.0f - 1.0f;
  }
  using QNet = typename Case<Model>::QNet;
  static int8::MinMaxObserver observers[QNet::tensor_count];
  EXPECT_EQ(int8_calibration::ObserveTensors<QNet>(c.params, c.x, kCalibration, observers),
            Status::ok);
  for (int i = 0; i < QNet::tensor_count; ++i) c.ranges[i] = observers[i].range();
  c.q = int8::quantize<QNet>(c.params, c.ranges);
  return c;
}

template <class Model>
void CheckModel(const char* name) {
  Case<Model>& c = Prepare<Model>();
  using QNet = typename Case<Model>::QNet;
  using Folded = typename Case<Model>::Folded;
  constexpr int kIn = QNet::input_shape.size(), kOut = QNet::output_shape.size();
  static int8::Workspace<QNet> ws;
  static typename Folded::template InferenceWorkspace<1> float_ws;
  std::int8_t xq[kIn];
  int8::QuantizeInput<QNet>(c.q, c.x, xq);
  const std::int8_t* y = nullptr;
  {
    const test::AllocationScope scope;
    y = int8_network::Forward<QNet>(c.q, xq, ws);
    EXPECT_EQ(scope.count(), 0) << name;
  }
  if (!c.have_first) {
    std::copy(y, y + kOut, c.first_output);
    c.have_first = true;
  }
  for (int i = 0; i < kOut; ++i) EXPECT_EQ(y[i], c.first_output[i]) << name << " output " << i;

  const float* expected = Forward<Folded, 1>(c.params, c.x, float_ws);
  float actual[kOut];
  int8::DequantizeOutput<QNet>(c.q, y, actual);
  const float step = c.q.activation[QNet::layer_count].scale;
  float largest = 0.0f, worst = 0.0f;
  for (int i = 0; i < kOut; ++i) {
    largest = std::max(largest, std::abs(expected[i]));
    worst = std::max(worst, std::abs(actual[i] - expected[i]));
  }
  EXPECT_LE(worst, 4.0f * step) << name << ": float outputs up to " << largest;
  EXPECT_GT(largest, 20.0f * step) << name << ": the output range is used";
}

void TestDsCnn() { CheckModel<mlperf_tiny::DsCnn>("DS-CNN"); }
void TestAutoEncoder() { CheckModel<mlperf_tiny::AutoEncoder>("AutoEncoder"); }
void TestResNet8() { CheckModel<mlperf_tiny::ResNet8>("ResNet-8"); }

// GlobalAvgPool2d runs as the whole-plane AvgPool2d: the same int8 bits from
// the same parameters and ranges, and close to the float network.
void TestGlobalAvgPool2d() {
  CheckModel<GlobalPooled>("GlobalAvgPool2d");
  Case<GlobalPooled>& global = Prepare<GlobalPooled>();
  using QWindow = int8::quantized_t<WindowPooled>;
  static_assert(QWindow::tensor_count == Case<GlobalPooled>::QNet::tensor_count);
  static const int8::Parameters<QWindow> q = int8::quantize<QWindow>(global.params, global.ranges);
  std::int8_t x[QWindow::input_shape.size()];
  int8::QuantizeInput<QWindow>(q, global.x, x);
  static int8::Workspace<QWindow> ws;
  const std::int8_t* y = int8_network::Forward<QWindow>(q, x, ws);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(y[i], global.first_output[i]) << i;
}

// The script's float forward is numpy's (float64 sums, float32 between
// layers): the same ranges up to float32 rounding.
void TestCalibrateResNet8AsTheGoldenScript() {
  using Golden = int8_mlperf_tiny::Case<mlperf_tiny::ResNet8>;
  Golden& c = int8_mlperf_tiny::Prepare<mlperf_tiny::ResNet8>("resnet8");
  static int8::MinMaxObserver observers[Golden::QNet::tensor_count];
  for (auto& o : observers) o = {};
  ASSERT_EQ(int8_calibration::ObserveTensors<Golden::QNet>(c.params, c.x,
                                                           int8_mlperf_tiny::kCalibration, observers),
            Status::ok);
  for (long i = 0; i < Golden::QNet::tensor_count; ++i) {
    const int8::Range r = observers[i].range(), expected = c.ranges[i];
    const float tolerance = 1e-4f * std::max(expected.hi - expected.lo, 1.0f);
    EXPECT_NEAR(r.lo, expected.lo, tolerance) << "tensor " << i;
    EXPECT_NEAR(r.hi, expected.hi, tolerance) << "tensor " << i;
  }
}

}  // namespace
// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace staticnn {
HWY_BEFORE_TEST(Int8NetworkTest);
HWY_EXPORT_AND_TEST_P(Int8NetworkTest, TestDsCnn);
HWY_EXPORT_AND_TEST_P(Int8NetworkTest, TestAutoEncoder);
HWY_EXPORT_AND_TEST_P(Int8NetworkTest, TestResNet8);
HWY_EXPORT_AND_TEST_P(Int8NetworkTest, TestGlobalAvgPool2d);
HWY_EXPORT_AND_TEST_P(Int8NetworkTest, TestCalibrateResNet8AsTheGoldenScript);
}  // namespace staticnn
#endif
