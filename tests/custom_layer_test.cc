// The plug-in proof: a layer that the library does not know, defined entirely
// in this file (its static side, its Highway kernel in a Kernel<>
// specialization inside HWY_NAMESPACE, its scalar oracle), checked against its
// oracle on every target, and trained inside a network that the library's own
// passes, storage, init and summary run. Nothing under include/ names it.
//
// The layer is torch.nn.PReLU(num_parameters=C): y = x for x > 0, a_c * x
// otherwise, with a learnable slope a_c per channel (gradients as PyTorch:
// at x = 0 the input gradient is a_c * dy and the slope's gradient x * dy = 0).
#include <cmath>
#include <cstring>
#include <vector>

#include "staticnn/core.hpp"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "tests/custom_layer_test.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

#include "staticnn/passes-inl.h"
#include "tests/reference/network.hpp"
#include "tests/support/finite_differences.hpp"
#include "hwy/tests/test_util-inl.h"

// ------------------------------------------------- the layer's static side
#ifndef STATICNN_TESTS_CUSTOM_LAYER_ONCE
#define STATICNN_TESTS_CUSTOM_LAYER_ONCE
#include <cstdio>

#include "staticnn/init.hpp"
#include "staticnn/summary.hpp"

namespace user {

struct PReLU {
  static constexpr const char* name = "PReLU";
  // Any input: shape-preserving, flat or not.
  static constexpr staticnn::LayerStep step(staticnn::Shape in, bool flat) {
    staticnn::LayerStep s;
    s.out = in;
    s.flat = flat;
    return s;
  }
  // One slope per channel, keyed "weight" as PyTorch keys it. PyTorch starts
  // it at 0.25; the contract's init rules give uniform in [-1/4, 1/4] through
  // a fan-in of 16, which is what init_parameters() draws here.
  static constexpr auto tensors(staticnn::Shape in) {
    return std::array<staticnn::Tensor, 1>{staticnn::parameter("weight", {in.c}, 1, 16)};
  }
  static void describe(staticnn::TextLine& t, staticnn::Shape in) {
    t.add("%s(%d)", name, in.c);
  }
};

}  // namespace user

// Its oracle, in any scalar type.
namespace staticnn::reference {
template <class T>
struct Reference<user::PReLU, T> {
  void forward(Shape in, int batch, const T* a, T*, const T* x, T* y, bool) {
    const int P = in.h * in.w;
    for (int b = 0; b < batch; ++b)
      for (int c = 0; c < in.c; ++c)
        for (int i = 0; i < P; ++i) {
          const int k = (b * in.c + c) * P + i;
          y[k] = x[k] > T(0) ? x[k] : a[c] * x[k];
        }
  }
  void backward(Shape in, int batch, const T* a, const T*, const T* x, const T*, const T* dy,
                T* dx, T* grads) {
    const int P = in.h * in.w;
    for (int b = 0; b < batch; ++b)
      for (int c = 0; c < in.c; ++c)
        for (int i = 0; i < P; ++i) {
          const int k = (b * in.c + c) * P + i;
          dx[k] = x[k] > T(0) ? dy[k] : a[c] * dy[k];
          if (!(x[k] > T(0))) grads[c] += x[k] * dy[k];
        }
  }
};
}  // namespace staticnn::reference

namespace user {

using Net = staticnn::Network<
    staticnn::Input<1, 8, 8>,
    staticnn::Conv2d<staticnn::Conv2dSpec{.out_channels = 4, .kernel_size = 3, .padding = 1}>,
    PReLU,
    staticnn::MaxPool2d<staticnn::Pool2dSpec{.kernel_size = 2}>,
    staticnn::Flatten,
    staticnn::Linear<staticnn::LinearSpec{.out_features = 8}>,
    PReLU,
    staticnn::Linear<staticnn::LinearSpec{.out_features = 3}>>;

inline std::vector<float> Random(std::size_t n, std::uint64_t seed) {
  staticnn::SplitMix64 rng{seed};
  std::vector<float> v(n);
  for (float& x : v) x = rng.symmetric();
  return v;
}

inline double RelativeError(const float* a, const double* b, std::size_t n) {
  double diff = 0, scale = 1e-3;
  for (std::size_t i = 0; i < n; ++i) {
    diff = std::max(diff, std::abs(double(a[i]) - b[i]));
    scale = std::max(scale, std::abs(b[i]));
  }
  return diff / scale;
}

}  // namespace user
#endif  // STATICNN_TESTS_CUSTOM_LAYER_ONCE

// ------------------------------------------------ the layer's kernel, per target
HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {

namespace hn = hwy::HWY_NAMESPACE;

template <>
struct Kernel<user::PReLU> {
  // Vectors along each channel's plane (P floats), the remainder one by one.
  template <Shape In, int Batch>
  static void Forward(const ForwardArgs& a) {
    constexpr std::size_t P = std::size_t(In.h) * In.w;
    const hn::CappedTag<float, P> d;
    const std::size_t lanes = hn::Lanes(d), whole = P - P % lanes;
    for (int b = 0; b < Batch; ++b) {
      for (int c = 0; c < In.c; ++c) {
        const std::size_t o = (std::size_t(b) * In.c + c) * P;
        const float slope = a.params[c];
        for (std::size_t i = 0; i < whole; i += lanes) {
          const auto v = hn::LoadU(d, a.in + o + i);
          hn::StoreU(hn::IfThenElse(hn::Gt(v, hn::Zero(d)), v, hn::Mul(v, hn::Set(d, slope))), d,
                     a.out + o + i);
        }
        for (std::size_t i = whole; i < P; ++i) {
          const float v = a.in[o + i];
          a.out[o + i] = v > 0.0f ? v : slope * v;
        }
      }
    }
  }

  template <Shape In, int Batch>
  static void Backward(const BackwardArgs& a) {
    constexpr std::size_t P = std::size_t(In.h) * In.w;
    const hn::CappedTag<float, P> d;
    const std::size_t lanes = hn::Lanes(d), whole = P - P % lanes;
    for (int c = 0; c < In.c; ++c) {
      const float slope = a.params[c];
      auto acc = hn::Zero(d);
      float tail = 0.0f;
      for (int b = 0; b < Batch; ++b) {
        const std::size_t o = (std::size_t(b) * In.c + c) * P;
        for (std::size_t i = 0; i < whole; i += lanes) {
          const auto x = hn::LoadU(d, a.in + o + i);
          const auto g = hn::LoadU(d, a.dout + o + i);
          const auto positive = hn::Gt(x, hn::Zero(d));
          acc = hn::Add(acc, hn::IfThenZeroElse(positive, hn::Mul(x, g)));
          if (a.din != nullptr) {
            hn::StoreU(hn::IfThenElse(positive, g, hn::Mul(g, hn::Set(d, slope))), d,
                       a.din + o + i);
          }
        }
        for (std::size_t i = whole; i < P; ++i) {
          const float x = a.in[o + i], g = a.dout[o + i];
          if (!(x > 0.0f)) tail += x * g;
          if (a.din != nullptr) a.din[o + i] = x > 0.0f ? g : slope * g;
        }
      }
      a.grads[c] += hn::GetLane(hn::SumOfLanes(d, acc)) + tail;
    }
  }
};

// ----------------------------------------------------------------- tests
namespace {

// The kernel alone against the oracle: planes with remainders, a flat input.
template <Shape In, int Batch>
void CheckKernel(std::uint64_t seed) {
  constexpr std::size_t n = std::size_t(Batch) * In.size();
  const std::vector<float> x = user::Random(n, seed), dy = user::Random(n, seed + 1);
  const std::vector<float> slope = user::Random(In.c, seed + 2);
  std::vector<float> y(n, NAN), dx(n, NAN), grads(In.c, 0.5f);
  Kernel<user::PReLU>::Forward<In, Batch>(
      ForwardArgs{x.data(), y.data(), slope.data(), nullptr, nullptr, nullptr, nullptr, false,
                  nullptr});
  Kernel<user::PReLU>::Backward<In, Batch>(BackwardArgs{x.data(), y.data(), dy.data(), dx.data(),
                                                        slope.data(), nullptr, nullptr,
                                                        grads.data(), nullptr});
  const std::vector<double> xd(x.begin(), x.end()), dyd(dy.begin(), dy.end());
  const std::vector<double> sd(slope.begin(), slope.end());
  std::vector<double> y_ref(n), dx_ref(n), g_ref(In.c, 0.5);
  reference::Reference<user::PReLU, double> oracle;
  oracle.forward(In, Batch, sd.data(), nullptr, xd.data(), y_ref.data(), false);
  oracle.backward(In, Batch, sd.data(), nullptr, xd.data(), y_ref.data(), dyd.data(),
                  dx_ref.data(), g_ref.data());
  // One product per element (selection otherwise): within eps relative; the
  // slope's gradient sums Batch * P products.
  constexpr double eps = 1.1920929e-7;
  for (std::size_t i = 0; i < n; ++i) {
    EXPECT_NEAR(y[i], y_ref[i], eps * std::abs(y_ref[i])) << i;
    EXPECT_NEAR(dx[i], dx_ref[i], eps * std::abs(dx_ref[i])) << i;
  }
  for (int c = 0; c < In.c; ++c) {
    double magnitude = 0.5;
    for (int b = 0; b < Batch; ++b)
      for (int i = 0; i < In.h * In.w; ++i) {
        const std::size_t k = std::size_t((b * In.c + c) * In.h * In.w + i);
        magnitude += std::abs(xd[k] * dyd[k]);
      }
    EXPECT_NEAR(grads[c], g_ref[c], (Batch * In.h * In.w + 2) * eps * magnitude) << c;
  }
}

void TestCustomKernel() {
  CheckKernel<Shape{3, 5, 7}, 2>(1);
  CheckKernel<Shape{2, 8, 8}, 3>(2);
  CheckKernel<Shape{16, 1, 1}, 4>(3);
}

// The network with two PReLUs through the library's passes against the chained
// oracles (network_test's tolerances), then trained with SGD.
void TestCustomLayerInNetwork() {
  using Net = user::Net;
  constexpr int kBatch = 4;
  static Net::Parameters p;
  static Net::Gradients g;
  static InferenceWorkspace<Net, kBatch> infer_ws;
  static TrainingWorkspace<Net, kBatch> ws;
  init_parameters<Net>(p, 7);
  const std::vector<float> x = user::Random(kBatch * Net::input_shape.size(), 8);
  const std::vector<float> dout = user::Random(kBatch * Net::output_shape.size(), 9);
  const std::vector<double> params(p.values, p.values + Net::param_count);
  const std::vector<double> xd(x.begin(), x.end()), doutd(dout.begin(), dout.end());
  reference::NetworkOracle<Net, double> oracle(kBatch);
  const std::vector<double> y_ref = oracle.forward(params.data(), xd.data());
  std::vector<double> g_ref(Net::param_count, 0.0), dx_ref(x.size());
  oracle.backward(params.data(), doutd.data(), g_ref.data(), dx_ref.data());

  constexpr std::size_t out_n = kBatch * Net::output_shape.size();
  EXPECT_LT(user::RelativeError(Forward<Net, kBatch>(p, x.data(), infer_ws), y_ref.data(), out_n),
            2e-5);
  EXPECT_LT(user::RelativeError(Forward<Net, kBatch>(p, x.data(), ws), y_ref.data(), out_n), 2e-5);
  std::vector<float> dx(x.size(), 1e30f);
  g.fill(0.0f);
  Backward<Net, kBatch>(p, x.data(), ws, dout.data(), g, dx.data());
  EXPECT_LT(user::RelativeError(dx.data(), dx_ref.data(), dx.size()), 5e-5) << "input gradient";
  EXPECT_LT(user::RelativeError(g.values, g_ref.data(), g_ref.size()), 5e-5) << "gradients";
  for (std::size_t layer : {std::size_t(1), std::size_t(5)}) {
    const long off = layer == 1 ? Net::param_offset<1> : Net::param_offset<5>;
    const long count = layer == 1 ? Net::layer_params<1> : Net::layer_params<5>;
    EXPECT_LT(user::RelativeError(g.values + off, g_ref.data() + off, std::size_t(count)), 5e-5)
        << "PReLU slopes of layer " << layer;
  }

  // Training on a fixed batch: the loss falls to a twentieth, and the slopes move.
  static Sgd<Net> sgd;
  sgd.options = {.lr = 0.05f, .momentum = 0.9f};
  sgd.velocity.fill(0.0f);
  const int labels[kBatch] = {0, 1, 2, 1};
  const float slope0 = p.values[Net::param_offset<1>];
  float first = 0, last = 0;
  for (int step = 0; step < 80; ++step) {
    const float* logits = Forward<Net, kBatch>(p, x.data(), ws);
    const float loss = SoftmaxCrossEntropyLoss<Net, kBatch>(logits, labels, ws.output_gradient);
    g.fill(0.0f);
    Backward<Net, kBatch>(p, x.data(), ws, ws.output_gradient, g);
    Step<Net>(p, g, sgd);
    (step == 0 ? first : last) = loss;
  }
  EXPECT_LT(last, 0.05f * first) << "first loss " << first << ", last " << last;
  EXPECT_NE(p.values[Net::param_offset<1>], slope0) << "the slopes train";
}

}  // namespace
}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace staticnn {
HWY_BEFORE_TEST(CustomLayerTest);
HWY_EXPORT_AND_TEST_P(CustomLayerTest, TestCustomKernel);
HWY_EXPORT_AND_TEST_P(CustomLayerTest, TestCustomLayerInNetwork);

// The oracle's gradients (input and slopes) against central differences.
TEST(CustomLayerOracleTest, GradientsMatchFiniteDifferences) {
  using Net = user::Net;
  constexpr int kBatch = 2;
  static Net::Parameters p;
  init_parameters<Net>(p, 41);
  std::vector<double> params(p.values, p.values + Net::param_count);
  const std::vector<float> xf = user::Random(kBatch * Net::input_shape.size(), 42);
  const std::vector<float> cf = user::Random(kBatch * Net::output_shape.size(), 43);
  std::vector<double> x(xf.begin(), xf.end());
  const std::vector<double> c(cf.begin(), cf.end());
  reference::NetworkOracle<Net, double> oracle(kBatch);
  const auto loss = [&] {
    return test::weighted_sum(c, oracle.forward(params.data(), x.data()));
  };
  loss();
  std::vector<double> g(params.size(), 0.0), dx(x.size());
  oracle.backward(params.data(), c.data(), g.data(), dx.data());  test::ExpectCentralDifferences(params, g, loss, "parameter");
  test::ExpectCentralDifferences(x, dx, loss, "input");
}

// The library's compile-time side sees the layer through its contract alone.
TEST(CustomLayerTest, StaticSide) {
  using Net = user::Net;
  static_assert(Net::valid);
  static_assert(Net::layer_params<1> == 4 && Net::layer_params<5> == 8);
  static_assert(Net::tensors[2].name == TensorName("1.weight"));
  static_assert(Net::tensors[5].name == TensorName("5.weight"));
  static Net::Parameters p;
  init_parameters<Net>(p, 3);
  for (int c = 0; c < 4; ++c) {
    const float a = p.values[Net::param_offset<1> + c];
    EXPECT_LE(std::abs(a), 0.25f) << "uniform in [-1/4, 1/4]";
  }
  char text[4096] = {};
  std::FILE* f = fmemopen(text, sizeof(text) - 1, "w");
  ASSERT_NE(f, nullptr);
  print_summary<Net>(f);
  std::fclose(f);
  EXPECT_NE(std::strstr(text, "PReLU(4)"), nullptr) << text;
  EXPECT_NE(std::strstr(text, "PReLU(8)"), nullptr) << text;
}

}  // namespace staticnn
#endif  // HWY_ONCE
