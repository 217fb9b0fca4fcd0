// Whole-network passes: the oracle's gradients against finite differences,
// then the SIMD passes of every Highway target against the oracle.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "tests/network_test.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

#include "staticnn/passes-inl.h"
#include "tests/reference/network.hpp"
#include "tests/support/compare.hpp"
#include "tests/support/finite_differences.hpp"
#include "tests/support/nets.hpp"
#include "hwy/tests/test_util-inl.h"

#ifndef STATICNN_TESTS_NETWORK_TEST_ONCE
#define STATICNN_TESTS_NETWORK_TEST_ONCE
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <vector>

#include "staticnn/init.hpp"

namespace staticnn::test {

template <class Net>
std::vector<double> random_params(std::uint64_t seed) {
  typename Net::Parameters p;
  init_parameters<Net>(p, seed);
  return std::vector<double>(p.values, p.values + Net::param_count);
}

// BlocksNet's first layers and projection Residual, then the ReLU that
// inference adds in the Residual's sum (Kernel<Residual>::ForwardRelu, as
// ResNet-8's blocks run); BlocksNet has an identity Residual followed by a ReLU.
using ProjectionReluNet = Network<
    Input<3, 9, 7>, Conv2d<Conv2dSpec{.out_channels = 4, .kernel_size = 3, .padding = same}>, ReLU,
    Residual<Main<Conv2d<Conv2dSpec{.out_channels = 6, .kernel_size = 3, .stride = 2,
                                    .padding = 1, .rounding = Rounding::floor}>,
                  LeakyReLU<LeakyReLUSpec{.negative_slope = 0.1f}>>,
             Shortcut<Conv2d<Conv2dSpec{.out_channels = 6, .kernel_size = 1, .stride = 2,
                                        .rounding = Rounding::floor}>>>,
    ReLU>;
static_assert(ProjectionReluNet::plan.layers[3].fused);

// x + LeakyReLU(x) (which keeps x's sign, -0 and NaN bits), then a ReLU
// fused into the Residual's sum; the same with a Flatten in between, which
// leaves the ReLU a layer of its own.
template <class... Between>
using ResidualRelu = Network<Input<3, 3, 3>,
                             Residual<LeakyReLU<LeakyReLUSpec{.negative_slope = 0.25f}>>,
                             Between..., ReLU>;
static_assert(ResidualRelu<>::plan.layers[1].fused &&
              !ResidualRelu<Flatten>::plan.layers[2].fused);

// A projection Residual whose paths are one activation each, then the ReLU
// fused into its sum: g++ 12 warned (-Warray-bounds) about the training pass
// inlined into its inference, a branch that never runs; this file compiles
// with -Werror (CMakeLists.txt).
using ShortcutReluNet =
    Network<Input<3, 3, 3>,
            Residual<Main<LeakyReLU<LeakyReLUSpec{.negative_slope = 0.25f}>>, Shortcut<ReLU>>,
            ReLU>;
static_assert(ShortcutReluNet::plan.layers[1].fused);

}  // namespace staticnn::test
#endif  // STATICNN_TESTS_NETWORK_TEST_ONCE

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {
namespace {

// Forward (inference and training) and backward of Net on Batch samples
// against the double-precision oracle.
// kSameInBothModes: Net has no layer that behaves differently in training
// (BatchNorm, Dropout), so inference and training forward give the same bits.
template <class Net, int Batch, bool kSameInBothModes = false>
void CheckAgainstOracle(std::uint64_t seed) {
  using test::relative_error;
  const std::vector<double> params = test::random_params<Net>(seed);
  const std::vector<double> x =
      test::random_vector<double>(std::size_t(Batch) * Net::input_shape.size(), seed + 1);
  constexpr std::size_t out_n = std::size_t(Batch) * Net::output_shape.size();
  const std::vector<double> dout = test::random_vector<double>(out_n, seed + 2);

  reference::NetworkOracle<Net, double> oracle(Batch);
  const std::vector<double> y_ref = oracle.forward(params.data(), x.data());
  std::vector<double> g_ref(Net::param_count, 0.0), dx_ref(x.size());
  oracle.backward(params.data(), dout.data(), g_ref.data(), dx_ref.data());

  static typename Net::Parameters p;
  static typename Net::Gradients g;
  static InferenceWorkspace<Net, Batch> infer_ws;
  static TrainingWorkspace<Net, Batch> train_ws;
  std::copy(params.begin(), params.end(), p.values);
  const std::vector<float> xf(x.begin(), x.end()), doutf(dout.begin(), dout.end());
  std::vector<float> dx(x.size(), 1e30f);  // every entry must be overwritten
  g.fill(0.0f);                              // parameter gradients accumulate

  const float* y_infer = Forward<Net, Batch>(p, xf.data(), infer_ws);
  EXPECT_LT(relative_error(y_infer, y_ref.data(), out_n), 2e-5) << "inference forward";
  const float* y_train = Forward<Net, Batch>(p, xf.data(), train_ws);
  EXPECT_LT(relative_error(y_train, y_ref.data(), out_n), 2e-5) << "training forward";
  if constexpr (kSameInBothModes) {
    // Inference and the training forward both run each ReLU inside the layer
    // or block before it (chain.hpp): the same bits. TestResidualReluBits
    // checks the fused ReLU against the ReLU layer.
    EXPECT_EQ(std::memcmp(y_infer, y_train, out_n * sizeof(float)), 0)
        << "inference (ReLUs fused) differs from training forward";
  }
  Backward<Net, Batch>(p, xf.data(), train_ws, doutf.data(), g, dx.data());
  EXPECT_LT(relative_error(dx.data(), dx_ref.data(), dx.size()), 5e-5) << "input gradient";
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    (
        [&] {
          constexpr long off = Net::template param_offset<I>;
          constexpr long count = Net::template layer_params<I>;
          if constexpr (count > 0) {
            EXPECT_LT(relative_error(g.values + off, g_ref.data() + off, count), 5e-5)
                << "parameter gradient of layer " << I;
          }
        }(),
        ...);
  }(std::make_index_sequence<Net::layer_count>{});

  // Gradients accumulate: a second backward doubles them.
  Backward<Net, Batch>(p, xf.data(), train_ws, doutf.data(), g, nullptr);
  for (double& v : g_ref) v *= 2;
  EXPECT_LT(relative_error(g.values, g_ref.data(), g_ref.size()), 5e-5) << "accumulation";
}

void TestEveryLayerAgainstOracle() {
  CheckAgainstOracle<test::EveryLayerNet, 1>(11);
  CheckAgainstOracle<test::EveryLayerNet, 3>(12);
}

void TestReluPoolAgainstOracle() { CheckAgainstOracle<test::ReluPoolNet, 3>(13); }

void TestBlocksAgainstOracle() {
  CheckAgainstOracle<test::BlocksNet, 1, true>(15);
  CheckAgainstOracle<test::BlocksNet, 3, true>(16);
  CheckAgainstOracle<test::ProjectionReluNet, 1, true>(17);
  CheckAgainstOracle<test::ShortcutReluNet, 2, true>(18);
}

// The ReLU fused into a Residual's sum has the ReLU layer's bits: NaN kept
// (payload and sign), -0 kept, negatives +0. Each x below makes the paths'
// sum (x + x/4 below zero, x + x at or above) a NaN, -0, +0, a negative or a
// positive number; y = ReLU(sum) must equal the unfused network's bits and
// the expectation, in inference and in the training forward.
void TestResidualReluBits() {
  using Fused = test::ResidualRelu<>;
  using Unfused = test::ResidualRelu<Flatten>;
  constexpr int Batch = 2;  // 54 floats: whole vectors and a tail
  struct Case {
    std::uint32_t x, y;
  };
  constexpr Case kCases[] = {
      {0x7fc01234u, 0x7fc01234u},  // quiet NaN with a payload
      {0xffc00567u, 0xffc00567u},  // negative quiet NaN
      {0x80000000u, 0x80000000u},  // -0 + -0 = -0, kept
      {0x00000000u, 0x00000000u},  // +0
      {0xc0000000u, 0x00000000u},  // -2: sum -2.5, then +0
      {0x40400000u, 0x40c00000u},  // 3: sum 6
      {0xff800000u, 0x00000000u},  // -inf: sum -inf, then +0
      {0x7f800000u, 0x7f800000u},  // +inf
      {0x00000001u, 0x00000002u},  // the smallest subnormal, doubled
  };
  constexpr std::size_t n = std::size_t(Batch) * Fused::input_shape.size();
  std::vector<float> x(n);
  std::vector<std::uint32_t> expected(n);
  for (std::size_t i = 0; i < n; ++i) {
    const Case c = kCases[i % std::size(kCases)];
    std::memcpy(&x[i], &c.x, sizeof(float));
    expected[i] = c.y;
  }
  static typename Fused::Parameters p;  // no parameters
  static typename Unfused::Parameters q;
  static InferenceWorkspace<Fused, Batch> infer_fused;
  static InferenceWorkspace<Unfused, Batch> infer_unfused;
  static TrainingWorkspace<Fused, Batch> train_fused;
  static TrainingWorkspace<Unfused, Batch> train_unfused;
  const float* fused[2] = {Forward<Fused, Batch>(p, x.data(), infer_fused),
                           Forward<Fused, Batch>(p, x.data(), train_fused)};
  const float* unfused[2] = {Forward<Unfused, Batch>(q, x.data(), infer_unfused),
                             Forward<Unfused, Batch>(q, x.data(), train_unfused)};
  for (int mode = 0; mode < 2; ++mode) {
    const char* name = mode == 0 ? "inference" : "training forward";
    EXPECT_EQ(std::memcmp(fused[mode], unfused[mode], n * sizeof(float)), 0)
        << name << ": the fused ReLU differs from the ReLU layer";
    for (std::size_t i = 0; i < n; ++i) {
      std::uint32_t bits;
      std::memcpy(&bits, &fused[mode][i], sizeof(bits));
      EXPECT_EQ(bits, expected[i]) << name << " at " << i << ", x bits " << std::hex
                                   << kCases[i % std::size(kCases)].x;
    }
  }
}

void TestLeNetAgainstOracle() {
  CheckAgainstOracle<test::LeNet, 1>(21);
  CheckAgainstOracle<test::LeNet, 4>(22);
}

// Training LeNet-5 on one fixed batch must drive the loss towards zero, with
// SGD + momentum and with Adam (the optimizers' formulas are checked against
// PyTorch in optimizer_test; this checks that the passes and steps compose).
template <class Optimizer>
void CheckTrainingConverges(Optimizer& opt) {
  using Net = test::LeNet;
  constexpr int kBatch = 4;
  static Net::Parameters p;
  static Net::Gradients g;
  static TrainingWorkspace<Net, kBatch> ws;
  init_parameters<Net>(p, 5);
  const std::vector<float> x = test::random_vector<float>(kBatch * Net::input_shape.size(), 6);
  const int labels[kBatch] = {0, 1, 2, 1};
  float first = 0, last = 0;
  for (int step = 0; step < 60; ++step) {
    const float* logits = Forward<Net, kBatch>(p, x.data(), ws);
    const float loss = SoftmaxCrossEntropyLoss<Net, kBatch>(logits, labels, ws.output_gradient);
    g.fill(0.0f);
    Backward<Net, kBatch>(p, x.data(), ws, ws.output_gradient, g);
    Step<Net>(p, g, opt);
    (step == 0 ? first : last) = loss;
  }
  EXPECT_LT(last, 0.05f * first) << "first loss " << first << ", last " << last;
}

void TestTrainingConverges() {
  // Static (the state is as large as the parameters), reset for every target.
  static Sgd<test::LeNet> sgd;
  static Adam<test::LeNet> adam;
  sgd.options = {.lr = 0.05f, .momentum = 0.9f};
  sgd.velocity.fill(0.0f);
  CheckTrainingConverges(sgd);
  adam.options = {.lr = 0.001f};
  adam.m.fill(0.0f);
  adam.v.fill(0.0f);
  adam.step = 0;
  CheckTrainingConverges(adam);
}

}  // namespace
}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace staticnn {
HWY_BEFORE_TEST(NetworkTest);
HWY_EXPORT_AND_TEST_P(NetworkTest, TestEveryLayerAgainstOracle);
HWY_EXPORT_AND_TEST_P(NetworkTest, TestReluPoolAgainstOracle);
HWY_EXPORT_AND_TEST_P(NetworkTest, TestBlocksAgainstOracle);
HWY_EXPORT_AND_TEST_P(NetworkTest, TestResidualReluBits);
HWY_EXPORT_AND_TEST_P(NetworkTest, TestLeNetAgainstOracle);
HWY_EXPORT_AND_TEST_P(NetworkTest, TestTrainingConverges);

// The oracle itself: its network gradients against central differences of
// L = sum(c * f(x)) in double, for every parameter and every input.
template <class Net>
void CheckOracleGradients() {
  constexpr int kBatch = 2;
  std::vector<double> params = test::random_params<Net>(31);
  std::vector<double> x = test::random_vector<double>(kBatch * Net::input_shape.size(), 32);
  const std::vector<double> c =
      test::random_vector<double>(kBatch * Net::output_shape.size(), 33);
  reference::NetworkOracle<Net, double> oracle(kBatch);
  const auto loss = [&] {
    return test::weighted_sum(c, oracle.forward(params.data(), x.data()));
  };
  loss();
  std::vector<double> g(params.size(), 0.0), dx(x.size());
  oracle.backward(params.data(), c.data(), g.data(), dx.data());

  test::ExpectCentralDifferences(params, g, loss, "parameter");
  test::ExpectCentralDifferences(x, dx, loss, "input");
}

TEST(NetworkOracleTest, GradientsMatchFiniteDifferences) {
  CheckOracleGradients<test::EveryLayerNet>();
}
TEST(NetworkOracleTest, BlockGradientsMatchFiniteDifferences) {
  CheckOracleGradients<test::BlocksNet>();
}

}  // namespace staticnn
#endif  // HWY_ONCE
