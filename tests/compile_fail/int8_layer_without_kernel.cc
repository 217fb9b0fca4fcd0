// expect: int8::Network: only Conv2d, Linear, MaxPool2d, AvgPool2d, GlobalAvgPool2d, Flatten, Dropout, ReLU, ReLU6 and Sequential, Residual and Concat blocks of them have int8 kernels \(fold BatchNorm first: int8::quantized_t<Net> does\)
//
// A BatchNorm2d left in the float network: TFLite has no int8 BatchNorm
// either, it folds it into the convolution. The twin folds it first
// (int8::quantized_t).
#include "staticnn/int8/network.hpp"
#include "staticnn/staticnn.hpp"

namespace nn = staticnn;

using Net = nn::Network<nn::Input<1, 8, 8>, nn::Conv2d<{.out_channels = 4, .kernel_size = 3}>,
                        nn::BatchNorm2d<>>;
#ifdef STATICNN_TWIN
using QNet = nn::int8::quantized_t<Net>;
#else
using QNet = nn::int8::Network<Net>;
#endif
[[maybe_unused]] constexpr auto kFlash = QNet::flash_bytes;
