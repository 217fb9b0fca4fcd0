// Turns a network's weights into a C++ header whose constexpr array the
// compiler places in read-only memory (.rodata / flash), for the firmware
// examples:
//
//   bake_weights <network> <out.hpp> [weights file, as written by save_weights]
//
//   network     type baked (header's name)           weights file of
//   lenet5      firmware::LeNet (lenet_weights)      examples/lenet5.hpp's LeNet-5
//   fashion     example::Net (fashion_weights)       examples/train_fashion_mnist
//   ds-cnn, mobilenet, resnet8, autoencoder
//               firmware::Model (model_weights):     the MLPerf Tiny model as trained,
//               the model with BatchNorm folded      with BatchNorm (buffers included)
//
// Without a weights file it bakes deterministic weights (seed 42), which is
// what the build does so that the firmware examples always compile; for the
// MLPerf Tiny models BatchNorm's affine parameters and running statistics are
// seeded too (not 1 and 0), so that folding changes every weight.
#include <cstdio>
#include <cstring>

#include "examples/fashion_mnist.hpp"
#include "examples/lenet5.hpp"
#include "staticnn/fold.hpp"
#include "staticnn/init.hpp"
#include "staticnn/io/weights.hpp"
#include "staticnn/models/mlperf_tiny.hpp"

namespace {
namespace nn = staticnn;

// Seed-42 weights; with `seed_batch_norm`, BatchNorm's tensors (initialised
// to ones and zeros) drawn around them as a trained model's would be.
template <class Net>
void init(typename Net::Parameters& p, bool seed_batch_norm) {
  nn::init_parameters<Net>(p, 42);
  if (!seed_batch_norm) return;
  nn::SplitMix64 rng{7};
  for (const nn::Tensor& t : Net::tensors) {
    if (t.init == nn::Init::fan_in_uniform) continue;
    float* data = (t.role == nn::TensorRole::parameter ? p.values : p.buffers) + t.offset;
    for (long i = 0; i < t.count(); ++i) {
      data[i] = t.init == nn::Init::ones ? 1.0f + 0.25f * rng.symmetric()  // gamma, variance
                                         : 0.1f * rng.symmetric();         // beta, mean
    }
  }
}

// Loads (or seeds) Net's weights, folds its BatchNorms if asked, writes the header.
template <class Net, bool kFold>
int bake(const char* out, const char* weights, const char* type, const char* name) {
  static typename Net::Parameters params;
  if (weights) {
    if (const nn::Status s = nn::load_weights(params, weights); s != nn::Status::ok) {
      std::fprintf(stderr, "error: %s: %s\n", weights, nn::to_string(s));
      return 1;
    }
  } else {
    init<Net>(params, kFold);
  }
  nn::Status s;
  if constexpr (kFold) {
    static typename nn::fold_batch_norm_t<Net>::Parameters folded;
    nn::fold_batch_norm_into<Net>(params, folded);
    s = nn::write_weights_header(folded, out, type, name);
  } else {
    s = nn::write_weights_header(params, out, type, name);
  }
  if (s != nn::Status::ok) {
    std::fprintf(stderr, "error: %s: %s\n", out, nn::to_string(s));
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  namespace mt = staticnn::mlperf_tiny;
  if (argc < 3 || argc > 4) {
    std::fprintf(stderr,
                 "usage: %s <network> <out.hpp> [weights file]\n"
                 "network: lenet5, fashion, ds-cnn, mobilenet, resnet8, autoencoder\n",
                 argv[0]);
    return 2;
  }
  const char* net = argv[1];
  const char* out = argv[2];
  const char* weights = argc == 4 ? argv[3] : nullptr;
  if (!std::strcmp(net, "lenet5"))
    return bake<firmware::LeNet, false>(out, weights, "firmware::LeNet", "lenet_weights");
  if (!std::strcmp(net, "fashion"))
    return bake<example::Net, false>(out, weights, "example::Net", "fashion_weights");
  if (!std::strcmp(net, "ds-cnn"))
    return bake<mt::DsCnn, true>(out, weights, "firmware::Model", "model_weights");
  if (!std::strcmp(net, "mobilenet"))
    return bake<mt::MobileNetV1, true>(out, weights, "firmware::Model", "model_weights");
  if (!std::strcmp(net, "resnet8"))
    return bake<mt::ResNet8, true>(out, weights, "firmware::Model", "model_weights");
  if (!std::strcmp(net, "autoencoder"))
    return bake<mt::AutoEncoder, true>(out, weights, "firmware::Model", "model_weights");
  std::fprintf(stderr, "error: unknown network '%s'\n", net);
  return 2;
}
