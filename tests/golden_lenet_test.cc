// LeNet-5 end to end against PyTorch (tests/data/golden/lenet5.gold, written
// by tools/make_golden.py), on every Highway target compiled here: the
// parameters are PyTorch's state_dict, copied in order into the flat
// Parameters; one training forward on a batch of 4, the mean softmax
// cross-entropy and one backward must give PyTorch's logits, loss, output
// gradient, every parameter gradient and the input gradient.
//
// Tolerance. Through five layers an elementwise worst-case bound compounds
// |W| and is ~1000x the values, so the network is judged normwise:
//     |actual - pytorch| <= K_T * eps * max |pytorch over T| + eps * |pytorch|
// with K_T the roundings on T's longest dependency path: the reduction
// lengths of every forward layer, of the loss, of the backward layers above
// T and of T's own parameter-gradient sum (kTerms below; the same numbers as
// lenet_terms() in tools/make_golden.py). The script accepted the data only
// after PyTorch's own float32 evaluation took the same ReLU and max-pool
// branches and met this rule with a margin of 8 or more (it printed 289).
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "staticnn/core.hpp"
#include "tests/golden.hpp"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "tests/golden_lenet_test.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include "hwy/highway.h"
#include "staticnn/passes-inl.h"
#include "hwy/tests/test_util-inl.h"

#ifndef STATICNN_GOLDEN_LENET_ONCE
#define STATICNN_GOLDEN_LENET_ONCE
namespace staticnn::golden_lenet {

// DESIGN.md's LeNet-5, as the script's torch module.
using LeNet5 = Network<
    Input<1, 28, 28>,
    Conv2d<{.out_channels = 6, .kernel_size = 5, .padding = 2}>, ReLU,
    MaxPool2d<{.kernel_size = 2}>,
    Conv2d<{.out_channels = 16, .kernel_size = 5}>, ReLU,
    MaxPool2d<{.kernel_size = 2}>,
    Flatten,
    Linear<{.out_features = 120}>, ReLU,
    Linear<{.out_features = 84}>, ReLU,
    Linear<{.out_features = 10}>>;
static_assert(LeNet5::param_count == 61'706);

constexpr int kBatch = 4;
constexpr int kClasses = 10;

// Per parameterised layer, in state_dict order: its name, its index in the
// Network, the dims of weight and bias, and its roundings forward (reduction
// + product + bias), in backward to its input, and in its parameter gradient
// (a sum over the batch and, for a convolution, every output position).
struct LayerTerms {
  const char* name;
  std::size_t index;
  std::vector<int> weight_dims;
  int forward, backward_input, params;
};
inline const std::vector<LayerTerms>& Layers() {
  static const std::vector<LayerTerms> layers = {
      {"conv1", 0, {6, 1, 5, 5}, 1 * 25 + 2, 6 * 25 + 1, kBatch * 28 * 28 + 1},
      {"conv2", 3, {16, 6, 5, 5}, 6 * 25 + 2, 16 * 25 + 1, kBatch * 10 * 10 + 1},
      {"fc1", 7, {120, 400}, 400 + 2, 120 + 1, kBatch + 1},
      {"fc2", 9, {84, 120}, 120 + 2, 84 + 1, kBatch + 1},
      {"fc3", 11, {10, 84}, 84 + 2, 10 + 1, kBatch + 1},
  };
  return layers;
}

inline int LogitsTerms() {
  int k = 0;
  for (const LayerTerms& l : Layers()) k += l.forward;
  return k;
}
// Softmax: the sum of the classes, exp and log, and the batch mean.
inline int LossTerms() { return LogitsTerms() + kClasses + 8 + kBatch; }
inline int GradientTerms(std::size_t layer) {
  int k = LossTerms() + Layers()[layer].params;
  for (std::size_t above = layer + 1; above < Layers().size(); ++above) {
    k += Layers()[above].backward_input;
  }
  return k;
}
inline int InputGradientTerms() {
  int k = LossTerms();
  for (const LayerTerms& l : Layers()) k += l.backward_input;
  return k;
}

// The offset of layer `index`'s weight in Parameters, looked up at run time.
template <std::size_t... I>
long ParamOffset(std::size_t index, std::index_sequence<I...>) {
  long offset = -1;
  ((offset = I == index ? LeNet5::param_offset<I> : offset), ...);
  return offset;
}

// Normwise comparison: the magnitude is the largest |expected| of the tensor.
inline void ExpectNormwise(const std::string& tensor, const char* target, const float* actual,
                           const golden::Tensor& expected, int terms) {
  float largest = 0.0f;
  for (float v : expected.values) largest = std::max(largest, std::abs(v));
  golden::ExpectNear("lenet5", tensor, target, actual, expected, terms, largest);
}

}  // namespace staticnn::golden_lenet
#endif  // STATICNN_GOLDEN_LENET_ONCE

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {
namespace {

namespace gl = ::staticnn::golden_lenet;

void TestLeNet5MatchesPyTorch() {
  using Net = gl::LeNet5;
  constexpr int B = gl::kBatch;
  const char* target = hwy::TargetName(HWY_TARGET);
  const golden::File f("lenet5");
  if (!f.ok()) return;

  const golden::Tensor& x = f.Get("x", {B, 1, 28, 28});
  const golden::Tensor& label_values = f.Get("labels", {B});
  int labels[B];
  for (int b = 0; b < B; ++b) labels[b] = static_cast<int>(label_values.values[b]);

  // state_dict order is the flat order: each tensor must land at its layer's offset.
  auto p = std::make_unique<Net::Parameters>();
  std::size_t filled = 0;
  for (const gl::LayerTerms& layer : gl::Layers()) {
    EXPECT_EQ(static_cast<long>(filled),
              gl::ParamOffset(layer.index, std::make_index_sequence<Net::layer_count>{}))
        << layer.name;
    for (const char* part : {".weight", ".bias"}) {
      const bool bias = part[1] == 'b';
      const golden::Tensor& t = f.Get(std::string(layer.name) + part,
                                      bias ? std::vector<int>{layer.weight_dims[0]}
                                           : layer.weight_dims);
      ASSERT_LE(filled + t.size(), Net::Parameters::size);
      std::copy(t.values.begin(), t.values.end(), p->values + filled);
      filled += t.size();
    }
  }
  ASSERT_EQ(filled, static_cast<std::size_t>(Net::param_count));

  auto ws = std::make_unique<TrainingWorkspace<Net, B>>();
  auto g = std::make_unique<Net::Gradients>();
  g->fill(0.0f);  // backward accumulates
  constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> dlogits(B * gl::kClasses, kNaN), dx(x.size(), kNaN);

  const float* logits = Forward<Net, B>(*p, x.data(), *ws);
  const std::vector<float> logits_copy(logits, logits + B * gl::kClasses);
  const float loss = SoftmaxCrossEntropyLoss<Net, B>(logits, labels, dlogits.data());
  Backward<Net, B>(*p, x.data(), *ws, dlogits.data(), *g, dx.data());

  gl::ExpectNormwise("logits", target, logits_copy.data(),
                     f.Get("logits", {B, gl::kClasses}), gl::LogitsTerms());
  gl::ExpectNormwise("loss", target, &loss, f.Get("loss", {}), gl::LossTerms());
  gl::ExpectNormwise("dlogits", target, dlogits.data(), f.Get("dlogits", {B, gl::kClasses}),
                     gl::LossTerms());
  std::size_t offset = 0;
  for (std::size_t i = 0; i < gl::Layers().size(); ++i) {
    const gl::LayerTerms& layer = gl::Layers()[i];
    for (const char* part : {".weight", ".bias"}) {
      const bool bias = part[1] == 'b';
      const std::string name = std::string("grad.") + layer.name + part;
      const golden::Tensor& expected =
          f.Get(name, bias ? std::vector<int>{layer.weight_dims[0]} : layer.weight_dims);
      gl::ExpectNormwise(name, target, g->values + offset, expected, gl::GradientTerms(i));
      offset += expected.size();
    }
  }
  gl::ExpectNormwise("dx", target, dx.data(), f.Get("dx", {B, 1, 28, 28}),
                     gl::InputGradientTerms());
}

}  // namespace
// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace staticnn {
HWY_BEFORE_TEST(GoldenLeNetTest);
HWY_EXPORT_AND_TEST_P(GoldenLeNetTest, TestLeNet5MatchesPyTorch);

namespace {
const bool kSummaryRegistered = golden::RegisterSummary();
}  // namespace
}  // namespace staticnn
#endif  // HWY_ONCE
