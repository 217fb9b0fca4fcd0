// clang 14 cannot take a braced list as a class-type template argument
// (`Conv2d<{...}>`); the spelled-out form must work there, for the whole
// library: the network type, its passes, training and weight files.
#include "staticnn/init.hpp"
#include "staticnn/io/weights.hpp"
#include "staticnn/passes.hpp"

namespace nn = staticnn;

using Net = nn::Network<
    nn::Input<3, 16, 16>,
    nn::Conv2d<nn::Conv2dSpec{.out_channels = 8, .kernel_size = 3, .padding = nn::same}>,
    nn::LeakyReLU<nn::LeakyReLUSpec{.negative_slope = 0.1f}>,
    nn::MaxPool2d<nn::Pool2dSpec{.kernel_size = 2}>,
    nn::Conv2d<nn::Conv2dSpec{.out_channels = 8, .kernel_size = 3, .padding = 1, .groups = 8}>,
    nn::Tanh,
    nn::Softmax,  // over channels, at every position
    nn::Residual<nn::Conv2d<nn::Conv2dSpec{.out_channels = 8, .kernel_size = 1}>,
                 nn::BatchNorm2d<nn::BatchNormSpec{}>, nn::ReLU6>,
    nn::Concat<nn::Branch<nn::AvgPool2d<nn::Pool2dSpec{.kernel_size = 2}>>,
               nn::Branch<nn::MaxPool2d<nn::Pool2dSpec{.kernel_size = 2}>, nn::Hardswish>>,
    nn::GlobalAvgPool2d,
    nn::Flatten,
    nn::Dropout<nn::DropoutSpec{.p = 0.25f}>,
    nn::Linear<nn::LinearSpec{.out_features = 10}>>;
static_assert(Net::output_shape == nn::Shape{10, 1, 1});

int main() {
  static Net::Parameters p;
  static Net::Gradients g;
  static Net::TrainingWorkspace<2> ws;
  static float x[2 * 3 * 16 * 16];
  const int labels[2] = {1, 2};
  nn::Adam<Net> adam{};
  nn::init_parameters<Net>(p, 1);
  const nn::LossResult loss = nn::train_step<Net, 2>(p, g, adam, ws, x, labels);
  return loss && nn::save_weights(p, "/dev/null") != nn::Status::cannot_open ? 0 : 1;
}
