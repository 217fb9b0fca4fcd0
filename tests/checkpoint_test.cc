// Checkpoints (staticnn/io/checkpoint.hpp): a run stopped, saved, reloaded
// into clobbered objects and continued equals the uninterrupted run bit for
// bit; every malformed file (missing, truncated at any byte, any bit flipped,
// trailing bytes, another network or optimizer, another architecture of the
// same size, non-finite parameters) is a Status and leaves the destinations
// untouched; a failed save keeps the previous checkpoint, and a save of
// non-finite parameters is refused.
#include "staticnn/io/checkpoint.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "staticnn/init.hpp"
#include "staticnn/passes.hpp"
#include "staticnn/schedules.hpp"

namespace staticnn {
namespace {

using Tiny = Network<Input<1, 6, 6>, Conv2d<Conv2dSpec{.out_channels = 2, .kernel_size = 3}>, ReLU,
                     Flatten, Linear<LinearSpec{.out_features = 3}>>;
using Other = Network<Input<1, 6, 6>, Flatten, Linear<LinearSpec{.out_features = 3}>>;
// Tiny's sizes exactly, another computation: only the signature tells them apart.
using TinyTanh = Network<Input<1, 6, 6>, Conv2d<Conv2dSpec{.out_channels = 2, .kernel_size = 3}>,
                         Tanh, Flatten, Linear<LinearSpec{.out_features = 3}>>;
constexpr std::size_t kHeaderBytes = 48;
constexpr int kBatch = 4;
constexpr int kIn = Tiny::input_shape.size();

std::string TempPath(const char* name) {
  return std::string(::testing::TempDir()) + "/staticnn_checkpoint_" + name;
}

std::vector<unsigned char> ReadFile(const std::string& path) {
  std::vector<unsigned char> bytes;
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return bytes;
  for (int c; (c = std::fgetc(f)) != EOF;) bytes.push_back(static_cast<unsigned char>(c));
  std::fclose(f);
  return bytes;
}

void WriteFile(const std::string& path, const unsigned char* data, std::size_t n) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(std::fwrite(data, 1, n, f), n);
  ASSERT_EQ(std::fclose(f), 0);
}

// Everything a run has, in static storage.
struct Run {
  Tiny::Parameters params;
  Tiny::Gradients grads;
  AdamState<Tiny> adam;
  TrainingWorkspace<Tiny, kBatch> ws;
  TrainingProgress progress{0, 0, 99};
};

// `steps` training steps: batches drawn from the run's RNG, AdamW under a
// one-cycle schedule (so the schedule position and moments matter too).
void Train(Run& run, int steps) {
  const OneCycleLR schedule{.max_lr = 0.05, .total_steps = 40};
  SplitMix64 rng{run.progress.rng_state};
  Optimizer adamw{AdamWOptions{.weight_decay = 0.1f}, run.adam};
  float x[kBatch * kIn];
  int labels[kBatch];
  for (int s = 0; s < steps; ++s) {
    for (float& v : x) v = rng.symmetric();
    for (int& l : labels) l = int(rng.next() % 3);
    const long t = long(run.progress.steps_done++);
    adamw.options.lr = float(schedule.lr(t));
    adamw.options.beta1 = float(schedule.momentum(t));
    const LossResult loss =
        train_step<Tiny, kBatch>(run.params, run.grads, adamw, run.ws, x, labels);
    ASSERT_TRUE(loss);
  }
  run.progress.rng_state = rng.state;
}

Run uninterrupted, first, resumed;

TEST(Checkpoint, ResumedRunEqualsUninterruptedRun) {
  const std::string path = TempPath("resume");
  init_parameters<Tiny>(uninterrupted.params, 5);
  Train(uninterrupted, 40);

  init_parameters<Tiny>(first.params, 5);
  Train(first, 17);
  first.progress.epochs_done = 1;
  ASSERT_EQ(save_checkpoint(path.c_str(), first.params, first.adam, first.progress), Status::ok);

  // A fresh process would start from garbage: make sure nothing survives.
  std::memset(static_cast<void*>(&resumed), 0x7f, sizeof resumed);
  ASSERT_EQ(load_checkpoint(path.c_str(), resumed.params, resumed.adam, resumed.progress),
            Status::ok);
  EXPECT_EQ(resumed.progress.epochs_done, 1u);
  EXPECT_EQ(resumed.progress.steps_done, 17u);
  EXPECT_EQ(resumed.progress.rng_state, first.progress.rng_state);
  Train(resumed, 23);

  EXPECT_EQ(std::memcmp(resumed.params.values, uninterrupted.params.values,
                        sizeof uninterrupted.params.values),
            0);
  EXPECT_EQ(std::memcmp(&resumed.adam, &uninterrupted.adam, sizeof resumed.adam), 0);
  EXPECT_EQ(resumed.progress.rng_state, uninterrupted.progress.rng_state);
  // And the run did move: the comparison is not between two untouched copies.
  Tiny::Parameters initial;
  init_parameters<Tiny>(initial, 5);
  EXPECT_NE(std::memcmp(initial.values, uninterrupted.params.values, sizeof initial.values), 0);
  EXPECT_EQ(uninterrupted.adam.step, 40);
  std::remove(path.c_str());
}

// The destinations of a load, filled with a pattern that a failed load must
// leave in place.
struct Destinations {
  Tiny::Parameters params;
  AdamState<Tiny> adam;
  TrainingProgress progress;
  Destinations() {
    std::memset(&params, 0x11, sizeof params);
    std::memset(&adam, 0x22, sizeof adam);
    progress = {1, 2, 3};
  }
  Status load(const std::string& path) {
    return load_checkpoint(path.c_str(), params, adam, progress);
  }
  bool untouched() const {
    const Destinations fresh;
    return std::memcmp(&params, &fresh.params, sizeof params) == 0 &&
           std::memcmp(&adam, &fresh.adam, sizeof adam) == 0 && progress.epochs_done == 1 &&
           progress.steps_done == 2 && progress.rng_state == 3;
  }
};

Run saved;

std::vector<unsigned char> GoodCheckpoint(const std::string& path) {
  init_parameters<Tiny>(saved.params, 9);
  Train(saved, 3);
  EXPECT_EQ(save_checkpoint(path.c_str(), saved.params, saved.adam, saved.progress), Status::ok);
  return ReadFile(path);
}

TEST(Checkpoint, MissingFile) {
  Destinations d;
  EXPECT_EQ(d.load(TempPath("does_not_exist")), Status::cannot_open);
  EXPECT_TRUE(d.untouched());
}

TEST(Checkpoint, EveryTruncationIsAnError) {
  const std::string good = TempPath("good"), bad = TempPath("truncated");
  const std::vector<unsigned char> bytes = GoodCheckpoint(good);
  ASSERT_GT(bytes.size(), kHeaderBytes);
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    WriteFile(bad, bytes.data(), n);
    Destinations d;
    const Status s = d.load(bad);
    EXPECT_EQ(s, Status::truncated) << n << " bytes";
    EXPECT_TRUE(d.untouched()) << n << " bytes";
  }
  Destinations d;
  EXPECT_EQ(d.load(good), Status::ok);  // the full file is good
  EXPECT_FALSE(d.untouched());
  std::remove(good.c_str());
  std::remove(bad.c_str());
}

TEST(Checkpoint, EveryFlippedBitIsAnError) {
  const std::string good = TempPath("good2"), bad = TempPath("flipped");
  const std::vector<unsigned char> bytes = GoodCheckpoint(good);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    for (int bit = int(i % 8); bit < 8; bit += 8) {  // one bit of every byte, in turn
      std::vector<unsigned char> corrupt = bytes;
      corrupt[i] ^= static_cast<unsigned char>(1u << bit);
      WriteFile(bad, corrupt.data(), corrupt.size());
      Destinations d;
      const Status s = d.load(bad);
      EXPECT_NE(s, Status::ok) << "byte " << i << " bit " << bit;
      EXPECT_TRUE(d.untouched()) << "byte " << i << " bit " << bit;
      if (i < 8) {
        EXPECT_EQ(s, Status::bad_format) << "magic byte " << i;
      } else if (i < 24 || (i >= 32 && i < 40)) {
        EXPECT_EQ(s, Status::wrong_network) << "size or signature byte " << i;
      } else {
        EXPECT_EQ(s, Status::bad_format) << "byte " << i;
      }
    }
  }
  std::remove(good.c_str());
  std::remove(bad.c_str());
}

TEST(Checkpoint, TrailingBytesAreAnError) {
  const std::string good = TempPath("good3"), bad = TempPath("trailing");
  std::vector<unsigned char> bytes = GoodCheckpoint(good);
  bytes.push_back(0);
  WriteFile(bad, bytes.data(), bytes.size());
  Destinations d;
  EXPECT_EQ(d.load(bad), Status::bad_format);
  EXPECT_TRUE(d.untouched());
  std::remove(good.c_str());
  std::remove(bad.c_str());
}

TEST(Checkpoint, OtherNetworkOrOptimizerIsAnError) {
  const std::string path = TempPath("other");
  static Other::Parameters other{};
  static AdamState<Other> other_adam{};
  ASSERT_EQ(save_checkpoint(path.c_str(), other, other_adam, TrainingProgress{}), Status::ok);
  Destinations d;
  EXPECT_EQ(d.load(path), Status::wrong_network);
  EXPECT_TRUE(d.untouched());

  static Tiny::Parameters tiny{};
  static SgdState<Tiny> sgd{};
  ASSERT_EQ(save_checkpoint(path.c_str(), tiny, sgd, TrainingProgress{}), Status::ok);
  EXPECT_EQ(d.load(path), Status::bad_format);
  EXPECT_TRUE(d.untouched());
  std::remove(path.c_str());
}

TEST(Checkpoint, SameSizeOtherArchitectureIsAnError) {
  const std::string path = TempPath("tanh");
  static TinyTanh::Parameters tanh_params{};
  static AdamState<TinyTanh> tanh_adam{};
  static_assert(sizeof tanh_params == sizeof(Tiny::Parameters) &&
                sizeof tanh_adam == sizeof(AdamState<Tiny>));
  static_assert(architecture_signature<TinyTanh> != architecture_signature<Tiny>);
  ASSERT_EQ(save_checkpoint(path.c_str(), tanh_params, tanh_adam, TrainingProgress{}), Status::ok);
  Destinations d;
  IoError error;
  EXPECT_EQ(load_checkpoint(path.c_str(), d.params, d.adam, d.progress, &error),
            Status::wrong_network);
  EXPECT_TRUE(d.untouched());
  EXPECT_NE(std::string(error.reason).find("another architecture"), std::string::npos)
      << error.reason;
  std::remove(path.c_str());
}

TEST(Checkpoint, NonFiniteParametersAreRefusedOnSave) {
  const std::string path = TempPath("nan_save");
  static Tiny::Parameters p{};
  static AdamState<Tiny> adam{};
  p.buffers[0] = 0.0f;
  p.values[Tiny::param_count - 1] = std::numeric_limits<float>::quiet_NaN();
  IoError error;
  EXPECT_EQ(save_checkpoint(path.c_str(), p, adam, TrainingProgress{}, &error), Status::non_finite);
  EXPECT_STREQ(error.tensor, "3.bias");
  EXPECT_TRUE(ReadFile(path).empty()) << "no file written";
}

TEST(Checkpoint, NonFiniteParametersAreAnError) {
  // A file with a NaN and a correct hash (made by hand: save refuses NaN).
  const std::string good = TempPath("good4"), bad = TempPath("nan");
  std::vector<unsigned char> bytes = GoodCheckpoint(good);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::memcpy(&bytes[kHeaderBytes + 4 * (Tiny::param_count - 1)], &nan, 4);
  detail::Fnv1a64 hash;
  hash.bytes(bytes.data() + kHeaderBytes, bytes.size() - kHeaderBytes);
  io_detail::put_u64(&bytes[40], hash.value);
  WriteFile(bad, bytes.data(), bytes.size());
  Destinations d;
  EXPECT_EQ(d.load(bad), Status::non_finite);
  EXPECT_TRUE(d.untouched());
  std::remove(good.c_str());
  std::remove(bad.c_str());
}

TEST(Checkpoint, FailedSaveKeepsThePreviousFile) {
  const std::string path = TempPath("kept");
  const std::vector<unsigned char> before = GoodCheckpoint(path);
  // "<path>.tmp" is a directory: the temporary file cannot be created.
  const std::string tmp = path + ".tmp";
  ASSERT_EQ(mkdir(tmp.c_str(), 0700), 0);
  static Tiny::Parameters other{};
  EXPECT_EQ(save_checkpoint(path.c_str(), other, saved.adam, saved.progress), Status::cannot_open);
  EXPECT_EQ(ReadFile(path), before);
  rmdir(tmp.c_str());
  EXPECT_EQ(
      save_checkpoint((TempPath("no_such_dir") + "/x").c_str(), other, saved.adam, saved.progress),
      Status::cannot_open);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace staticnn
