// Compiles against an installed staticnn (find_package) and checks LeNet-5's
// counts at compile time; prints them so the test log shows the program ran.
#include <cstdio>

#include <staticnn/staticnn.hpp>

namespace nn = staticnn;

using LeNet = nn::Network<
    nn::Input<1, 28, 28>,
    nn::Conv2d<{.out_channels = 6, .kernel_size = 5, .padding = 2}>,
    nn::ReLU,
    nn::MaxPool2d<{.kernel_size = 2}>,
    nn::Conv2d<{.out_channels = 16, .kernel_size = 5}>,
    nn::ReLU,
    nn::MaxPool2d<{.kernel_size = 2}>,
    nn::Flatten,
    nn::Linear<{.out_features = 120}>, nn::ReLU,
    nn::Linear<{.out_features = 84}>, nn::ReLU,
    nn::Linear<{.out_features = 10}>>;

static_assert(LeNet::output_shape == nn::Shape{10, 1, 1});
static_assert(LeNet::param_count == 61'706);
static_assert(LeNet::macs == 416'520);

int main() {
  std::printf("LeNet-5: %ld parameters, %ld MACs\n", LeNet::param_count, LeNet::macs);
  return 0;
}
