// The network the safetensors fuzzer loads into: small (fast executions), with
// a BatchNorm (num_batches_tracked, buffers) and a projection Residual (keys
// like "3.main.0.weight"), in the spelled-out spec form clang 14 accepts.
#pragma once

#include "staticnn/core.hpp"

namespace staticnn::fuzz {

using FuzzNet = Network<
    Input<2, 4, 4>, Conv2d<Conv2dSpec{.out_channels = 3, .kernel_size = 3, .padding = 1}>,
    BatchNorm2d<BatchNormSpec{}>, ReLU,
    Residual<Main<Conv2d<Conv2dSpec{.out_channels = 2, .kernel_size = 1}>>,
             Shortcut<Conv2d<Conv2dSpec{.out_channels = 2, .kernel_size = 1, .bias = false}>>>,
    Flatten, Linear<LinearSpec{.out_features = 3}>>;

}  // namespace staticnn::fuzz
