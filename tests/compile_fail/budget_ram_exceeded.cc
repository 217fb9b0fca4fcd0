// expect: staticnn: the network needs more RAM than the budget
// expect: network_exceeds_ram_budget<staticnn::error::inference_batch<1>, staticnn::error::needed_bytes<[3-9][0-9][0-9][0-9][0-9]>, staticnn::error::budget_bytes<32768>, staticnn::error::over_by_bytes<[0-9]+> >
//
// LeNet-5's inference workspace (two 6x28x28 activations and the kernels'
// scratch, about 67 KiB) does not fit 32 KiB of RAM; the twin gives it 128 KiB.
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
#else
static_assert(nn::fits_budget<LeNet, {.ram_bytes = 32 * 1024, .flash_bytes = 256 * 1024}>);
#endif
