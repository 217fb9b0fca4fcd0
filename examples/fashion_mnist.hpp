// The network the Fashion-MNIST example trains, how it trains it, and the
// data's constants. tools/compare_with_pytorch.py builds the same network
// and schedule in PyTorch.
#pragma once

#include <cstdint>

#include "staticnn/core.hpp"

namespace example {
namespace nn = staticnn;

// Two 3x3 convolutions with max pooling, then two Linear layers: the
// smallest of the usual two-conv baselines that passes 91% on Fashion-MNIST
// in a few epochs (LeNet-5 stops near 90%). 1.2 M MACs per image.
using Net = nn::Network<
    nn::Input<1, 28, 28>,
    nn::Conv2d<nn::Conv2dSpec{.out_channels = 16, .kernel_size = 3, .padding = 1}>,
    nn::ReLU,
    nn::MaxPool2d<nn::Pool2dSpec{.kernel_size = 2}>,
    nn::Conv2d<nn::Conv2dSpec{.out_channels = 32, .kernel_size = 3, .padding = 1}>,
    nn::ReLU,
    nn::MaxPool2d<nn::Pool2dSpec{.kernel_size = 2}>,
    nn::Flatten,
    nn::Linear<nn::LinearSpec{.out_features = 128}>, nn::ReLU,
    nn::Linear<nn::LinearSpec{.out_features = 10}>>;

// The same network cut after each convolution, to show its activation maps:
// parameters in state_dict order make each prefix's parameters a prefix of
// Net's.
using UpToConv1 = nn::Network<
    nn::Input<1, 28, 28>,
    nn::Conv2d<nn::Conv2dSpec{.out_channels = 16, .kernel_size = 3, .padding = 1}>>;
using UpToConv2 = nn::Network<
    nn::Input<1, 28, 28>,
    nn::Conv2d<nn::Conv2dSpec{.out_channels = 16, .kernel_size = 3, .padding = 1}>,
    nn::ReLU,
    nn::MaxPool2d<nn::Pool2dSpec{.kernel_size = 2}>,
    nn::Conv2d<nn::Conv2dSpec{.out_channels = 32, .kernel_size = 3, .padding = 1}>>;

// Training: AdamW (torch's defaults, weight decay 0.01) under a one-cycle
// schedule (learning rate up to kMaxLr and down, beta1 the other way), batch
// 64, kEpochs passes over the 60 000 training images.
inline constexpr int kBatch = 64;
inline constexpr int kEpochs = 5;
inline constexpr double kMaxLr = 2e-3;
inline constexpr int kEvalBatch = 100;
inline constexpr int kPixels = 28 * 28;
inline constexpr int kClasses = 10;

// Fashion-MNIST's pixel mean and standard deviation over the training set.
inline constexpr float kMean = 0.2860f, kStd = 0.3530f;

inline constexpr const char* kClassNames[kClasses] = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

}  // namespace example
