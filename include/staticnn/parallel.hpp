// Every core on one batch: inference and a training step with the batch split
// into shards that the threads of a ThreadPool (thread_pool.hpp) run at the
// same time, for the translation unit's own Highway target (static dispatch;
// for dynamic dispatch call parallel-inl.h's functions per target).
//
//   staticnn::ThreadPool pool(2);                          // once
//   static staticnn::ParallelTrainingWorkspace<Net, 64, 2> ws;  // 2 shards of 32
//   auto loss = staticnn::train_step<Net, 64>(pool, p, g, opt, ws, x, labels);
//
// A step is the step of the whole batch (to rounding: only the order of the
// gradient sums differs); outputs are those of the whole batch. Nothing is
// allocated and no thread is created per call. Shards usually equals the
// pool's size; more shards than threads run in turns, fewer leave threads
// idle. Batches are buffers as for passes.hpp (a partial batch in buffers of
// run-time size is shared among the shards). A network with BatchNorm cannot
// train on a split batch (its statistics would be per shard):
// Status::split_batch_statistics. Layers that draw (Dropout) draw a different
// stream per shard, so their masks differ from a single-thread step's.
#pragma once

#include "staticnn/parallel_workspace.hpp"
#include "staticnn/passes.hpp"
#include "staticnn/thread_pool.hpp"

#include "hwy/highway.h"
#include "staticnn/parallel-inl.h"

namespace staticnn {

// forward (passes.hpp) on the pool: the outputs ([Batch][output], or the
// BatchOutput of a partial batch) live in ws until its next use.
template <class Net, int Batch, int Shards, class Input>
auto forward(ThreadPool& pool, const typename Net::Parameters& p, Input&& x,
             ParallelInferenceWorkspace<Net, Batch, Shards>& ws) {
  return checked_infer<Net, Batch>(
      x,
      [&](const float* in) { return HWY_NAMESPACE::ParallelForward<Net, Batch, Shards>(pool, p, in, ws); },
      [&](const float* in, int n) {
        return HWY_NAMESPACE::ParallelForward<Net, Batch, Shards>(pool, p, in, ws, n);
      });
}

// train_step (passes.hpp) on the pool: the same statuses, and
// Status::split_batch_statistics for a network with BatchNorm (Shards > 1).
template <class Net, int Batch, int Shards, class Optimizer, class Input, class Labels>
LossResult train_step(ThreadPool& pool, typename Net::Parameters& p, typename Net::Gradients& g,
                      Optimizer& opt, ParallelTrainingWorkspace<Net, Batch, Shards>& ws, Input&& x,
                      Labels&& labels) {
  return checked_train_step<Net, Batch>(
      x, labels,
      [&](const float* in, const int* l) {
        return HWY_NAMESPACE::ParallelTrainStep<Net, Batch, Shards>(pool, p, g, opt, ws, in, l);
      },
      [&](const float* in, const int* l, int n) {
        return HWY_NAMESPACE::ParallelTrainStep<Net, Batch, Shards>(pool, p, g, opt, ws, in, l,
                                                                    n);
      });
}

}  // namespace staticnn
