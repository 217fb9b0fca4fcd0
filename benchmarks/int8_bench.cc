// int8 inference (include/staticnn/int8/), one sample per iteration, on the
// best Highway target for this CPU (dynamic dispatch):
//
//   BM_Int8LeNet5_Inference_b1   the int8 LeNet-5, int8 input to int8 output
//                                (what an all-int8 .tflite model computes:
//                                tools/make_int8_golden.py's takes int8 input)
//   BM_Int8DsCnn_Inference_b1, BM_Int8MobileNetV1_Inference_b1,
//   BM_Int8ResNet8_Inference_b1, BM_Int8AutoEncoder_Inference_b1
//                                the MLPerf Tiny models, BatchNorm folded
//   BM_Int8Conv2d_<shape>_Forward  one int8 Conv2d: LeNet-5's two, ResNet-8's
//                                3x3 16->16 on 32x32, DS-CNN's depthwise 3x3
//                                and pointwise 64->64 on 25x5
//   BM_Int8Linear_400x120_Forward  LeNet-5's first Linear
//
// Counters
//   FLOPS       2 operations per int8 multiply-add, as a rate (integer
//               operations, named as network_bench's FLOPS so that
//               tools/benchmarks.py reads both alike). LeNet-5: 2 * its float
//               network's MACs; requantization and pooling are not counted.
//   workspace_KiB  LeNet-5's static int8 activations (QNet::ram_bytes).
//
// LeNet-5's float weights are seeded (init_parameters, seed 1), its ranges
// calibrated on 8 random images (int8_calibration::Observe), quantized by
// int8::quantize. The MLPerf Tiny models' seeded weights are quantized with
// every range [-4, 4] (calibrating them here would multiply this file's
// build time); the kernels' operands are random. Speed does not depend on the
// values: the int8 kernels have no data-dependent branches. Parameters and
// workspaces are static (no heap).
#ifndef HWY_DISABLED_TARGETS
#define HWY_DISABLED_TARGETS (HWY_SSSE3 | HWY_SSE4)
#endif

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "benchmarks/int8_bench.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

#include "staticnn/int8/calibrate-inl.h"
#include "staticnn/int8/conv2d-inl.h"
#include "staticnn/int8/linear-inl.h"
#include "staticnn/int8/network-inl.h"
#include "staticnn/int8/network.hpp"
#include "staticnn/models/mlperf_tiny.hpp"
#include "tests/support/nets.hpp"

#ifndef STATICNN_BENCHMARKS_INT8_BENCH_SHAPES_
#define STATICNN_BENCHMARKS_INT8_BENCH_SHAPES_
namespace staticnn::int8_bench {

using LeNet = test::LeNet;
using QLeNet = int8::quantized_t<LeNet>;
using QDsCnn = int8::quantized_t<mlperf_tiny::DsCnn>;
using QMobileNetV1 = int8::quantized_t<mlperf_tiny::MobileNetV1>;
using QResNet8 = int8::quantized_t<mlperf_tiny::ResNet8>;
using QAutoEncoder = int8::quantized_t<mlperf_tiny::AutoEncoder>;
inline constexpr int kCalibrationImages = 8;

// The layers' own geometry rules.
template <Conv2dSpec S>
constexpr Conv2dGeometry conv(Shape in) {
  return Conv2d<S>::geometry(in);
}
constexpr Conv2dGeometry kLeNet1 =
    conv<Conv2dSpec{.out_channels = 6, .kernel_size = 5, .padding = 2}>({1, 28, 28});
constexpr Conv2dGeometry kLeNet2 = conv<Conv2dSpec{.out_channels = 16, .kernel_size = 5}>({6, 14, 14});
constexpr Conv2dGeometry kResNet3x3 =
    conv<Conv2dSpec{.out_channels = 16, .kernel_size = 3, .padding = 1}>({16, 32, 32});
constexpr Conv2dGeometry kDepthwise =
    conv<Conv2dSpec{.out_channels = 64, .kernel_size = 3, .padding = 1, .groups = 64}>({64, 25, 5});
// MobileNetV1's depthwise layers on 6x6 (five of them), at stride 2, on 3x3.
constexpr Conv2dGeometry kMobileNetDw6 =
    conv<Conv2dSpec{.out_channels = 128, .kernel_size = 3, .padding = 1, .groups = 128}>(
        {128, 6, 6});
// (As MobileNetV1's geometry: the layer rule rejects a window that does not
// tile 6 + 2 at stride 2; the model pads SAME, one row and column at the end.)
constexpr Conv2dGeometry kMobileNetDw6s2{{128, 6, 6}, {128, 3, 3}, {3, 2, 1, 1}, {3, 2, 1, 1}, 128};
constexpr Conv2dGeometry kMobileNetDw3 =
    conv<Conv2dSpec{.out_channels = 256, .kernel_size = 3, .padding = 1, .groups = 256}>(
        {256, 3, 3});
constexpr Conv2dGeometry kPointwise = conv<Conv2dSpec{.out_channels = 64, .kernel_size = 1}>({64, 25, 5});
constexpr LinearGeometry kLinear = Linear<LinearSpec{.out_features = 120}>::geometry({400, 1, 1});

// One kernel's operands, large enough for every shape above.
struct Operands {
  static constexpr std::size_t kMax = 64 * 32 * 32;
  alignas(64) std::int8_t x[kMax];
  alignas(64) std::int8_t w[kMax];
  alignas(64) std::int8_t y[kMax];
  std::int32_t b[64 * 4];
  int8::Requantization r[64 * 4];
};
static_assert(kResNet3x3.in.size() <= Operands::kMax && kLeNet1.out.size() <= Operands::kMax);

}  // namespace staticnn::int8_bench
#endif  // STATICNN_BENCHMARKS_INT8_BENCH_SHAPES_

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {

using int8_bench::LeNet;
using int8_bench::Operands;
using int8_bench::QAutoEncoder;
using int8_bench::QDsCnn;
using int8_bench::QLeNet;
using int8_bench::QMobileNetV1;
using int8_bench::QResNet8;

// Non-template entry points, one per case, for HWY_EXPORT.
Status CalibrateLeNet(const LeNet::Parameters& p, const float* images,
                      int8::MinMaxObserver (&observers)[LeNet::layer_count + 1]) {
  return int8_calibration::Observe<LeNet>(p, images, int8_bench::kCalibrationImages, observers);
}
#define STATICNN_INT8_INFERENCE(Name, QNet)                                             \
  const std::int8_t* Name(const int8::Parameters<QNet>& q, const std::int8_t* x,        \
                          int8::Workspace<QNet>& ws) {                                  \
    return int8_network::Forward<QNet>(q, x, ws);                                       \
  }
STATICNN_INT8_INFERENCE(Int8LeNetInference, QLeNet)
STATICNN_INT8_INFERENCE(Int8DsCnnInference, QDsCnn)
STATICNN_INT8_INFERENCE(Int8MobileNetV1Inference, QMobileNetV1)
STATICNN_INT8_INFERENCE(Int8ResNet8Inference, QResNet8)
STATICNN_INT8_INFERENCE(Int8AutoEncoderInference, QAutoEncoder)

template <Conv2dGeometry G>
void Conv(const Operands& m, std::int8_t* y) {
  int8_kernels::Conv2dForward<G>(m.x, 3, m.w, m.b, m.r, y);
}
void Int8ConvLeNet1(const Operands& m, std::int8_t* y) { Conv<int8_bench::kLeNet1>(m, y); }
void Int8ConvLeNet2(const Operands& m, std::int8_t* y) { Conv<int8_bench::kLeNet2>(m, y); }
void Int8ConvResNet3x3(const Operands& m, std::int8_t* y) { Conv<int8_bench::kResNet3x3>(m, y); }
void Int8ConvDepthwise(const Operands& m, std::int8_t* y) { Conv<int8_bench::kDepthwise>(m, y); }
void Int8ConvPointwise(const Operands& m, std::int8_t* y) { Conv<int8_bench::kPointwise>(m, y); }
void Int8ConvMobileNetDw6(const Operands& m, std::int8_t* y) {
  Conv<int8_bench::kMobileNetDw6>(m, y);
}
void Int8ConvMobileNetDw6s2(const Operands& m, std::int8_t* y) {
  Conv<int8_bench::kMobileNetDw6s2>(m, y);
}
void Int8ConvMobileNetDw3(const Operands& m, std::int8_t* y) {
  Conv<int8_bench::kMobileNetDw3>(m, y);
}
void Int8Linear400x120(const Operands& m, std::int8_t* y) {
  int8_kernels::LinearForward<int8_bench::kLinear>(m.x, 3, m.w, m.b, m.r[0], y);
}
std::int64_t CompiledTarget() { return HWY_TARGET; }

}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "staticnn/init.hpp"

namespace staticnn {
HWY_EXPORT(CalibrateLeNet);
HWY_EXPORT(Int8LeNetInference);
HWY_EXPORT(Int8DsCnnInference);
HWY_EXPORT(Int8MobileNetV1Inference);
HWY_EXPORT(Int8ResNet8Inference);
HWY_EXPORT(Int8AutoEncoderInference);
HWY_EXPORT(Int8ConvLeNet1);
HWY_EXPORT(Int8ConvLeNet2);
HWY_EXPORT(Int8ConvResNet3x3);
HWY_EXPORT(Int8ConvMobileNetDw6);
HWY_EXPORT(Int8ConvMobileNetDw6s2);
HWY_EXPORT(Int8ConvMobileNetDw3);
HWY_EXPORT(Int8ConvDepthwise);
HWY_EXPORT(Int8ConvPointwise);
HWY_EXPORT(Int8Linear400x120);
HWY_EXPORT(CompiledTarget);

namespace int8_bench {
namespace {

void SetCounters(benchmark::State& state, long macs) {
  state.counters["FLOPS"] = benchmark::Counter(2.0 * static_cast<double>(macs),
                                               benchmark::Counter::kIsIterationInvariantRate);
  state.SetLabel(hwy::TargetName(HWY_DYNAMIC_DISPATCH(CompiledTarget)()));
}

// Until a first dispatched call has chosen the target, HWY_DYNAMIC_DISPATCH
// yields a trampoline that detects the CPU on every call: choose first.
void ChooseTarget() { benchmark::DoNotOptimize(HWY_DYNAMIC_DISPATCH(CompiledTarget)()); }

template <class QNet>
using InferenceFn = const std::int8_t* (*)(const int8::Parameters<QNet>&, const std::int8_t*,
                                           int8::Workspace<QNet>&);

// One static set of buffers per network.
template <class QNet>
struct Int8Case {
  static inline typename QNet::Float::Parameters params;
  static inline int8::Parameters<QNet> q;
  static inline int8::Workspace<QNet> workspace;
  static inline std::int8_t x[QNet::input_shape.size()];
};

// Times infer on C's parameters (quantized by the caller) and a random input.
template <class QNet>
void RunInference(benchmark::State& state, InferenceFn<QNet> infer) {
  using C = Int8Case<QNet>;
  SplitMix64 rng{4};
  for (std::int8_t& v : C::x) v = static_cast<std::int8_t>(rng.next() % 256 - 128);
  for (auto _ : state) {
    benchmark::DoNotOptimize(infer(C::q, C::x, C::workspace));
    benchmark::ClobberMemory();
  }
  SetCounters(state, QNet::Float::macs);
  state.counters["workspace_KiB"] = static_cast<double>(QNet::ram_bytes) / 1024;
}

void BM_Int8LeNet5_Inference_b1(benchmark::State& state) {
  ChooseTarget();
  using C = Int8Case<QLeNet>;
  init_parameters<LeNet>(C::params, 1);
  static float images[kCalibrationImages * LeNet::input_shape.size()];
  SplitMix64 rng{2};
  for (float& v : images) v = 0.5f + 0.5f * rng.symmetric();
  int8::MinMaxObserver observers[LeNet::layer_count + 1];
  if (HWY_DYNAMIC_DISPATCH(CalibrateLeNet)(C::params, images, observers) != Status::ok) {
    state.SkipWithError("calibration failed");
    return;
  }
  int8::Range ranges[LeNet::layer_count + 1];
  for (int i = 0; i <= LeNet::layer_count; ++i) ranges[i] = observers[i].range();
  C::q = int8::quantize<QLeNet>(C::params, ranges);
  RunInference<QLeNet>(state, HWY_DYNAMIC_DISPATCH(Int8LeNetInference));
}
BENCHMARK(BM_Int8LeNet5_Inference_b1);

// An MLPerf Tiny model: seeded weights, every range [-4, 4] (see the top).
template <class QNet>
void RunModel(benchmark::State& state, InferenceFn<QNet> infer) {
  ChooseTarget();
  using C = Int8Case<QNet>;
  init_parameters<typename QNet::Float>(C::params, 1);
  static int8::Range ranges[QNet::tensor_count];
  for (int8::Range& r : ranges) r = {-4.0f, 4.0f};
  C::q = int8::quantize<QNet>(C::params, ranges);
  RunInference<QNet>(state, infer);
}
void BM_Int8DsCnn_Inference_b1(benchmark::State& state) {
  RunModel<QDsCnn>(state, HWY_DYNAMIC_DISPATCH(Int8DsCnnInference));
}
void BM_Int8MobileNetV1_Inference_b1(benchmark::State& state) {
  RunModel<QMobileNetV1>(state, HWY_DYNAMIC_DISPATCH(Int8MobileNetV1Inference));
}
void BM_Int8ResNet8_Inference_b1(benchmark::State& state) {
  RunModel<QResNet8>(state, HWY_DYNAMIC_DISPATCH(Int8ResNet8Inference));
}
void BM_Int8AutoEncoder_Inference_b1(benchmark::State& state) {
  RunModel<QAutoEncoder>(state, HWY_DYNAMIC_DISPATCH(Int8AutoEncoderInference));
}
BENCHMARK(BM_Int8DsCnn_Inference_b1);
BENCHMARK(BM_Int8MobileNetV1_Inference_b1);
BENCHMARK(BM_Int8ResNet8_Inference_b1);
BENCHMARK(BM_Int8AutoEncoder_Inference_b1);

using KernelEntry = void (*)(const Operands&, std::int8_t*);

void RunKernel(benchmark::State& state, KernelEntry entry, long macs) {
  ChooseTarget();
  static Operands m;
  SplitMix64 rng{3};
  for (std::size_t i = 0; i < Operands::kMax; ++i) {
    m.x[i] = static_cast<std::int8_t>(rng.next() % 256 - 128);
    m.w[i] = static_cast<std::int8_t>(rng.next() % 255 - 127);
  }
  for (int i = 0; i < 64 * 4; ++i) {
    m.b[i] = static_cast<std::int32_t>(rng.next() % 2001) - 1000;
    m.r[i] = {int8::QuantizeMultiplier(1e-3), -5, {}};
  }
  for (auto _ : state) {
    entry(m, m.y);
    benchmark::ClobberMemory();
  }
  SetCounters(state, macs);
}

#define STATICNN_INT8_KERNEL_BENCHMARK(Name, Entry, macs)                         \
  void BM_##Name##_Forward(benchmark::State& s) {                                 \
    RunKernel(s, HWY_DYNAMIC_DISPATCH(Entry), macs);                              \
  }                                                                               \
  BENCHMARK(BM_##Name##_Forward)

STATICNN_INT8_KERNEL_BENCHMARK(Int8Conv2d_LeNet1_1x28x28_6f5x5, Int8ConvLeNet1, kLeNet1.macs());
STATICNN_INT8_KERNEL_BENCHMARK(Int8Conv2d_LeNet2_6x14x14_16f5x5, Int8ConvLeNet2, kLeNet2.macs());
STATICNN_INT8_KERNEL_BENCHMARK(Int8Conv2d_ResNet8_16x32x32_16f3x3, Int8ConvResNet3x3,
                               kResNet3x3.macs());
STATICNN_INT8_KERNEL_BENCHMARK(Int8Conv2d_DsCnnDepthwise_64x25x5_3x3, Int8ConvDepthwise,
                               kDepthwise.macs());
STATICNN_INT8_KERNEL_BENCHMARK(Int8Conv2d_MobileNetDw_128x6x6_3x3, Int8ConvMobileNetDw6,
                               kMobileNetDw6.macs());
STATICNN_INT8_KERNEL_BENCHMARK(Int8Conv2d_MobileNetDw_128x6x6_3x3s2, Int8ConvMobileNetDw6s2,
                               kMobileNetDw6s2.macs());
STATICNN_INT8_KERNEL_BENCHMARK(Int8Conv2d_MobileNetDw_256x3x3_3x3, Int8ConvMobileNetDw3,
                               kMobileNetDw3.macs());
STATICNN_INT8_KERNEL_BENCHMARK(Int8Conv2d_DsCnnPointwise_64x25x5_64f1x1, Int8ConvPointwise,
                               kPointwise.macs());
STATICNN_INT8_KERNEL_BENCHMARK(Int8Linear_400x120, Int8Linear400x120, kLinear.macs());

}  // namespace
}  // namespace int8_bench
}  // namespace staticnn

BENCHMARK_MAIN();
#endif  // HWY_ONCE
