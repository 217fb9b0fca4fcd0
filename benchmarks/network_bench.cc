// Whole networks: inference at batch 1 and one training step at batch 64, on the
// best Highway target for this CPU (dynamic dispatch).
//
//   BM_LeNet5_Inference_b1      BM_LeNet5_TrainStep_b64
//   BM_CifarNet_Inference_b1    BM_CifarNet_TrainStep_b64
//
// and on both cores (parallel.hpp), the batch of 64 split into 2 shards of 32
// run by a ThreadPool of /threads:1 (the caller runs both shards in turn) or
// /threads:2 threads, wall time:
//
//   BM_LeNet5_TrainStep_b64_Parallel/threads:N
//   BM_CifarNet_TrainStep_b64_Parallel/threads:N
//   BM_CifarNet_Inference_b64_Parallel/threads:N
//
// (peak_frac stays the fraction of one core's peak: up to 2 on two cores).
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

#include "staticnn/parallel-inl.h"
#include "staticnn/passes-inl.h"
#include "tests/support/nets.hpp"

#ifndef STATICNN_BENCHMARKS_NETWORK_BENCH_NETS_
#define STATICNN_BENCHMARKS_NETWORK_BENCH_NETS_
namespace staticnn::network_bench {
using test::CifarNet;
using test::LeNet;
inline constexpr int kTrainBatch = 64;
inline constexpr int kShards = 2;
}  // namespace staticnn::network_bench
#endif  // STATICNN_BENCHMARKS_NETWORK_BENCH_NETS_

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {

using staticnn::network_bench::CifarNet;
using staticnn::network_bench::kShards;
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
float LeNetTrainStepParallel(ThreadPool& pool, LeNet::Parameters& p, LeNet::Gradients& g,
                             Sgd<LeNet>& sgd,
                             ParallelTrainingWorkspace<LeNet, kTrainBatch, kShards>& ws,
                             const float* x, const int* labels) {
  return ParallelTrainStep<LeNet, kTrainBatch, kShards>(pool, p, g, sgd, ws, x, labels).value;
}
float CifarNetTrainStepParallel(ThreadPool& pool, CifarNet::Parameters& p,
                                CifarNet::Gradients& g, Sgd<CifarNet>& sgd,
                                ParallelTrainingWorkspace<CifarNet, kTrainBatch, kShards>& ws,
                                const float* x, const int* labels) {
  return ParallelTrainStep<CifarNet, kTrainBatch, kShards>(pool, p, g, sgd, ws, x, labels)
      .value;
}
const float* CifarNetInferenceParallel(
    ThreadPool& pool, const CifarNet::Parameters& p, const float* x,
    ParallelInferenceWorkspace<CifarNet, kTrainBatch, kShards>& ws) {
  return ParallelForward<CifarNet, kTrainBatch, kShards>(pool, p, x, ws);
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
HWY_EXPORT(LeNetTrainStepParallel);
HWY_EXPORT(CifarNetTrainStepParallel);
HWY_EXPORT(CifarNetInferenceParallel);
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

// The same for the batch split into shards on a pool.
template <class Net>
struct ParallelTraining {
  static inline typename Net::Parameters params;
  static inline typename Net::Gradients grads;
  static inline Sgd<Net> sgd;
  static inline ParallelTrainingWorkspace<Net, kTrainBatch, kShards> workspace;
};

template <class Net>
struct ParallelInference {
  static inline typename Net::Parameters params;
  static inline ParallelInferenceWorkspace<Net, kTrainBatch, kShards> workspace;
  static inline float x[std::size_t(kTrainBatch) * Net::input_shape.size()];
};

template <class Net>
using InferenceFn = const float* (*)(const typename Net::Parameters&, const float*,
                                     typename Net::template InferenceWorkspace<1>&);
template <class Net>
using TrainStepFn = float (*)(typename Net::Parameters&, typename Net::Gradients&, Sgd<Net>&,
                              typename Net::template TrainingWorkspace<kTrainBatch>&,
                              const float*, const int*);

template <class Net>
using ParallelTrainStepFn = float (*)(ThreadPool&, typename Net::Parameters&,
                                      typename Net::Gradients&, Sgd<Net>&,
                                      ParallelTrainingWorkspace<Net, kTrainBatch, kShards>&,
                                      const float*, const int*);
template <class Net>
using ParallelInferenceFn = const float* (*)(ThreadPool&, const typename Net::Parameters&,
                                             const float*,
                                             ParallelInferenceWorkspace<Net, kTrainBatch, kShards>&);

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

// Fresh parameters and data for a training case, and a small learning rate:
// the loss stays far from zero, so gradients never become denormal and slow
// the step down. Momentum as in the peers' training step (torch.optim.SGD,
// momentum 0.9).
template <class Net>
void StartTraining(typename Net::Parameters& params, Sgd<Net>& sgd) {
  using S = Training<Net>;
  init_parameters<Net>(params, 1);
  sgd = Sgd<Net>{{.lr = 1e-3f, .momentum = 0.9f}};
  Fill(S::x, sizeof(S::x) / sizeof(float), 2);
  SplitMix64 rng{3};
  for (int& label : S::labels) label = static_cast<int>(rng.next() % Net::output_shape.size());
}

// Times step() (a training step returning its loss) on Training<Net>'s data.
template <class Net, class Step>
void TimeTrainStep(benchmark::State& state, std::size_t workspace, Step step) {
  float loss = 0;
  for (auto _ : state) {
    loss = step();
    benchmark::DoNotOptimize(loss);
    benchmark::ClobberMemory();
  }
  // Forward + backward = 3x forward MACs (see the top of this file).
  SetCounters(state, 3.0 * 2.0 * static_cast<double>(Net::macs) * kTrainBatch, workspace);
  state.counters["loss"] = loss;
}

template <class Net>
void RunTrainStep(benchmark::State& state, TrainStepFn<Net> train_step) {
  using S = Training<Net>;
  StartTraining<Net>(S::params, S::sgd);
  TimeTrainStep<Net>(state, sizeof(S::workspace), [&] {
    return train_step(S::params, S::grads, S::sgd, S::workspace, S::x, S::labels);
  });
}

// state.range(0) threads (the pool is created before the timing).
template <class Net>
void RunParallelTrainStep(benchmark::State& state, ParallelTrainStepFn<Net> train_step) {
  using S = ParallelTraining<Net>;
  ThreadPool pool(static_cast<int>(state.range(0)));
  StartTraining<Net>(S::params, S::sgd);
  TimeTrainStep<Net>(state, sizeof(S::workspace), [&] {
    return train_step(pool, S::params, S::grads, S::sgd, S::workspace, Training<Net>::x,
                      Training<Net>::labels);
  });
  state.counters["threads"] = pool.size();
}

template <class Net>
void RunParallelInference(benchmark::State& state, ParallelInferenceFn<Net> infer) {
  using S = ParallelInference<Net>;
  ThreadPool pool(static_cast<int>(state.range(0)));
  init_parameters<Net>(S::params, 1);
  Fill(S::x, sizeof(S::x) / sizeof(float), 2);
  for (auto _ : state) {
    benchmark::DoNotOptimize(infer(pool, S::params, S::x, S::workspace));
    benchmark::ClobberMemory();
  }
  SetCounters(state, 2.0 * static_cast<double>(Net::macs) * kTrainBatch, sizeof(S::workspace));
  state.counters["threads"] = pool.size();
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
void BM_LeNet5_TrainStep_b64_Parallel(benchmark::State& state) {
  ChooseTarget();
  RunParallelTrainStep<LeNet>(state, HWY_DYNAMIC_DISPATCH(LeNetTrainStepParallel));
}
void BM_CifarNet_TrainStep_b64_Parallel(benchmark::State& state) {
  ChooseTarget();
  RunParallelTrainStep<CifarNet>(state, HWY_DYNAMIC_DISPATCH(CifarNetTrainStepParallel));
}
void BM_CifarNet_Inference_b64_Parallel(benchmark::State& state) {
  ChooseTarget();
  RunParallelInference<CifarNet>(state, HWY_DYNAMIC_DISPATCH(CifarNetInferenceParallel));
}
BENCHMARK(BM_LeNet5_Inference_b1);
BENCHMARK(BM_LeNet5_TrainStep_b64);
BENCHMARK(BM_CifarNet_Inference_b1);
BENCHMARK(BM_CifarNet_TrainStep_b64);
// Wall time: the pool's threads work while the caller waits.
BENCHMARK(BM_LeNet5_TrainStep_b64_Parallel)->ArgName("threads")->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK(BM_CifarNet_TrainStep_b64_Parallel)->ArgName("threads")->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK(BM_CifarNet_Inference_b64_Parallel)->ArgName("threads")->Arg(1)->Arg(2)->UseRealTime();

}  // namespace
}  // namespace network_bench
}  // namespace staticnn

BENCHMARK_MAIN();
#endif  // HWY_ONCE
