// Workspaces of a batch split across threads (parallel.hpp): the batch of
// Batch samples is cut into Shards shards of Batch / Shards samples, each
// run by one task of a ThreadPool in a workspace of its own. Plain arrays,
// like the single-thread workspaces (storage.hpp): static storage is fine.
#pragma once

#include <cstddef>
#include <cstdint>

#include "staticnn/storage.hpp"

namespace staticnn {

// Batch / Shards, the samples of one shard; Shards must divide Batch.
template <int Batch, int Shards>
constexpr int shard_batch() {
  static_assert(Shards >= 1 && Batch % (Shards >= 1 ? Shards : 1) == 0,
                "staticnn: a batch split across threads needs Shards >= 1 dividing Batch "
                "(each shard's workspace holds Batch / Shards samples)");
  return Shards >= 1 ? Batch / Shards : 1;
}

// Where shard s of Shards starts among n samples: shards differ by at most
// one sample, so a partial batch of n <= Batch gives each at most
// Batch / Shards.
constexpr int shard_begin(int s, int shards, int n) { return s * n / shards; }

// Inference: one workspace per shard, and the batch's outputs gathered.
template <class Net, int Batch, int Shards>
struct ParallelInferenceWorkspace {
  static constexpr int shard_size = shard_batch<Batch, Shards>();
  InferenceWorkspace<Net, shard_size> shards[Shards];
  alignas(64) float output[std::size_t(Batch) * Net::output_shape.size()];
};

// Training: one training workspace per shard, and the parameter gradients of
// shards 1 .. Shards - 1 (shard 0 adds into the step's own gradients, where
// the others are summed before the optimizer step).
template <class Net, int Batch, int Shards>
struct ParallelTrainingWorkspace {
  static constexpr int shard_size = shard_batch<Batch, Shards>();
  TrainingWorkspace<Net, shard_size> shards[Shards];
  typename Net::Gradients gradients[Shards > 1 ? Shards - 1 : 1];
  float losses[Shards];

  // Layers that draw (Dropout) get a different stream per shard: equal
  // streams would give every shard the same masks.
  ParallelTrainingWorkspace() {
    for (int s = 1; s < Shards; ++s) shards[s].rng += std::uint64_t(s) * 0xD1B54A32D192ED03ull;
  }
};

}  // namespace staticnn
