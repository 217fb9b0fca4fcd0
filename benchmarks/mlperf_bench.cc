// The four MLPerf Tiny models (include/staticnn/models/mlperf_tiny.hpp) in float
// inference at batch 1, BatchNorm folded (fold_batch_norm_t), as firmware runs
// them and as the peers run them (tools/peers: ONNX Runtime folds BatchNorm when
// it optimises the graph, the .tflite writer folds it too):
//
//   BM_DsCnn_Inference_b1   BM_MobileNetV1_Inference_b1
//   BM_ResNet8_Inference_b1 BM_AutoEncoder_Inference_b1
//
// and ResNet-8 trained as MLPerf Tiny's reference trains it, BatchNorm in
// training mode (not folded), batch 32, SGD with momentum 0.9:
//
//   BM_ResNet8_TrainStep_b32
//
// Counters: FLOPS = 2 * folded Net::macs per inference (a training step: 3x
// the forward's, BatchNorm's own arithmetic not counted), as a rate; peak_frac =
// FLOPS / staticnn::bench::PeakFlops(); workspace_MiB = the inference workspace.
// Dynamic dispatch (best target); parameters and workspaces are static.
#ifndef HWY_DISABLED_TARGETS
#define HWY_DISABLED_TARGETS (HWY_SSSE3 | HWY_SSE4)
#endif

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>

#include "benchmarks/peak_flops.hpp"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "benchmarks/mlperf_bench.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

#include "staticnn/fold.hpp"
#include "staticnn/models/mlperf_tiny.hpp"
#include "staticnn/passes-inl.h"

#ifndef STATICNN_BENCHMARKS_MLPERF_BENCH_NETS_
#define STATICNN_BENCHMARKS_MLPERF_BENCH_NETS_
namespace staticnn::mlperf_bench {
using DsCnn = fold_batch_norm_t<mlperf_tiny::DsCnn>;
using MobileNetV1 = fold_batch_norm_t<mlperf_tiny::MobileNetV1>;
using ResNet8 = fold_batch_norm_t<mlperf_tiny::ResNet8>;
using AutoEncoder = fold_batch_norm_t<mlperf_tiny::AutoEncoder>;
using ResNet8Training = mlperf_tiny::ResNet8;
inline constexpr int kTrainBatch = 32;
}  // namespace staticnn::mlperf_bench
#endif  // STATICNN_BENCHMARKS_MLPERF_BENCH_NETS_

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {

// Non-template entry points, one per model, for HWY_EXPORT.
#define STATICNN_MLPERF_BENCH_INFER(Model)                                                 \
  const float* Infer##Model(const mlperf_bench::Model::Parameters& p, const float* x,    \
                            InferenceWorkspace<mlperf_bench::Model, 1>& ws) {             \
    return Forward<mlperf_bench::Model, 1>(p, x, ws);                                     \
  }
STATICNN_MLPERF_BENCH_INFER(DsCnn)
STATICNN_MLPERF_BENCH_INFER(MobileNetV1)
STATICNN_MLPERF_BENCH_INFER(ResNet8)
STATICNN_MLPERF_BENCH_INFER(AutoEncoder)
#undef STATICNN_MLPERF_BENCH_INFER

float TrainResNet8(mlperf_bench::ResNet8Training::Parameters& p,
                   mlperf_bench::ResNet8Training::Gradients& g,
                   Sgd<mlperf_bench::ResNet8Training>& sgd,
                   TrainingWorkspace<mlperf_bench::ResNet8Training, mlperf_bench::kTrainBatch>& ws,
                   const float* x, const int* labels) {
  return TrainStep<mlperf_bench::ResNet8Training, mlperf_bench::kTrainBatch>(p, g, sgd, ws, x,
                                                                            labels)
      .value;
}

std::int64_t CompiledTarget() { return HWY_TARGET; }

}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "staticnn/init.hpp"

namespace staticnn {
HWY_EXPORT(InferDsCnn);
HWY_EXPORT(InferMobileNetV1);
HWY_EXPORT(InferResNet8);
HWY_EXPORT(InferAutoEncoder);
HWY_EXPORT(TrainResNet8);
HWY_EXPORT(CompiledTarget);

namespace mlperf_bench {
namespace {

template <class Net>
using InferFn = const float* (*)(const typename Net::Parameters&, const float*,
                                 InferenceWorkspace<Net, 1>&);

// One static set of buffers per model.
template <class Net>
struct Model {
  static inline typename Net::Parameters params;
  static inline InferenceWorkspace<Net, 1> workspace;
  static inline float x[Net::input_shape.size()];
};

// Timing does not depend on the values: random folded weights and input.
template <class Net>
void Run(benchmark::State& state, InferFn<Net> infer) {
  using M = Model<Net>;
  init_parameters<Net>(M::params, 1);
  SplitMix64 rng{2};
  for (float& v : M::x) v = rng.symmetric();
  for (auto _ : state) {
    benchmark::DoNotOptimize(infer(M::params, M::x, M::workspace));
    benchmark::ClobberMemory();
  }
  const double flops = 2.0 * static_cast<double>(Net::macs);
  state.counters["FLOPS"] = benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["peak_frac"] = benchmark::Counter(flops / bench::PeakFlops(),
                                                   benchmark::Counter::kIsIterationInvariantRate);
  state.counters["workspace_MiB"] = static_cast<double>(sizeof(M::workspace)) / (1 << 20);
  state.SetLabel(hwy::TargetName(HWY_DYNAMIC_DISPATCH(CompiledTarget)()));
}

// Choose the target first: until then HWY_DYNAMIC_DISPATCH yields a trampoline
// that detects the CPU on every call (see network_bench.cc).
void ChooseTarget() { benchmark::DoNotOptimize(HWY_DYNAMIC_DISPATCH(CompiledTarget)()); }

void BM_DsCnn_Inference_b1(benchmark::State& state) {
  ChooseTarget();
  Run<DsCnn>(state, HWY_DYNAMIC_DISPATCH(InferDsCnn));
}
void BM_MobileNetV1_Inference_b1(benchmark::State& state) {
  ChooseTarget();
  Run<MobileNetV1>(state, HWY_DYNAMIC_DISPATCH(InferMobileNetV1));
}
void BM_ResNet8_Inference_b1(benchmark::State& state) {
  ChooseTarget();
  Run<ResNet8>(state, HWY_DYNAMIC_DISPATCH(InferResNet8));
}
void BM_AutoEncoder_Inference_b1(benchmark::State& state) {
  ChooseTarget();
  Run<AutoEncoder>(state, HWY_DYNAMIC_DISPATCH(InferAutoEncoder));
}
// Fresh parameters, random data and labels, a small learning rate (the loss
// stays far from zero: no denormal gradients), as network_bench's training.
void BM_ResNet8_TrainStep_b32(benchmark::State& state) {
  ChooseTarget();
  using Net = ResNet8Training;
  static Net::Parameters params;
  static Net::Gradients grads;
  static TrainingWorkspace<Net, kTrainBatch> workspace;
  static float x[Net::input_shape.size() * kTrainBatch];
  static int labels[kTrainBatch];
  init_parameters<Net>(params, 1);
  Sgd<Net> sgd{{.lr = 1e-3f, .momentum = 0.9f}};
  SplitMix64 rng{2};
  for (float& v : x) v = rng.symmetric();
  for (int& label : labels) label = static_cast<int>(rng.next() % Net::output_shape.size());
  const auto step = HWY_DYNAMIC_DISPATCH(TrainResNet8);
  float loss = 0;
  for (auto _ : state) {
    loss = step(params, grads, sgd, workspace, x, labels);
    benchmark::DoNotOptimize(loss);
    benchmark::ClobberMemory();
  }
  const double flops = 3.0 * 2.0 * static_cast<double>(ResNet8::macs) * kTrainBatch;
  state.counters["FLOPS"] = benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["peak_frac"] = benchmark::Counter(flops / bench::PeakFlops(),
                                                   benchmark::Counter::kIsIterationInvariantRate);
  state.counters["workspace_MiB"] = static_cast<double>(sizeof(workspace)) / (1 << 20);
  state.counters["loss"] = loss;
  state.SetLabel(hwy::TargetName(HWY_DYNAMIC_DISPATCH(CompiledTarget)()));
}
BENCHMARK(BM_DsCnn_Inference_b1);
BENCHMARK(BM_MobileNetV1_Inference_b1);
BENCHMARK(BM_ResNet8_Inference_b1);
BENCHMARK(BM_AutoEncoder_Inference_b1);
BENCHMARK(BM_ResNet8_TrainStep_b32);

}  // namespace
}  // namespace mlperf_bench
}  // namespace staticnn

BENCHMARK_MAIN();
#endif  // HWY_ONCE
