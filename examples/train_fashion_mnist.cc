// Trains LeNet-5 on Fashion-MNIST and reports accuracy and speed.
//
//   train_fashion_mnist <dir with the uncompressed IDX files> [epochs] [weights out]
//
// The passes are compiled for every x86 Highway target and the best one for
// this CPU is picked at run time (dynamic dispatch), so the binary runs on any
// x86-64 machine. Everything the training touches is static: no heap.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "examples/train_fashion_mnist.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

#include "examples/fashion_mnist.hpp"
#include "staticnn/passes-inl.h"

HWY_BEFORE_NAMESPACE();
namespace example {
namespace HWY_NAMESPACE {

float TrainBatch(LeNet::Parameters& p, LeNet::Gradients& g, nn::Adam<LeNet>& adam,
                 LeNet::TrainingWorkspace<kBatch>& ws, const float* x, const int* labels) {
  namespace target = nn::HWY_NAMESPACE;
  const float* logits = target::Forward<LeNet, kBatch>(p, x, ws);
  const float loss =
      target::SoftmaxCrossEntropyLoss<LeNet, kBatch>(logits, labels, ws.output_gradient);
  g.fill(0.0f);
  target::Backward<LeNet, kBatch>(p, x, ws, ws.output_gradient, g);
  target::Step<LeNet>(p, g, adam);
  return loss;
}

const float* Infer(const LeNet::Parameters& p, const float* x,
                   LeNet::InferenceWorkspace<1>& ws) {
  return nn::HWY_NAMESPACE::Forward<LeNet, 1>(p, x, ws);
}

}  // namespace HWY_NAMESPACE
}  // namespace example
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "hwy/targets.h"
#include "staticnn/init.hpp"
#include "staticnn/io/idx.hpp"
#include "staticnn/io/weights.hpp"

namespace example {
HWY_EXPORT(TrainBatch);
HWY_EXPORT(Infer);

constexpr int kTrain = 60000, kTest = 10000;
std::uint8_t train_images[kTrain * kPixels], test_images[kTest * kPixels];
std::uint8_t train_labels[kTrain], test_labels[kTest];
LeNet::Parameters params;
LeNet::Gradients grads;
nn::Adam<LeNet> adam{{.lr = 1e-3f}};
LeNet::TrainingWorkspace<kBatch> train_ws;
LeNet::InferenceWorkspace<1> infer_ws;
float batch_x[kBatch * kPixels];
int batch_labels[kBatch];
int order[kTrain];

// The target HWY_DYNAMIC_DISPATCH picks: the best one both compiled and
// supported (Highway orders better targets to lower bits).
const char* best_target_name() {
  const std::int64_t usable = hwy::SupportedTargets() & HWY_TARGETS;
  return hwy::TargetName(usable & -usable);
}

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

bool load(const char* dir, const char* file, std::uint8_t* out, int count, bool images) {
  char path[4096];
  std::snprintf(path, sizeof path, "%s/%s", dir, file);
  nn::IdxInfo info{};
  const nn::IdxError e = images ? nn::read_idx_images(path, out, std::size_t(count) * kPixels, &info)
                                : nn::read_idx_labels(path, out, std::size_t(count), &info.count);
  if (e != nn::IdxError::ok || info.count != count ||
      (images && (info.rows != 28 || info.cols != 28))) {
    std::fprintf(stderr, "error: %s: %s\n", path,
                 e != nn::IdxError::ok ? nn::to_string(e) : "unexpected size");
    return false;
  }
  return true;
}

void normalise(const std::uint8_t* pixels, float* out) {
  for (int i = 0; i < kPixels; ++i) out[i] = (pixels[i] / 255.0f - kMean) / kStd;
}

// Batch-1 inference over the test set: accuracy and mean latency.
void evaluate(double* accuracy, double* microseconds) {
  int correct = 0;
  float x[kPixels];
  const auto t0 = Clock::now();
  for (int i = 0; i < kTest; ++i) {
    normalise(test_images + std::size_t(i) * kPixels, x);
    const float* logits = HWY_DYNAMIC_DISPATCH(Infer)(params, x, infer_ws);
    int best = 0;
    for (int k = 1; k < 10; ++k) best = logits[k] > logits[best] ? k : best;
    correct += best == test_labels[i];
  }
  *microseconds = seconds_since(t0) * 1e6 / kTest;
  *accuracy = double(correct) / kTest;
}

}  // namespace example

int main(int argc, char** argv) {
  using namespace example;
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s <fashion-mnist dir> [epochs] [weights file]\n", argv[0]);
    return 2;
  }
  const int epochs = argc > 2 ? std::atoi(argv[2]) : 3;
  if (epochs < 1 || epochs > 1000) {
    std::fprintf(stderr, "error: epochs must be in 1..1000, got '%s'\n", argv[2]);
    return 2;
  }
  if (!load(argv[1], "train-images-idx3-ubyte", train_images, kTrain, true) ||
      !load(argv[1], "train-labels-idx1-ubyte", train_labels, kTrain, false) ||
      !load(argv[1], "t10k-images-idx3-ubyte", test_images, kTest, true) ||
      !load(argv[1], "t10k-labels-idx1-ubyte", test_labels, kTest, false)) {
    return 1;
  }
  std::printf("staticnn: LeNet-5 on Fashion-MNIST (%d train, %d test images)\n", kTrain, kTest);
  std::printf("target %s; %ld parameters, %ld MACs per image; batch %d; Adam lr %.0e\n",
              best_target_name(), LeNet::param_count, LeNet::macs,
              kBatch, double(adam.options.lr));
  nn::init_parameters<LeNet>(params, 42);
  nn::SplitMix64 rng{7};
  for (int i = 0; i < kTrain; ++i) order[i] = i;

  double train_seconds = 0;
  for (int epoch = 1; epoch <= epochs; ++epoch) {
    for (int i = kTrain - 1; i > 0; --i) {  // Fisher-Yates shuffle
      const int j = int(rng.next() % std::uint64_t(i + 1));
      const int t = order[i]; order[i] = order[j]; order[j] = t;
    }
    const auto t0 = Clock::now();
    double loss_sum = 0;
    const int batches = kTrain / kBatch;
    for (int b = 0; b < batches; ++b) {
      for (int k = 0; k < kBatch; ++k) {
        const int idx = order[b * kBatch + k];
        normalise(train_images + std::size_t(idx) * kPixels, batch_x + k * kPixels);
        batch_labels[k] = train_labels[idx];
      }
      loss_sum += HWY_DYNAMIC_DISPATCH(TrainBatch)(params, grads, adam, train_ws, batch_x,
                                                   batch_labels);
    }
    const double s = seconds_since(t0);
    train_seconds += s;
    double accuracy, us;
    evaluate(&accuracy, &us);
    std::printf("epoch %d: loss %.4f, test accuracy %.2f%%, %.1f s (%.0f images/s, %.1f GFLOP/s)\n",
                epoch, loss_sum / batches, 100 * accuracy, s, batches * kBatch / s,
                3.0 * 2.0 * double(LeNet::macs) * batches * kBatch / s * 1e-9);
  }
  double accuracy, us;
  evaluate(&accuracy, &us);
  std::printf("final test accuracy %.2f%%; training %.1f s; inference %.1f us/image at batch 1\n",
              100 * accuracy, train_seconds, us);
  if (argc > 3) {
    const nn::Status s = nn::save_weights(params, argv[3]);
    std::printf("weights -> %s: %s\n", argv[3], nn::to_string(s));
    if (s != nn::Status::ok) return 1;
  }
  return 0;
}
#endif  // HWY_ONCE
