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
// static functions dispatch once per call (~2 ns), never inside a pass.
#pragma once

#include <utility>

#include "hwy/highway.h"

#define STATICNN_PASSES_PER_TARGET(Name, Net, Batch, Optimizer)                             \
  HWY_BEFORE_NAMESPACE();                                                                   \
  namespace staticnn_passes_##Name {                                                        \
  namespace HWY_NAMESPACE {                                                                 \
  inline const float* Infer(const Net::Parameters& p, const float* x,                       \
                            Net::InferenceWorkspace<Batch>& ws) {                           \
    return ::staticnn::HWY_NAMESPACE::Forward<Net, Batch>(p, x, ws);                        \
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
  }                                                                                         \
  }                                                                                         \
  HWY_AFTER_NAMESPACE();

#define STATICNN_EXPORT_PASSES(Name)                                                        \
  namespace staticnn_passes_##Name {                                                        \
  HWY_EXPORT(Infer);                                                                        \
  HWY_EXPORT(ForwardKeeping);                                                               \
  HWY_EXPORT(Backward);                                                                     \
  HWY_EXPORT(TrainStep);                                                                    \
  struct Passes {                                                                           \
    template <class... Args>                                                                \
    static auto infer(Args&&... args) {                                                     \
      return HWY_DYNAMIC_DISPATCH(Infer)(std::forward<Args>(args)...);                      \
    }                                                                                       \
    template <class... Args>                                                                \
    static auto forward(Args&&... args) {                                                   \
      return HWY_DYNAMIC_DISPATCH(ForwardKeeping)(std::forward<Args>(args)...);             \
    }                                                                                       \
    template <class... Args>                                                                \
    static void backward(Args&&... args) {                                                  \
      HWY_DYNAMIC_DISPATCH(Backward)(std::forward<Args>(args)...);                          \
    }                                                                                       \
    template <class... Args>                                                                \
    static auto train_step(Args&&... args) {                                                \
      return HWY_DYNAMIC_DISPATCH(TrainStep)(std::forward<Args>(args)...);                  \
    }                                                                                       \
  };                                                                                        \
  }                                                                                         \
  using Name = staticnn_passes_##Name::Passes;
