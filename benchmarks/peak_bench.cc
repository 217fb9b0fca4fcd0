// The machine's single-core fp32 FMA peak, per Highway target: the number every
// other benchmark's "% of peak" is measured against.
//
//   BM_FmaPeak/AVX3, BM_FmaPeak/AVX2, BM_FmaPeak/SSE4, ...   counter FLOPS (a rate)
//
// The kernel keeps kAccumulators independent MulAdd chains in registers: with a
// 4-cycle FMA latency and two FMA pipes, 8 chains in flight saturate the pipes,
// 12 leave a margin and still fit the 16 registers of SSE4/AVX2 with the two
// operands. acc = acc * a + b with a < 1 converges to b / (1 - a) = 0.1: no
// overflow, no denormals, whatever the trip count.
//
// Every target Highway compiles here is measured, not only the best one: the
// benchmark for target T runs with hwy::SetSupportedTargetsForTest(T), so that
// HWY_DYNAMIC_DISPATCH picks T's code, and restores the real CPU afterwards.

#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "benchmarks/peak_bench.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

#ifndef STATICNN_BENCHMARKS_PEAK_BENCH_CONSTANTS_
#define STATICNN_BENCHMARKS_PEAK_BENCH_CONSTANTS_
namespace staticnn::peak_bench {
inline constexpr int kAccumulators = 12;
// FMAs per accumulator per call: long enough (~1-4 ms) that the loop entry, the
// final reduction and the dispatch are noise, short enough for a smoke run.
inline constexpr std::int64_t kSteps = std::int64_t{1} << 18;
}  // namespace staticnn::peak_bench
#endif  // STATICNN_BENCHMARKS_PEAK_BENCH_CONSTANTS_

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Register-resident FMAs; the result only keeps the compiler from deleting them.
HWY_NOINLINE float FmaPeak() {
  constexpr int kAcc = peak_bench::kAccumulators;
  const hn::ScalableTag<float> d;
  const auto a = hn::Set(d, 0.999f), b = hn::Set(d, 1e-4f);
  hn::Vec<decltype(d)> acc[kAcc];
#pragma GCC unroll 16
  for (int i = 0; i < kAcc; ++i) acc[i] = hn::Set(d, static_cast<float>(i));
  for (std::int64_t step = 0; step < peak_bench::kSteps; ++step) {
#pragma GCC unroll 16
    for (int i = 0; i < kAcc; ++i) acc[i] = hn::MulAdd(acc[i], a, b);
  }
#pragma GCC unroll 16
  for (int i = 1; i < kAcc; ++i) acc[0] = hn::Add(acc[0], acc[i]);
  return hn::GetLane(acc[0]);
}

std::int64_t FloatLanes() { return static_cast<std::int64_t>(hn::Lanes(hn::ScalableTag<float>())); }
std::int64_t CompiledTarget() { return HWY_TARGET; }

}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace staticnn {
HWY_EXPORT(FmaPeak);
HWY_EXPORT(FloatLanes);
HWY_EXPORT(CompiledTarget);

namespace peak_bench {
namespace {

// Makes HWY_DYNAMIC_DISPATCH choose `target` while it lives.
class ForcedTarget {
 public:
  explicit ForcedTarget(std::int64_t target) { hwy::SetSupportedTargetsForTest(target); }
  ~ForcedTarget() { hwy::SetSupportedTargetsForTest(0); }
  ForcedTarget(const ForcedTarget&) = delete;
  ForcedTarget& operator=(const ForcedTarget&) = delete;
};

void BM_FmaPeak(benchmark::State& state, std::int64_t target) {
  const ForcedTarget forced(target);
  if (HWY_DYNAMIC_DISPATCH(CompiledTarget)() != target) {
    state.SkipWithError("dispatch did not select the requested target");
    return;
  }
  const auto peak = HWY_DYNAMIC_DISPATCH(FmaPeak);
  for (auto _ : state) benchmark::DoNotOptimize(peak());
  const double flops_per_call = 2.0 * kAccumulators * static_cast<double>(kSteps) *
                                static_cast<double>(HWY_DYNAMIC_DISPATCH(FloatLanes)());
  state.counters["FLOPS"] =
      benchmark::Counter(flops_per_call, benchmark::Counter::kIsIterationInvariantRate);
  state.SetLabel(hwy::TargetName(target));
}

}  // namespace
}  // namespace peak_bench
}  // namespace staticnn

int main(int argc, char** argv) {
  // Every target compiled into this binary that the CPU can run, best first.
  for (const std::int64_t target : hwy::SupportedAndGeneratedTargets()) {
    benchmark::RegisterBenchmark(
        (std::string("BM_FmaPeak/") + hwy::TargetName(target)).c_str(),
        staticnn::peak_bench::BM_FmaPeak, target);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
#endif  // HWY_ONCE
