// The compile-time arithmetic of a Network: shapes, parameter counts, MACs and
// activation memory, proved by static_assert: this test is its compilation
// (the executable runs no test case).
//
// Numbers marked "torch" were printed by tools/count_with_torch.py, which builds
// the same networks in PyTorch and counts from the shapes torch produces.
//
// A wrong network is a hard error (a static_assert inside the Network's
// instantiation), so it cannot be probed with `requires` on the Network; those
// are in tests/compile_fail/. Each layer's rule check, `Layer::step`, is plain
// constexpr, though, so the rules and their numbers are probed here in-process
// through the `accepts` concept below.

#include <array>
#include <cstddef>
#include <type_traits>
#include <utility>

#include "gtest/gtest.h"
#include "staticnn/staticnn.hpp"

namespace {

namespace nn = staticnn;

// ---------------------------------------------------------------------------
// Helpers

// What a network says about one layer.
struct Row {
  nn::Shape out;
  long params = 0, macs = 0;
  constexpr bool operator==(const Row&) const = default;
};

// Every layer's Row, read through the public per-layer constants.
template <class Net>
constexpr auto rows_of() {
  return []<std::size_t... I>(std::index_sequence<I...>) {
    return std::array<Row, sizeof...(I)>{Row{Net::template shape_after<I>,
                                             Net::template layer_params<I>,
                                             Net::template layer_macs<I>}...};
  }(std::make_index_sequence<Net::layer_count>{});
}

// In-process negative checks: does a layer accept this input? (`flat`: the
// input comes from Flatten or Linear.)
template <class Layer, nn::Shape In, bool Flat = false>
concept accepts = Layer::step(In, Flat).violation.ok();

template <class Layer, nn::Shape In, bool Flat = false>
constexpr nn::Violation violation_of = Layer::step(In, Flat).violation;

// The index of the first failing layer of a list, without instantiating the
// Network (whose static_assert would stop the build): plan_layers is the fold
// that Network runs.
template <nn::Shape In, class... Layers>
constexpr int first_error = nn::detail::plan_layers<Layers...>(In, false).first_error;

// ---------------------------------------------------------------------------
// The lecture: 3x32x32, ten 5x5 filters, stride 1, pad 2 -> 10x32x32, 760
// parameters (F*F*C*K + K = 5*5*3*10 + 10).

using Lecture = nn::Network<nn::Input<3, 32, 32>,
                            nn::Conv2d<{.out_channels = 10, .kernel_size = 5, .stride = 1,
                                        .padding = 2}>>;
static_assert(Lecture::valid);
static_assert(Lecture::input_shape == nn::Shape{3, 32, 32});
static_assert(Lecture::output_shape == nn::Shape{10, 32, 32});
static_assert(Lecture::param_count == 760);
static_assert(Lecture::macs == 768'000);  // torch

// The lecture's 7x7 input and 3x3 filter: stride 1 -> 5x5, stride 2 -> 3x3,
// stride 3 -> (7 - 3) / 3 + 1 = 2.33: does not fit.
template <int Stride>
using Filter3x3 = nn::Conv2d<{.out_channels = 1, .kernel_size = 3, .stride = Stride}>;
template <int Stride>
using Slide7x7 = nn::Network<nn::Input<1, 7, 7>, Filter3x3<Stride>>;
static_assert(Slide7x7<1>::output_shape == nn::Shape{1, 5, 5});
static_assert(Slide7x7<2>::output_shape == nn::Shape{1, 3, 3});
static_assert(accepts<Filter3x3<1>, nn::Shape{1, 7, 7}>);
static_assert(accepts<Filter3x3<2>, nn::Shape{1, 7, 7}>);
static_assert(!accepts<Filter3x3<3>, nn::Shape{1, 7, 7}>);
// The rule and numbers the network's error prints: along H (checked first),
// {W1, F, P, S} = {7, 3, 0, 3}. (compile_fail/window_does_not_tile.cc)
constexpr nn::Violation stride3 = violation_of<Filter3x3<3>, nn::Shape{1, 7, 7}>;
static_assert(stride3.rule == nn::Rule::window_does_not_tile && stride3.axis == 'H');
static_assert(stride3.n[0] == 7 && stride3.n[1] == 3 && stride3.n[2] == 0 && stride3.n[3] == 3);
// Tiles along H but not along W: the violation names W.
static_assert(violation_of<Filter3x3<3>, nn::Shape{1, 6, 7}>.axis == 'W');
// PyTorch's floor rounding, opt-in: floor(2.33) + 1 = 2.
static_assert(nn::Network<nn::Input<1, 7, 7>,
                          nn::Conv2d<{.out_channels = 1, .kernel_size = 3, .stride = 3,
                                      .rounding = nn::Rounding::floor}>>::output_shape ==
              nn::Shape{1, 2, 2});

// ---------------------------------------------------------------------------
// LeNet-5 exactly as in DESIGN.md.

using LeNet = nn::Network<
    nn::Input<1, 28, 28>,
    nn::Conv2d<{.out_channels = 6, .kernel_size = 5, .padding = 2}>,
    nn::ReLU,
    nn::MaxPool2d<{.kernel_size = 2}>,
    nn::Conv2d<{.out_channels = 16, .kernel_size = 5}>,
    nn::ReLU,
    nn::MaxPool2d<{.kernel_size = 2}>,
    nn::Flatten,
    nn::Linear<{.out_features = 120}>, nn::ReLU,
    nn::Linear<{.out_features = 84}>, nn::ReLU,
    nn::Linear<{.out_features = 10}>>;

// torch (lenet5). MACs per layer: conv1 6*28*28 * 1*5*5, conv2 16*10*10 * 6*5*5,
// fc1 400*120, fc2 120*84, fc3 84*10.
constexpr std::array<Row, 12> kLeNetRows{{
    {{6, 28, 28}, 156, 117'600},   // 0 Conv2d(1->6, 5x5, pad 2)
    {{6, 28, 28}, 0, 0},           // 1 ReLU
    {{6, 14, 14}, 0, 0},           // 2 MaxPool2d(2)
    {{16, 10, 10}, 2'416, 240'000},  // 3 Conv2d(6->16, 5x5)
    {{16, 10, 10}, 0, 0},          // 4 ReLU
    {{16, 5, 5}, 0, 0},            // 5 MaxPool2d(2)
    {{400, 1, 1}, 0, 0},           // 6 Flatten
    {{120, 1, 1}, 48'120, 48'000},  // 7 Linear(400->120)
    {{120, 1, 1}, 0, 0},           // 8 ReLU
    {{84, 1, 1}, 10'164, 10'080},  // 9 Linear(120->84)
    {{84, 1, 1}, 0, 0},            // 10 ReLU
    {{10, 1, 1}, 850, 840},        // 11 Linear(84->10)
}};
static_assert(LeNet::valid);
static_assert(LeNet::layer_count == 12);
static_assert(LeNet::input_shape == nn::Shape{1, 28, 28});
static_assert(LeNet::output_shape == nn::Shape{10, 1, 1});
static_assert(LeNet::param_count == 61'706);  // torch
static_assert(LeNet::macs == 416'520);        // torch
static_assert(LeNet::param_bytes == 61'706 * sizeof(float));
static_assert(rows_of<LeNet>() == kLeNetRows);
static_assert(LeNet::shape_before<3> == nn::Shape{6, 14, 14});
static_assert(LeNet::param_offset<0> == 0 && LeNet::param_offset<3> == 156 &&
              LeNet::param_offset<7> == 156 + 2'416 && LeNet::param_offset<11> == 61'706 - 850);
// The layer types are reachable by index.
static_assert(std::is_same_v<LeNet::layer<6>, nn::Flatten>);
static_assert(std::is_same_v<LeNet::layer<2>, nn::MaxPool2d<{.kernel_size = 2}>>);

// Activation memory per sample. The largest output is conv1's 6*28*28 = 4704.
// Inference: two ping-pong buffers of that size. Training: every output except
// Flatten's (it aliases its input) and those of the layers whose ReLU is fused
// (each Conv2d and Linear here writes its ReLU's output, in the ReLU's place:
// its own is never written), 8'094 floats, plus two gradient buffers. It was
// 14'602 while the four fused layers kept a place of their own.
constexpr std::size_t kLeNetKept = 4704 + 1176 + 1600 + 400 + 120 + 84 + 10;
static_assert(kLeNetKept == 8'094);
// Regions are rounded up to 16 floats (64-byte aligned); at batch 8 every
// LeNet region is already a multiple of 16.
static_assert(LeNet::memory<1>.largest_output == 4704);
static_assert(LeNet::memory<8>.kept_floats == 8 * kLeNetKept);
static_assert(LeNet::memory<1>.kept_floats ==
              kLeNetKept + (1184 - 1176) + (128 - 120) + (96 - 84) + (16 - 10));
// A layer and its fused ReLU share one kept output.
static_assert(LeNet::memory<1>.kept_out[1] == LeNet::memory<1>.kept_out[0] &&
              LeNet::memory<1>.kept_out[2] == LeNet::memory<1>.kept_out[1] + 4704 &&
              LeNet::memory<1>.kept_out[10] == LeNet::memory<1>.kept_out[9]);
static_assert(LeNet::inference_activation_bytes<> == 2 * 4704 * sizeof(float));
// Inference runs each ReLU inside the Conv2d or Linear before it (chain.hpp):
// the ReLU writes nothing, its output is its layer's, and the ping-pong goes on
// from there (pool1 reads conv1's buffer and writes the other one).
static_assert(LeNet::plan.layers[1].fused && LeNet::plan.layers[4].fused &&
              LeNet::plan.layers[8].fused && LeNet::plan.layers[10].fused);
static_assert(!LeNet::plan.layers[0].fused && !LeNet::plan.layers[2].fused);
static_assert(LeNet::memory<1>.inference_out[1] == LeNet::memory<1>.inference_out[0] &&
              LeNet::memory<1>.inference_out[2] != LeNet::memory<1>.inference_out[1] &&
              LeNet::memory<1>.inference_out[4] == LeNet::memory<1>.inference_out[3]);
// And each max pool inside the Conv2d before its ReLU (Kernel::ForwardPooled),
// into the pool's own buffer: the workspace stays as above.
static_assert(LeNet::plan.layers[2].pool_fused && LeNet::plan.layers[5].pool_fused);
static_assert(LeNet::plan.layers[0].fuses_max_pool && !LeNet::plan.layers[0].pool_fused &&
              !LeNet::plan.layers[7].fuses_max_pool);
// Dropout is skipped in inference: no kernel runs, its output is its input's
// buffer (conv's here), and a ReLU after it is not fused (it has nothing to
// fuse into), so it writes the other buffer.
using DropoutNet = nn::Network<nn::Input<1, 8, 8>, nn::Conv2d<{.out_channels = 2, .kernel_size = 3}>,
                               nn::Dropout<>, nn::ReLU, nn::Flatten,
                               nn::Linear<{.out_features = 3}>>;
static_assert(DropoutNet::plan.layers[1].skipped && !DropoutNet::plan.layers[2].fused &&
              !DropoutNet::plan.layers[0].skipped && !DropoutNet::plan.layers[2].skipped);
static_assert(DropoutNet::memory<1>.inference_out[1] == DropoutNet::memory<1>.inference_out[0] &&
              DropoutNet::memory<1>.inference_out[2] != DropoutNet::memory<1>.inference_out[1]);
static_assert(LeNet::training_activation_bytes<8> == 8 * (kLeNetKept + 2 * 4704) * sizeof(float));

// The spelled-out specs (needed by older compilers) compile and name the very
// same type.
using LeNetSpelled = nn::Network<
    nn::Input<1, 28, 28>,
    nn::Conv2d<nn::Conv2dSpec{.out_channels = 6, .kernel_size = 5, .padding = 2}>,
    nn::ReLU,
    nn::MaxPool2d<nn::Pool2dSpec{.kernel_size = 2}>,
    nn::Conv2d<nn::Conv2dSpec{.out_channels = 16, .kernel_size = 5}>,
    nn::ReLU,
    nn::MaxPool2d<nn::MaxPool2dSpec{.kernel_size = 2}>,
    nn::Flatten,
    nn::Linear<nn::LinearSpec{.out_features = 120}>, nn::ReLU,
    nn::Linear<nn::LinearSpec{.out_features = 84}>, nn::ReLU,
    nn::Linear<nn::LinearSpec{.out_features = 10}>>;
static_assert(std::is_same_v<LeNet, LeNetSpelled>);
static_assert(LeNetSpelled::param_count == 61'706);

// ---------------------------------------------------------------------------
// CIFAR-style: [(Conv3x3 pad 1 - ReLU) * 2 - MaxPool2] * 3 - Flatten - Linear.

using Cifar = nn::Network<
    nn::Input<3, 32, 32>,
    nn::Conv2d<{.out_channels = 32, .kernel_size = 3, .padding = 1}>, nn::ReLU,
    nn::Conv2d<{.out_channels = 32, .kernel_size = 3, .padding = 1}>, nn::ReLU,
    nn::MaxPool2d<{.kernel_size = 2}>,
    nn::Conv2d<{.out_channels = 64, .kernel_size = 3, .padding = 1}>, nn::ReLU,
    nn::Conv2d<{.out_channels = 64, .kernel_size = 3, .padding = 1}>, nn::ReLU,
    nn::MaxPool2d<{.kernel_size = 2}>,
    nn::Conv2d<{.out_channels = 128, .kernel_size = 3, .padding = 1}>, nn::ReLU,
    nn::Conv2d<{.out_channels = 128, .kernel_size = 3, .padding = 1}>, nn::ReLU,
    nn::MaxPool2d<{.kernel_size = 2}>,
    nn::Flatten,
    nn::Linear<{.out_features = 10}>>;

// torch (cifar)
constexpr std::array<Row, 17> kCifarRows{{
    {{32, 32, 32}, 896, 884'736},
    {{32, 32, 32}, 0, 0},
    {{32, 32, 32}, 9'248, 9'437'184},
    {{32, 32, 32}, 0, 0},
    {{32, 16, 16}, 0, 0},
    {{64, 16, 16}, 18'496, 4'718'592},
    {{64, 16, 16}, 0, 0},
    {{64, 16, 16}, 36'928, 9'437'184},
    {{64, 16, 16}, 0, 0},
    {{64, 8, 8}, 0, 0},
    {{128, 8, 8}, 73'856, 4'718'592},
    {{128, 8, 8}, 0, 0},
    {{128, 8, 8}, 147'584, 9'437'184},
    {{128, 8, 8}, 0, 0},
    {{128, 4, 4}, 0, 0},
    {{2048, 1, 1}, 0, 0},
    {{10, 1, 1}, 20'490, 20'480},
}};
static_assert(Cifar::valid);
static_assert(Cifar::output_shape == nn::Shape{10, 1, 1});
static_assert(Cifar::param_count == 307'498);  // torch
static_assert(Cifar::macs == 38'653'952);      // torch
static_assert(rows_of<Cifar>() == kCifarRows);
static_assert(Cifar::memory<1>.largest_output == 32 * 32 * 32);

// ---------------------------------------------------------------------------
// Every Conv2d and pooling option at once (torch: zoo): rectangular kernel,
// stride and padding; dilation 2 (effective window 5); groups 2; depthwise
// (groups = channels); 1x1 without bias; pooling with stride != kernel and
// padding; floor rounding; global pooling; Linear without bias.

using ZooFloorConv = nn::Conv2d<{.out_channels = 12, .kernel_size = 2, .stride = 2,
                                 .rounding = nn::Rounding::floor}>;
using Zoo = nn::Network<
    nn::Input<4, 17, 23>,
    nn::Conv2d<{.out_channels = 8, .kernel_size = {3, 5}, .stride = {2, 1},
                .padding = {1, 2}}>,
    nn::ReLU,
    nn::Conv2d<{.out_channels = 8, .kernel_size = 3, .padding = 2, .dilation = 2}>,
    nn::Conv2d<{.out_channels = 16, .kernel_size = 3, .padding = 1, .groups = 2}>,
    nn::Conv2d<{.out_channels = 16, .kernel_size = 3, .padding = 1, .groups = 16}>,
    nn::Conv2d<{.out_channels = 8, .kernel_size = 1, .bias = false}>,
    nn::MaxPool2d<{.kernel_size = 3, .stride = 2, .padding = 1}>,
    nn::AvgPool2d<{.kernel_size = {3, 2}, .stride = {1, 2}, .padding = {1, 1}}>,
    ZooFloorConv,
    nn::GlobalAvgPool2d,
    nn::Flatten,
    nn::Linear<{.out_features = 5, .bias = false}>,
    nn::LeakyReLU<{.negative_slope = 0.2f}>,
    nn::Softmax>;

// torch (zoo)
constexpr std::array<Row, 14> kZooRows{{
    {{8, 9, 23}, 488, 99'360},      // 0 H (17-3+2)/2+1 = 9, W (23-5+4)/1+1 = 23
    {{8, 9, 23}, 0, 0},             // 1 ReLU
    {{8, 9, 23}, 584, 119'232},     // 2 dilation 2: F = 5, pad 2 keeps the size
    {{16, 9, 23}, 592, 119'232},    // 3 groups 2: 16 * (8/2) * 9 + 16
    {{16, 9, 23}, 160, 29'808},     // 4 depthwise: 16 * 1 * 9 + 16
    {{8, 9, 23}, 128, 26'496},      // 5 1x1, no bias: 8 * 16
    {{8, 5, 12}, 0, 0},             // 6 MaxPool k3 s2 p1
    {{8, 5, 7}, 0, 0},              // 7 AvgPool k3x2 s1x2 p1
    {{12, 2, 3}, 396, 2'304},       // 8 floor((5-2)/2)+1 = 2, floor((7-2)/2)+1 = 3
    {{12, 1, 1}, 0, 0},             // 9 GlobalAvgPool2d
    {{12, 1, 1}, 0, 0},             // 10 Flatten
    {{5, 1, 1}, 60, 60},            // 11 Linear no bias
    {{5, 1, 1}, 0, 0},              // 12 LeakyReLU
    {{5, 1, 1}, 0, 0},              // 13 Softmax
}};
static_assert(Zoo::valid);
static_assert(Zoo::param_count == 2'408);  // torch
static_assert(Zoo::macs == 396'492);       // torch
static_assert(rows_of<Zoo>() == kZooRows);
// Without opting in to floor, layer 8 is rejected: (5 - 2) % 2 != 0 along H.
using ZooExactConv = nn::Conv2d<{.out_channels = 12, .kernel_size = 2, .stride = 2}>;
static_assert(!accepts<ZooExactConv, nn::Shape{8, 5, 7}>);
static_assert(accepts<ZooFloorConv, nn::Shape{8, 5, 7}>);
// The resolved geometry the kernels get.
constexpr nn::Conv2dGeometry kDilated =
    nn::Conv2d<{.out_channels = 8, .kernel_size = 3, .padding = 2, .dilation = 2}>::geometry(
        {8, 9, 23});
static_assert(kDilated.y.extent() == 5 && kDilated.x.extent() == 5);
static_assert(kDilated.y.pad == 2 && kDilated.x.dilation == 2);
constexpr nn::Conv2dGeometry kGrouped =
    nn::Conv2d<{.out_channels = 16, .kernel_size = 3, .padding = 1, .groups = 2}>::geometry(
        {8, 9, 23});
static_assert(kGrouped.in_per_group() == 4 && kGrouped.out_per_group() == 8);
constexpr nn::Pool2dGeometry kPool =
    nn::MaxPool2d<{.kernel_size = 3, .stride = 2, .padding = 1}>::geometry({8, 9, 23});
static_assert(kPool.out == nn::Shape{8, 5, 12} && kPool.y.pad == 1 && kPool.x.stride == 2);

// ---------------------------------------------------------------------------
// Keras-style padding. Stride 1 checked by torch (same_padding); stride 2 by
// TensorFlow's rule: out = ceil(in / stride), total padding
// (out - 1) * stride + F - in, the smaller half before, the rest after.

using SamePadding = nn::Network<
    nn::Input<3, 10, 10>,
    nn::Conv2d<{.out_channels = 4, .kernel_size = 3, .padding = nn::same}>,
    nn::Conv2d<{.out_channels = 4, .kernel_size = 4, .padding = nn::same}>,
    nn::Conv2d<{.out_channels = 2, .kernel_size = {2, 5}, .padding = nn::same,
                .dilation = 2}>>;
constexpr std::array<Row, 3> kSamePaddingRows{{
    {{4, 10, 10}, 112, 10'800},
    {{4, 10, 10}, 260, 25'600},
    {{2, 10, 10}, 82, 8'000},
}};
static_assert(rows_of<SamePadding>() == kSamePaddingRows);  // torch (same_padding)
static_assert(SamePadding::param_count == 454 && SamePadding::macs == 44'400);

template <nn::Size2 Kernel, nn::Size2 Stride, nn::Padding Pad>
using ConvK = nn::Conv2d<{.out_channels = 1, .kernel_size = Kernel, .stride = Stride,
                          .padding = Pad}>;
// same, stride 2: 7 -> ceil(7/2) = 4, 10 -> 5; for F = 3 on 7: total pad
// 3*2 + 3 - 7 = 2 (1 before); for F = 4 on 7: 3*2 + 4 - 7 = 3 (1 before, 2 after).
static_assert(ConvK<3, 2, nn::same>::step({1, 7, 10}, false).out == nn::Shape{1, 4, 5});
static_assert(ConvK<4, 2, nn::same>::step({1, 7, 10}, false).out == nn::Shape{1, 4, 5});
static_assert(ConvK<3, 2, nn::same>::geometry({1, 7, 10}).y.pad == 1);
static_assert(ConvK<4, 2, nn::same>::geometry({1, 7, 10}).y.pad == 1);
static_assert(ConvK<4, 2, nn::same>::geometry({1, 7, 10}).x.pad == 1);  // 4*2 + 4 - 10 = 2
// same never needs a tiling check: 7 with stride 3 -> 3, where explicit 0 fails.
static_assert(ConvK<3, 3, nn::same>::step({1, 7, 7}, false).out == nn::Shape{1, 3, 3});
static_assert(!accepts<ConvK<3, 3, 0>, nn::Shape{1, 7, 7}>);
// valid == explicit 0.
static_assert(ConvK<3, 2, nn::valid>::step({1, 7, 9}, false).out == nn::Shape{1, 3, 4});
static_assert(ConvK<3, 2, nn::valid>::geometry({1, 7, 9}) ==
              ConvK<3, 2, 0>::geometry({1, 7, 9}));
static_assert(!accepts<ConvK<3, 2, nn::valid>, nn::Shape{1, 8, 9}>);
// Rectangular kernel, stride and padding: H (12 + 2 - 3) / 1 + 1 = 12,
// W (22 + 4 - 5) / 3 + 1 = 8; W = 20 does not tile ((20 + 4 - 5) % 3 = 1).
static_assert(ConvK<{3, 5}, {1, 3}, {1, 2}>::step({1, 12, 22}, false).out ==
              nn::Shape{1, 12, 8});
static_assert(!accepts<ConvK<{3, 5}, {1, 3}, {1, 2}>, nn::Shape{1, 12, 20}>);
// same pooling: 7 -> 4 with k3 s2 (pad 1 before) and with k2 s2 (pad 0, 1 after).
static_assert(nn::MaxPool2d<{.kernel_size = 3, .stride = 2, .padding = nn::same}>::step(
                  {2, 7, 7}, false).out == nn::Shape{2, 4, 4});
static_assert(nn::MaxPool2d<{.kernel_size = 2, .padding = nn::same}>::step({2, 7, 7}, false)
                  .out == nn::Shape{2, 4, 4});
static_assert(nn::MaxPool2d<{.kernel_size = 2, .padding = nn::same}>::geometry({2, 7, 7})
                  .y.pad == 0);
// Floor rounding is PyTorch's: MaxPool2d(2) on 7x5 gives 3x2.
static_assert(nn::MaxPool2d<{.kernel_size = 2, .rounding = nn::Rounding::floor}>::step(
                  {2, 7, 5}, false).out == nn::Shape{2, 3, 2});
static_assert(!accepts<nn::MaxPool2d<{.kernel_size = 2}>, nn::Shape{2, 7, 5}>);

// ---------------------------------------------------------------------------
// Pooling and global pooling; Linear directly after a 1x1 output.

using GlobalHead = nn::Network<
    nn::Input<3, 9, 9>,
    nn::Conv2d<{.out_channels = 6, .kernel_size = 3, .stride = 2}>,  // 4x4
    nn::AvgPool2d<{.kernel_size = 2, .stride = 1, .padding = 1,
                   .count_include_pad = false}>,  // (4 + 2 - 2) / 1 + 1 = 5
    nn::GlobalAvgPool2d,
    nn::Conv2d<{.out_channels = 4, .kernel_size = 1}>,  // a 1x1 plane is still spatial
    nn::Linear<{.out_features = 2}>,  // 4x1x1 is flat enough: no Flatten needed
    nn::Sigmoid>;
static_assert(GlobalHead::shape_after<0> == nn::Shape{6, 4, 4});
static_assert(GlobalHead::shape_after<1> == nn::Shape{6, 5, 5});
static_assert(GlobalHead::shape_after<2> == nn::Shape{6, 1, 1});
static_assert(GlobalHead::shape_after<3> == nn::Shape{4, 1, 1});
static_assert(GlobalHead::output_shape == nn::Shape{2, 1, 1});
static_assert(GlobalHead::param_count == (6 * 3 * 9 + 6) + (4 * 6 + 4) + (2 * 4 + 2));
static_assert(GlobalHead::macs == 6 * 16 * 27 + 4 * 6 + 2 * 4);

// LeakyReLU's slope: default (torch's 0.01) and spelled-out spec.
static_assert(nn::LeakyReLU<>::spec.negative_slope == 0.01f);
static_assert(nn::LeakyReLU<nn::LeakyReLUSpec{.negative_slope = 0.1f}>::spec.negative_slope ==
              0.1f);
static_assert(nn::Network<nn::Input<2, 3, 3>, nn::LeakyReLU<>, nn::Tanh,
                          nn::Softmax>::output_shape == nn::Shape{2, 3, 3});

// ---------------------------------------------------------------------------
// Every rule with its numbers, in-process (the Network turns the same values
// into the error the compile_fail tests match).

constexpr nn::Shape k377{3, 7, 7};
// Window larger than the padded input; dilation makes F = 2 * (3 - 1) + 1 = 5.
using Dilated = nn::Conv2d<{.out_channels = 4, .kernel_size = 3, .dilation = 2}>;
static_assert(accepts<Dilated, nn::Shape{3, 5, 5}>);
constexpr nn::Violation kTooWide = violation_of<Dilated, nn::Shape{3, 4, 4}>;
static_assert(kTooWide.rule == nn::Rule::window_larger_than_input && kTooWide.n[0] == 4 &&
              kTooWide.n[1] == 5 && kTooWide.n[2] == 0);
// Sizes.
static_assert(violation_of<nn::Conv2d<{.out_channels = 0, .kernel_size = 3}>, k377>.rule ==
              nn::Rule::invalid_size);
static_assert(violation_of<nn::Conv2d<{.out_channels = 4}>, k377>.rule ==
              nn::Rule::invalid_size);  // kernel_size forgotten
static_assert(violation_of<nn::Conv2d<{.out_channels = 4, .kernel_size = 3, .stride = -1}>,
                           k377>.rule == nn::Rule::invalid_size);
static_assert(violation_of<nn::Conv2d<{.out_channels = 4, .kernel_size = 3, .padding = -1}>,
                           k377>.rule == nn::Rule::invalid_size);
static_assert(violation_of<nn::Conv2d<{.out_channels = 4, .kernel_size = 3, .groups = 0}>,
                           k377>.rule == nn::Rule::invalid_size);
static_assert(violation_of<nn::Linear<{.out_features = 0}>, nn::Shape{3, 1, 1}, true>.rule ==
              nn::Rule::invalid_size);
static_assert(violation_of<nn::MaxPool2d<{.kernel_size = 0}>, k377>.rule ==
              nn::Rule::invalid_size);
static_assert(violation_of<nn::AvgPool2d<{.kernel_size = 2, .stride = -2}>, k377>.rule ==
              nn::Rule::invalid_size);
// Groups: in 3, out 4, groups 2.
constexpr nn::Violation kGroups =
    violation_of<nn::Conv2d<{.out_channels = 4, .kernel_size = 1, .groups = 2}>, k377>;
static_assert(kGroups.rule == nn::Rule::groups_do_not_divide && kGroups.n[0] == 3 &&
              kGroups.n[1] == 4 && kGroups.n[2] == 2);
static_assert(!accepts<nn::Conv2d<{.out_channels = 3, .kernel_size = 1, .groups = 3}>,
                       nn::Shape{4, 7, 7}>);  // out divides, in does not
// Pooling padding: P = 2 > F / 2 = 1 on an input where the window tiles.
constexpr nn::Violation kPoolPad =
    violation_of<nn::MaxPool2d<{.kernel_size = 2, .padding = 2}>, nn::Shape{1, 8, 8}>;
static_assert(kPoolPad.rule == nn::Rule::pool_padding_too_large && kPoolPad.axis == 'H' &&
              kPoolPad.n[0] == 2 && kPoolPad.n[1] == 2);
static_assert(accepts<nn::MaxPool2d<{.kernel_size = 2, .stride = 1, .padding = 1}>,
                      nn::Shape{1, 8, 8}>);
// Spatial layers after Flatten (or Linear); Linear needs a flat input.
static_assert(violation_of<nn::Conv2d<{.out_channels = 1, .kernel_size = 1}>,
                           nn::Shape{4, 1, 1}, true>.rule == nn::Rule::spatial_after_flatten);
static_assert(violation_of<nn::MaxPool2d<{.kernel_size = 1}>, nn::Shape{4, 1, 1}, true>.rule ==
              nn::Rule::spatial_after_flatten);
static_assert(violation_of<nn::GlobalAvgPool2d, nn::Shape{4, 1, 1}, true>.rule ==
              nn::Rule::spatial_after_flatten);
static_assert(violation_of<nn::Linear<{.out_features = 3}>, k377>.rule ==
              nn::Rule::linear_needs_flat_input);
static_assert(accepts<nn::Linear<{.out_features = 3}>, nn::Shape{147, 1, 1}, true>);
// Element-wise layers accept anything and keep flatness.
static_assert(accepts<nn::ReLU, nn::Shape{4, 1, 1}, true>);
static_assert(nn::ReLU::step({4, 1, 1}, true).flat);

// Only the first violation counts: layer 0 is wrong, and so would be layer 2
// (a Linear on a spatial input); the plan stops at 0.
static_assert(first_error<nn::Shape{3, 7, 7}, Filter3x3<3>, nn::ReLU,
                          nn::Linear<{.out_features = 2}>> == 0);
static_assert(first_error<nn::Shape{3, 7, 7}, Filter3x3<2>, nn::ReLU,
                          nn::Linear<{.out_features = 2}>> == 2);
static_assert(first_error<nn::Shape{3, 7, 7}, Filter3x3<2>, nn::Flatten,
                          nn::Linear<{.out_features = 2}>> == -1);

// ---------------------------------------------------------------------------
// Blocks (the README's example): shapes, counts and state_dict keys.

template <int C, int S>
struct DwSeparable : nn::Sequential<
    nn::Conv2d<{.out_channels = C, .kernel_size = 3, .stride = S, .padding = 1, .groups = C,
                .rounding = nn::Rounding::floor}>,
    nn::ReLU> {};

using Blocks = nn::Network<
    nn::Input<3, 32, 32>,
    nn::Conv2d<{.out_channels = 16, .kernel_size = 3, .padding = 1}>, nn::ReLU,
    nn::Residual<nn::Conv2d<{.out_channels = 16, .kernel_size = 3, .padding = 1}>, nn::ReLU,
                 nn::Conv2d<{.out_channels = 16, .kernel_size = 3, .padding = 1}>>,
    nn::Residual<nn::Main<nn::Conv2d<{.out_channels = 32, .kernel_size = 3, .stride = 2,
                                      .padding = 1, .rounding = nn::Rounding::floor}>>,
                 nn::Shortcut<nn::Conv2d<{.out_channels = 32, .kernel_size = 1, .stride = 2,
                                          .rounding = nn::Rounding::floor}>>>,
    nn::Concat<nn::Branch<nn::Conv2d<{.out_channels = 8, .kernel_size = 1}>>,
               nn::Branch<DwSeparable<32, 1>>>,
    nn::GlobalAvgPool2d, nn::Flatten, nn::Linear<{.out_features = 10}>>;
static_assert(Blocks::shape_after<2> == nn::Shape{16, 32, 32});
static_assert(Blocks::shape_after<3> == nn::Shape{32, 16, 16});
static_assert(Blocks::shape_after<4> == nn::Shape{40, 16, 16});
static_assert(Blocks::layer_params<2> == 2 * (16 * 16 * 9 + 16));
static_assert(Blocks::layer_params<3> == (32 * 16 * 9 + 32) + (32 * 16 + 32));
static_assert(Blocks::layer_params<4> == (8 * 32 + 8) + (32 * 9 + 32));
static_assert(Blocks::layer_macs<3> == 32 * 16 * 16 * (16 * 9 + 16));
static_assert(Blocks::buffer_count == 0);
static_assert(Blocks::tensors.size() == 16);
static_assert(Blocks::tensors[2].name == nn::TensorName("2.0.weight"));
static_assert(Blocks::tensors[5].name == nn::TensorName("2.2.bias"));
static_assert(Blocks::tensors[6].name == nn::TensorName("3.main.0.weight"));
static_assert(Blocks::tensors[8].name == nn::TensorName("3.shortcut.0.weight"));
static_assert(Blocks::tensors[8].offset == Blocks::param_offset<3> + 32 * 16 * 9 + 32);
static_assert(Blocks::tensors[10].name == nn::TensorName("4.0.0.weight"));
static_assert(Blocks::tensors[12].name == nn::TensorName("4.1.0.0.weight"));
static_assert(Blocks::tensors[12].dims == std::array<int, 4>{32, 1, 3, 3});
static_assert(Blocks::tensors[15].name == nn::TensorName("7.bias"));
// Input<N>: a flat input on which Linear needs no Flatten and spatial layers fail.
static_assert(nn::network_is_valid<nn::Input<640>, nn::Linear<{.out_features = 8}>>);
static_assert(!nn::network_is_valid<nn::Input<640>, nn::MaxPool2d<{.kernel_size = 1}>>);
static_assert(nn::Network<nn::Input<640>, nn::Residual<nn::Linear<{.out_features = 640}>>>::output_shape ==
              nn::Shape{640, 1, 1});

}  // namespace
