// The four MLPerf Tiny models (include/staticnn/models/mlperf_tiny.hpp) in float
// inference at batch 1, BatchNorm folded (fold_batch_norm_t), as firmware runs
// them and as the peers run them (tools/peers: ONNX Runtime folds BatchNorm when
// it optimises the graph, the .tflite writer folds it too):
//
//   BM_DsCnn_Inference_b1   BM_MobileNetV1_Inference_b1
//   BM_ResNet8_Inference_b1 BM_AutoEncoder_Inference_b1
//
// Counters: FLOPS = 2 * folded Net::macs per inference, as a rate; peak_frac =
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
BENCHMARK(BM_DsCnn_Inference_b1);
BENCHMARK(BM_MobileNetV1_Inference_b1);
BENCHMARK(BM_ResNet8_Inference_b1);
BENCHMARK(BM_AutoEncoder_Inference_b1);

}  // namespace
}  // namespace mlperf_bench
}  // namespace staticnn

BENCHMARK_MAIN();
#endif  // HWY_ONCE
