// The four MLPerf Tiny reference models (include/staticnn/models/mlperf_tiny.hpp):
// trains the anomaly-detection autoencoder for a few steps on synthetic
// "normal machine" data (the loss must go down), folds its BatchNorms for
// inference and scores normal against anomalous samples; then runs all four
// models in inference, with and without BatchNorm folding, and prints one
// line per model: parameters (and buffers) before and after folding, MACs,
// flash and RAM for inference, time per inference.
//
//   mlperf_tiny [training steps, default 60]
//
// Dynamic dispatch: the passes are compiled for every x86 Highway target and
// the best one for this CPU runs. Everything is static storage: no heap.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "examples/mlperf_tiny.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

#include "staticnn/fold.hpp"
#include "staticnn/init.hpp"
#include "staticnn/models/mlperf_tiny.hpp"
#include "staticnn/optimizers.hpp"
#include "staticnn/passes-inl.h"

#ifndef EXAMPLES_MLPERF_TINY_ONCE
#define EXAMPLES_MLPERF_TINY_ONCE
namespace example {
namespace nn = staticnn;
namespace tiny = staticnn::mlperf_tiny;

using Ae = tiny::AutoEncoder;
constexpr int kBatch = 32;  // BatchNorm1d normalises over the batch

template <class Net>
using Folded = nn::fold_batch_norm_t<Net>;

// Everything a model needs for inference, with and without folding, and for
// one training-mode pass (which sets its running statistics).
template <class Net>
struct Model {
  typename Net::Parameters params;
  typename Folded<Net>::Parameters folded;
  nn::InferenceWorkspace<Net, 1> ws;
  nn::InferenceWorkspace<Folded<Net>, 1> folded_ws;
  float x[Net::input_shape.size()];
};

}  // namespace example
#endif  // EXAMPLES_MLPERF_TINY_ONCE

HWY_BEFORE_NAMESPACE();
namespace example {
namespace HWY_NAMESPACE {
namespace target = staticnn::HWY_NAMESPACE;

// One Adam step of the autoencoder reconstructing its input (MSE).
float TrainStep(Ae::Parameters& p, Ae::Gradients& g, nn::Adam<Ae>& opt,
                nn::TrainingWorkspace<Ae, kBatch>& ws, const float* x) {
  const float* y = target::Forward<Ae, kBatch>(p, x, ws);
  const float loss = target::MeanSquaredErrorLoss<Ae, kBatch>(y, x, ws.output_gradient);
  g.fill(0.0f);
  target::Backward<Ae, kBatch>(p, x, ws, ws.output_gradient, g);
  target::Step<Ae>(p, g, opt);
  return loss;
}

// Training-mode forward passes without backward: running statistics only.
template <class Net, int B>
void Calibrate(typename Net::Parameters& p, const float* x, nn::TrainingWorkspace<Net, B>& ws) {
  target::Forward<Net, B>(p, x, ws);
}
void CalibrateDsCnn(tiny::DsCnn::Parameters& p, const float* x,
                    nn::TrainingWorkspace<tiny::DsCnn, 1>& ws) {
  Calibrate<tiny::DsCnn, 1>(p, x, ws);
}
void CalibrateMobileNet(tiny::MobileNetV1::Parameters& p, const float* x,
                        nn::TrainingWorkspace<tiny::MobileNetV1, 1>& ws) {
  Calibrate<tiny::MobileNetV1, 1>(p, x, ws);
}
void CalibrateResNet(tiny::ResNet8::Parameters& p, const float* x,
                     nn::TrainingWorkspace<tiny::ResNet8, 1>& ws) {
  Calibrate<tiny::ResNet8, 1>(p, x, ws);
}

// Inference of one sample, with BatchNorm and folded.
#define EXAMPLE_INFER(Name, Net)                                                              \
  const float* Infer##Name(const Net::Parameters& p, const float* x,                         \
                           nn::InferenceWorkspace<Net, 1>& ws) {                              \
    return target::Forward<Net, 1>(p, x, ws);                                                 \
  }                                                                                           \
  const float* Infer##Name##Folded(const Folded<Net>::Parameters& p, const float* x,         \
                                   nn::InferenceWorkspace<Folded<Net>, 1>& ws) {              \
    return target::Forward<Folded<Net>, 1>(p, x, ws);                                         \
  }
EXAMPLE_INFER(DsCnn, tiny::DsCnn)
EXAMPLE_INFER(MobileNet, tiny::MobileNetV1)
EXAMPLE_INFER(ResNet, tiny::ResNet8)
EXAMPLE_INFER(Ae, tiny::AutoEncoder)
#undef EXAMPLE_INFER

}  // namespace HWY_NAMESPACE
}  // namespace example
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdint>
#include <cstdlib>

#include "hwy/targets.h"

namespace example {
HWY_EXPORT(TrainStep);
HWY_EXPORT(CalibrateDsCnn);
HWY_EXPORT(CalibrateMobileNet);
HWY_EXPORT(CalibrateResNet);
HWY_EXPORT(InferDsCnn);
HWY_EXPORT(InferDsCnnFolded);
HWY_EXPORT(InferMobileNet);
HWY_EXPORT(InferMobileNetFolded);
HWY_EXPORT(InferResNet);
HWY_EXPORT(InferResNetFolded);
HWY_EXPORT(InferAe);
HWY_EXPORT(InferAeFolded);

// ------------------------------------------------------------ synthetic data

// "Normal machine" spectra: 640 features driven by 8 hidden factors through a
// fixed random map, plus a little noise; an anomaly is unstructured noise of
// the same scale.
struct Data {
  float mixing[640][8];
  nn::SplitMix64 rng{42};

  Data() {
    for (auto& row : mixing) {
      for (float& v : row) v = 0.5f * rng.symmetric();
    }
  }
  void Normal(float* x) {
    float z[8];
    for (float& v : z) v = rng.symmetric();
    for (int i = 0; i < 640; ++i) {
      float s = 0.0f;
      for (int k = 0; k < 8; ++k) s += mixing[i][k] * z[k];
      x[i] = std::tanh(s) + 0.05f * rng.symmetric();
    }
  }
  void Anomaly(float* x) {
    for (int i = 0; i < 640; ++i) x[i] = 0.6f * rng.symmetric();
  }
};

// ------------------------------------------------------------------- storage

Data data;
Ae::Parameters ae;
Ae::Gradients ae_grads;
nn::Adam<Ae> adam{{.lr = 2e-3f}};
nn::TrainingWorkspace<Ae, kBatch> ae_train_ws;
float batch[kBatch * 640];

Model<tiny::DsCnn> ds_cnn;
Model<tiny::MobileNetV1> mobilenet;
Model<tiny::ResNet8> resnet;
Model<tiny::AutoEncoder> autoencoder;
nn::TrainingWorkspace<tiny::DsCnn, 1> ds_cnn_train_ws;
nn::TrainingWorkspace<tiny::MobileNetV1, 1> mobilenet_train_ws;
nn::TrainingWorkspace<tiny::ResNet8, 1> resnet_train_ws;

double Seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Mean time of one call of f (repeated for at least 0.2 s).
template <class F>
double MicrosecondsPerCall(F&& f) {
  f();  // warm up
  long calls = 0;
  const double start = Seconds();
  double now = start;
  do {
    f();
    ++calls;
    now = Seconds();
  } while (now - start < 0.2);
  return 1e6 * (now - start) / double(calls);
}

// Trains, then scores normal and anomalous samples with the folded network.
bool TrainAutoencoder(int steps) {
  nn::init_parameters<Ae>(ae, 1);
  float first = 0.0f, last = 0.0f;
  std::printf("Autoencoder: %d Adam steps on batches of %d synthetic normal samples\n", steps,
              kBatch);
  for (int step = 0; step < steps; ++step) {
    for (int b = 0; b < kBatch; ++b) data.Normal(batch + b * 640);
    const float loss =
        HWY_DYNAMIC_DISPATCH(TrainStep)(ae, ae_grads, adam, ae_train_ws, batch);
    if (step == 0) first = loss;
    last = loss;
    if (step % 10 == 0 || step == steps - 1) std::printf("  step %3d  loss %.5f\n", step, loss);
  }
  // Inference, folded: the reconstruction error separates the anomalies.
  autoencoder.params = ae;
  nn::fold_batch_norm_into<Ae>(autoencoder.params, autoencoder.folded);
  double normal = 0, anomalous = 0;
  constexpr int kScored = 64;
  for (int i = 0; i < 2 * kScored; ++i) {
    float* x = autoencoder.x;
    i < kScored ? data.Normal(x) : data.Anomaly(x);
    const float* y =
        HWY_DYNAMIC_DISPATCH(InferAeFolded)(autoencoder.folded, x, autoencoder.folded_ws);
    double e = 0;
    for (int k = 0; k < 640; ++k) e += double(y[k] - x[k]) * double(y[k] - x[k]) / 640;
    (i < kScored ? normal : anomalous) += e / kScored;
  }
  std::printf("  loss %.5f -> %.5f; mean reconstruction error (folded network): normal %.4f, "
              "anomalous %.4f\n\n",
              first, last, normal, anomalous);
  return last < 0.5f * first;
}

// Random weights (init_parameters), running statistics from one
// training-mode pass on a random input, then the folded parameters.
template <class Net, class Calibrate>
void Prepare(Model<Net>& m, std::uint64_t seed, Calibrate&& calibrate) {
  nn::init_parameters<Net>(m.params, seed);
  nn::SplitMix64 rng{seed + 1};
  for (float& v : m.x) v = rng.symmetric();
  calibrate();
  nn::fold_batch_norm_into<Net>(m.params, m.folded);
}

template <class Net, class Infer, class InferFolded>
void Report(const char* name, Model<Net>& /*m*/, Infer&& infer, InferFolded&& infer_folded) {
  using F = Folded<Net>;
  const float* y = infer();
  float out[Net::output_shape.size()];
  for (int i = 0; i < Net::output_shape.size(); ++i) out[i] = y[i];
  const float* yf = infer_folded();
  // std::max, not std::fmax: g++ 12.2 for aarch64 crashes (internal compiler
  // error in vect_transform_reduction, at -O2 and -O3) vectorizing an fmax
  // reduction into a double of floats widened in the loop. The cross suite
  // builds this file for aarch64 (cross.aarch64.examples).
  double diff = 0, scale = 0;
  for (int i = 0; i < Net::output_shape.size(); ++i) {
    diff = std::max(diff, std::fabs(double(yf[i]) - out[i]));
    scale = std::max(scale, std::fabs(double(out[i])));
  }
  const double us = MicrosecondsPerCall(infer);
  const double us_folded = MicrosecondsPerCall(infer_folded);
  std::printf("%-12s %9ld %7ld %9ld %11ld %9zu %9zu %9.1f %9.1f %10.2g\n", name, Net::param_count,
              Net::buffer_count, F::param_count, Net::macs, F::flash_bytes / 1024,
              F::template inference_ram_bytes<1> / 1024, us, us_folded,
              scale > 0 ? diff / scale : diff);
}

}  // namespace example

int main(int argc, char** argv) {
  using namespace example;  // NOLINT
  const int steps = argc > 1 ? std::atoi(argv[1]) : 60;
  if (steps < 2) {
    std::fprintf(stderr, "usage: mlperf_tiny [training steps >= 2, default 60]\n");
    return 2;
  }
  // The target HWY_DYNAMIC_DISPATCH picks: the best one compiled and supported.
  const std::int64_t usable = hwy::SupportedTargets() & HWY_TARGETS;
  std::printf("Highway target: %s\n\n", hwy::TargetName(usable & -usable));
  const bool learned = TrainAutoencoder(steps);

  Prepare(ds_cnn, 11, [] {
    HWY_DYNAMIC_DISPATCH(CalibrateDsCnn)(ds_cnn.params, ds_cnn.x, ds_cnn_train_ws);
  });
  Prepare(mobilenet, 12, [] {
    HWY_DYNAMIC_DISPATCH(CalibrateMobileNet)(mobilenet.params, mobilenet.x, mobilenet_train_ws);
  });
  Prepare(resnet, 13, [] {
    HWY_DYNAMIC_DISPATCH(CalibrateResNet)(resnet.params, resnet.x, resnet_train_ws);
  });

  std::printf("Inference, batch 1 (BN: with BatchNorm; folded: fold_batch_norm_t)\n");
  std::printf("%-12s %9s %7s %9s %11s %9s %9s %9s %9s %10s\n", "model", "params", "buffers",
              "folded", "MACs", "flash KB", "RAM KB", "us BN", "us folded", "max |diff|");
  Report("DS-CNN", ds_cnn,
         [] { return HWY_DYNAMIC_DISPATCH(InferDsCnn)(ds_cnn.params, ds_cnn.x, ds_cnn.ws); },
         [] {
           return HWY_DYNAMIC_DISPATCH(InferDsCnnFolded)(ds_cnn.folded, ds_cnn.x,
                                                         ds_cnn.folded_ws);
         });
  Report("MobileNetV1", mobilenet,
         [] {
           return HWY_DYNAMIC_DISPATCH(InferMobileNet)(mobilenet.params, mobilenet.x,
                                                       mobilenet.ws);
         },
         [] {
           return HWY_DYNAMIC_DISPATCH(InferMobileNetFolded)(mobilenet.folded, mobilenet.x,
                                                             mobilenet.folded_ws);
         });
  Report("ResNet-8", resnet,
         [] { return HWY_DYNAMIC_DISPATCH(InferResNet)(resnet.params, resnet.x, resnet.ws); },
         [] {
           return HWY_DYNAMIC_DISPATCH(InferResNetFolded)(resnet.folded, resnet.x,
                                                          resnet.folded_ws);
         });
  Report("AutoEncoder", autoencoder,
         [] {
           return HWY_DYNAMIC_DISPATCH(InferAe)(autoencoder.params, autoencoder.x,
                                                autoencoder.ws);
         },
         [] {
           return HWY_DYNAMIC_DISPATCH(InferAeFolded)(autoencoder.folded, autoencoder.x,
                                                      autoencoder.folded_ws);
         });
  std::printf("(flash: the folded parameters; RAM: the folded network's inference workspace; "
              "max |diff|: folded vs BatchNorm output, relative to the largest output)\n");
  if (!learned) {
    std::fprintf(stderr, "mlperf_tiny: the autoencoder's loss did not halve\n");
    return 1;
  }
  return 0;
}
#endif  // HWY_ONCE
