// Dynamic dispatch for a network in two lines. In a translation unit that
// compiles itself for every Highway target (hwy/foreach_target.h):
//
//   #undef HWY_TARGET_INCLUDE
//   #define HWY_TARGET_INCLUDE "my_training.cc"   // this file
//   #include "hwy/foreach_target.h"
//   #include "staticnn/dispatch.hpp"
//   #include "staticnn/passes-inl.h"
//
//   #include "my_network.hpp"  // using Net = staticnn::Network<...>; using Opt = staticnn::Adam<Net>;
//                              // (aliases, in a header or include guard: this file
//                              // is compiled once per target, and macros take no commas)
//   STATICNN_PASSES_PER_TARGET(LeNetPasses, Net, 64, Opt)
//   #if HWY_ONCE
//   STATICNN_EXPORT_PASSES(LeNetPasses)
//   // LeNetPasses::infer(p, x, ws), ::forward(p, x, ws, mode), ::backward(p, x, ws, dout, g, dx),
//   // ::train_step(p, g, opt, ws, x, labels): each runs the best target of this CPU.
//   #endif
//
// The first line compiles the passes of Net at batch Batch for every target;
// the second exports them (Highway's HWY_EXPORT) and names the struct whose
// static functions dispatch once per call (~2 ns), never inside a pass. They
// take batches as staticnn::forward etc. do (batch_buffers.hpp): buffers of
// fixed size checked at compile time, of run-time size at run time (infer and
// train_step then accept a partial batch), raw pointers unchecked.
#pragma once

#include <cstddef>

#include "hwy/highway.h"
#include "staticnn/batch_buffers.hpp"
#include "staticnn/layers/kernel_args.hpp"
#include "staticnn/storage.hpp"

#define STATICNN_PASSES_PER_TARGET(Name, Net, Batch, Optimizer)                             \
  HWY_BEFORE_NAMESPACE();                                                                   \
  namespace staticnn_passes_##Name {                                                        \
  namespace HWY_NAMESPACE {                                                                 \
  inline const float* Infer(const Net::Parameters& p, const float* x,                       \
                            Net::InferenceWorkspace<Batch>& ws) {                           \
    return ::staticnn::HWY_NAMESPACE::Forward<Net, Batch>(p, x, ws);                        \
  }                                                                                         \
  inline const float* InferSamples(const Net::Parameters& p, const float* x,                \
                                   Net::InferenceWorkspace<Batch>& ws, int n) {             \
    return ::staticnn::HWY_NAMESPACE::ForwardSamples<Net, Batch>(p, x, ws, n);              \
  }                                                                                         \
  inline const float* ForwardKeeping(Net::Parameters& p, const float* x,                    \
                                     Net::TrainingWorkspace<Batch>& ws,                     \
                                     ::staticnn::Mode mode) {                               \
    return ::staticnn::HWY_NAMESPACE::Forward<Net, Batch>(p, x, ws, mode);                  \
  }                                                                                         \
  inline void Backward(const Net::Parameters& p, const float* x,                            \
                       Net::TrainingWorkspace<Batch>& ws, const float* dout,                \
                       Net::Gradients& g, float* dx) {                                      \
    ::staticnn::HWY_NAMESPACE::Backward<Net, Batch>(p, x, ws, dout, g, dx);                 \
  }                                                                                         \
  inline ::staticnn::LossResult TrainStep(Net::Parameters& p, Net::Gradients& g,            \
                                          Optimizer& opt, Net::TrainingWorkspace<Batch>& ws, \
                                          const float* x, const int* labels) {              \
    return ::staticnn::HWY_NAMESPACE::TrainStep<Net, Batch>(p, g, opt, ws, x, labels);      \
  }                                                                                         \
  inline ::staticnn::LossResult TrainStepSamples(Net::Parameters& p, Net::Gradients& g,     \
                                                 Optimizer& opt,                            \
                                                 Net::TrainingWorkspace<Batch>& ws,         \
                                                 const float* x, const int* labels, int n) { \
    return ::staticnn::HWY_NAMESPACE::TrainStepSamples<Net, Batch>(p, g, opt, ws, x, labels, \
                                                                   n);                      \
  }                                                                                         \
  }                                                                                         \
  }                                                                                         \
  HWY_AFTER_NAMESPACE();

// The Passes functions deduce the network and batch from the workspace.
#define STATICNN_EXPORT_PASSES(Name)                                                        \
  namespace staticnn_passes_##Name {                                                        \
  HWY_EXPORT(Infer);                                                                        \
  HWY_EXPORT(InferSamples);                                                                 \
  HWY_EXPORT(ForwardKeeping);                                                               \
  HWY_EXPORT(Backward);                                                                     \
  HWY_EXPORT(TrainStep);                                                                    \
  HWY_EXPORT(TrainStepSamples);                                                             \
  struct Passes {                                                                           \
    template <class N, int B, class Input>                                                  \
    static auto infer(const typename N::Parameters& p, Input&& x,                           \
                      ::staticnn::InferenceWorkspace<N, B>& ws) {                           \
      return ::staticnn::checked_infer<N, B>(                                               \
          x, [&](const float* in) { return HWY_DYNAMIC_DISPATCH(Infer)(p, in, ws); },       \
          [&](const float* in, int n) {                                                     \
            return HWY_DYNAMIC_DISPATCH(InferSamples)(p, in, ws, n);                        \
          });                                                                               \
    }                                                                                       \
    template <class N, int B, class Input>                                                  \
    static auto forward(typename N::Parameters& p, Input&& x,                               \
                        ::staticnn::TrainingWorkspace<N, B>& ws, ::staticnn::Mode mode) {   \
      return ::staticnn::checked_forward<N, B>(x, [&](const float* in) {                    \
        return HWY_DYNAMIC_DISPATCH(ForwardKeeping)(p, in, ws, mode);                       \
      });                                                                                   \
    }                                                                                       \
    template <class N, int B, class Input, class OutputGradient, class InputGradient>       \
    static ::staticnn::Status backward(const typename N::Parameters& p, Input&& x,          \
                                       ::staticnn::TrainingWorkspace<N, B>& ws,             \
                                       OutputGradient&& dout, typename N::Gradients& g,     \
                                       InputGradient&& dx) {                                \
      return ::staticnn::checked_backward<N, B>(                                            \
          x, dout, dx, [&](const float* in, const float* dy, float* din) {                  \
            HWY_DYNAMIC_DISPATCH(Backward)(p, in, ws, dy, g, din);                          \
          });                                                                               \
    }                                                                                       \
    template <class N, int B, class Optimizer, class Input, class Labels>                   \
    static ::staticnn::LossResult train_step(typename N::Parameters& p,                     \
                                             typename N::Gradients& g, Optimizer& opt,      \
                                             ::staticnn::TrainingWorkspace<N, B>& ws,       \
                                             Input&& x, Labels&& labels) {                  \
      return ::staticnn::checked_train_step<N, B>(                                          \
          x, labels,                                                                        \
          [&](const float* in, const int* l) {                                              \
            return HWY_DYNAMIC_DISPATCH(TrainStep)(p, g, opt, ws, in, l);                   \
          },                                                                                \
          [&](const float* in, const int* l, int n) {                                       \
            return HWY_DYNAMIC_DISPATCH(TrainStepSamples)(p, g, opt, ws, in, l, n);         \
          });                                                                               \
    }                                                                                       \
  };                                                                                        \
  }                                                                                         \
  using Name = staticnn_passes_##Name::Passes;
