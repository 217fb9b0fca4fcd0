// A network with every layer of the MobileNet family's toolbox (BatchNorm2d,
// BatchNorm1d, ReLU6, Hardswish, Dropout) next to convolutions and Linear
// layers: for network_layers_test and no_heap_layers_test.
#pragma once

#include "staticnn/core.hpp"

namespace staticnn::test {

using NormNet = Network<
    Input<3, 9, 9>,
    Conv2d<Conv2dSpec{.out_channels = 6, .kernel_size = 3, .padding = 1}>,
    BatchNorm2d<>,
    ReLU6,
    Conv2d<Conv2dSpec{.out_channels = 8, .kernel_size = 3, .stride = 2, .padding = 1,
                      .groups = 2, .bias = false}>,
    BatchNorm2d<BatchNormSpec{.eps = 1e-3f, .momentum = 0.3f, .affine = false}>,
    Hardswish,
    Dropout<DropoutSpec{.p = 0.3f}>,
    Flatten,
    Linear<LinearSpec{.out_features = 8}>,
    BatchNorm1d<>,
    Hardswish,
    Dropout<DropoutSpec{.p = 0.5f}>,
    Linear<LinearSpec{.out_features = 5}>>;

}  // namespace staticnn::test
