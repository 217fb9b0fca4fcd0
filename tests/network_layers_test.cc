// A network of convolutions, BatchNorm2d/1d, ReLU6, Hardswish and Dropout
// (tests/support/layer_nets.hpp) through the network passes of every Highway
// target against the double-precision oracle: training mode (batch
// statistics, running statistics updated as the oracle updates them, dropout
// masks from the same seed), inference mode on an InferenceWorkspace and on a
// TrainingWorkspace (Mode::inference, then backward through the affine maps);
// training that lowers the loss; and the oracle's gradients in training mode
// against finite differences.
//
// Tolerances are network_test's: normwise relative errors (max |a - r| over
// max |r|) of 2e-5 for outputs and running statistics and 5e-5 for gradients.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "tests/network_layers_test.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

#include "staticnn/passes-inl.h"
#include "tests/reference/network.hpp"
#include "tests/support/compare.hpp"
#include "tests/support/finite_differences.hpp"
#include "tests/support/layer_nets.hpp"
#include "hwy/tests/test_util-inl.h"

#ifndef STATICNN_TESTS_NETWORK_LAYERS_TEST_ONCE
#define STATICNN_TESTS_NETWORK_LAYERS_TEST_ONCE
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "staticnn/init.hpp"

namespace staticnn::test {

// PyTorch's initialisation, then every batch norm's weight in [0.5, 2.5] and
// bias in [-1, 1] (so that ReLU6 reaches its upper kink), running mean in
// [-0.5, 0.5] and running variance in [0.5, 1.5]: float values.
template <class Net>
void random_state(typename Net::Parameters& p, std::uint64_t seed) {
  init_parameters<Net>(p, seed);
  SplitMix64 rng{seed + 100};
  for (const Tensor& t : Net::tensors) {
    float* data = (t.role == TensorRole::parameter ? p.values : p.buffers) + t.offset;
    const int len = t.name.size();
    const auto ends_with = [&](const char* s) {
      const int k = TensorName(s).size();
      return len >= k && TensorName(t.name.s + (len - k)) == TensorName(s);
    };
    const bool norm = ends_with("running_mean") || ends_with("running_var") ||
                      (t.init == Init::ones) || (t.role == TensorRole::parameter && t.init == Init::zeros);
    if (!norm) continue;
    for (long i = 0; i < t.count(); ++i) {
      const float u = rng.symmetric();
      data[i] = ends_with("running_var") ? 1.0f + 0.5f * u
                : ends_with("running_mean") ? 0.5f * u
                : ends_with("weight")       ? 1.5f + u
                                            : u;
    }
  }
}

}  // namespace staticnn::test
#endif  // STATICNN_TESTS_NETWORK_LAYERS_TEST_ONCE

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {
namespace {

using test::NormNet;
using test::relative_error;

template <class Net, int Batch>
void CheckAgainstOracle(std::uint64_t seed) {
  constexpr std::size_t in_n = std::size_t(Batch) * Net::input_shape.size();
  constexpr std::size_t out_n = std::size_t(Batch) * Net::output_shape.size();
  static typename Net::Parameters p;
  static typename Net::Gradients g;
  static InferenceWorkspace<Net, Batch> infer_ws;
  static TrainingWorkspace<Net, Batch> train_ws;
  test::random_state<Net>(p, seed);
  const std::vector<double> params(p.values, p.values + Net::param_count);
  const std::vector<double> buffers0(p.buffers, p.buffers + Net::buffer_count);
  const std::vector<float> xf = test::random_vector<float>(in_n, seed + 1, 1.0f, 0.2f);
  const std::vector<float> doutf = test::random_vector<float>(out_n, seed + 2);
  const std::vector<double> x(xf.begin(), xf.end()), dout(doutf.begin(), doutf.end());
  const std::vector<float> saved_buffers(p.buffers, p.buffers + Net::buffer_count);

  const auto check_gradients = [&](const std::vector<double>& g_ref,
                                   const std::vector<double>& dx_ref, const float* dx,
                                   const char* mode) {
    EXPECT_LT(relative_error(dx, dx_ref.data(), in_n), 5e-5) << mode << ": input gradient";
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (
          [&] {
            constexpr long off = Net::template param_offset<I>;
            constexpr long count = Net::template layer_params<I>;
            if constexpr (count > 0) {
              EXPECT_LT(relative_error(g.values + off, g_ref.data() + off, count), 5e-5)
                  << mode << ": parameter gradient of layer " << I;
            }
          }(),
          ...);
    }(std::make_index_sequence<Net::layer_count>{});
  };

  // Training mode: batch statistics, running statistics moved, masks drawn.
  {
    const std::uint64_t rng_seed = seed * 7919;
    reference::oracle_rng = rng_seed;
    reference::NetworkOracle<Net, double> oracle(Batch);
    std::vector<double> b = buffers0;
    const std::vector<double> y_ref = oracle.forward(params.data(), b.data(), x.data(), true);
    std::vector<double> g_ref(Net::param_count, 0.0), dx_ref(in_n);
    oracle.backward(params.data(), b.data(), dout.data(), g_ref.data(), dx_ref.data());

    train_ws.rng = rng_seed;
    g.fill(0.0f);
    std::vector<float> dx(in_n, 1e30f);
    const float* y = Forward<Net, Batch>(p, xf.data(), train_ws, Mode::training);
    EXPECT_LT(relative_error(y, y_ref.data(), out_n), 2e-5) << "training forward";
    EXPECT_LT(relative_error(p.buffers, b.data(), b.size()), 2e-5) << "running statistics";
    EXPECT_EQ(train_ws.rng, reference::oracle_rng) << "the masks drew as the oracle's";
    Backward<Net, Batch>(p, xf.data(), train_ws, doutf.data(), g, dx.data());
    check_gradients(g_ref, dx_ref, dx.data(), "training");
  }

  // Inference mode, from the same starting buffers.
  std::copy(saved_buffers.begin(), saved_buffers.end(), p.buffers);
  {
    reference::NetworkOracle<Net, double> oracle(Batch);
    std::vector<double> b = buffers0;
    const std::uint64_t rng_before = reference::oracle_rng;
    const std::vector<double> y_ref = oracle.forward(params.data(), b.data(), x.data(), false);
    EXPECT_EQ(reference::oracle_rng, rng_before);
    std::vector<double> g_ref(Net::param_count, 0.0), dx_ref(in_n);
    oracle.backward(params.data(), b.data(), dout.data(), g_ref.data(), dx_ref.data());

    const float* y_infer = Forward<Net, Batch>(p, xf.data(), infer_ws);
    EXPECT_LT(relative_error(y_infer, y_ref.data(), out_n), 2e-5) << "inference forward";
    const std::vector<float> y_infer_copy(y_infer, y_infer + out_n);

    const std::uint64_t ws_rng = train_ws.rng;
    g.fill(0.0f);
    std::vector<float> dx(in_n, 1e30f);
    const float* y = Forward<Net, Batch>(p, xf.data(), train_ws, Mode::inference);
    EXPECT_EQ(std::memcmp(y, y_infer_copy.data(), out_n * sizeof(float)), 0)
        << "Mode::inference computes what the inference workspace computes";
    EXPECT_EQ(train_ws.rng, ws_rng) << "no dropout draws in inference";
    EXPECT_EQ(std::memcmp(p.buffers, saved_buffers.data(), saved_buffers.size() * sizeof(float)), 0)
        << "inference leaves the running statistics";
    Backward<Net, Batch>(p, xf.data(), train_ws, doutf.data(), g, dx.data());
    check_gradients(g_ref, dx_ref, dx.data(), "inference");
  }
}

void TestNormNetAgainstOracle() {
  CheckAgainstOracle<NormNet, 4>(11);
  CheckAgainstOracle<NormNet, 7>(12);
}

// Training on one fixed batch with SGD + momentum lowers the loss measured in
// inference mode (running statistics, no dropout) to a fraction of its start.
void TestNormNetTrains() {
  using Net = NormNet;
  constexpr int kBatch = 8;
  static Net::Parameters p;
  static Net::Gradients g;
  static TrainingWorkspace<Net, kBatch> ws;
  static InferenceWorkspace<Net, kBatch> infer;
  static Sgd<Net> sgd;
  init_parameters<Net>(p, 5);
  sgd.options = {.lr = 0.05f, .momentum = 0.9f};
  sgd.velocity.fill(0.0f);
  ws.rng = 77;
  const std::vector<float> x = test::random_vector<float>(kBatch * Net::input_shape.size(), 6);
  const int labels[kBatch] = {0, 1, 2, 3, 4, 0, 1, 2};
  const auto eval_loss = [&] {
    const float* logits = Forward<Net, kBatch>(p, x.data(), infer);
    return SoftmaxCrossEntropyLoss<Net, kBatch>(logits, labels, ws.output_gradient);
  };
  const float first = eval_loss();
  for (int step = 0; step < 150; ++step) {
    const float* logits = Forward<Net, kBatch>(p, x.data(), ws);
    SoftmaxCrossEntropyLoss<Net, kBatch>(logits, labels, ws.output_gradient);
    g.fill(0.0f);
    Backward<Net, kBatch>(p, x.data(), ws, ws.output_gradient, g);
    Step<Net>(p, g, sgd);
  }
  const float last = eval_loss();
  EXPECT_LT(last, 0.2f * first) << "first loss " << first << ", last " << last;
}

}  // namespace
}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace staticnn {
HWY_BEFORE_TEST(NetworkLayersTest);
HWY_EXPORT_AND_TEST_P(NetworkLayersTest, TestNormNetAgainstOracle);
HWY_EXPORT_AND_TEST_P(NetworkLayersTest, TestNormNetTrains);

// The network oracle in training mode (batch statistics, a dropout mask fixed
// by re-seeding before every forward): gradients against central differences
// of L = sum(c * f(x)) for every parameter and every input.
TEST(NetworkLayersOracleTest, TrainingGradientsMatchFiniteDifferences) {
  using Net = test::NormNet;
  constexpr int kBatch = 3;
  static Net::Parameters p;
  test::random_state<Net>(p, 31);
  std::vector<double> params(p.values, p.values + Net::param_count);
  const std::vector<double> buffers0(p.buffers, p.buffers + Net::buffer_count);
  std::vector<double> x = test::random_vector<double>(kBatch * Net::input_shape.size(), 32);
  const std::vector<double> c = test::random_vector<double>(kBatch * Net::output_shape.size(), 33);
  reference::NetworkOracle<Net, double> oracle(kBatch);
  const auto loss = [&] {
    reference::oracle_rng = 34;
    std::vector<double> b = buffers0;
    return test::weighted_sum(c, oracle.forward(params.data(), b.data(), x.data(), true));
  };
  loss();
  std::vector<double> g(params.size(), 0.0), dx(x.size());
  oracle.backward(params.data(), buffers0.data(), c.data(), g.data(), dx.data());
  test::ExpectCentralDifferences(params, g, loss, "parameter");
  test::ExpectCentralDifferences(x, dx, loss, "input");
}

// Every tensor in state_dict order, PyTorch's keys.
TEST(NetworkLayersTest, StateDictKeys) {
  using Net = test::NormNet;
  static_assert(Net::tensors[2].name == TensorName("1.weight"));
  static_assert(Net::tensors[4].name == TensorName("1.running_mean") &&
                Net::tensors[4].role == TensorRole::buffer);
  static_assert(Net::tensors[6].name == TensorName("3.weight"));
  static_assert(Net::tensors[7].name == TensorName("4.running_mean"));
  static_assert(Net::tensors[11].name == TensorName("9.weight") &&
                Net::tensors[14].name == TensorName("9.running_var"));
  static_assert(Net::buffer_count == 2 * 6 + 2 * 8 + 2 * 8);
  static_assert(Net::param_count == (6 * 27 + 6) + 2 * 6 + 8 * 27 + (8 * 200 + 8) + 2 * 8 + (5 * 8 + 5));
}

}  // namespace staticnn
#endif  // HWY_ONCE
