// Trains a small CNN on Fashion-MNIST (examples/fashion_mnist.hpp) to > 91%
// test accuracy, showing progress as it goes, and leaves pictures behind.
//
//   train_fashion_mnist <dir with the uncompressed IDX files> [epochs]
//       [--out DIR]            log.csv, confusion.csv, filters.png, activations.png
//       [--weights FILE]       the trained parameters (io/weights.hpp)
//       [--checkpoint FILE]    saved after every epoch (io/checkpoint.hpp) ...
//       [--resume]             ... and continued from, if it exists
//       [--train-subset N]     train on the first N images only (smoke runs)
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
namespace target = nn::HWY_NAMESPACE;

using AdamW = nn::Optimizer<nn::AdamWOptions, nn::AdamState<Net>>;

// How many of n images the logits classify correctly.
int CountCorrect(const float* logits, const int* labels, int n) {
  int correct = 0;
  for (int b = 0; b < n; ++b) {
    const float* row = logits + b * kClasses;
    int best = 0;
    for (int k = 1; k < kClasses; ++k) best = row[k] > row[best] ? k : best;
    correct += best == labels[b];
  }
  return correct;
}

// One optimizer step on a batch; returns the mean loss and writes the logits'
// predictions' correctness count (for the running training accuracy).
float TrainBatch(Net::Parameters& p, Net::Gradients& g, AdamW& opt,
                 Net::TrainingWorkspace<kBatch>& ws, const float* x, const int* labels,
                 int* correct) {
  const float* logits = target::Forward<Net, kBatch>(p, x, ws);
  *correct = CountCorrect(logits, labels, kBatch);
  const float loss =
      target::SoftmaxCrossEntropyLoss<Net, kBatch>(logits, labels, ws.output_gradient);
  g.fill(0.0f);
  target::Backward<Net, kBatch>(p, x, ws, ws.output_gradient, g);
  target::Step<Net>(p, g, opt);
  return loss;
}

// The same on the partial last batch of an epoch, n < kBatch images: the
// step of a batch of n, run in the same workspace (the library takes the
// samples one at a time). The correct count comes from inference on the same
// images before the step (the network has no dropout or BatchNorm: the same
// logits).
float TrainPartialBatch(Net::Parameters& p, Net::Gradients& g, AdamW& opt,
                        Net::TrainingWorkspace<kBatch>& ws,
                        Net::InferenceWorkspace<kEvalBatch>& infer_ws, const float* x,
                        const int* labels, int n, int* correct) {
  static_assert(kBatch <= kEvalBatch);
  *correct = CountCorrect(target::ForwardSamples<Net, kEvalBatch>(p, x, infer_ws, n), labels, n);
  return target::TrainStepSamples<Net, kBatch>(p, g, opt, ws, x, labels, n).value;
}

const float* InferBatch(const Net::Parameters& p, const float* x,
                        Net::InferenceWorkspace<kEvalBatch>& ws) {
  return target::Forward<Net, kEvalBatch>(p, x, ws);
}

const float* InferOne(const Net::Parameters& p, const float* x, Net::InferenceWorkspace<1>& ws) {
  return target::Forward<Net, 1>(p, x, ws);
}

// The outputs of the first and second convolution for one image.
const float* Conv1Maps(const UpToConv1::Parameters& p, const float* x,
                       UpToConv1::InferenceWorkspace<1>& ws) {
  return target::Forward<UpToConv1, 1>(p, x, ws);
}
const float* Conv2Maps(const UpToConv2::Parameters& p, const float* x,
                       UpToConv2::InferenceWorkspace<1>& ws) {
  return target::Forward<UpToConv2, 1>(p, x, ws);
}

}  // namespace HWY_NAMESPACE
}  // namespace example
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "hwy/targets.h"
#include "staticnn/init.hpp"
#include "staticnn/io/checkpoint.hpp"
#include "staticnn/io/idx.hpp"
#include "staticnn/io/weights.hpp"
#include "staticnn/metrics.hpp"
#include "staticnn/schedules.hpp"

#if __has_include(<stb/stb_image_write.h>)
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wunused-function"
#include <stb/stb_image_write.h>
#pragma GCC diagnostic pop
#define EXAMPLE_HAVE_STB 1
#else
#define EXAMPLE_HAVE_STB 0
#endif

namespace example {
HWY_EXPORT(TrainBatch);
HWY_EXPORT(TrainPartialBatch);
HWY_EXPORT(InferBatch);
HWY_EXPORT(InferOne);
HWY_EXPORT(Conv1Maps);
HWY_EXPORT(Conv2Maps);

using AdamW = nn::Optimizer<nn::AdamWOptions, nn::AdamState<Net>>;

constexpr int kTrain = 60000, kTest = 10000;
std::uint8_t train_images[kTrain * kPixels], test_images[kTest * kPixels];
std::uint8_t train_labels[kTrain], test_labels[kTest];
Net::Parameters params;
Net::Gradients grads;
nn::AdamState<Net> adam_state;  // zero until the first step: .bss
Net::TrainingWorkspace<kBatch> train_ws;
Net::InferenceWorkspace<kEvalBatch> eval_ws;
Net::InferenceWorkspace<1> one_ws;
float batch_x[kBatch * kPixels];
float eval_x[kEvalBatch * kPixels];
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

// Test-set loss and confusion matrix, kEvalBatch images at a time.
struct Evaluation {
  double loss;
  nn::ConfusionMatrix<kClasses> confusion;
};
Evaluation evaluate() {
  static_assert(kTest % kEvalBatch == 0, "the loss below assumes full batches");
  double loss = 0;
  int labels[kEvalBatch];
  const auto cm = nn::confusion_matrix<Net, kEvalBatch>(
      kTest, eval_x,
      [&](long i, float* x) {
        normalise(test_images + std::size_t(i) * kPixels, x);
        return labels[i % kEvalBatch] = test_labels[i];
      },
      [&](const float* x) {
        const float* logits = HWY_DYNAMIC_DISPATCH(InferBatch)(params, x, eval_ws);
        for (int b = 0; b < kEvalBatch; ++b) {  // cross-entropy, for the curves
          const float* row = logits + b * kClasses;
          const double top = *std::max_element(row, row + kClasses);
          double sum = 0;
          for (int k = 0; k < kClasses; ++k) sum += std::exp(double(row[k]) - top);
          loss += top + std::log(sum) - row[labels[b]];
        }
        return logits;
      });
  return {loss / kTest, cm};
}

// ---- progress ----

// A bar redrawn in place on a terminal; on a pipe or file, a plain line at
// each quarter of the epoch instead.
struct Progress {
  bool tty = isatty(STDOUT_FILENO) != 0;
  Clock::time_point start, last_draw;
  int last_quarter = 0;

  void begin() {
    start = last_draw = Clock::now();
    last_quarter = 0;
  }
  void update(int epoch, int epochs, int done, int total, double loss) {
    const double s = seconds_since(start);
    const double rate = done * double(kBatch) / std::max(s, 1e-9);
    const double eta = (total - done) * double(kBatch) / std::max(rate, 1e-9);
    if (tty) {
      if (done < total && seconds_since(last_draw) < 0.1) return;
      last_draw = Clock::now();
      constexpr int kWidth = 30;
      char bar[kWidth + 1];
      const int filled = int(double(kWidth) * done / total);
      for (int i = 0; i < kWidth; ++i) bar[i] = i < filled ? '#' : '.';
      bar[kWidth] = 0;
      std::printf("\r\033[Kepoch %d/%d [%s] %3d%% %6.0f img/s loss %.4f ETA %3.0fs", epoch,
                  epochs, bar, 100 * done / total, rate, loss, eta);
      std::fflush(stdout);
    } else {
      const int quarter = 4 * done / total;
      if (quarter == last_quarter || quarter == 4) return;
      last_quarter = quarter;
      std::printf("epoch %d/%d: %d%% %.0f img/s loss %.4f ETA %.0fs\n", epoch, epochs,
                  25 * quarter, rate, loss, eta);
      std::fflush(stdout);
    }
  }
  void end() {
    if (tty) std::printf("\r\033[K");
  }
};

// ---- pictures ----

struct Rgb {
  std::uint8_t r, g, b;
};

// Matplotlib's viridis at 5 points, linearly interpolated: dark blue (low)
// to yellow (high), readable in grey too.
Rgb viridis(float t) {
  static constexpr float kStops[5][3] = {
      {68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {253, 231, 37}};
  t = std::clamp(t, 0.0f, 1.0f) * 4;
  const int i = std::min(int(t), 3);
  const float f = t - i;
  const auto mix = [&](int c) {
    return std::uint8_t(kStops[i][c] + f * (kStops[i + 1][c] - kStops[i][c]) + 0.5f);
  };
  return {mix(0), mix(1), mix(2)};
}

// Blue (negative), white (zero), red (positive), for weights.
Rgb diverging(float t) {  // t in [-1, 1]
  t = std::clamp(t, -1.0f, 1.0f);
  const auto fade = [](float a) { return std::uint8_t(255 * (1 - a) + 0.5f); };
  return t >= 0 ? Rgb{255, fade(t), fade(t)} : Rgb{fade(-t), fade(-t), 255};
}

// An RGB canvas in static storage, large enough for every picture here.
constexpr int kCanvasMax = 1200 * 1200;
Rgb canvas[kCanvasMax];

struct Canvas {
  int width, height;
  Canvas(int w, int h) : width(w), height(h) {
    std::fill(canvas, canvas + w * h, Rgb{255, 255, 255});
  }
  // Draws an h x w map, each value a scale x scale block, colour(v).
  template <class Colour>
  void map(int x0, int y0, const float* v, int h, int w, int scale, Colour colour) {
    for (int y = 0; y < h * scale; ++y) {
      for (int x = 0; x < w * scale; ++x) {
        canvas[(y0 + y) * width + x0 + x] = colour(v[(y / scale) * w + x / scale]);
      }
    }
  }
  bool write(const char* path) const {
#if EXAMPLE_HAVE_STB
    return stbi_write_png(path, width, height, 3, canvas, width * 3) != 0;
#else
    (void)path;
    return false;
#endif
  }
};

// The first convolution's 16 learned 3x3 filters, 8 per row.
bool write_filters(const char* path) {
  constexpr int kFilters = 16, kSide = 3, kScale = 24, kGap = 6, kColumns = 8;
  const float* w = params.weight<0>();
  float largest = 1e-12f;
  for (int i = 0; i < kFilters * kSide * kSide; ++i) largest = std::max(largest, std::abs(w[i]));
  constexpr int kCell = kSide * kScale + kGap;
  Canvas c(kColumns * kCell + kGap, (kFilters / kColumns) * kCell + kGap);
  for (int f = 0; f < kFilters; ++f) {
    c.map(kGap + (f % kColumns) * kCell, kGap + (f / kColumns) * kCell, w + f * kSide * kSide,
          kSide, kSide, kScale, [&](float v) { return diverging(v / largest); });
  }
  return c.write(path);
}

// One test image, then its maps after the first and after the second
// convolution (before ReLU), each map scaled to its own range.
UpToConv1::Parameters conv1_params;
UpToConv2::Parameters conv2_params;
UpToConv1::InferenceWorkspace<1> conv1_ws;
UpToConv2::InferenceWorkspace<1> conv2_ws;

bool write_activations(const char* path, int image) {
  static_assert(UpToConv1::output_shape == nn::Shape{16, 28, 28});
  static_assert(UpToConv2::output_shape == nn::Shape{32, 14, 14});
  std::copy(params.values, params.values + conv1_params.size, conv1_params.values);
  std::copy(params.values, params.values + conv2_params.size, conv2_params.values);
  float x[kPixels];
  normalise(test_images + std::size_t(image) * kPixels, x);
  const float* a1 = HWY_DYNAMIC_DISPATCH(Conv1Maps)(conv1_params, x, conv1_ws);
  static float maps1[16 * 28 * 28];
  std::copy(a1, a1 + 16 * 28 * 28, maps1);
  const float* a2 = HWY_DYNAMIC_DISPATCH(Conv2Maps)(conv2_params, x, conv2_ws);

  constexpr int kGap = 6, kColumns = 8, kCell = 56 + kGap;  // every map drawn 56x56
  Canvas c(kColumns * kCell + kGap, kGap + kCell * (1 + 2 + 4));
  const auto draw = [&](const float* v, int side, int x0, int y0) {
    const auto [lo, hi] = std::minmax_element(v, v + side * side);
    const float range = std::max(*hi - *lo, 1e-12f);
    c.map(x0, y0, v, side, side, 56 / side, [&](float a) { return viridis((a - *lo) / range); });
  };
  draw(x, 28, kGap, kGap);
  for (int m = 0; m < 16; ++m) {
    draw(maps1 + m * 28 * 28, 28, kGap + (m % kColumns) * kCell, kGap + kCell * (1 + m / kColumns));
  }
  for (int m = 0; m < 32; ++m) {
    draw(a2 + m * 14 * 14, 14, kGap + (m % kColumns) * kCell, kGap + kCell * (3 + m / kColumns));
  }
  return c.write(path);
}

// ---- command line ----

struct Args {
  const char* data = nullptr;
  int epochs = kEpochs;
  const char* out = nullptr;
  const char* weights = nullptr;
  const char* checkpoint = nullptr;
  bool resume = false;
  int train_subset = kTrain;
};

// Returns 0 when args are good, else the exit code after a message.
int parse(int argc, char** argv, Args& a) {
  int positional = 0;
  for (int i = 1; i < argc; ++i) {
    const char* s = argv[i];
    const bool has_value = i + 1 < argc;
    if (std::strcmp(s, "--out") == 0 && has_value) {
      a.out = argv[++i];
    } else if (std::strcmp(s, "--weights") == 0 && has_value) {
      a.weights = argv[++i];
    } else if (std::strcmp(s, "--checkpoint") == 0 && has_value) {
      a.checkpoint = argv[++i];
    } else if (std::strcmp(s, "--resume") == 0) {
      a.resume = true;
    } else if (std::strcmp(s, "--train-subset") == 0 && has_value) {
      char* end;
      const long n = std::strtol(argv[++i], &end, 10);
      if (*end != 0 || n < kBatch || n > kTrain) {
        std::fprintf(stderr, "error: --train-subset must be in %d..%d, got '%s'\n", kBatch,
                     kTrain, argv[i]);
        return 2;
      }
      a.train_subset = int(n);
    } else if (s[0] == '-' && s[1] == '-') {
      std::fprintf(stderr, "error: unknown option or missing value: '%s'\n", s);
      return 2;
    } else if (positional == 0) {
      a.data = s;
      ++positional;
    } else if (positional == 1) {
      char* end;
      const long n = std::strtol(s, &end, 10);
      if (*end != 0 || n < 1 || n > 1000) {
        std::fprintf(stderr, "error: epochs must be in 1..1000, got '%s'\n", s);
        return 2;
      }
      a.epochs = int(n);
      ++positional;
    } else {
      std::fprintf(stderr, "error: unexpected argument '%s'\n", s);
      return 2;
    }
  }
  if (a.data == nullptr) {
    std::fprintf(stderr,
                 "usage: %s <fashion-mnist dir> [epochs] [--out DIR] [--weights FILE]\n"
                 "       [--checkpoint FILE [--resume]] [--train-subset N]\n",
                 argv[0]);
    return 2;
  }
  return 0;
}

bool write_csv(const char* dir, const char* name, const char* text) {
  char path[4096];
  std::snprintf(path, sizeof path, "%s/%s", dir, name);
  std::FILE* f = std::fopen(path, "w");
  if (f == nullptr) return false;
  const bool ok = std::fputs(text, f) >= 0;
  return std::fclose(f) == 0 && ok;
}

}  // namespace example

int main(int argc, char** argv) {
  using namespace example;
  Args args;
  if (const int rc = parse(argc, argv, args); rc != 0) return rc;
  if (!load(args.data, "train-images-idx3-ubyte", train_images, kTrain, true) ||
      !load(args.data, "train-labels-idx1-ubyte", train_labels, kTrain, false) ||
      !load(args.data, "t10k-images-idx3-ubyte", test_images, kTest, true) ||
      !load(args.data, "t10k-labels-idx1-ubyte", test_labels, kTest, false)) {
    return 1;
  }
  // Every image in every epoch: full batches, then a partial last one.
  const int batches = (args.train_subset + kBatch - 1) / kBatch;
  const long total_steps = long(args.epochs) * batches;
  const nn::OneCycleLR schedule{.max_lr = kMaxLr, .total_steps = total_steps};
  AdamW adamw{nn::AdamWOptions{}, adam_state};

  std::printf("staticnn: 2 convolutions + 2 Linear on Fashion-MNIST (%d train, %d test images)\n",
              args.train_subset, kTest);
  std::printf("target %s; %ld parameters, %ld MACs per image; batch %d; AdamW (weight decay "
              "%.2g), one-cycle schedule to lr %.0e; %d epochs\n",
              best_target_name(), Net::param_count, Net::macs, kBatch,
              double(adamw.options.weight_decay), kMaxLr, args.epochs);

  nn::init_parameters<Net>(params, 42);
  nn::TrainingProgress progress{0, 0, 7};  // the shuffle's SplitMix64 state starts at 7
  if (args.checkpoint != nullptr && args.resume) {
    const nn::Status s = nn::load_checkpoint(args.checkpoint, params, adam_state, progress);
    if (s == nn::Status::ok) {
      std::printf("resumed from %s after epoch %llu\n", args.checkpoint,
                  (unsigned long long)progress.epochs_done);
    } else if (s != nn::Status::cannot_open) {
      std::fprintf(stderr, "error: %s: %s\n", args.checkpoint, nn::to_string(s));
      return 1;
    }
  }
  nn::SplitMix64 rng{progress.rng_state};

  static char log[1 << 16];
  int log_length = std::snprintf(log, sizeof log,
                                 "epoch,train_loss,train_accuracy,test_loss,test_accuracy,"
                                 "seconds,learning_rate\n");
  Progress bar;
  double train_seconds = 0;
  Evaluation eval{};
  for (int epoch = int(progress.epochs_done) + 1; epoch <= args.epochs; ++epoch) {
    for (int i = 0; i < args.train_subset; ++i) order[i] = i;
    for (int i = args.train_subset - 1; i > 0; --i) {  // Fisher-Yates shuffle
      const int j = int(rng.next() % std::uint64_t(i + 1));
      std::swap(order[i], order[j]);
    }
    bar.begin();
    const auto t0 = Clock::now();
    double loss_sum = 0;
    long correct = 0;
    for (int b = 0; b < batches; ++b) {
      const int n = std::min(kBatch, args.train_subset - b * kBatch);
      for (int k = 0; k < n; ++k) {
        const int idx = order[b * kBatch + k];
        normalise(train_images + std::size_t(idx) * kPixels, batch_x + k * kPixels);
        batch_labels[k] = train_labels[idx];
      }
      const long t = long(progress.steps_done++);
      adamw.options.lr = float(schedule.lr(t));
      adamw.options.beta1 = float(schedule.momentum(t));
      int batch_correct;
      const float loss =
          n == kBatch ? HWY_DYNAMIC_DISPATCH(TrainBatch)(params, grads, adamw, train_ws, batch_x,
                                                         batch_labels, &batch_correct)
                      : HWY_DYNAMIC_DISPATCH(TrainPartialBatch)(params, grads, adamw, train_ws,
                                                                eval_ws, batch_x, batch_labels, n,
                                                                &batch_correct);
      loss_sum += double(loss) * n;  // per image: the last batch is smaller
      correct += batch_correct;
      bar.update(epoch, args.epochs, b + 1, batches, loss_sum / (b * kBatch + n));
    }
    bar.end();
    const double s = seconds_since(t0);
    train_seconds += s;
    eval = evaluate();
    const double train_loss = loss_sum / args.train_subset;
    const double train_accuracy = double(correct) / args.train_subset;
    std::printf("epoch %d/%d: train loss %.4f accuracy %.2f%%, test loss %.4f accuracy %.2f%%, "
                "%.1f s (%.0f images/s)\n",
                epoch, args.epochs, train_loss, 100 * train_accuracy, eval.loss,
                100 * eval.confusion.accuracy(), s, args.train_subset / s);
    std::fflush(stdout);
    log_length += std::snprintf(log + log_length, sizeof log - log_length,
                                "%d,%.6f,%.6f,%.6f,%.6f,%.3f,%.8f\n", epoch, train_loss,
                                train_accuracy, eval.loss, eval.confusion.accuracy(), s,
                                double(adamw.options.lr));
    progress.epochs_done = std::uint64_t(epoch);
    progress.rng_state = rng.state;
    if (args.checkpoint != nullptr) {
      const nn::Status cs = nn::save_checkpoint(args.checkpoint, params, adam_state, progress);
      if (cs != nn::Status::ok) {
        std::fprintf(stderr, "error: checkpoint %s: %s\n", args.checkpoint, nn::to_string(cs));
        return 1;
      }
    }
  }
  if (progress.epochs_done == 0 || train_seconds == 0) eval = evaluate();

  // Batch-1 latency on the first 1000 test images.
  float x[kPixels];
  const auto t0 = Clock::now();
  for (int i = 0; i < 1000; ++i) {
    normalise(test_images + std::size_t(i) * kPixels, x);
    HWY_DYNAMIC_DISPATCH(InferOne)(params, x, one_ws);
  }
  const double us = seconds_since(t0) * 1e3;
  std::printf("final test accuracy %.2f%%; training %.1f s; inference %.1f us/image at batch 1\n",
              100 * eval.confusion.accuracy(), train_seconds, us);

  std::printf("confusion matrix (rows: true class, columns: predicted)\n%12s", "");
  for (int k = 0; k < kClasses; ++k) std::printf(" %5d", k);
  std::printf("  recall\n");
  for (int r = 0; r < kClasses; ++r) {
    std::printf("%d %-10s", r, kClassNames[r]);
    for (int k = 0; k < kClasses; ++k) std::printf(" %5ld", eval.confusion.counts[r][k]);
    std::printf("  %5.1f%%\n", 100 * eval.confusion.recall(r));
  }

  if (args.weights != nullptr) {
    const nn::Status s = nn::save_weights(params, args.weights);
    std::printf("weights -> %s: %s\n", args.weights, nn::to_string(s));
    if (s != nn::Status::ok) return 1;
  }
  if (args.out != nullptr) {
    static char confusion_csv[4096];
    int n = std::snprintf(confusion_csv, sizeof confusion_csv, "true\\predicted");
    for (const char* name : kClassNames) n += std::snprintf(confusion_csv + n, sizeof confusion_csv - n, ",%s", name);
    n += std::snprintf(confusion_csv + n, sizeof confusion_csv - n, "\n");
    for (int r = 0; r < kClasses; ++r) {
      n += std::snprintf(confusion_csv + n, sizeof confusion_csv - n, "%s", kClassNames[r]);
      for (long c : eval.confusion.counts[r]) {
        n += std::snprintf(confusion_csv + n, sizeof confusion_csv - n, ",%ld", c);
      }
      n += std::snprintf(confusion_csv + n, sizeof confusion_csv - n, "\n");
    }
    char path[4096];
    bool ok = write_csv(args.out, "log.csv", log) &&
              write_csv(args.out, "confusion.csv", confusion_csv);
    if (EXAMPLE_HAVE_STB) {
      std::snprintf(path, sizeof path, "%s/filters.png", args.out);
      ok = ok && write_filters(path);
      std::snprintf(path, sizeof path, "%s/activations.png", args.out);
      ok = ok && write_activations(path, 0);
    } else {
      std::printf("stb_image_write.h (libstb-dev) was not found: no filters/activations PNG\n");
    }
    std::printf("%s %s/{log.csv,confusion.csv,filters.png,activations.png}\n",
                ok ? "wrote" : "error: could not write", args.out);
    if (!ok) return 1;
  }
  return 0;
}
#endif  // HWY_ONCE
