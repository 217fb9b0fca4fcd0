// Prints the table of two networks, like Keras' model.summary(): LeNet-5 and a
// small CIFAR-10 network. Everything printed is a compile-time constant.
#include "staticnn/staticnn.hpp"
#include "staticnn/summary.hpp"

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

// [(Conv3x3 pad 1 - ReLU) * 2 - MaxPool2] * 3 - Flatten - Linear
template <int Channels>
using Conv = nn::Conv2d<{.out_channels = Channels, .kernel_size = 3, .padding = 1}>;
using Cifar = nn::Network<
    nn::Input<3, 32, 32>,
    Conv<32>, nn::ReLU, Conv<32>, nn::ReLU, nn::MaxPool2d<{.kernel_size = 2}>,
    Conv<64>, nn::ReLU, Conv<64>, nn::ReLU, nn::MaxPool2d<{.kernel_size = 2}>,
    Conv<128>, nn::ReLU, Conv<128>, nn::ReLU, nn::MaxPool2d<{.kernel_size = 2}>,
    nn::Flatten,
    nn::Linear<{.out_features = 10}>>;

int main() {
  std::printf("LeNet-5\n\n");
  nn::print_summary<LeNet>();
  std::printf("\nCIFAR-10, [(Conv3x3-ReLU)*2-MaxPool2]*3-Flatten-Linear\n\n");
  nn::print_summary<Cifar>();
  return 0;
}
