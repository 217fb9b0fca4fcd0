// Whole networks: inference at batch 1 and one training step at batch 64, on the
// best Highway target for this CPU (dynamic dispatch).
//
//   BM_LeNet5_Inference_b1      BM_LeNet5_TrainStep_b64
//   BM_CifarNet_Inference_b1    BM_CifarNet_TrainStep_b64
//
// A training step is what a training loop runs per batch: forward (keeping the
// activations), softmax cross-entropy, zeroing the gradients, backward, SGD step
// with momentum 0.9 (the step tools/peers times in PyTorch and dlib).
//
// Counters
//   FLOPS       2 FLOP per multiply-add, as a rate. Inference: 2 * Net::macs per
//               sample. Training step: forward + backward counted as 3x the
//               forward MACs (backward = input gradient + weight gradient, each
//               as many MACs as forward), the usual convention; the first layer's
//               input gradient is not computed, so the true count is a little
//               lower and the rate slightly flattering. Loss and SGD are not
//               counted.
//   peak_frac   FLOPS / staticnn::bench::PeakFlops() (benchmarks/peak_flops.hpp).
//   workspace_MiB  the static activation workspace (+ kernel scratch).
//   loss        (training) the last step's loss: finite, slowly decreasing.
//
// All parameters, gradients, optimizer state and workspaces are static (no heap),
// as in firmware; CifarNet at batch 64 keeps 76 MiB of activations for backward.
//
// SSSE3/SSE4 are not compiled (only the best target runs), which halves the build.
#ifndef HWY_DISABLED_TARGETS
#define HWY_DISABLED_TARGETS (HWY_SSSE3 | HWY_SSE4)
#endif

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include "benchmarks/peak_flops.hpp"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "benchmarks/network_bench.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

#include "staticnn/passes-inl.h"
#include "tests/support/nets.hpp"

#ifndef STATICNN_BENCHMARKS_NETWORK_BENCH_NETS_
#define STATICNN_BENCHMARKS_NETWORK_BENCH_NETS_
namespace staticnn::network_bench {
using test::CifarNet;
using test::LeNet;
inline constexpr int kTrainBatch = 64;
}  // namespace staticnn::network_bench
#endif  // STATICNN_BENCHMARKS_NETWORK_BENCH_NETS_

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {

using staticnn::network_bench::CifarNet;
using staticnn::network_bench::kTrainBatch;
using staticnn::network_bench::LeNet;

// Labels must be in range (the caller generates them so).
template <class Net, int Batch>
float TrainStepLoss(typename Net::Parameters& p, typename Net::Gradients& g, Sgd<Net>& sgd,
                    TrainingWorkspace<Net, Batch>& ws, const float* x, const int* labels) {
  return TrainStep<Net, Batch>(p, g, sgd, ws, x, labels).value;
}

// Non-template entry points, one per case, for HWY_EXPORT.
const float* LeNetInference(const LeNet::Parameters& p, const float* x,
                            LeNet::InferenceWorkspace<1>& ws) {
  return Forward<LeNet, 1>(p, x, ws);
}
float LeNetTrainStep(LeNet::Parameters& p, LeNet::Gradients& g, Sgd<LeNet>& sgd,
                     LeNet::TrainingWorkspace<kTrainBatch>& ws, const float* x,
                     const int* labels) {
  return TrainStepLoss<LeNet, kTrainBatch>(p, g, sgd, ws, x, labels);
}
const float* CifarNetInference(const CifarNet::Parameters& p, const float* x,
                               CifarNet::InferenceWorkspace<1>& ws) {
  return Forward<CifarNet, 1>(p, x, ws);
}
float CifarNetTrainStep(CifarNet::Parameters& p, CifarNet::Gradients& g, Sgd<CifarNet>& sgd,
                        CifarNet::TrainingWorkspace<kTrainBatch>& ws, const float* x,
                        const int* labels) {
  return TrainStepLoss<CifarNet, kTrainBatch>(p, g, sgd, ws, x, labels);
}
std::int64_t CompiledTarget() { return HWY_TARGET; }

}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "staticnn/init.hpp"

namespace staticnn {
HWY_EXPORT(LeNetInference);
HWY_EXPORT(LeNetTrainStep);
HWY_EXPORT(CifarNetInference);
HWY_EXPORT(CifarNetTrainStep);
HWY_EXPORT(CompiledTarget);

namespace network_bench {
namespace {

// Static storage must stay reasonable for a host benchmark (and far from the
// 2 GiB limit of the default small code model).
static_assert(sizeof(CifarNet::TrainingWorkspace<kTrainBatch>) < (std::size_t{256} << 20),
              "CifarNet's batch-64 training workspace no longer fits in static storage");

using staticnn::bench::PeakFlops;

double MiB(std::size_t bytes) { return static_cast<double>(bytes) / (1 << 20); }

void Fill(float* x, std::size_t n, std::uint64_t seed) {
  SplitMix64 rng{seed};
  for (std::size_t i = 0; i < n; ++i) x[i] = rng.symmetric();
}

void SetCounters(benchmark::State& state, double flops_per_iteration, std::size_t workspace) {
  state.counters["FLOPS"] =
      benchmark::Counter(flops_per_iteration, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["peak_frac"] = benchmark::Counter(flops_per_iteration / PeakFlops(),
                                                   benchmark::Counter::kIsIterationInvariantRate);
  state.counters["workspace_MiB"] = MiB(workspace);
  state.SetLabel(hwy::TargetName(HWY_DYNAMIC_DISPATCH(CompiledTarget)()));
}

// One static set of buffers per network and case.
template <class Net>
struct Inference {
  static inline typename Net::Parameters params;
  static inline typename Net::template InferenceWorkspace<1> workspace;
  static inline float x[Net::input_shape.size()];
};

template <class Net>
struct Training {
  static constexpr int kBatch = kTrainBatch;
  static inline typename Net::Parameters params;
  static inline typename Net::Gradients grads;
  static inline Sgd<Net> sgd;
  static inline typename Net::template TrainingWorkspace<kBatch> workspace;
  static inline float x[std::size_t(kBatch) * Net::input_shape.size()];
  static inline int labels[kBatch];
};

template <class Net>
using InferenceFn = const float* (*)(const typename Net::Parameters&, const float*,
                                     typename Net::template InferenceWorkspace<1>&);
template <class Net>
using TrainStepFn = float (*)(typename Net::Parameters&, typename Net::Gradients&, Sgd<Net>&,
                              typename Net::template TrainingWorkspace<kTrainBatch>&,
                              const float*, const int*);

template <class Net>
void RunInference(benchmark::State& state, InferenceFn<Net> infer) {
  using S = Inference<Net>;
  init_parameters<Net>(S::params, 1);
  Fill(S::x, Net::input_shape.size(), 2);
  for (auto _ : state) {
    benchmark::DoNotOptimize(infer(S::params, S::x, S::workspace));
    benchmark::ClobberMemory();
  }
  SetCounters(state, 2.0 * static_cast<double>(Net::macs), sizeof(S::workspace));
}

template <class Net>
void RunTrainStep(benchmark::State& state, TrainStepFn<Net> train_step) {
  using S = Training<Net>;
  // Fresh parameters per run, and a small learning rate: the loss stays far
  // from zero, so gradients never become denormal and slow the step down.
  // Momentum as in the peers' training step (torch.optim.SGD, momentum 0.9).
  init_parameters<Net>(S::params, 1);
  S::sgd = Sgd<Net>{{.lr = 1e-3f, .momentum = 0.9f}};
  Fill(S::x, sizeof(S::x) / sizeof(float), 2);
  SplitMix64 rng{3};
  for (int& label : S::labels) label = static_cast<int>(rng.next() % Net::output_shape.size());
  float loss = 0;
  for (auto _ : state) {
    loss = train_step(S::params, S::grads, S::sgd, S::workspace, S::x, S::labels);
    benchmark::DoNotOptimize(loss);
    benchmark::ClobberMemory();
  }
  // Forward + backward = 3x forward MACs (see the top of this file).
  SetCounters(state, 3.0 * 2.0 * static_cast<double>(Net::macs) * S::kBatch,
              sizeof(S::workspace));
  state.counters["loss"] = loss;
}

// Until a first dispatched call has chosen the target, HWY_DYNAMIC_DISPATCH
// yields a trampoline that detects the CPU on every call (hwy::SupportedTargets(),
// ~15 us here, as long as a LeNet-5 inference): choose first, then take the
// kernel's pointer.
void ChooseTarget() { benchmark::DoNotOptimize(HWY_DYNAMIC_DISPATCH(CompiledTarget)()); }

void BM_LeNet5_Inference_b1(benchmark::State& state) {
  ChooseTarget();
  RunInference<LeNet>(state, HWY_DYNAMIC_DISPATCH(LeNetInference));
}
void BM_LeNet5_TrainStep_b64(benchmark::State& state) {
  ChooseTarget();
  RunTrainStep<LeNet>(state, HWY_DYNAMIC_DISPATCH(LeNetTrainStep));
}
void BM_CifarNet_Inference_b1(benchmark::State& state) {
  ChooseTarget();
  RunInference<CifarNet>(state, HWY_DYNAMIC_DISPATCH(CifarNetInference));
}
void BM_CifarNet_TrainStep_b64(benchmark::State& state) {
  ChooseTarget();
  RunTrainStep<CifarNet>(state, HWY_DYNAMIC_DISPATCH(CifarNetTrainStep));
}
BENCHMARK(BM_LeNet5_Inference_b1);
BENCHMARK(BM_LeNet5_TrainStep_b64);
BENCHMARK(BM_CifarNet_Inference_b1);
BENCHMARK(BM_CifarNet_TrainStep_b64);

}  // namespace
}  // namespace network_bench
}  // namespace staticnn

BENCHMARK_MAIN();
#endif  // HWY_ONCE
