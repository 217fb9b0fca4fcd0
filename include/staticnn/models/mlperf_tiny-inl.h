// Kernels of the MLPerf Tiny models' named blocks (models/mlperf_tiny.hpp),
// per Highway target: each runs as the block it is built from. Include after
// staticnn/passes-inl.h, in the same per-target translation unit.

#if defined(STATICNN_MODELS_MLPERF_TINY_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef STATICNN_MODELS_MLPERF_TINY_INL_H_
#undef STATICNN_MODELS_MLPERF_TINY_INL_H_
#else
#define STATICNN_MODELS_MLPERF_TINY_INL_H_
#endif

#include "hwy/highway.h"
#include "staticnn/layers/blocks-inl.h"
#include "staticnn/models/mlperf_tiny.hpp"

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {

template <int Cin, int Cout, int S>
struct Kernel<mlperf_tiny::DwSeparable<Cin, Cout, S>>
    : Kernel<typename mlperf_tiny::DwSeparable<Cin, Cout, S>::block> {};
template <int N>
struct Kernel<mlperf_tiny::DenseBnReLU<N>> : Kernel<typename mlperf_tiny::DenseBnReLU<N>::block> {};
template <int C>
struct Kernel<mlperf_tiny::IdentityStack<C>>
    : Kernel<typename mlperf_tiny::IdentityStack<C>::block> {};
template <int C>
struct Kernel<mlperf_tiny::DownsampleStack<C>>
    : Kernel<typename mlperf_tiny::DownsampleStack<C>::block> {};

}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#endif  // STATICNN_MODELS_MLPERF_TINY_INL_H_ toggle
