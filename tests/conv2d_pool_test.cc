// A 2x2 max pool fused into Conv2d's forward (Conv2dForwardPooled: what
// inference runs for Conv2d, [ReLU,] MaxPool2d) on every Highway target:
// exactly the bits of forward (with the ReLU) followed by MaxPool2dForward,
// whichever path runs: pooled by the channel-vector tiles before their
// transpose (LeNet-5's conv2, 16 channels: AVX2 and AVX-512; 8 channels with
// a dropped last row and column: SSE4, SSSE3, AVX2, NEON, SVE), per pool
// phase in the row tiles (LeNet-5's conv1 with 32 vector registers: AVX-512,
// NEON, SVE) or forward then the pool (the others). The pool-phase kernel
// itself is checked on every SIMD target, called directly: LeNet-5's conv1 and
// 8 channels of 11x11 pooled to 5x5 (the last tile of channels and the last
// vector of positions overlap). Forward and the pool themselves are checked
// against their oracles by conv2d_test and pool2d_test.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "tests/conv2d_pool_test.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "staticnn/kernels/conv2d-inl.h"
#include "staticnn/kernels/conv2d_scratch.hpp"
#include "staticnn/layers/pool2d.hpp"
#include "hwy/tests/test_util-inl.h"
#include "tests/support/guarded.hpp"

// Target-independent helpers, compiled once.
#ifndef STATICNN_TESTS_CONV2D_POOL_TEST_ONCE_
#define STATICNN_TESTS_CONV2D_POOL_TEST_ONCE_
namespace staticnn::conv2d_pool_test {

using test::Guarded;

constexpr Conv2dGeometry kLeNet1{{1, 28, 28}, {6, 28, 28}, {5, 1, 2, 1}, {5, 1, 2, 1}, 1, true};
constexpr Conv2dGeometry kLeNet2{{6, 14, 14}, {16, 10, 10}, {5, 1, 0, 1}, {5, 1, 0, 1}, 1, true};
constexpr Conv2dGeometry kCifar128{{128, 8, 8}, {128, 8, 8}, {3, 1, 1, 1}, {3, 1, 1, 1}, 1,
                                   true};
constexpr Conv2dGeometry kEight{{3, 11, 11}, {8, 9, 9}, {3, 1, 0, 1}, {3, 1, 0, 1}, 1, true};
constexpr Conv2dGeometry kOddPhases{{3, 11, 11}, {8, 11, 11}, {5, 1, 2, 1}, {5, 1, 2, 1}, 1,
                                    true};
// 25 pooled positions: with 8 or 4 lanes one is left after the whole vectors,
// computed by PoolPhaseRemainder in blocks of output channels (13: the last
// block overlaps with 16 registers).
constexpr Conv2dGeometry kRemainder{{2, 11, 11}, {13, 11, 11}, {5, 1, 2, 1}, {5, 1, 2, 1}, 1,
                                    true};

// PyTorch's MaxPool2d(2) of a convolution's output (floor: 9x9 -> 4x4).
constexpr Pool2dGeometry PoolOf(const Conv2dGeometry& g) {
  return MaxPool2d<Pool2dSpec{.kernel_size = 2, .rounding = Rounding::floor}>::geometry(g.out);
}

using ForwardFn = void (*)(const float* x, const float* w, const float* b, float* y,
                           float* scratch);
using PoolFn = void (*)(const float* x, float* y);
using PooledFn = void (*)(const float* x, const float* w, const float* b, float* y,
                          float* pooled, float* scratch);

// On `batch` samples, with windows that hold -0 and +0 side by side (ReLU on:
// channels of negative weights and a -0 bias give -0 over the zero rows of x,
// and +0, the ReLU of a negative, over its positive rows) and NaN (one in x):
// there the order of the maxima decides the bits. Also with the pooled output
// over x, as the chain's ping-pong places it. Nothing is written outside y,
// pooled and scratch.
void CheckForwardPooled(const Conv2dGeometry& g, int batch, bool relu, ForwardFn forward,
                        PoolFn pool, PooledFn forward_pooled, const char* target) {
  SCOPED_TRACE("in " + std::to_string(g.in.c) + "x" + std::to_string(g.in.h) + "x" +
               std::to_string(g.in.w) + " -> " + std::to_string(g.out.c) + " batch " +
               std::to_string(batch) + (relu ? ", ReLU" : "") + " on " + target);
  const Pool2dGeometry p = PoolOf(g);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::mt19937 rng(static_cast<unsigned>(g.in.size() * 17 + g.out.size()));
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  Guarded x(batch * g.in.size(), 0.0f), w(g.weight_count(), 0.0f), b(g.out.c, 0.0f);
  const int per_channel = g.weight_count() / g.out.c;
  for (int c = 0; c < g.out.c; ++c) {
    for (int k = 0; k < per_channel; ++k) {
      w.begin()[c * per_channel + k] = c % 2 == 0 ? -std::abs(dist(rng)) : dist(rng);
    }
    b.begin()[c] = c % 2 == 0 ? -0.0f : dist(rng);
  }
  // Zero rows on top, so that the last pooled positions (a remainder that
  // some paths compute on their own) see varied values; they end at an odd
  // row, so that pool windows straddle the edge.
  const int zero_to = g.in.h / 2 | 1;
  for (int i = 0; i < batch * g.in.size(); ++i) {
    x.begin()[i] = i % (g.in.h * g.in.w) / g.in.w < zero_to ? 0.0f : std::abs(dist(rng));
  }
  x.begin()[g.in.w + 1] = nan;
  Guarded y(batch * g.out.size(), nan), expected(batch * p.out.size(), nan);
  Guarded pooled(batch * p.out.size(), nan);
  Guarded scratch(conv2d_forward_scratch_floats(g, batch), nan);
  forward(x.begin(), w.begin(), b.begin(), y.begin(), scratch.begin());
  for (int s = 0; s < batch; ++s) {
    pool(y.begin() + s * g.out.size(), expected.begin() + s * p.out.size());
  }
  int ties = 0, nans = 0;  // -0 over +0 in a column; NaN outputs
  for (std::size_t i = 0; i + g.out.w < y.size(); ++i) {
    const float above = y[i], below = y[i + g.out.w];
    ties += above == 0.0f && below == 0.0f && std::signbit(above) != std::signbit(below);
    nans += std::isnan(above);
  }
  if (relu) EXPECT_GT(ties, 0) << "the data should hold -0 and +0 side by side";
  EXPECT_GT(nans, 0) << "the data should hold NaN";
  const auto expect_bits = [&](const float* actual, const char* what) {
    for (std::size_t i = 0; i < expected.size(); ++i) {
      if (std::memcmp(expected.begin() + i, actual + i, sizeof(float)) != 0) {
        ADD_FAILURE() << what << "[" << i << "] = " << actual[i] << ", expected " << expected[i];
        return;
      }
    }
  };
  forward_pooled(x.begin(), w.begin(), b.begin(), y.begin(), pooled.begin(), scratch.begin());
  expect_bits(pooled.begin(), "pooled");
  Guarded in_place(batch * std::max(g.in.size(), p.out.size()), nan);
  std::copy(x.begin(), x.begin() + x.size(), in_place.begin());
  forward_pooled(in_place.begin(), w.begin(), b.begin(), y.begin(), in_place.begin(),
                 scratch.begin());
  expect_bits(in_place.begin(), "pooled over x");
  for (const Guarded* buffer : {&x, &w, &b, &y, &expected, &pooled, &in_place, &scratch}) {
    EXPECT_TRUE(buffer->CanariesIntact()) << "a kernel wrote outside a buffer";
  }
}

}  // namespace staticnn::conv2d_pool_test
#endif  // STATICNN_TESTS_CONV2D_POOL_TEST_ONCE_

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {
namespace {

template <Conv2dGeometry G, int Batch, bool kRelu>
void CheckForwardPooled() {
  constexpr Pool2dGeometry kPool = conv2d_pool_test::PoolOf(G);
  conv2d_pool_test::CheckForwardPooled(G, Batch, kRelu, &Conv2dForward<G, Batch, kRelu>,
                                       &MaxPool2dForward<kPool>,
                                       &Conv2dForwardPooled<G, kPool, Batch, kRelu>,
                                       hwy::TargetName(HWY_TARGET));
}

#if HWY_TARGET != HWY_SCALAR
// ForwardPooledByPhases over a batch, as Conv2dForwardPooled runs it where
// PoolPhasesPay; y is left alone.
template <Conv2dGeometry G, int Batch, bool kRelu>
void PooledByPhases(const float* x, const float* w, const float* b, float*, float* pooled,
                    float* scratch) {
  constexpr Pool2dGeometry kPool = conv2d_pool_test::PoolOf(G);
  for (int s = 0; s < Batch; ++s) {
    conv2d_impl::ForwardPooledByPhases<G, kPool, kRelu>(x + s * G.in.size(), w, b,
                                                        pooled + s * kPool.out.size(), scratch);
  }
}

template <Conv2dGeometry G, int Batch, bool kRelu>
void CheckPooledByPhases() {
  constexpr Pool2dGeometry kPool = conv2d_pool_test::PoolOf(G);
  static_assert(PoolPhasesFit<G, kPool, Batch>());
  conv2d_pool_test::CheckForwardPooled(G, Batch, kRelu, &Conv2dForward<G, Batch, kRelu>,
                                       &MaxPool2dForward<kPool>,
                                       &PooledByPhases<G, Batch, kRelu>,
                                       hwy::TargetName(HWY_TARGET));
}
#endif

void TestConv2dForwardPooled() {
  using conv2d_pool_test::kEight;
  using conv2d_pool_test::kLeNet2;
  using conv2d_pool_test::PoolOf;
#if HWY_TARGET != HWY_SCALAR
  static_assert(PoolFusesIntoTiles<kLeNet2, PoolOf(kLeNet2)>() ||
                    PoolFusesIntoTiles<kEight, PoolOf(kEight)>(),
                "the tiles pool on every SIMD target");
  static_assert(PoolPhasesPay<conv2d_pool_test::kLeNet1, PoolOf(conv2d_pool_test::kLeNet1)>(),
                "LeNet-5's conv1 pools per phase: its copies stay in L1");
  static_assert(PoolPhasesPay<conv2d_pool_test::kCifar128,
                              PoolOf(conv2d_pool_test::kCifar128)>() == (kVectorRegisters == 32),
                "CIFAR's 128->128 at 8x8 pools per phase with 32 vector registers only: "
                "with 16 its copies (80 KiB) are read again for every 2 channels");
  constexpr int kLanes = static_cast<int>(hwy::HWY_NAMESPACE::MaxLanes(KernelTag()));
  static_assert(conv2d_impl::PoolPhaseRemainderFits<conv2d_pool_test::kLeNet1,
                                                    PoolOf(conv2d_pool_test::kLeNet1)>() ==
                    (kLanes == 16),
                "LeNet-5's conv1 on 16 lanes: 12 vectors of pooled positions and 4 more");
  static_assert(conv2d_impl::PoolPhaseRemainderFits<conv2d_pool_test::kRemainder,
                                                    PoolOf(conv2d_pool_test::kRemainder)>() ==
                (kLanes <= 8));
  CheckPooledByPhases<conv2d_pool_test::kRemainder, 1, true>();
  CheckPooledByPhases<conv2d_pool_test::kRemainder, 1, false>();
  CheckPooledByPhases<conv2d_pool_test::kLeNet1, 1, true>();
  CheckPooledByPhases<conv2d_pool_test::kLeNet1, 1, false>();
  CheckPooledByPhases<conv2d_pool_test::kOddPhases, 1, true>();
  CheckPooledByPhases<conv2d_pool_test::kOddPhases, 3, false>();
#endif
  CheckForwardPooled<kLeNet2, 1, true>();
  CheckForwardPooled<kLeNet2, 2, false>();
  CheckForwardPooled<kEight, 1, true>();
  CheckForwardPooled<conv2d_pool_test::kLeNet1, 1, true>();
}

}  // namespace
// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace staticnn {
HWY_BEFORE_TEST(Conv2dPoolTest);
HWY_EXPORT_AND_TEST_P(Conv2dPoolTest, TestConv2dForwardPooled);
}  // namespace staticnn
#endif
