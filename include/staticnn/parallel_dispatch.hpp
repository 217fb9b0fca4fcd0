// Dynamic dispatch of the data-parallel passes (parallel-inl.h), as
// dispatch.hpp does for the single-thread ones. In a translation unit that
// compiles itself for every Highway target (hwy/foreach_target.h):
//
//   #include "staticnn/parallel_dispatch.hpp"
//   #include "staticnn/parallel-inl.h"
//   STATICNN_PARALLEL_PASSES_PER_TARGET(LeNetParallel, Net, 64, 2, Opt)  // 2 shards of 32
//   #if HWY_ONCE
//   STATICNN_EXPORT_PARALLEL_PASSES(LeNetParallel)
//   // LeNetParallel::infer(pool, p, x, ws), ::train_step(pool, p, g, opt, ws, x, labels)
//   #endif
//
// The pool's threads run the target the call dispatched to. Batches are
// buffers as for dispatch.hpp (a partial batch in buffers of run-time size).
#pragma once

#include "hwy/highway.h"
#include "staticnn/batch_buffers.hpp"
#include "staticnn/parallel_workspace.hpp"
#include "staticnn/thread_pool.hpp"

#define STATICNN_PARALLEL_PASSES_PER_TARGET(Name, Net, Batch, Shards, Optimizer)             \
  HWY_BEFORE_NAMESPACE();                                                                   \
  namespace staticnn_parallel_passes_##Name {                                               \
  namespace HWY_NAMESPACE {                                                                 \
  inline const float* Infer(::staticnn::ThreadPool& pool, const Net::Parameters& p,         \
                            const float* x,                                                 \
                            ::staticnn::ParallelInferenceWorkspace<Net, Batch, Shards>& ws, \
                            int n) {                                                        \
    return ::staticnn::HWY_NAMESPACE::ParallelForward<Net, Batch, Shards>(pool, p, x, ws, n); \
  }                                                                                         \
  inline ::staticnn::LossResult TrainStep(                                                  \
      ::staticnn::ThreadPool& pool, Net::Parameters& p, Net::Gradients& g, Optimizer& opt,  \
      ::staticnn::ParallelTrainingWorkspace<Net, Batch, Shards>& ws, const float* x,        \
      const int* labels, int n) {                                                           \
    return ::staticnn::HWY_NAMESPACE::ParallelTrainStep<Net, Batch, Shards>(pool, p, g, opt, \
                                                                            ws, x, labels, n); \
  }                                                                                         \
  }                                                                                         \
  }                                                                                         \
  HWY_AFTER_NAMESPACE();

// The Passes functions deduce the network, batch and shards from the workspace.
#define STATICNN_EXPORT_PARALLEL_PASSES(Name)                                               \
  namespace staticnn_parallel_passes_##Name {                                               \
  HWY_EXPORT(Infer);                                                                        \
  HWY_EXPORT(TrainStep);                                                                    \
  struct Passes {                                                                           \
    template <class N, int B, int S, class Input>                                           \
    static auto infer(::staticnn::ThreadPool& pool, const typename N::Parameters& p,        \
                      Input&& x, ::staticnn::ParallelInferenceWorkspace<N, B, S>& ws) {     \
      const auto run = [&](const float* in, int n) {                                        \
        return HWY_DYNAMIC_DISPATCH(Infer)(pool, p, in, ws, n);                             \
      };                                                                                    \
      return ::staticnn::checked_infer<N, B>(                                               \
          x, [&](const float* in) { return run(in, B); }, run);                             \
    }                                                                                       \
    template <class N, int B, int S, class Optimizer, class Input, class Labels>            \
    static ::staticnn::LossResult train_step(                                               \
        ::staticnn::ThreadPool& pool, typename N::Parameters& p, typename N::Gradients& g,  \
        Optimizer& opt, ::staticnn::ParallelTrainingWorkspace<N, B, S>& ws, Input&& x,      \
        Labels&& labels) {                                                                  \
      const auto run = [&](const float* in, const int* l, int n) {                          \
        return HWY_DYNAMIC_DISPATCH(TrainStep)(pool, p, g, opt, ws, in, l, n);              \
      };                                                                                    \
      return ::staticnn::checked_train_step<N, B>(                                          \
          x, labels, [&](const float* in, const int* l) { return run(in, l, B); }, run);    \
    }                                                                                       \
  };                                                                                        \
  }                                                                                         \
  using Name = staticnn_parallel_passes_##Name::Passes;
