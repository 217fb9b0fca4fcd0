// The network the Fashion-MNIST example trains, and its data in static storage.
#pragma once

#include <cstdint>

#include "staticnn/core.hpp"

namespace example {
namespace nn = staticnn;

// LeNet-5 as in DESIGN.md (ReLU and max pooling, padding 2 on 28x28 inputs).
using LeNet = nn::Network<
    nn::Input<1, 28, 28>,
    nn::Conv2d<nn::Conv2dSpec{.out_channels = 6, .kernel_size = 5, .padding = 2}>,
    nn::ReLU,
    nn::MaxPool2d<nn::Pool2dSpec{.kernel_size = 2}>,
    nn::Conv2d<nn::Conv2dSpec{.out_channels = 16, .kernel_size = 5}>,
    nn::ReLU,
    nn::MaxPool2d<nn::Pool2dSpec{.kernel_size = 2}>,
    nn::Flatten,
    nn::Linear<nn::LinearSpec{.out_features = 120}>, nn::ReLU,
    nn::Linear<nn::LinearSpec{.out_features = 84}>, nn::ReLU,
    nn::Linear<nn::LinearSpec{.out_features = 10}>>;

inline constexpr int kBatch = 64;
inline constexpr int kPixels = 28 * 28;

// Fashion-MNIST's pixel mean and standard deviation over the training set.
inline constexpr float kMean = 0.2860f, kStd = 0.3530f;

}  // namespace example
