// The four MLPerf Tiny reference models (MLCommons "tiny" v1.0 benchmark,
// reference training code in github.com/mlcommons/tiny/benchmark/training) as
// staticnn types, layer for layer as published (Keras), in PyTorch's terms:
//
//   DsCnn        keyword spotting     1x49x10 MFCC   -> 12 classes  (keras_model.py, 'ds_cnn')
//   MobileNetV1  visual wake words    3x96x96 image  -> 2 classes   (vww_model.py, alpha 0.25)
//   ResNet8      image classification 3x32x32 image  -> 10 classes  (resnet_v1_eembc)
//   AutoEncoder  anomaly detection    640 features   -> 640         (anomaly_detection keras_model.py)
//
// tools/mlperf_tiny_torch.py builds the same four models in PyTorch (the
// ground truth for counts, shapes, outputs and gradients; see
// tests/golden_mlperf_tiny_test.cc). Choices where Keras and PyTorch differ:
//
// - Padding. Keras uses padding='same', which pads asymmetrically (the extra
//   row/column at the end) when a stride-2 window does not tile the input.
//   PyTorch's Conv2d pads symmetrically, so the models use PyTorch's explicit
//   padding with Rounding::floor, as a PyTorch port of the models does: the
//   output sizes equal Keras' (25x5 after DS-CNN's first convolution, 48, 24,
//   12, 6, 3 in MobileNet, 16 and 8 in ResNet-8) but a stride-2 window starts
//   one row/column earlier than in Keras (Keras pads 0 before, 1 after; here 1
//   and 0). DS-CNN's first convolution (10x4, stride 2, on 49x10) pads 5 rows
//   and 1 column (Keras: 4 above, 5 below, 1 and 1).
// - Outputs are logits: the Keras models end in softmax (classifiers), which
//   staticnn's softmax_cross_entropy applies with the loss; for inference
//   argmax of the logits is the class.
// - Every Conv2d, depthwise Conv2d and Linear has a bias, as Keras' defaults
//   give (use_bias=True, also before BatchNorm): the published parameter
//   counts include them. fold_batch_norm_t (fold.hpp) folds each BatchNorm
//   into the layer before it for inference.
// - Keras' "Total params" counts BatchNorm's moving mean and variance;
//   staticnn counts them as buffers: Keras total = param_count + buffer_count.
//   BatchNorm uses PyTorch's eps (1e-5) and momentum (0.1); Keras' defaults
//   are 1e-3 and 0.99 (PyTorch's 0.01): set them in the BatchNormSpec to
//   train exactly as Keras does.
// - Dropout (DS-CNN only) draws its own masks (layers/dropout.hpp).
//
// The named blocks are layers in their own right: they run (and are checked
// by the oracle) as the block they derive from.
#pragma once

#include "staticnn/core.hpp"

namespace staticnn::mlperf_tiny {

// 3x3 depthwise convolution (stride S), BatchNorm, ReLU, then 1x1 pointwise
// convolution to Cout channels, BatchNorm, ReLU: Keras' DepthwiseConv2D +
// Conv2D pair (MobileNet's and DS-CNN's building block).
template <int Cin, int Cout, int S>
struct DwSeparable
    : Sequential<Conv2d<{.out_channels = Cin, .kernel_size = 3, .stride = S, .padding = 1,
                         .groups = Cin, .rounding = Rounding::floor}>,
                 BatchNorm2d<>, ReLU,
                 Conv2d<{.out_channels = Cout, .kernel_size = 1}>, BatchNorm2d<>, ReLU> {
  static constexpr const char* name = "DwSeparable";
};

// Linear, BatchNorm1d, ReLU: the autoencoder's layer.
template <int N>
struct DenseBnReLU : Sequential<Linear<{.out_features = N}>, BatchNorm1d<>, ReLU> {
  static constexpr const char* name = "DenseBnReLU";
};

// A 3x3 convolution to C channels with stride S ('same' for stride 1).
template <int C, int S>
using Conv3x3 =
    Conv2d<{.out_channels = C, .kernel_size = 3, .stride = S, .padding = 1,
            .rounding = Rounding::floor}>;

// ResNet-8's first stack: y = x + BN(conv(ReLU(BN(conv(x))))); the ReLU
// after the sum follows the block.
template <int C>
struct IdentityStack : Residual<Conv3x3<C, 1>, BatchNorm2d<>, ReLU, Conv3x3<C, 1>, BatchNorm2d<>> {
  static constexpr const char* name = "IdentityStack";
};

// ResNet-8's second and third stacks: the main path halves the size (stride 2)
// and doubles the channels; the shortcut is a 1x1 stride-2 convolution (no
// BatchNorm, as published).
template <int C>
struct DownsampleStack
    : Residual<Main<Conv3x3<C, 2>, BatchNorm2d<>, ReLU, Conv3x3<C, 1>, BatchNorm2d<>>,
               Shortcut<Conv2d<{.out_channels = C, .kernel_size = 1, .stride = 2,
                                .rounding = Rounding::floor}>>> {
  static constexpr const char* name = "DownsampleStack";
};

// ---------------------------------------------------------------- the models

// DS-CNN for keyword spotting: 64 filters, a 10x4 stride-2 convolution, four
// depthwise-separable blocks, average pooling over 24x5 (Keras'
// int(49/2) x int(10/2), which drops the last of 25 rows), 12 classes.
using DsCnn = Network<
    Input<1, 49, 10>,
    Conv2d<{.out_channels = 64, .kernel_size = {10, 4}, .stride = 2, .padding = {5, 1},
            .rounding = Rounding::floor}>,
    BatchNorm2d<>, ReLU, Dropout<{.p = 0.2f}>,
    DwSeparable<64, 64, 1>, DwSeparable<64, 64, 1>, DwSeparable<64, 64, 1>,
    DwSeparable<64, 64, 1>,
    Dropout<{.p = 0.4f}>,
    AvgPool2d<{.kernel_size = {24, 5}, .rounding = Rounding::floor}>,
    Flatten,
    Linear<{.out_features = 12}>>;

// MobileNetV1 with width multiplier 0.25 for visual wake words: a 3x3
// stride-2 convolution to 8 channels, 13 depthwise-separable blocks, 3x3
// average pooling, 2 classes.
using MobileNetV1 = Network<
    Input<3, 96, 96>,
    Conv3x3<8, 2>, BatchNorm2d<>, ReLU,
    DwSeparable<8, 16, 1>,
    DwSeparable<16, 32, 2>, DwSeparable<32, 32, 1>,
    DwSeparable<32, 64, 2>, DwSeparable<64, 64, 1>,
    DwSeparable<64, 128, 2>,
    DwSeparable<128, 128, 1>, DwSeparable<128, 128, 1>, DwSeparable<128, 128, 1>,
    DwSeparable<128, 128, 1>, DwSeparable<128, 128, 1>,
    DwSeparable<128, 256, 2>, DwSeparable<256, 256, 1>,
    AvgPool2d<{.kernel_size = 3}>,
    Flatten,
    Linear<{.out_features = 2}>>;

// ResNet-8 (EEMBC's resnet_v1): a 3x3 convolution to 16 channels, three
// residual stacks of 16, 32 and 64 channels, 8x8 average pooling, 10 classes.
using ResNet8 = Network<
    Input<3, 32, 32>,
    Conv3x3<16, 1>, BatchNorm2d<>, ReLU,
    IdentityStack<16>, ReLU,
    DownsampleStack<32>, ReLU,
    DownsampleStack<64>, ReLU,
    AvgPool2d<{.kernel_size = 8}>,
    Flatten,
    Linear<{.out_features = 10}>>;

// The fully connected autoencoder for anomaly detection (ToyADMOS, 5 frames
// of 128 log-mel bands): four 128-unit layers, an 8-unit bottleneck, four
// 128-unit layers, each Linear + BatchNorm1d + ReLU, and a linear output.
using AutoEncoder = Network<
    Input<640>,
    DenseBnReLU<128>, DenseBnReLU<128>, DenseBnReLU<128>, DenseBnReLU<128>,
    DenseBnReLU<8>,
    DenseBnReLU<128>, DenseBnReLU<128>, DenseBnReLU<128>, DenseBnReLU<128>,
    Linear<{.out_features = 640}>>;

// Counts as PyTorch gives them (tools/mlperf_tiny_torch.py: trainable
// parameters; buffers are BatchNorm's running mean and variance). Keras'
// "Total params" of the published models is their sum.
static_assert(DsCnn::param_count == 23'756 && DsCnn::buffer_count == 1'152);  // Keras: 24,908
static_assert(DsCnn::output_shape == Shape{12, 1, 1});
static_assert(MobileNetV1::param_count == 216'322 && MobileNetV1::buffer_count == 5'472);  // 221,794
static_assert(MobileNetV1::output_shape == Shape{2, 1, 1});
static_assert(ResNet8::param_count == 78'186 && ResNet8::buffer_count == 480);  // 78,666
static_assert(ResNet8::output_shape == Shape{10, 1, 1});
static_assert(AutoEncoder::param_count == 267'928 && AutoEncoder::buffer_count == 2'064);  // 269,992
static_assert(AutoEncoder::output_shape == Shape{640, 1, 1});

}  // namespace staticnn::mlperf_tiny
