// Layer kernels under Google Benchmark: MaxPool2d 2x2 on 64x56x56, Linear
// 400->120 at batch 1 and 64 (forward, backward input, backward params) and
// ReLU on 64x56x56. Each case is an exported non-template wrapper called
// through HWY_DYNAMIC_DISPATCH, so the binary runs on any x86-64 and uses the
// best target of the machine (AVX3 on AVX-512 hosts) without -march flags.
//
// Counters: FLOPS (Linear: 2 per multiply-add; pooling: one per window
// element; ReLU: one per element), bytes_per_second (the bytes each call must
// read and write at least), and for Linear peak_fraction = FLOPS / the
// measured single-core FMA peak (benchmarks/peak_flops.hpp; a rate counter, so
// Google Benchmark prints it with "/s"). BM_FmaPeak measures the FMA peak of
// the machine at hand (register-resident, 12 accumulators): AMD Zen 4 splits
// 512-bit FMAs and peaks near half of that. Quote medians:
// --benchmark_repetitions=5 --benchmark_report_aggregates_only=true.

#include <cstddef>
#include <random>
#include <vector>

#include "benchmark/benchmark.h"
#include "benchmarks/peak_flops.hpp"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "benchmarks/layers_bench.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "staticnn/geometry.hpp"
#include "staticnn/kernels/activation-inl.h"
#include "staticnn/kernels/linear-inl.h"
#include "staticnn/kernels/pool2d-inl.h"

// Shapes, shared by all targets.
#ifndef STATICNN_BENCHMARKS_LAYERS_BENCH_ONCE_
#define STATICNN_BENCHMARKS_LAYERS_BENCH_ONCE_
namespace staticnn::layers_bench {
inline constexpr Pool2dGeometry kMaxPool{{64, 56, 56}, {64, 28, 28}, {2, 2, 0}, {2, 2, 0}, true};
inline constexpr LinearGeometry kLinear{400, 120, true};
inline constexpr Shape kReluShape{64, 56, 56};
inline constexpr std::size_t kReluCount = std::size_t(kReluShape.c) * kReluShape.h * kReluShape.w;
}  // namespace staticnn::layers_bench
#endif  // STATICNN_BENCHMARKS_LAYERS_BENCH_ONCE_

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;
using namespace staticnn::layers_bench;  // NOLINT

const char* TargetNameCase() { return hwy::TargetName(HWY_TARGET); }

void MaxPoolForwardCase(const float* x, float* y) { MaxPool2dForward<kMaxPool>(x, y); }
void MaxPoolBackwardCase(const float* x, const float* dy, float* dx) {
  MaxPool2dBackward<kMaxPool>(x, dy, dx);
}

void LinearForward1Case(const float* x, const float* w, const float* b, float* y) {
  LinearForward<kLinear, 1>(x, w, b, y);
}
void LinearForward64Case(const float* x, const float* w, const float* b, float* y) {
  LinearForward<kLinear, 64>(x, w, b, y);
}
void LinearBackwardInput1Case(const float* dy, const float* w, float* dx) {
  LinearBackwardInput<kLinear, 1>(dy, w, dx);
}
void LinearBackwardInput64Case(const float* dy, const float* w, float* dx) {
  LinearBackwardInput<kLinear, 64>(dy, w, dx);
}
void LinearBackwardParams1Case(const float* x, const float* dy, float* dw, float* db) {
  LinearBackwardParams<kLinear, 1>(x, dy, dw, db);
}
void LinearBackwardParams64Case(const float* x, const float* dy, float* dw, float* db) {
  LinearBackwardParams<kLinear, 64>(x, dy, dw, db);
}

void ReluForwardCase(const float* x, float* y) { ReluForward<kReluCount>(x, y); }
void ReluBackwardCase(const float* x, const float* y, const float* dy, float* dx) {
  ReluBackward<kReluCount>(x, y, dy, dx);
}

// `iterations` rounds of 12 independent multiply-adds on whole vectors;
// returns a sum so that nothing is optimised away. FLOPs: 24 * lanes per round.
float FmaPeakCase(std::size_t iterations, std::size_t* lanes) {
  const hn::ScalableTag<float> d;
  *lanes = hn::Lanes(d);
  constexpr int kAccumulators = 12;
  hn::Vec<decltype(d)> acc[kAccumulators];
  for (int i = 0; i < kAccumulators; ++i) acc[i] = hn::Set(d, 1.0f + 0.001f * i);
  const auto mul = hn::Set(d, 0.9999f), add = hn::Set(d, 1e-4f);
  for (std::size_t it = 0; it < iterations; ++it) {
    for (int i = 0; i < kAccumulators; ++i) acc[i] = hn::MulAdd(acc[i], mul, add);
  }
  for (int i = 1; i < kAccumulators; ++i) acc[0] = hn::Add(acc[0], acc[i]);
  return hn::GetLane(hn::SumOfLanes(d, acc[0]));
}

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace staticnn {

HWY_EXPORT(TargetNameCase);
HWY_EXPORT(MaxPoolForwardCase);
HWY_EXPORT(MaxPoolBackwardCase);
HWY_EXPORT(LinearForward1Case);
HWY_EXPORT(LinearForward64Case);
HWY_EXPORT(LinearBackwardInput1Case);
HWY_EXPORT(LinearBackwardInput64Case);
HWY_EXPORT(LinearBackwardParams1Case);
HWY_EXPORT(LinearBackwardParams64Case);
HWY_EXPORT(ReluForwardCase);
HWY_EXPORT(ReluBackwardCase);
HWY_EXPORT(FmaPeakCase);

namespace {

using namespace staticnn::layers_bench;  // NOLINT

std::vector<float> Random(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& e : v) e = u(rng);
  return v;
}

void SetCounters(benchmark::State& state, double flops, double bytes) {
  state.counters["FLOPS"] = benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate);
  if (bytes > 0) state.SetBytesProcessed(static_cast<int64_t>(bytes) * state.iterations());
  state.SetLabel(HWY_DYNAMIC_DISPATCH(TargetNameCase)());
}

void SetLinearCounters(benchmark::State& state, int batch, double bytes) {
  const double flops = 2.0 * batch * kLinear.macs();
  SetCounters(state, flops, bytes);
  state.counters["peak_fraction"] =
      benchmark::Counter(flops / staticnn::bench::PeakFlops(), benchmark::Counter::kIsIterationInvariantRate);
}

void BM_MaxPool2dForward(benchmark::State& state) {
  const std::vector<float> x = Random(kMaxPool.in.size(), 1);
  std::vector<float> y(kMaxPool.out.size());
  for (auto _ : state) {
    HWY_DYNAMIC_DISPATCH(MaxPoolForwardCase)(x.data(), y.data());
    benchmark::ClobberMemory();
  }
  SetCounters(state, double(kMaxPool.out.size()) * kMaxPool.y.kernel * kMaxPool.x.kernel,
              4.0 * (kMaxPool.in.size() + kMaxPool.out.size()));
}

void BM_MaxPool2dBackward(benchmark::State& state) {
  const std::vector<float> x = Random(kMaxPool.in.size(), 2);
  const std::vector<float> dy = Random(kMaxPool.out.size(), 3);
  std::vector<float> dx(kMaxPool.in.size());
  for (auto _ : state) {
    HWY_DYNAMIC_DISPATCH(MaxPoolBackwardCase)(x.data(), dy.data(), dx.data());
    benchmark::ClobberMemory();
  }
  SetCounters(state, double(kMaxPool.out.size()) * kMaxPool.y.kernel * kMaxPool.x.kernel,
              4.0 * (2 * kMaxPool.in.size() + kMaxPool.out.size()));
}

template <int kBatch>
void BM_LinearForward(benchmark::State& state) {
  const std::vector<float> x = Random(static_cast<std::size_t>(kBatch) * kLinear.in_features, 4);
  const std::vector<float> w = Random(kLinear.weight_count(), 5);
  const std::vector<float> b = Random(kLinear.out_features, 6);
  std::vector<float> y(static_cast<std::size_t>(kBatch) * kLinear.out_features);
  for (auto _ : state) {
    if constexpr (kBatch == 1) {
      HWY_DYNAMIC_DISPATCH(LinearForward1Case)(x.data(), w.data(), b.data(), y.data());
    } else {
      HWY_DYNAMIC_DISPATCH(LinearForward64Case)(x.data(), w.data(), b.data(), y.data());
    }
    benchmark::ClobberMemory();
  }
  SetLinearCounters(state, kBatch, 4.0 * (x.size() + w.size() + b.size() + y.size()));
}

template <int kBatch>
void BM_LinearBackwardInput(benchmark::State& state) {
  const std::vector<float> dy = Random(static_cast<std::size_t>(kBatch) * kLinear.out_features, 7);
  const std::vector<float> w = Random(kLinear.weight_count(), 8);
  std::vector<float> dx(static_cast<std::size_t>(kBatch) * kLinear.in_features);
  for (auto _ : state) {
    if constexpr (kBatch == 1) {
      HWY_DYNAMIC_DISPATCH(LinearBackwardInput1Case)(dy.data(), w.data(), dx.data());
    } else {
      HWY_DYNAMIC_DISPATCH(LinearBackwardInput64Case)(dy.data(), w.data(), dx.data());
    }
    benchmark::ClobberMemory();
  }
  SetLinearCounters(state, kBatch, 4.0 * (dy.size() + w.size() + dx.size()));
}

template <int kBatch>
void BM_LinearBackwardParams(benchmark::State& state) {
  const std::vector<float> x = Random(static_cast<std::size_t>(kBatch) * kLinear.in_features, 9);
  // Small gradients keep the accumulated dw far from overflow over millions
  // of iterations.
  std::vector<float> dy = Random(static_cast<std::size_t>(kBatch) * kLinear.out_features, 10);
  for (float& e : dy) e *= 1e-6f;
  std::vector<float> dw(kLinear.weight_count()), db(kLinear.out_features);
  for (auto _ : state) {
    if constexpr (kBatch == 1) {
      HWY_DYNAMIC_DISPATCH(LinearBackwardParams1Case)(x.data(), dy.data(), dw.data(), db.data());
    } else {
      HWY_DYNAMIC_DISPATCH(LinearBackwardParams64Case)(x.data(), dy.data(), dw.data(), db.data());
    }
    benchmark::ClobberMemory();
  }
  // dw and db are read and written.
  SetLinearCounters(state, kBatch, 4.0 * (x.size() + dy.size() + 2 * (dw.size() + db.size())));
}

void BM_ReluForward(benchmark::State& state) {
  const std::vector<float> x = Random(kReluCount, 11);
  std::vector<float> y(kReluCount);
  for (auto _ : state) {
    HWY_DYNAMIC_DISPATCH(ReluForwardCase)(x.data(), y.data());
    benchmark::ClobberMemory();
  }
  SetCounters(state, double(kReluCount), 4.0 * 2 * kReluCount);
}

void BM_ReluBackward(benchmark::State& state) {
  const std::vector<float> x = Random(kReluCount, 12);
  const std::vector<float> dy = Random(kReluCount, 13);
  std::vector<float> dx(kReluCount);
  for (auto _ : state) {
    HWY_DYNAMIC_DISPATCH(ReluBackwardCase)(x.data(), x.data(), dy.data(), dx.data());
    benchmark::ClobberMemory();
  }
  SetCounters(state, double(kReluCount), 4.0 * 3 * kReluCount);
}

void BM_FmaPeak(benchmark::State& state) {
  constexpr std::size_t kRounds = 1 << 16;
  std::size_t lanes = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(HWY_DYNAMIC_DISPATCH(FmaPeakCase)(kRounds, &lanes));
  }
  SetCounters(state, 24.0 * double(lanes) * kRounds, 0.0);
}

BENCHMARK(BM_MaxPool2dForward);
BENCHMARK(BM_MaxPool2dBackward);
BENCHMARK(BM_LinearForward<1>);
BENCHMARK(BM_LinearForward<64>);
BENCHMARK(BM_LinearBackwardInput<1>);
BENCHMARK(BM_LinearBackwardInput<64>);
BENCHMARK(BM_LinearBackwardParams<1>);
BENCHMARK(BM_LinearBackwardParams<64>);
BENCHMARK(BM_ReluForward);
BENCHMARK(BM_ReluBackward);
BENCHMARK(BM_FmaPeak);

}  // namespace
}  // namespace staticnn

BENCHMARK_MAIN();
#endif  // HWY_ONCE
