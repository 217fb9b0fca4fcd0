// Data-parallel passes per Highway target: a batch split into shards that the
// threads of a ThreadPool run at the same time, each in its own workspace.
// ParallelTrainStep gives the step of the whole batch (the loss, gradients and
// update of TrainStep, to rounding: only the order of the gradient sums
// differs); ParallelForward the outputs of Forward. Static dispatch:
// parallel.hpp. Dynamic dispatch: call these from a function of yours per
// target, as with passes-inl.h (the pool's threads then run that target's
// code).

#if defined(STATICNN_PARALLEL_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef STATICNN_PARALLEL_INL_H_
#undef STATICNN_PARALLEL_INL_H_
#else
#define STATICNN_PARALLEL_INL_H_
#endif

#include <algorithm>
#include <cstddef>

#include "hwy/highway.h"
#include "staticnn/kernels/memory-inl.h"
#include "staticnn/parallel_workspace.hpp"
#include "staticnn/passes-inl.h"
#include "staticnn/status.hpp"
#include "staticnn/thread_pool.hpp"

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {

// to[i] += from[i] for i in [0, N).
template <std::size_t N>
void AddFloats(const float* HWY_RESTRICT from, float* HWY_RESTRICT to) {
  ForEachVector<N>([&](auto d, std::size_t i) {
    hn::StoreU(hn::Add(hn::LoadU(d, to + i), hn::LoadU(d, from + i)), d, to + i);
  });
}

// Inference on the first n (1 .. Batch) samples of x, Shards shards on the
// pool's threads: returns the n outputs ([n][output], in ws.output until its
// next use), those Forward would give (samples are independent in inference).
template <class Net, int Batch, int Shards>
const float* ParallelForward(ThreadPool& pool, const typename Net::Parameters& p,
                             const float* x, ParallelInferenceWorkspace<Net, Batch, Shards>& ws,
                             int n = Batch) {
  HWY_DASSERT(n >= 1 && n <= Batch);
  constexpr int shard_size = ParallelInferenceWorkspace<Net, Batch, Shards>::shard_size;
  constexpr std::size_t in = Net::input_shape.size(), out = Net::output_shape.size();
  auto shard = [&](int s) {
    const int begin = shard_begin(s, Shards, n), count = shard_begin(s + 1, Shards, n) - begin;
    if (count == 0) return;
    const float* y = ForwardSamples<Net, shard_size>(p, x + begin * in, ws.shards[s], count);
    std::copy_n(y, count * out, ws.output + begin * out);
  };
  pool.run(Shards, shard);
  return ws.output;
}

// TrainStepSamples (passes-inl.h) on the first n (1 .. Batch) samples of x
// and labels, Shards shards on the pool's threads: the same checks and
// statuses, the loss and update of a batch of n. Each shard adds the
// gradients of its samples' losses divided by n into its own gradients; they
// are summed into g, and the optimizer steps once. Batch statistics
// (BatchNorm) would be those of each shard, not of the batch: a network with
// buffers gets Status::split_batch_statistics, unless Shards is 1.
template <class Net, int Batch, int Shards, class Optimizer>
LossResult ParallelTrainStep(ThreadPool& pool, typename Net::Parameters& p,
                             typename Net::Gradients& g, Optimizer& opt,
                             ParallelTrainingWorkspace<Net, Batch, Shards>& ws, const float* x,
                             const int* labels, int n = Batch) {
  HWY_DASSERT(n >= 1 && n <= Batch);
  constexpr int shard_size = ParallelTrainingWorkspace<Net, Batch, Shards>::shard_size;
  if constexpr (Shards == 1) {
    return TrainStepSamples<Net, Batch>(p, g, opt, ws.shards[0], x, labels, n);
  }
  if (Net::buffer_count > 0) return {0.0f, Status::split_batch_statistics};
  if (!LabelsValid<Net, Batch>(labels, n)) return {0.0f, Status::label_out_of_range};
  constexpr std::size_t in = Net::input_shape.size();
  constexpr std::size_t size = Net::Gradients::size;
  // Without buffers, the guard's restore (ws.shards[0].buffers_before) is empty.
  return GuardedStep<Net>(p, g, opt, ws.shards[0], [&] {
    auto shard = [&](int s) {
      typename Net::Gradients& gs = s == 0 ? g : ws.gradients[s - 1];
      if (s > 0) gs.fill(0.0f);  // GuardedStep zeroed g
      const int begin = shard_begin(s, Shards, n), count = shard_begin(s + 1, Shards, n) - begin;
      ws.losses[s] = count == 0 ? 0.0f
                                : AddLossGradients<Net, shard_size>(p, gs, ws.shards[s],
                                                                    x + begin * in,
                                                                    labels + begin, count, n);
    };
    pool.run(Shards, shard);
    float sum = ws.losses[0];
    for (int s = 1; s < Shards; ++s) {
      sum += ws.losses[s];
      AddFloats<size>(ws.gradients[s - 1].values, g.values);
    }
    return sum / n;
  });
}

}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#endif  // STATICNN_PARALLEL_INL_H_ toggle
