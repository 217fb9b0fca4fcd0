// expect: staticnn: the network's parameters need more flash than the budget
// expect: network_exceeds_flash_budget<staticnn::error::needed_bytes<24[0-9][0-9][0-9][0-9]>, staticnn::error::budget_bytes<131072>, staticnn::error::over_by_bytes<1[0-9][0-9][0-9][0-9][0-9]> >
//
// LeNet-5's 61,706 parameters (246,824 bytes, a little more with the alignment
// of Parameters) do not fit 128 KiB of flash; the twin gives it 256 KiB.
#include "staticnn/budget.hpp"
#include "staticnn/staticnn.hpp"

namespace nn = staticnn;

using LeNet = nn::Network<
    nn::Input<1, 28, 28>, nn::Conv2d<{.out_channels = 6, .kernel_size = 5, .padding = 2}>,
    nn::ReLU, nn::MaxPool2d<{.kernel_size = 2}>,
    nn::Conv2d<{.out_channels = 16, .kernel_size = 5}>, nn::ReLU,
    nn::MaxPool2d<{.kernel_size = 2}>, nn::Flatten, nn::Linear<{.out_features = 120}>,
    nn::ReLU, nn::Linear<{.out_features = 84}>, nn::ReLU, nn::Linear<{.out_features = 10}>>;

#ifdef STATICNN_TWIN
static_assert(nn::fits_budget<LeNet, {.ram_bytes = 128 * 1024, .flash_bytes = 256 * 1024}>);
static_assert(nn::fits_in<LeNet, {.ram_bytes = 128 * 1024, .flash_bytes = 256 * 1024}>);
static_assert(!nn::fits_in<LeNet, {.flash_bytes = 128 * 1024}>);
#else
static_assert(nn::fits_budget<LeNet, {.ram_bytes = 128 * 1024, .flash_bytes = 128 * 1024}>);
#endif
