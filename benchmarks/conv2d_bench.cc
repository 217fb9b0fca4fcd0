// Conv2d kernels, forward and both backward passes, one sample per iteration;
// and the passes of a batch of kBatch samples in one call (the batch folded
// into the kernels, as a training step runs them): *_b16.
//
// Counters: FLOPS (2 per multiply-add of the convolution, as a rate),
// peak_frac = FLOPS / staticnn::bench::PeakFlops() (benchmarks/peak_flops.hpp:
// the measured single-core fp32 FMA peak) and bytes_per_second (the input and
// output planes a pass must read and write, TrafficOf). BM_MemoryBound_*: the
// depthwise passes' memory bound, the time it takes to move those bytes.
// BM_FmaPeak measures the register-resident FMA rate of the
// target that runs, for comparison on the machine at hand.
//
// Dynamic dispatch: every shape has one HWY_EXPORTed non-template entry point, so
// the binary runs on any x86-64 and picks the best target compiled in (AVX3 on
// AVX-512 machines). SSSE3/SSE4 are left out to halve the compile time.
#ifndef HWY_DISABLED_TARGETS
#define HWY_DISABLED_TARGETS (HWY_SSSE3 | HWY_SSE4)
#endif

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <utility>
#include "benchmarks/peak_flops.hpp"

#include "hwy/aligned_allocator.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "benchmarks/conv2d_bench.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "staticnn/kernels/conv2d-inl.h"
#include "staticnn/kernels/conv2d_scratch.hpp"

#ifndef STATICNN_BENCHMARKS_CONV2D_BENCH_SHAPES_
#define STATICNN_BENCHMARKS_CONV2D_BENCH_SHAPES_
namespace staticnn::conv2d_bench {

enum class Pass {
  forward,
  backward_input,
  backward_params,
  forward_batch,          // of kBatch samples
  backward_input_batch,   // of kBatch samples
  backward_params_batch,  // of kBatch samples
  forward_relu_pool,      // forward with a ReLU and a 2x2 max pool fused (into pooled)
};
inline constexpr int kBatch = 16;

struct Buffers {
  const float *x, *w, *b, *dy;
  float *y, *dx, *dw, *db, *scratch, *pooled;
};

constexpr int out_size(int in, const WindowAxis& a) {
  return (in + 2 * a.pad - a.extent()) / a.stride + 1;
}
constexpr Conv2dGeometry conv(Shape in, int out_c, int k, int pad, int groups = 1,
                              int stride = 1) {
  const WindowAxis a{k, stride, pad, 1};
  return {in, {out_c, out_size(in.h, a), out_size(in.w, a)}, a, a, groups, true};
}

constexpr Conv2dGeometry kResNet3x3 = conv({64, 56, 56}, 64, 3, 1);
constexpr Conv2dGeometry kLecture = conv({3, 32, 32}, 10, 5, 2);
constexpr Conv2dGeometry kLeNet1 = conv({1, 28, 28}, 6, 5, 2);
constexpr Conv2dGeometry kLeNet2 = conv({6, 14, 14}, 16, 5, 0);
constexpr Conv2dGeometry kPointwise = conv({64, 56, 56}, 64, 1, 0);
constexpr Conv2dGeometry kDepthwise = conv({64, 56, 56}, 64, 3, 1, 64);
// The depthwise layers of MLPerf Tiny's DS-CNN and MobileNetV1 (forward only).
constexpr Conv2dGeometry kDsCnnDw = conv({64, 25, 5}, 64, 3, 1, 64);
constexpr Conv2dGeometry kMobileNetDw48 = conv({8, 48, 48}, 8, 3, 1, 8);
constexpr Conv2dGeometry kMobileNetDw48s2 = conv({16, 48, 48}, 16, 3, 1, 16, 2);
constexpr Conv2dGeometry kMobileNetDw6 = conv({128, 6, 6}, 128, 3, 1, 128);
constexpr Conv2dGeometry kMobileNetDw3 = conv({256, 3, 3}, 256, 3, 1, 256);
// Their pointwise layers (forward only).
constexpr Conv2dGeometry kDsCnnPw = conv({64, 25, 5}, 64, 1, 0);
// DS-CNN's first layer: one input plane, kernel 10x4, stride 2, padding 5x1.
constexpr Conv2dGeometry kDsCnnConv1 = {
    {1, 49, 10}, {64, 25, 5}, {10, 2, 5, 1}, {4, 2, 1, 1}, 1, true};
// MobileNetV1's first layer: 3 input planes of 96x96, 8 filters 3x3, stride 2.
constexpr Conv2dGeometry kMobileNetConv1 = conv({3, 96, 96}, 8, 3, 1, 1, 2);
constexpr Conv2dGeometry kMobileNetPw48 = conv({8, 48, 48}, 16, 1, 0);
constexpr Conv2dGeometry kMobileNetPw6 = conv({128, 6, 6}, 128, 1, 0);
constexpr Conv2dGeometry kMobileNetPw3 = conv({256, 3, 3}, 256, 1, 0);
constexpr Conv2dGeometry kMobileNetPw3From128 = conv({128, 3, 3}, 256, 1, 0);
// 3x3 layers of CifarNet and ResNet-8 (tests/support/nets.hpp, models/mlperf_tiny.hpp):
// where Winograd pays (conv2d_scratch.hpp, winograd_pays) is decided on these.
constexpr Conv2dGeometry kCifar3x3_32x32 = conv({32, 32, 32}, 32, 3, 1);
constexpr Conv2dGeometry kCifar3x3_16x16 = conv({64, 16, 16}, 64, 3, 1);
constexpr Conv2dGeometry kCifar3x3_8x8 = conv({128, 8, 8}, 128, 3, 1);
constexpr Conv2dGeometry kCifar3x3_8x8_64in = conv({64, 8, 8}, 128, 3, 1);
constexpr Conv2dGeometry kCifar3x3_16x16_32in = conv({32, 16, 16}, 64, 3, 1);
constexpr Conv2dGeometry kResNet8_3x3_32x32 = conv({16, 32, 32}, 16, 3, 1);
constexpr Conv2dGeometry kResNet8_3x3_8x8 = conv({64, 8, 8}, 64, 3, 1);
// ResNet-8's stride-2 layers: the phase split of the input is their copy.
constexpr Conv2dGeometry kResNet8_3x3s2_32x32 = conv({16, 32, 32}, 32, 3, 1, 1, 2);
constexpr Conv2dGeometry kResNet8_1x1s2_32x32 = conv({16, 32, 32}, 32, 1, 0, 1, 2);
constexpr Conv2dGeometry kResNet8_3x3s2_16x16 = conv({32, 16, 16}, 64, 3, 1, 1, 2);

}  // namespace staticnn::conv2d_bench
#endif  // STATICNN_BENCHMARKS_CONV2D_BENCH_SHAPES_

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;
using conv2d_bench::Buffers;
using conv2d_bench::Pass;

template <Conv2dGeometry G>
void RunPass(Pass pass, const Buffers& m) {
  switch (pass) {
    case Pass::forward:
      Conv2dForward<G>(m.x, m.w, m.b, m.y, m.scratch);
      break;
    case Pass::backward_input:
      Conv2dBackwardInput<G>(m.dy, m.w, m.dx, m.scratch);
      break;
    case Pass::backward_params:
      Conv2dBackwardParams<G>(m.x, m.dy, m.dw, m.db, m.scratch);
      break;
    case Pass::forward_batch:
      Conv2dForward<G, conv2d_bench::kBatch>(m.x, m.w, m.b, m.y, m.scratch);
      break;
    case Pass::backward_input_batch:
      Conv2dBackwardInput<G, conv2d_bench::kBatch>(m.dy, m.w, m.dx, m.scratch);
      break;
    case Pass::backward_params_batch:
      Conv2dBackwardParams<G, conv2d_bench::kBatch>(m.x, m.dy, m.dw, m.db, m.scratch);
      break;
    case Pass::forward_relu_pool:  // RunPassOrPooled's
      break;
  }
}

void ResNet3x3(Pass pass, const Buffers& m) { RunPass<conv2d_bench::kResNet3x3>(pass, m); }
void Lecture(Pass pass, const Buffers& m) { RunPass<conv2d_bench::kLecture>(pass, m); }
// RunPass, and forward_relu_pool: LeNet-5's layers run so in a network
// (Conv2d, ReLU, MaxPool2d<2>: the pool fused into the layer's tiles).
template <Conv2dGeometry G>
void RunPassOrPooled(Pass pass, const Buffers& m) {
  if (pass == Pass::forward_relu_pool) {
    constexpr WindowAxis kWindow{2, 2, 0, 1};
    constexpr Pool2dGeometry kPool{G.out, {G.out.c, G.out.h / 2, G.out.w / 2}, kWindow, kWindow};
    Conv2dForwardPooled<G, kPool, 1, true>(m.x, m.w, m.b, m.y, m.pooled, m.scratch);
  } else {
    RunPass<G>(pass, m);
  }
}
void LeNet1(Pass pass, const Buffers& m) { RunPassOrPooled<conv2d_bench::kLeNet1>(pass, m); }
void LeNet2(Pass pass, const Buffers& m) { RunPassOrPooled<conv2d_bench::kLeNet2>(pass, m); }
void Pointwise(Pass pass, const Buffers& m) { RunPass<conv2d_bench::kPointwise>(pass, m); }
void Depthwise(Pass pass, const Buffers& m) { RunPass<conv2d_bench::kDepthwise>(pass, m); }
// Forward only (the depthwise and pointwise layers of the MLPerf Tiny models).
template <Conv2dGeometry G>
void RunForward(const Buffers& m) {
  Conv2dForward<G>(m.x, m.w, m.b, m.y, m.scratch);
}
void DsCnnDw(Pass, const Buffers& m) { RunForward<conv2d_bench::kDsCnnDw>(m); }
void MobileNetDw48(Pass, const Buffers& m) { RunForward<conv2d_bench::kMobileNetDw48>(m); }
void MobileNetDw48s2(Pass, const Buffers& m) { RunForward<conv2d_bench::kMobileNetDw48s2>(m); }
void MobileNetDw6(Pass, const Buffers& m) { RunForward<conv2d_bench::kMobileNetDw6>(m); }
void MobileNetDw3(Pass, const Buffers& m) { RunForward<conv2d_bench::kMobileNetDw3>(m); }
void DsCnnPw(Pass, const Buffers& m) { RunForward<conv2d_bench::kDsCnnPw>(m); }
void DsCnnConv1(Pass, const Buffers& m) { RunForward<conv2d_bench::kDsCnnConv1>(m); }
void MobileNetConv1(Pass, const Buffers& m) { RunForward<conv2d_bench::kMobileNetConv1>(m); }
void MobileNetPw48(Pass, const Buffers& m) { RunForward<conv2d_bench::kMobileNetPw48>(m); }
void MobileNetPw6(Pass, const Buffers& m) { RunForward<conv2d_bench::kMobileNetPw6>(m); }
void MobileNetPw3(Pass, const Buffers& m) { RunForward<conv2d_bench::kMobileNetPw3>(m); }
void MobileNetPw3From128(Pass, const Buffers& m) {
  RunForward<conv2d_bench::kMobileNetPw3From128>(m);
}
void Cifar3x3_32x32(Pass pass, const Buffers& m) { RunPass<conv2d_bench::kCifar3x3_32x32>(pass, m); }
void Cifar3x3_16x16(Pass pass, const Buffers& m) { RunPass<conv2d_bench::kCifar3x3_16x16>(pass, m); }
void Cifar3x3_8x8(Pass pass, const Buffers& m) { RunPass<conv2d_bench::kCifar3x3_8x8>(pass, m); }
void Cifar3x3_8x8_64in(Pass pass, const Buffers& m) {
  RunPass<conv2d_bench::kCifar3x3_8x8_64in>(pass, m);
}
void Cifar3x3_16x16_32in(Pass pass, const Buffers& m) {
  RunPass<conv2d_bench::kCifar3x3_16x16_32in>(pass, m);
}
void ResNet8_3x3_32x32(Pass pass, const Buffers& m) {
  RunPass<conv2d_bench::kResNet8_3x3_32x32>(pass, m);
}
void ResNet8_3x3_8x8(Pass pass, const Buffers& m) { RunPass<conv2d_bench::kResNet8_3x3_8x8>(pass, m); }
void ResNet8_3x3s2_32x32(Pass pass, const Buffers& m) {
  RunPass<conv2d_bench::kResNet8_3x3s2_32x32>(pass, m);
}
void ResNet8_1x1s2_32x32(Pass pass, const Buffers& m) {
  RunPass<conv2d_bench::kResNet8_1x1s2_32x32>(pass, m);
}
void ResNet8_3x3s2_16x16(Pass pass, const Buffers& m) {
  RunPass<conv2d_bench::kResNet8_3x3s2_16x16>(pass, m);
}

// The memory bound of a pass: reads a[0, na) and b[0, nb) and writes
// out[0, writes), in whole vectors, with one add per vector read.
HWY_NOINLINE void MoveFloats(const float* HWY_RESTRICT a, std::size_t na,
                             const float* HWY_RESTRICT b, std::size_t nb,
                             float* HWY_RESTRICT out, std::size_t writes) {
  const hn::ScalableTag<float> d;
  const std::size_t N = hn::Lanes(d);
  auto sum0 = hn::Zero(d), sum1 = hn::Zero(d);
  float rest = 0.0f;
  for (const auto& [p, n] : {std::pair{a, na}, std::pair{b, nb}}) {
    std::size_t i = 0;
    for (; i + 2 * N <= n; i += 2 * N) {
      sum0 = hn::Add(sum0, hn::LoadU(d, p + i));
      sum1 = hn::Add(sum1, hn::LoadU(d, p + i + N));
    }
    for (; i < n; ++i) rest += p[i];
  }
  const auto value = hn::Add(hn::Add(sum0, sum1), hn::Set(d, rest));
  std::size_t i = 0;
  for (; i + N <= writes; i += N) hn::StoreU(value, d, out + i);
  for (; i < writes; ++i) out[i] = rest;
}

// Register-resident FMAs on 12 independent accumulators: the machine's peak.
HWY_NOINLINE float FmaPeak(std::int64_t iterations) {
  const hn::ScalableTag<float> d;
  const auto a = hn::Set(d, 0.999f), b = hn::Set(d, 1e-4f);
  hn::Vec<decltype(d)> acc[12];
  for (int i = 0; i < 12; ++i) acc[i] = hn::Set(d, static_cast<float>(i));
  for (std::int64_t n = 0; n < iterations; ++n) {
#pragma GCC unroll 12
    for (int i = 0; i < 12; ++i) acc[i] = hn::MulAdd(acc[i], a, b);
  }
  for (int i = 1; i < 12; ++i) acc[0] = hn::Add(acc[0], acc[i]);
  return hn::GetLane(acc[0]);
}
std::int64_t FmaLanes() { return static_cast<std::int64_t>(hn::Lanes(hn::ScalableTag<float>())); }
std::int64_t CompiledTarget() { return HWY_TARGET; }

}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace staticnn {
HWY_EXPORT(ResNet3x3);
HWY_EXPORT(Lecture);
HWY_EXPORT(LeNet1);
HWY_EXPORT(LeNet2);
HWY_EXPORT(Pointwise);
HWY_EXPORT(Depthwise);
HWY_EXPORT(DsCnnDw);
HWY_EXPORT(MobileNetDw48);
HWY_EXPORT(MobileNetDw48s2);
HWY_EXPORT(MobileNetDw6);
HWY_EXPORT(MobileNetDw3);
HWY_EXPORT(DsCnnPw);
HWY_EXPORT(DsCnnConv1);
HWY_EXPORT(MobileNetConv1);
HWY_EXPORT(MobileNetPw48);
HWY_EXPORT(MobileNetPw6);
HWY_EXPORT(MobileNetPw3);
HWY_EXPORT(MobileNetPw3From128);
HWY_EXPORT(Cifar3x3_32x32);
HWY_EXPORT(Cifar3x3_16x16);
HWY_EXPORT(Cifar3x3_8x8);
HWY_EXPORT(Cifar3x3_8x8_64in);
HWY_EXPORT(Cifar3x3_16x16_32in);
HWY_EXPORT(ResNet8_3x3_32x32);
HWY_EXPORT(ResNet8_3x3_8x8);
HWY_EXPORT(ResNet8_3x3s2_32x32);
HWY_EXPORT(ResNet8_1x1s2_32x32);
HWY_EXPORT(ResNet8_3x3s2_16x16);
HWY_EXPORT(MoveFloats);
HWY_EXPORT(FmaPeak);
HWY_EXPORT(FmaLanes);
HWY_EXPORT(CompiledTarget);

namespace conv2d_bench {
namespace {


using Entry = void (*)(Pass, const Buffers&);

hwy::AlignedFreeUniquePtr<float[]> Filled(std::size_t n, float first) {
  auto p = hwy::AllocateAligned<float>(n == 0 ? 1 : n);
  for (std::size_t i = 0; i < n; ++i) p[i] = first + 1e-3f * static_cast<float>(i % 997);
  return p;
}

// The floats a pass must read and write at least: its input planes and its
// output planes (the weights and biases left out): forward reads x and writes
// y, backward input reads dy and writes dx, backward params reads x and dy.
struct Traffic {
  std::size_t a, b, writes;  // floats read from two buffers, floats written
  std::size_t bytes() const { return sizeof(float) * (a + b + writes); }
};
int SamplesOf(Pass pass) {
  const bool batch = pass == Pass::forward_batch || pass == Pass::backward_input_batch ||
                     pass == Pass::backward_params_batch;
  return batch ? kBatch : 1;
}

Traffic TrafficOf(const Conv2dGeometry& g, Pass pass) {
  const std::size_t samples = SamplesOf(pass), in = samples * g.in.size();
  const std::size_t out = samples * g.out.size();
  switch (pass) {
    case Pass::forward:
    case Pass::forward_batch:
      return {in, 0, out};
    case Pass::forward_relu_pool:
      return {in, 0, out / 4};
    case Pass::backward_input:
    case Pass::backward_input_batch:
      return {out, 0, in};
    default:
      return {in, out, 0};
  }
}

void Run(benchmark::State& state, const Conv2dGeometry& g, Entry entry, Pass pass) {
  const int samples = SamplesOf(pass);
  auto x = Filled(samples * g.in.size(), -0.5f), w = Filled(g.weight_count(), -0.25f);
  auto b = Filled(g.bias_count(), 0.1f), dy = Filled(samples * g.out.size(), -0.3f);
  auto y = Filled(samples * g.out.size(), 0), dx = Filled(samples * g.in.size(), 0);
  auto dw = Filled(g.weight_count(), 0), db = Filled(g.bias_count(), 0);
  auto scratch = Filled(conv2d_scratch_floats(g, samples), 0);
  auto pooled = Filled(samples * g.out.size() / 4, 0);
  const Buffers m{x.get(), w.get(), b.get(), dy.get(), y.get(),
                  dx.get(), dw.get(), db.get(), scratch.get(), pooled.get()};
  for (auto _ : state) {
    entry(pass, m);
    benchmark::ClobberMemory();
  }
  const double flops = 2.0 * static_cast<double>(g.macs()) * samples;
  state.counters["FLOPS"] = benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["peak_frac"] =
      benchmark::Counter(flops / staticnn::bench::PeakFlops(), benchmark::Counter::kIsIterationInvariantRate);
  const auto bytes = static_cast<int64_t>(TrafficOf(g, pass).bytes());
  state.SetBytesProcessed(bytes * state.iterations());
  state.SetLabel(hwy::TargetName(HWY_DYNAMIC_DISPATCH(CompiledTarget)()));
}

// The memory-bound twin of a pass (BM_MemoryBound_*): MoveFloats over buffers
// of the pass's sizes, so that the pass's time can be read against the time
// its bytes take to move, in the same run (tools/benchmarks.py).
void RunMemoryBound(benchmark::State& state, const Conv2dGeometry& g, Pass pass) {
  const Traffic t = TrafficOf(g, pass);
  auto a = Filled(t.a, -0.5f), b = Filled(t.b, -0.3f), out = Filled(t.writes, 0);
  const auto move = HWY_DYNAMIC_DISPATCH(MoveFloats);
  for (auto _ : state) {
    move(a.get(), t.a, b.get(), t.b, out.get(), t.writes);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(t.bytes()) * state.iterations());
  state.SetLabel(hwy::TargetName(HWY_DYNAMIC_DISPATCH(CompiledTarget)()));
}

void BM_FmaPeak(benchmark::State& state) {
  constexpr std::int64_t kIterations = 1 << 20;
  const auto peak = HWY_DYNAMIC_DISPATCH(FmaPeak);
  for (auto _ : state) benchmark::DoNotOptimize(peak(kIterations));
  const double flops = 2.0 * 12 * kIterations * HWY_DYNAMIC_DISPATCH(FmaLanes)();
  state.counters["FLOPS"] = benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["peak_frac"] =
      benchmark::Counter(flops / staticnn::bench::PeakFlops(), benchmark::Counter::kIsIterationInvariantRate);
  state.SetLabel(hwy::TargetName(HWY_DYNAMIC_DISPATCH(CompiledTarget)()));
}
BENCHMARK(BM_FmaPeak);

#define STATICNN_CONV2D_BENCHMARKS(Name, Entry, geometry)                                         \
  void BM_##Name##_Forward(benchmark::State& s) {                                         \
    Run(s, geometry, HWY_DYNAMIC_DISPATCH(Entry), Pass::forward);                          \
  }                                                                                       \
  void BM_##Name##_BackwardInput(benchmark::State& s) {                                   \
    Run(s, geometry, HWY_DYNAMIC_DISPATCH(Entry), Pass::backward_input);                   \
  }                                                                                       \
  void BM_##Name##_BackwardParams(benchmark::State& s) {                                  \
    Run(s, geometry, HWY_DYNAMIC_DISPATCH(Entry), Pass::backward_params);                  \
  }                                                                                       \
  BENCHMARK(BM_##Name##_Forward);                                                         \
  BENCHMARK(BM_##Name##_BackwardInput);                                                   \
  BENCHMARK(BM_##Name##_BackwardParams)

STATICNN_CONV2D_BENCHMARKS(ResNet3x3_64x56x56, ResNet3x3, kResNet3x3);
STATICNN_CONV2D_BENCHMARKS(Lecture_3x32x32_10f5x5, Lecture, kLecture);
STATICNN_CONV2D_BENCHMARKS(LeNet1_1x28x28_6f5x5, LeNet1, kLeNet1);
STATICNN_CONV2D_BENCHMARKS(LeNet2_6x14x14_16f5x5, LeNet2, kLeNet2);
void BM_LeNet1_1x28x28_6f5x5_ForwardReluPool(benchmark::State& s) {
  Run(s, kLeNet1, HWY_DYNAMIC_DISPATCH(LeNet1), Pass::forward_relu_pool);
}
void BM_LeNet2_6x14x14_16f5x5_ForwardReluPool(benchmark::State& s) {
  Run(s, kLeNet2, HWY_DYNAMIC_DISPATCH(LeNet2), Pass::forward_relu_pool);
}
BENCHMARK(BM_LeNet1_1x28x28_6f5x5_ForwardReluPool);
BENCHMARK(BM_LeNet2_6x14x14_16f5x5_ForwardReluPool);
STATICNN_CONV2D_BENCHMARKS(Pointwise1x1_64x56x56, Pointwise, kPointwise);
STATICNN_CONV2D_BENCHMARKS(Depthwise3x3_64x56x56, Depthwise, kDepthwise);
STATICNN_CONV2D_BENCHMARKS(Cifar3x3_32x32x32, Cifar3x3_32x32, kCifar3x3_32x32);
STATICNN_CONV2D_BENCHMARKS(Cifar3x3_64x16x16, Cifar3x3_16x16, kCifar3x3_16x16);
STATICNN_CONV2D_BENCHMARKS(Cifar3x3_128x8x8, Cifar3x3_8x8, kCifar3x3_8x8);
STATICNN_CONV2D_BENCHMARKS(Cifar3x3_64x8x8_128f, Cifar3x3_8x8_64in, kCifar3x3_8x8_64in);
STATICNN_CONV2D_BENCHMARKS(ResNet8_3x3_16x32x32, ResNet8_3x3_32x32, kResNet8_3x3_32x32);
STATICNN_CONV2D_BENCHMARKS(ResNet8_3x3_64x8x8, ResNet8_3x3_8x8, kResNet8_3x3_8x8);
STATICNN_CONV2D_BENCHMARKS(ResNet8_3x3s2_16x32x32, ResNet8_3x3s2_32x32, kResNet8_3x3s2_32x32);
STATICNN_CONV2D_BENCHMARKS(ResNet8_1x1s2_16x32x32, ResNet8_1x1s2_32x32, kResNet8_1x1s2_32x32);
STATICNN_CONV2D_BENCHMARKS(ResNet8_3x3s2_32x16x16, ResNet8_3x3s2_16x16, kResNet8_3x3s2_16x16);

#define STATICNN_CONV2D_FORWARD_BENCHMARK(Name, Entry, geometry)                      \
  void BM_##Name##_Forward(benchmark::State& s) {                                     \
    Run(s, geometry, HWY_DYNAMIC_DISPATCH(Entry), Pass::forward);                      \
  }                                                                                   \
  BENCHMARK(BM_##Name##_Forward)

STATICNN_CONV2D_FORWARD_BENCHMARK(DsCnnDw3x3_64x25x5, DsCnnDw, kDsCnnDw);
STATICNN_CONV2D_FORWARD_BENCHMARK(MobileNetDw3x3_8x48x48, MobileNetDw48, kMobileNetDw48);
STATICNN_CONV2D_FORWARD_BENCHMARK(MobileNetDw3x3s2_16x48x48, MobileNetDw48s2, kMobileNetDw48s2);
STATICNN_CONV2D_FORWARD_BENCHMARK(MobileNetDw3x3_128x6x6, MobileNetDw6, kMobileNetDw6);
STATICNN_CONV2D_FORWARD_BENCHMARK(MobileNetDw3x3_256x3x3, MobileNetDw3, kMobileNetDw3);
STATICNN_CONV2D_FORWARD_BENCHMARK(DsCnnPw1x1_64x25x5_64f, DsCnnPw, kDsCnnPw);
STATICNN_CONV2D_FORWARD_BENCHMARK(DsCnnConv1_1x49x10_64f10x4s2, DsCnnConv1, kDsCnnConv1);
STATICNN_CONV2D_FORWARD_BENCHMARK(MobileNetConv1_3x96x96_8f3x3s2, MobileNetConv1, kMobileNetConv1);
STATICNN_CONV2D_FORWARD_BENCHMARK(MobileNetPw1x1_8x48x48_16f, MobileNetPw48, kMobileNetPw48);
STATICNN_CONV2D_FORWARD_BENCHMARK(MobileNetPw1x1_128x6x6_128f, MobileNetPw6, kMobileNetPw6);
STATICNN_CONV2D_FORWARD_BENCHMARK(MobileNetPw1x1_128x3x3_256f, MobileNetPw3From128,
                                  kMobileNetPw3From128);
STATICNN_CONV2D_FORWARD_BENCHMARK(MobileNetPw1x1_256x3x3_256f, MobileNetPw3, kMobileNetPw3);

#define STATICNN_CONV2D_BATCH_BENCHMARK(Name, Entry, geometry)                            \
  void BM_##Name##_Forward_b16(benchmark::State& s) {                                     \
    Run(s, geometry, HWY_DYNAMIC_DISPATCH(Entry), Pass::forward_batch);                    \
  }                                                                                       \
  void BM_##Name##_BackwardInput_b16(benchmark::State& s) {                               \
    Run(s, geometry, HWY_DYNAMIC_DISPATCH(Entry), Pass::backward_input_batch);             \
  }                                                                                       \
  void BM_##Name##_BackwardParams_b16(benchmark::State& s) {                              \
    Run(s, geometry, HWY_DYNAMIC_DISPATCH(Entry), Pass::backward_params_batch);            \
  }                                                                                       \
  BENCHMARK(BM_##Name##_Forward_b16);                                                     \
  BENCHMARK(BM_##Name##_BackwardInput_b16);                                               \
  BENCHMARK(BM_##Name##_BackwardParams_b16)

STATICNN_CONV2D_BATCH_BENCHMARK(Lecture_3x32x32_10f5x5, Lecture, kLecture);
STATICNN_CONV2D_BATCH_BENCHMARK(LeNet1_1x28x28_6f5x5, LeNet1, kLeNet1);
STATICNN_CONV2D_BATCH_BENCHMARK(LeNet2_6x14x14_16f5x5, LeNet2, kLeNet2);
STATICNN_CONV2D_BATCH_BENCHMARK(Pointwise1x1_64x56x56, Pointwise, kPointwise);
STATICNN_CONV2D_BATCH_BENCHMARK(Depthwise3x3_64x56x56, Depthwise, kDepthwise);
STATICNN_CONV2D_BATCH_BENCHMARK(Cifar3x3_32x32x32, Cifar3x3_32x32, kCifar3x3_32x32);
STATICNN_CONV2D_BATCH_BENCHMARK(Cifar3x3_32x16x16_64f, Cifar3x3_16x16_32in,
                                kCifar3x3_16x16_32in);
STATICNN_CONV2D_BATCH_BENCHMARK(Cifar3x3_64x16x16, Cifar3x3_16x16, kCifar3x3_16x16);
STATICNN_CONV2D_BATCH_BENCHMARK(Cifar3x3_128x8x8, Cifar3x3_8x8, kCifar3x3_8x8);
STATICNN_CONV2D_BATCH_BENCHMARK(Cifar3x3_64x8x8_128f, Cifar3x3_8x8_64in, kCifar3x3_8x8_64in);
STATICNN_CONV2D_BATCH_BENCHMARK(ResNet8_3x3_16x32x32, ResNet8_3x3_32x32, kResNet8_3x3_32x32);
STATICNN_CONV2D_BATCH_BENCHMARK(ResNet8_3x3_64x8x8, ResNet8_3x3_8x8, kResNet8_3x3_8x8);

// The memory-bound twins of the depthwise passes: BM_MemoryBound_<benchmark>.
#define STATICNN_MEMORY_BOUND_BENCHMARK(Name, geometry, pass)                            \
  void BM_MemoryBound_##Name(benchmark::State& s) { RunMemoryBound(s, geometry, pass); } \
  BENCHMARK(BM_MemoryBound_##Name)

STATICNN_MEMORY_BOUND_BENCHMARK(Depthwise3x3_64x56x56_Forward, kDepthwise, Pass::forward);
STATICNN_MEMORY_BOUND_BENCHMARK(Depthwise3x3_64x56x56_BackwardInput, kDepthwise,
                                Pass::backward_input);
STATICNN_MEMORY_BOUND_BENCHMARK(Depthwise3x3_64x56x56_BackwardParams, kDepthwise,
                                Pass::backward_params);
STATICNN_MEMORY_BOUND_BENCHMARK(Depthwise3x3_64x56x56_Forward_b16, kDepthwise,
                                Pass::forward_batch);
STATICNN_MEMORY_BOUND_BENCHMARK(Depthwise3x3_64x56x56_BackwardInput_b16, kDepthwise,
                                Pass::backward_input_batch);
STATICNN_MEMORY_BOUND_BENCHMARK(Depthwise3x3_64x56x56_BackwardParams_b16, kDepthwise,
                                Pass::backward_params_batch);
STATICNN_MEMORY_BOUND_BENCHMARK(DsCnnDw3x3_64x25x5_Forward, kDsCnnDw, Pass::forward);
STATICNN_MEMORY_BOUND_BENCHMARK(MobileNetDw3x3_8x48x48_Forward, kMobileNetDw48, Pass::forward);
STATICNN_MEMORY_BOUND_BENCHMARK(MobileNetDw3x3s2_16x48x48_Forward, kMobileNetDw48s2,
                                Pass::forward);
STATICNN_MEMORY_BOUND_BENCHMARK(MobileNetDw3x3_128x6x6_Forward, kMobileNetDw6, Pass::forward);
STATICNN_MEMORY_BOUND_BENCHMARK(MobileNetDw3x3_256x3x3_Forward, kMobileNetDw3, Pass::forward);

}  // namespace
}  // namespace conv2d_bench
}  // namespace staticnn

BENCHMARK_MAIN();
#endif  // HWY_ONCE
