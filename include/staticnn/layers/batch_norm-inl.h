// BatchNorm2d and BatchNorm1d kernels for one Highway target.
//
// Per channel: training mode takes the batch mean, then the biased variance as
// the mean of squared deviations (two passes, no cancellation), and updates
// the running statistics; inference takes the running ones. The output is
// x * scale + shift with scale = weight / sqrt(var + eps) and
// shift = bias - mean * scale. Backward after batch statistics is the full
// batch-norm gradient
//   dx = scale * (dy - mean(dy) - xhat * mean(dy * xhat)),  xhat = (x - mean) / std,
// after running statistics the affine map's, dx = scale * dy; both add
// dweight += sum(dy * xhat), dbias += sum(dy).
//
// Two layouts: with H x W > 1 the Batch planes of a channel are contiguous
// runs, and vectors go along positions; with H x W = 1 (BatchNorm1d, or a
// 1 x 1 feature map) a sample's channels are contiguous, and vectors go along
// channels, each lane a channel of its own.

#if defined(STATICNN_LAYERS_BATCH_NORM_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef STATICNN_LAYERS_BATCH_NORM_INL_H_
#undef STATICNN_LAYERS_BATCH_NORM_INL_H_
#else
#define STATICNN_LAYERS_BATCH_NORM_INL_H_
#endif

#include <cmath>
#include <cstddef>
#include <type_traits>

#include "hwy/highway.h"
#include "staticnn/kernels/memory-inl.h"
#include "staticnn/layers/batch_norm.hpp"
#include "staticnn/layers/kernel-inl.h"

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {
namespace batch_norm_detail {

namespace hn = hwy::HWY_NAMESPACE;

// Sum over the Batch planes of P floats (Stride apart) of f(d, offset), which
// returns a vector of tag d. ForEachVector hands the plane's remainder over in
// one-lane vectors of another type: they get an accumulator of their own.
template <std::size_t P, int Batch, std::size_t Stride, class F>
HWY_INLINE float SumOverPlanes(F&& f) {
  using DP = hn::CappedTag<float, P>;
  const DP d;
  const hn::CappedTag<float, 1> d1;
  auto acc = hn::Zero(d);
  auto acc1 = hn::Zero(d1);
  for (int b = 0; b < Batch; ++b) {
    ForEachVector<P>([&](auto dt, std::size_t i) HWY_ATTR {
      const std::size_t at = std::size_t(b) * Stride + i;
      if constexpr (std::is_same_v<decltype(dt), DP>) {
        acc = hn::Add(acc, f(dt, at));
      } else {
        acc1 = hn::Add(acc1, f(dt, at));
      }
    });
  }
  if constexpr (std::is_same_v<DP, hn::CappedTag<float, 1>>) {
    return hn::GetLane(acc);  // one-lane vectors only: acc1 is unused
  } else {
    return hn::GetLane(hn::SumOfLanes(d, acc)) + hn::GetLane(acc1);
  }
}

// For each of the Batch planes of P floats (Stride apart): f(d, offset).
template <std::size_t P, int Batch, std::size_t Stride, class F>
HWY_INLINE void ForEachInPlanes(F&& f) {
  for (int b = 0; b < Batch; ++b) {
    ForEachVector<P>(
        [&](auto dt, std::size_t i) HWY_ATTR { f(dt, std::size_t(b) * Stride + i); });
  }
}

template <BatchNormSpec Spec>
struct BatchNormKernel {
  // 1 / (n - 1) times n: the unbiased variance from the biased one.
  template <long N>
  static constexpr float kUnbias = N > 1 ? float(double(N) / double(N - 1)) : 1.0f;

  template <Shape In, int Batch>
  static void Forward(const ForwardArgs& a) {
    if constexpr (In.h * In.w == 1) {
      ForwardAlongChannels<In.c, Batch>(a);
    } else {
      ForwardAlongPositions<In, Batch>(a);
    }
  }
  template <Shape In, int Batch>
  static void Backward(const BackwardArgs& a) {
    if constexpr (In.h * In.w == 1) {
      BackwardAlongChannels<In.c, Batch>(a);
    } else {
      BackwardAlongPositions<In, Batch>(a);
    }
  }

  // ------------------------------------------------ H x W > 1: along positions

  template <Shape In, int Batch>
  static void ForwardAlongPositions(const ForwardArgs& a) {
    constexpr std::size_t C = In.c, P = std::size_t(In.h) * In.w, Stride = C * P;
    constexpr long n = long(Batch) * long(P);
    const float* running_mean = a.buffers;
    const float* running_var = a.buffers + C;
    for (std::size_t c = 0; c < C; ++c) {
      const float* x = a.in + c * P;
      float* y = a.out + c * P;
      float mean, var;
      if (a.training) {
        mean = SumOverPlanes<P, Batch, Stride>(
                   [&](auto d, std::size_t i) HWY_ATTR { return hn::LoadU(d, x + i); }) /
               float(n);
        var = SumOverPlanes<P, Batch, Stride>([&](auto d, std::size_t i) HWY_ATTR {
                const auto dev = hn::Sub(hn::LoadU(d, x + i), hn::Set(d, mean));
                return hn::Mul(dev, dev);
              }) /
              float(n);
      } else {
        mean = running_mean[c];
        var = running_var[c];
      }
      const float inv_std = 1.0f / std::sqrt(var + Spec.eps);
      const float scale = Spec.affine ? a.params[c] * inv_std : inv_std;
      const float shift = (Spec.affine ? a.params[C + c] : 0.0f) - mean * scale;
      ForEachInPlanes<P, Batch, Stride>([&](auto d, std::size_t i) HWY_ATTR {
        hn::StoreU(hn::MulAdd(hn::LoadU(d, x + i), hn::Set(d, scale), hn::Set(d, shift)), d,
                   y + i);
      });
      Finish<C>(a, c, mean, var, inv_std, n);
    }
    if (a.saved != nullptr) a.saved[2 * C] = a.training ? 1.0f : 0.0f;
  }

  // Keeps the statistics for backward and moves the running ones (training).
  template <std::size_t C>
  static HWY_INLINE void Finish(const ForwardArgs& a, std::size_t c, float mean, float var,
                                float inv_std, long n) {
    if (a.saved != nullptr) {
      a.saved[c] = mean;
      a.saved[C + c] = inv_std;
    }
    if (a.training && a.updated_buffers != nullptr) {
      const float m = Spec.momentum;
      const float unbias = n > 1 ? float(double(n) / double(n - 1)) : 1.0f;
      a.updated_buffers[c] = (1.0f - m) * a.updated_buffers[c] + m * mean;
      a.updated_buffers[C + c] = (1.0f - m) * a.updated_buffers[C + c] + m * (var * unbias);
    }
  }

  template <Shape In, int Batch>
  static void BackwardAlongPositions(const BackwardArgs& a) {
    constexpr std::size_t C = In.c, P = std::size_t(In.h) * In.w, Stride = C * P;
    constexpr long n = long(Batch) * long(P);
    const bool batch_stats = a.saved[2 * C] != 0.0f;
    if (!Spec.affine && a.din == nullptr) return;
    for (std::size_t c = 0; c < C; ++c) {
      const float* x = a.in + c * P;
      const float* dy = a.dout + c * P;
      const float mean = a.saved[c], inv_std = a.saved[C + c];
      const float scale = Spec.affine ? a.params[c] * inv_std : inv_std;
      // sum(dy) and sum(dy * (x - mean)): what dweight, dbias and dx need.
      float sum_dy = 0.0f, sum_dy_dev = 0.0f;
      if (Spec.affine || batch_stats) {
        sum_dy = SumOverPlanes<P, Batch, Stride>(
            [&](auto d, std::size_t i) HWY_ATTR { return hn::LoadU(d, dy + i); });
        sum_dy_dev = SumOverPlanes<P, Batch, Stride>([&](auto d, std::size_t i) HWY_ATTR {
          return hn::Mul(hn::LoadU(d, dy + i), hn::Sub(hn::LoadU(d, x + i), hn::Set(d, mean)));
        });
      }
      if constexpr (Spec.affine) {
        a.grads[c] += sum_dy_dev * inv_std;
        a.grads[C + c] += sum_dy;
      }
      if (a.din == nullptr) continue;
      float* dx = a.din + c * P;
      // dx = scale dy + k1 (x - mean) + k0 (batch statistics), or scale dy.
      const float k1 = batch_stats ? -scale * inv_std * inv_std * sum_dy_dev / float(n) : 0.0f;
      const float k0 = batch_stats ? -scale * sum_dy / float(n) : 0.0f;
      ForEachInPlanes<P, Batch, Stride>([&](auto d, std::size_t i) HWY_ATTR {
        const auto dev = hn::Sub(hn::LoadU(d, x + i), hn::Set(d, mean));
        const auto rest = hn::MulAdd(hn::Set(d, k1), dev, hn::Set(d, k0));
        hn::StoreU(hn::MulAdd(hn::Set(d, scale), hn::LoadU(d, dy + i), rest), d, dx + i);
      });
    }
  }

  // ---------------------------------------------- H x W = 1: along channels

  template <std::size_t C, int Batch>
  static void ForwardAlongChannels(const ForwardArgs& a) {
    constexpr long n = Batch;
    ForEachVector<C>([&](auto d, std::size_t c) HWY_ATTR {
      auto mean = hn::Zero(d), var = hn::Zero(d);
      if (a.training) {
        for (int b = 0; b < Batch; ++b) mean = hn::Add(mean, hn::LoadU(d, a.in + b * C + c));
        mean = hn::Div(mean, hn::Set(d, float(n)));
        for (int b = 0; b < Batch; ++b) {
          const auto dev = hn::Sub(hn::LoadU(d, a.in + b * C + c), mean);
          var = hn::MulAdd(dev, dev, var);
        }
        var = hn::Div(var, hn::Set(d, float(n)));
      } else {
        mean = hn::LoadU(d, a.buffers + c);
        var = hn::LoadU(d, a.buffers + C + c);
      }
      const auto inv_std =
          hn::Div(hn::Set(d, 1.0f), hn::Sqrt(hn::Add(var, hn::Set(d, Spec.eps))));
      auto scale = inv_std, shift = hn::Neg(hn::Mul(mean, inv_std));
      if constexpr (Spec.affine) {
        scale = hn::Mul(hn::LoadU(d, a.params + c), inv_std);
        shift = hn::NegMulAdd(mean, scale, hn::LoadU(d, a.params + C + c));
      }
      for (int b = 0; b < Batch; ++b) {
        hn::StoreU(hn::MulAdd(hn::LoadU(d, a.in + b * C + c), scale, shift), d,
                   a.out + b * C + c);
      }
      if (a.saved != nullptr) {
        hn::StoreU(mean, d, a.saved + c);
        hn::StoreU(inv_std, d, a.saved + C + c);
      }
      if (a.training && a.updated_buffers != nullptr) {
        const auto m = hn::Set(d, Spec.momentum), keep = hn::Set(d, 1.0f - Spec.momentum);
        float* rm = a.updated_buffers + c;
        float* rv = a.updated_buffers + C + c;
        hn::StoreU(hn::MulAdd(keep, hn::LoadU(d, rm), hn::Mul(m, mean)), d, rm);
        const auto unbiased = hn::Mul(var, hn::Set(d, kUnbias<n>));
        hn::StoreU(hn::MulAdd(keep, hn::LoadU(d, rv), hn::Mul(m, unbiased)), d, rv);
      }
    });
    if (a.saved != nullptr) a.saved[2 * C] = a.training ? 1.0f : 0.0f;
  }

  template <std::size_t C, int Batch>
  static void BackwardAlongChannels(const BackwardArgs& a) {
    constexpr long n = Batch;
    const bool batch_stats = a.saved[2 * C] != 0.0f;
    if (!Spec.affine && a.din == nullptr) return;
    ForEachVector<C>([&](auto d, std::size_t c) HWY_ATTR {
      const auto mean = hn::LoadU(d, a.saved + c);
      const auto inv_std = hn::LoadU(d, a.saved + C + c);
      const auto scale = Spec.affine ? hn::Mul(hn::LoadU(d, a.params + c), inv_std) : inv_std;
      auto sum_dy = hn::Zero(d), sum_dy_dev = hn::Zero(d);
      for (int b = 0; b < Batch; ++b) {
        const auto dy = hn::LoadU(d, a.dout + b * C + c);
        sum_dy = hn::Add(sum_dy, dy);
        sum_dy_dev = hn::MulAdd(dy, hn::Sub(hn::LoadU(d, a.in + b * C + c), mean), sum_dy_dev);
      }
      if constexpr (Spec.affine) {
        float* dw = a.grads + c;
        float* db = a.grads + C + c;
        hn::StoreU(hn::MulAdd(sum_dy_dev, inv_std, hn::LoadU(d, dw)), d, dw);
        hn::StoreU(hn::Add(hn::LoadU(d, db), sum_dy), d, db);
      }
      if (a.din == nullptr) return;
      auto k1 = hn::Zero(d), k0 = hn::Zero(d);
      if (batch_stats) {
        const auto inv_n = hn::Set(d, 1.0f / float(n));
        k1 = hn::Neg(hn::Mul(hn::Mul(scale, hn::Mul(inv_std, inv_std)),
                             hn::Mul(sum_dy_dev, inv_n)));
        k0 = hn::Neg(hn::Mul(scale, hn::Mul(sum_dy, inv_n)));
      }
      for (int b = 0; b < Batch; ++b) {
        const auto dev = hn::Sub(hn::LoadU(d, a.in + b * C + c), mean);
        const auto rest = hn::MulAdd(k1, dev, k0);
        hn::StoreU(hn::MulAdd(scale, hn::LoadU(d, a.dout + b * C + c), rest), d,
                   a.din + b * C + c);
      }
    });
  }
};

}  // namespace batch_norm_detail

template <BatchNormSpec Spec>
struct Kernel<BatchNorm2d<Spec>> : batch_norm_detail::BatchNormKernel<Spec> {};
template <BatchNormSpec Spec>
struct Kernel<BatchNorm1d<Spec>> : batch_norm_detail::BatchNormKernel<Spec> {};

}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#endif  // STATICNN_LAYERS_BATCH_NORM_INL_H_ toggle
