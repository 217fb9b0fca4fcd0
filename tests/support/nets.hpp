// Networks shared by the tests.
#pragma once

#include "staticnn/core.hpp"

namespace staticnn::test {

// LeNet-5 exactly as in DESIGN.md.
using LeNet = Network<
    Input<1, 28, 28>,
    Conv2d<Conv2dSpec{.out_channels = 6, .kernel_size = 5, .padding = 2}>, ReLU,
    MaxPool2d<Pool2dSpec{.kernel_size = 2}>,
    Conv2d<Conv2dSpec{.out_channels = 16, .kernel_size = 5}>, ReLU,
    MaxPool2d<Pool2dSpec{.kernel_size = 2}>,
    Flatten,
    Linear<LinearSpec{.out_features = 120}>, ReLU,
    Linear<LinearSpec{.out_features = 84}>, ReLU,
    Linear<LinearSpec{.out_features = 10}>>;

// [(Conv3x3-ReLU)*2-MaxPool]*3-Linear on 3x32x32.
using CifarNet = Network<
    Input<3, 32, 32>,
    Conv2d<Conv2dSpec{.out_channels = 32, .kernel_size = 3, .padding = 1}>, ReLU,
    Conv2d<Conv2dSpec{.out_channels = 32, .kernel_size = 3, .padding = 1}>, ReLU,
    MaxPool2d<Pool2dSpec{.kernel_size = 2}>,
    Conv2d<Conv2dSpec{.out_channels = 64, .kernel_size = 3, .padding = 1}>, ReLU,
    Conv2d<Conv2dSpec{.out_channels = 64, .kernel_size = 3, .padding = 1}>, ReLU,
    MaxPool2d<Pool2dSpec{.kernel_size = 2}>,
    Conv2d<Conv2dSpec{.out_channels = 128, .kernel_size = 3, .padding = 1}>, ReLU,
    Conv2d<Conv2dSpec{.out_channels = 128, .kernel_size = 3, .padding = 1}>, ReLU,
    MaxPool2d<Pool2dSpec{.kernel_size = 2}>,
    Flatten,
    Linear<LinearSpec{.out_features = 10}>>;

// Every layer kind at least once, with odd sizes: the whole-network oracle test.
using EveryLayerNet = Network<
    Input<3, 11, 9>,
    Conv2d<Conv2dSpec{.out_channels = 4, .kernel_size = {3, 2}, .stride = {2, 1},
                      .padding = {1, 0}, .rounding = Rounding::floor}>,
    LeakyReLU<LeakyReLUSpec{.negative_slope = 0.1f}>,
    Conv2d<Conv2dSpec{.out_channels = 4, .kernel_size = 3, .padding = same, .groups = 4}>,
    Tanh,
    AvgPool2d<Pool2dSpec{.kernel_size = 3, .stride = 1, .padding = 1}>,
    Conv2d<Conv2dSpec{.out_channels = 6, .kernel_size = 1, .bias = false}>,
    Sigmoid,
    MaxPool2d<Pool2dSpec{.kernel_size = 2, .rounding = Rounding::floor}>,
    Softmax,
    Conv2d<Conv2dSpec{.out_channels = 5, .kernel_size = 2, .padding = 1, .dilation = 2}>,
    ReLU,
    GlobalAvgPool2d,
    Flatten,
    Linear<LinearSpec{.out_features = 7}>, ReLU,
    Linear<LinearSpec{.out_features = 3, .bias = false}>>;

// A named block: a layer of its own, running as the Sequential it derives from.
template <int C>
struct PointwiseReLU : Sequential<Conv2d<Conv2dSpec{.out_channels = C, .kernel_size = 1}>, ReLU> {};

// Every block, nested and on odd sizes: identity and projection Residual,
// Concat (one branch a named block), Sequential holding a Residual, a
// Residual on flat features.
using BlocksNet = Network<
    Input<3, 9, 7>,
    Conv2d<Conv2dSpec{.out_channels = 4, .kernel_size = 3, .padding = same}>, ReLU,
    Residual<Conv2d<Conv2dSpec{.out_channels = 4, .kernel_size = 3, .padding = same}>, Tanh,
             Conv2d<Conv2dSpec{.out_channels = 4, .kernel_size = 3, .padding = same}>>,
    Residual<Main<Conv2d<Conv2dSpec{.out_channels = 6, .kernel_size = 3, .stride = 2,
                                    .padding = 1, .rounding = Rounding::floor}>,
                  LeakyReLU<LeakyReLUSpec{.negative_slope = 0.1f}>>,
             Shortcut<Conv2d<Conv2dSpec{.out_channels = 6, .kernel_size = 1, .stride = 2,
                                        .rounding = Rounding::floor}>>>,
    Concat<Branch<PointwiseReLU<2>>,
           Branch<Conv2d<Conv2dSpec{.out_channels = 3, .kernel_size = 3, .padding = 1}>, Sigmoid>,
           Branch<MaxPool2d<Pool2dSpec{.kernel_size = 3, .stride = 1, .padding = 1}>>>,
    Sequential<Residual<Conv2d<Conv2dSpec{.out_channels = 11, .kernel_size = 1}>>, ReLU,
               Conv2d<Conv2dSpec{.out_channels = 5, .kernel_size = 1, .bias = false}>>,
    GlobalAvgPool2d, Flatten,
    Residual<Linear<LinearSpec{.out_features = 5}>, Tanh>,
    Linear<LinearSpec{.out_features = 3}>>;

}  // namespace staticnn::test
