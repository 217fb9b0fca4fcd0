// The four MLPerf Tiny models (include/staticnn/models/mlperf_tiny.hpp)
// against PyTorch (tests/data/golden/mlperf_*.gold, written by
// tools/mlperf_tiny_torch.py), on every Highway target compiled here:
// parameter and buffer counts, every module's output shape (by its
// state_dict-style path), the shared weights loaded by tensor key, the
// inference-mode output, the training-mode output (batch statistics, Dropout
// masks reproduced by the script), the running statistics it updates, the
// input gradient and every parameter gradient for a fixed output gradient.
// Then BatchNorm folding (fold.hpp): the folded network's inference output
// against the same PyTorch output, and folding in a constant expression.
// The same checks give Concat its golden (blocks_concat.gold, from the same
// script): ConcatNet below, SqueezeNet's fire module and an Inception-style
// pooling branch.
//
// Tolerance (the script's docstring derives it): normwise,
//     |a - r| <= K_T * eps * M_T + eps * |r|,
// with K_T the roundings on T's dependency path and M_T its error's scale,
// both stored next to T ("T.terms", "T.mag"). The script checked that
// PyTorch's float32 evaluation meets the rule by a margin (it prints it).
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "staticnn/core.hpp"
#include "staticnn/fold.hpp"
#include "staticnn/init.hpp"
#include "staticnn/models/mlperf_tiny.hpp"
#include "tests/golden.hpp"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "tests/golden_mlperf_tiny_test.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include "hwy/highway.h"
#include "staticnn/passes-inl.h"
#include "hwy/tests/test_util-inl.h"

#ifndef STATICNN_MLPERF_TINY_TEST_ONCE
#define STATICNN_MLPERF_TINY_TEST_ONCE
namespace staticnn::mlperf_test {

using namespace staticnn::mlperf_tiny;  // NOLINT

// ------------------------------------------------ shapes known at compile time

// DS-CNN: Keras' 'same' sizes with PyTorch's padding: 25x5 after the 10x4
// stride-2 convolution, through the blocks; the 24x5 pooling leaves 1x1.
static_assert(DsCnn::shape_after<0> == Shape{64, 25, 5});
static_assert(DsCnn::shape_after<7> == Shape{64, 25, 5});
static_assert(DsCnn::shape_after<9> == Shape{64, 1, 1});
static_assert(DsCnn::layer_count == 12);
// MobileNet: 48, 48, 24, 24, 12, 12, 6 (x6), 3, 3.
static_assert(MobileNetV1::shape_after<0> == Shape{8, 48, 48});
static_assert(MobileNetV1::shape_after<3> == Shape{16, 48, 48});
static_assert(MobileNetV1::shape_after<4> == Shape{32, 24, 24});
static_assert(MobileNetV1::shape_after<8> == Shape{128, 6, 6});
static_assert(MobileNetV1::shape_after<15> == Shape{256, 3, 3});
static_assert(MobileNetV1::shape_after<16> == Shape{256, 1, 1});
// ResNet-8: 16x32x32, 32x16x16, 64x8x8.
static_assert(ResNet8::shape_after<3> == Shape{16, 32, 32});
static_assert(ResNet8::shape_after<5> == Shape{32, 16, 16});
static_assert(ResNet8::shape_after<7> == Shape{64, 8, 8});
// Autoencoder: the bottleneck.
static_assert(AutoEncoder::shape_after<4> == Shape{8, 1, 1});

// Concat's golden network (tools/mlperf_tiny_torch.py, concat_net): branches
// of 8 + 8 + 4 channels, then 8 + 8.
using ConcatNet = Network<
    Input<3, 16, 16>, Conv2d<{.out_channels = 16, .kernel_size = 3, .padding = 1}>,
    BatchNorm2d<>, ReLU,
    Concat<Branch<Conv2d<{.out_channels = 8, .kernel_size = 1}>, BatchNorm2d<>, ReLU>,
           Branch<Conv2d<{.out_channels = 4, .kernel_size = 1}>, ReLU,
                  Conv2d<{.out_channels = 8, .kernel_size = 3, .padding = 1}>, BatchNorm2d<>,
                  ReLU>,
           Branch<MaxPool2d<{.kernel_size = 3, .stride = 1, .padding = 1}>,
                  Conv2d<{.out_channels = 4, .kernel_size = 1}>>>,
    MaxPool2d<{.kernel_size = 2}>,
    Concat<Branch<Conv2d<{.out_channels = 8, .kernel_size = 1}>, ReLU>,
           Branch<Conv2d<{.out_channels = 8, .kernel_size = 3, .padding = 1}>, ReLU>>,
    AvgPool2d<{.kernel_size = 8}>, Flatten, Linear<{.out_features = 10}>>;
static_assert(ConcatNet::shape_after<3> == Shape{20, 16, 16});
static_assert(ConcatNet::shape_after<5> == Shape{16, 8, 8});

// Folding: counts, and the folded types.
static_assert(fold_batch_norm_t<DsCnn>::param_count == 22'604 &&
              fold_batch_norm_t<DsCnn>::buffer_count == 0);
static_assert(fold_batch_norm_t<MobileNetV1>::param_count == 210'850 &&
              fold_batch_norm_t<MobileNetV1>::buffer_count == 0);
static_assert(fold_batch_norm_t<ResNet8>::param_count == 77'706 &&
              fold_batch_norm_t<ResNet8>::buffer_count == 0);
static_assert(fold_batch_norm_t<AutoEncoder>::param_count == 265'864 &&
              fold_batch_norm_t<AutoEncoder>::buffer_count == 0);

// Folding in a constant expression: a convolution without bias and a
// BatchNorm2d, a Linear and a BatchNorm1d without affine parameters.
using Small = Network<Input<1, 4, 4>,
                      Conv2d<{.out_channels = 2, .kernel_size = 3, .bias = false}>,
                      BatchNorm2d<>, ReLU, Flatten, Linear<{.out_features = 3}>,
                      BatchNorm1d<{.eps = 0.0f, .affine = false}>, Tanh>;
static_assert(std::is_same_v<
              fold_batch_norm_t<Small>,
              Network<Input<1, 4, 4>, Conv2d<{.out_channels = 2, .kernel_size = 3}>, ReLU,
                      Flatten, Linear<{.out_features = 3}>, Tanh>>);
constexpr Small::Parameters SmallParameters() {
  Small::Parameters p{};
  for (int i = 0; i < 18; ++i) p.values[i] = float(i % 5) - 2.0f;  // conv weight
  p.values[18] = 2.0f;                                              // BN2d gamma
  p.values[19] = -1.0f;
  p.values[20] = 0.5f;  // BN2d beta
  p.values[21] = 0.25f;
  for (int i = 22; i < 22 + 24; ++i) p.values[i] = 1.0f;  // Linear weight [3][8]
  p.values[46] = 1.0f;                                    // Linear bias
  p.values[47] = 2.0f;
  p.values[48] = 3.0f;
  p.buffers[0] = 1.0f;  // BN2d running mean
  p.buffers[1] = -1.0f;
  p.buffers[2] = 4.0f - 1e-5f;  // running var: 4 after eps
  p.buffers[3] = 0.25f - 1e-5f;
  p.buffers[4] = 0.5f;  // BN1d running mean
  p.buffers[5] = 1.0f;
  p.buffers[6] = 2.0f;
  p.buffers[7] = 4.0f;  // BN1d running var (eps 0)
  p.buffers[8] = 16.0f;
  p.buffers[9] = 0.25f;
  return p;
}
constexpr auto kSmallFolded = fold_batch_norm<Small>(SmallParameters());
constexpr bool Near(float a, float b) { return (a - b) * (a - b) < 1e-10f; }
// Channel 0: s = 2 / 2 = 1; channel 1: s = -1 / 0.5 = -2.
static_assert(Near(kSmallFolded.values[0], -2.0f) && Near(kSmallFolded.values[9], 2.0f * -2.0f));
// Biases: (0 - 1) * 1 + 0.5 and (0 + 1) * -2 + 0.25.
static_assert(Near(kSmallFolded.values[18], -0.5f) && Near(kSmallFolded.values[19], -1.75f));
// Linear: s = 1/2, 1/4, 2; b' = (b - mean) * s.
static_assert(Near(kSmallFolded.values[20], 0.5f) && Near(kSmallFolded.values[28], 0.25f) &&
              Near(kSmallFolded.values[36], 2.0f));
static_assert(Near(kSmallFolded.values[44], 0.25f) && Near(kSmallFolded.values[45], 0.25f) &&
              Near(kSmallFolded.values[46], 2.0f * 1.0f));

// Folding through every kind of block: a Conv2d without bias, a Concat whose
// branches hold a foldable pair and a BatchNorm after a ReLU (which stays), an
// identity Residual around a Sequential, BatchNorm1d after Linear.
using FoldBlocksNet = Network<
    Input<3, 8, 8>,
    Conv2d<{.out_channels = 4, .kernel_size = 3, .padding = 1, .bias = false}>, BatchNorm2d<>,
    ReLU,
    Concat<Branch<Conv2d<{.out_channels = 2, .kernel_size = 1}>, BatchNorm2d<{.affine = false}>>,
           Branch<Conv2d<{.out_channels = 3, .kernel_size = 3, .padding = 1}>, ReLU,
                  BatchNorm2d<>>>,
    Residual<Sequential<Conv2d<{.out_channels = 5, .kernel_size = 3, .padding = 1}>,
                        BatchNorm2d<{.eps = 1e-3f}>>,
             ReLU>,
    GlobalAvgPool2d, Flatten, Linear<{.out_features = 6}>, BatchNorm1d<>, Tanh>;
static_assert(std::is_same_v<
              fold_batch_norm_t<FoldBlocksNet>,
              Network<Input<3, 8, 8>,
                      Conv2d<{.out_channels = 4, .kernel_size = 3, .padding = 1}>, ReLU,
                      Concat<Branch<Conv2d<{.out_channels = 2, .kernel_size = 1}>>,
                             Branch<Conv2d<{.out_channels = 3, .kernel_size = 3, .padding = 1}>,
                                    ReLU, BatchNorm2d<>>>,
                      Residual<Sequential<Conv2d<{.out_channels = 5, .kernel_size = 3,
                                                 .padding = 1}>>,
                               ReLU>,
                      GlobalAvgPool2d, Flatten, Linear<{.out_features = 6}>, Tanh>>);
static_assert(fold_batch_norm_t<FoldBlocksNet>::buffer_count == 6);  // the BatchNorm that stays

// ------------------------------------------------------ every module's shape

using Shapes = std::vector<std::pair<std::string, Shape>>;

// A block's children, then theirs, keyed "<path>.<key>" as named_modules() keys them.
template <class L>
void VisitChildren(const std::string& path, Shape in, bool flat, Shapes& out) {
  if constexpr (detail::has_children<L>) {
    L::children(in, flat, [&]<class Child>(const TensorName& key, const detail::LayerRecord& r,
                                           bool flat_in) {
      const std::string child = path + "." + key.s;
      out.emplace_back(child, r.out);
      VisitChildren<Child>(child, r.in, flat_in, out);
    });
  }
}

template <class Net>
Shapes Modules() {
  Shapes out;
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    (
        [&] {
          const detail::LayerRecord& r = Net::plan.layers[I];
          out.emplace_back(std::to_string(I), r.out);
          const bool flat_in = I == 0 ? Net::chain::input_flat : Net::plan.layers[I - 1].flat;
          VisitChildren<typename Net::template layer<I>>(std::to_string(I), r.in, flat_in, out);
        }(),
        ...);
  }(std::make_index_sequence<std::size_t(Net::layer_count)>{});
  return out;
}

template <class Net>
void CheckCountsAndShapes(const std::string& name) {
  const golden::File f(name);
  if (!f.ok()) return;
  EXPECT_EQ(f.Scalar("param_count"), float(Net::param_count)) << name;
  EXPECT_EQ(f.Scalar("buffer_count"), float(Net::buffer_count)) << name;
  const Shapes shapes = Modules<Net>();
  EXPECT_EQ(f.Scalar("module_count"), float(shapes.size())) << name;
  for (const auto& [path, s] : shapes) {
    const golden::Tensor& t = f.Get("shape." + path, {3});
    EXPECT_EQ(t.values, (std::vector<float>{float(s.c), float(s.h), float(s.w)}))
        << name << " module " << path;
  }
}

// Loads the shared weights and buffers by state_dict key.
template <class Net>
void Load(const golden::File& f, typename Net::Parameters& p) {
  long loaded[2] = {0, 0};
  for (const Tensor& t : Net::tensors) {
    const std::vector<int> dims(t.dims.begin(), t.dims.begin() + t.rank);
    const golden::Tensor& v = f.Get(std::string("state.") + t.name.s, dims);
    float* to = (t.role == TensorRole::parameter ? p.values : p.buffers) + t.offset;
    std::copy(v.values.begin(), v.values.end(), to);
    loaded[int(t.role)] += t.count();
  }
  EXPECT_EQ(loaded[0], Net::param_count);
  EXPECT_EQ(loaded[1], Net::buffer_count);
}

inline void Expect(const golden::File& f, const std::string& model, const std::string& tensor,
                   const char* target, const float* actual, const std::vector<int>& dims) {
  golden::ExpectNear(model, tensor, target, actual, f.Get(tensor, dims),
                     f.Scalar(tensor + ".terms"), f.Scalar(tensor + ".mag"));
}

template <class Net, int B>
std::vector<int> Dims(Shape s, bool flat_input) {
  if (flat_input || (s.h == 1 && s.w == 1)) return {B, s.c};
  return {B, s.c, s.h, s.w};
}

}  // namespace staticnn::mlperf_test
#endif  // STATICNN_MLPERF_TINY_TEST_ONCE

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {
namespace {

namespace mt = ::staticnn::mlperf_test;

template <class Net, int B>
void CheckModel(const std::string& name) {
  using Folded = fold_batch_norm_t<Net>;
  const char* target = hwy::TargetName(HWY_TARGET);
  const golden::File f(name);
  if (!f.ok()) return;
  constexpr bool flat = Net::input_shape.h == 1 && Net::input_shape.w == 1;
  const std::vector<int> in_dims = mt::Dims<Net, B>(Net::input_shape, flat);
  const std::vector<int> out_dims = mt::Dims<Net, B>(Net::output_shape, true);
  const golden::Tensor& x = f.Get("x", in_dims);
  const golden::Tensor& dy = f.Get("dy", out_dims);

  // Static storage: the models' state and workspaces are large.
  static typename Net::Parameters p, p_train;
  static typename Net::Gradients g;
  static InferenceWorkspace<Net, B> infer_ws;
  static TrainingWorkspace<Net, B> train_ws;
  static typename Folded::Parameters folded;
  static InferenceWorkspace<Folded, B> folded_ws;
  mt::Load<Net>(f, p);

  // Inference mode: running statistics, no dropout.
  const float* y = Forward<Net, B>(p, x.data(), infer_ws);
  mt::Expect(f, name, "y_infer", target, y, out_dims);
  const golden::Tensor unfolded{out_dims, std::vector<float>(y, y + B * Net::output_shape.size())};

  // Training mode: batch statistics, running statistics updated, Dropout's
  // masks from a fresh workspace's random state.
  p_train = p;
  train_ws.rng = TrainingWorkspace<Net, B>{}.rng;
  y = Forward<Net, B>(p_train, x.data(), train_ws);
  mt::Expect(f, name, "y_train", target, y, out_dims);
  for (const Tensor& t : Net::tensors) {
    if (t.role != TensorRole::buffer) continue;
    mt::Expect(f, name, std::string("running.") + t.name.s, target, p_train.buffers + t.offset,
               {int(t.count())});
  }
  g.fill(0.0f);
  std::vector<float> dx(x.size(), std::numeric_limits<float>::quiet_NaN());
  Backward<Net, B>(p_train, x.data(), train_ws, dy.data(), g, dx.data());
  mt::Expect(f, name, "dx", target, dx.data(), in_dims);
  for (const Tensor& t : Net::tensors) {
    if (t.role != TensorRole::parameter) continue;
    mt::Expect(f, name, std::string("grad.") + t.name.s, target, g.values + t.offset,
               std::vector<int>(t.dims.begin(), t.dims.begin() + t.rank));
  }

  // Folded for inference: PyTorch's inference output, same rule (folding
  // replaces BatchNorm's 4 roundings per channel by one in each weight), and
  // the unfolded network's: both within K eps M of the exact result, so
  // within 2 K eps M of each other.
  fold_batch_norm_into<Net>(p, folded);
  y = Forward<Folded, B>(folded, x.data(), folded_ws);
  golden::ExpectNear(name, "y_infer (folded)", target, y, f.Get("y_infer", out_dims),
                     f.Scalar("y_infer.terms"), f.Scalar("y_infer.mag"));
  golden::ExpectNear(name, "y_infer folded vs unfolded", target, y, unfolded,
                     2 * f.Scalar("y_infer.terms"), f.Scalar("y_infer.mag"));
}

// The folded FoldBlocksNet against the unfolded one in inference mode, with
// random weights and running statistics (variances in [0.5, 1.5]). Inputs,
// weights and normalised activations are O(1), so every sum's terms are: the
// rule's magnitude is 1, K the longest path's roundings (conv 27 + 2, BN 4,
// conv 36 + 2, BN 4, conv 45 + 2, BN 4, residual 1, pooling 65, Linear 7,
// BN 4, tanh 2 = 205), doubled for two float32 results.
void TestFoldThroughBlocks() {
  using Net = mt::FoldBlocksNet;
  using Folded = fold_batch_norm_t<Net>;
  constexpr int B = 3;
  static Net::Parameters p;
  static Folded::Parameters folded;
  static InferenceWorkspace<Net, B> ws;
  static InferenceWorkspace<Folded, B> folded_ws;
  init_parameters<Net>(p, 3);
  SplitMix64 rng{4};
  for (float& v : p.values) v += 0.2f * rng.symmetric();  // BatchNorm's weight/bias too
  for (const Tensor& t : Net::tensors) {
    if (t.role != TensorRole::buffer) continue;
    const bool var = std::string(t.name.s).ends_with("running_var");
    for (long i = 0; i < t.count(); ++i) {
      p.buffers[t.offset + i] = var ? 1.0f + 0.5f * rng.symmetric() : 0.3f * rng.symmetric();
    }
  }
  float x[B * Net::input_shape.size()];
  for (float& v : x) v = rng.symmetric();
  const float* y = Forward<Net, B>(p, x, ws);
  const golden::Tensor expected{{B, 6}, std::vector<float>(y, y + B * 6)};
  fold_batch_norm_into<Net>(p, folded);
  // The BatchNorm that stays keeps its tensors; its Concat moves from index 3
  // to 2 (the first BatchNorm is gone), so "3.1.2.x" becomes "2.1.2.x".
  for (const char* name : {"weight", "bias", "running_mean", "running_var"}) {
    const Tensor* from = nullptr;
    const Tensor* to = nullptr;
    for (const Tensor& t : Net::tensors) {
      from = t.name == TensorName(name).under("3.1.2") ? &t : from;
    }
    for (const Tensor& t : Folded::tensors) {
      to = t.name == TensorName(name).under("2.1.2") ? &t : to;
    }
    ASSERT_TRUE(from != nullptr && to != nullptr) << name;
    const float* a = (from->role == TensorRole::buffer ? p.buffers : p.values) + from->offset;
    const float* b = (to->role == TensorRole::buffer ? folded.buffers : folded.values) + to->offset;
    EXPECT_TRUE(std::equal(a, a + from->count(), b)) << name;
  }
  const float* yf = Forward<Folded, B>(folded, x, folded_ws);
  golden::ExpectNear("fold_blocks", "y_infer folded vs unfolded",
                     hwy::TargetName(HWY_TARGET), yf, expected, 2 * 205, 1.0);
  float largest = 0.0f;
  for (float v : expected.values) largest = std::max(largest, std::abs(v));
  EXPECT_GT(largest, 0.1f);  // not a vacuous comparison
}

void TestDsCnn() { CheckModel<mlperf_tiny::DsCnn, 2>("mlperf_ds_cnn"); }
void TestMobileNetV1() { CheckModel<mlperf_tiny::MobileNetV1, 1>("mlperf_mobilenet_v1"); }
void TestResNet8() { CheckModel<mlperf_tiny::ResNet8, 2>("mlperf_resnet8"); }
void TestAutoEncoder() { CheckModel<mlperf_tiny::AutoEncoder, 8>("mlperf_autoencoder"); }
void TestConcat() { CheckModel<mt::ConcatNet, 2>("blocks_concat"); }

}  // namespace
// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace staticnn {
HWY_BEFORE_TEST(MlperfTinyTest);
HWY_EXPORT_AND_TEST_P(MlperfTinyTest, TestDsCnn);
HWY_EXPORT_AND_TEST_P(MlperfTinyTest, TestMobileNetV1);
HWY_EXPORT_AND_TEST_P(MlperfTinyTest, TestResNet8);
HWY_EXPORT_AND_TEST_P(MlperfTinyTest, TestAutoEncoder);
HWY_EXPORT_AND_TEST_P(MlperfTinyTest, TestConcat);
HWY_EXPORT_AND_TEST_P(MlperfTinyTest, TestFoldThroughBlocks);

TEST(MlperfTinyTest, CountsAndEveryModuleShapeMatchPyTorch) {
  mlperf_test::CheckCountsAndShapes<mlperf_tiny::DsCnn>("mlperf_ds_cnn");
  mlperf_test::CheckCountsAndShapes<mlperf_tiny::MobileNetV1>("mlperf_mobilenet_v1");
  mlperf_test::CheckCountsAndShapes<mlperf_tiny::ResNet8>("mlperf_resnet8");
  mlperf_test::CheckCountsAndShapes<mlperf_tiny::AutoEncoder>("mlperf_autoencoder");
  mlperf_test::CheckCountsAndShapes<mlperf_test::ConcatNet>("blocks_concat");
}

namespace {
const bool kSummaryRegistered = golden::RegisterSummary();
}  // namespace
}  // namespace staticnn
#endif  // HWY_ONCE
