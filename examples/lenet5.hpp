// The firmware example's network: LeNet-5 (ReLU and max pooling, padding 2 on
// 28x28 inputs), 61,706 parameters. bake_weights bakes its weights,
// firmware_inference runs it on the host, aarch64 and the Cortex-M boards.
#pragma once

#include "staticnn/staticnn.hpp"

namespace firmware {
namespace nn = staticnn;

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
static_assert(LeNet::param_count == 61'706);

inline constexpr int kPixels = 28 * 28;

}  // namespace firmware
