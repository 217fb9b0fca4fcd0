// Element-wise activations (ReLU, LeakyReLU, Sigmoid, Tanh) over N floats and
// Softmax over the channels of one [C][H][W] sample (torch's dim=1), forward
// and backward.
//
// Forward functions work in place (y == x). Backward functions take both the
// forward input x and output y so that all activations share one signature;
// each uses whichever is cheaper and exact. dx is OVERWRITTEN and must not
// alias the other arguments.
//
// Whole vectors first, then the remainder one lane at a time (ForEachVector,
// memory-inl.h): nothing is read past the end of a buffer.

// Per-target include guard (Highway's module pattern).
#if defined(STATICNN_KERNELS_ACTIVATION_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef STATICNN_KERNELS_ACTIVATION_INL_H_
#undef STATICNN_KERNELS_ACTIVATION_INL_H_
#else
#define STATICNN_KERNELS_ACTIVATION_INL_H_
#endif

#include <cstddef>
#include <limits>
#include <type_traits>

#include "hwy/contrib/math/math-inl.h"
#include "hwy/highway.h"
#include "staticnn/kernels/memory-inl.h"
#include "staticnn/shape.hpp"

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

namespace activation_detail {

// 1 / (1 + exp(-x)) from exp(-|x|), which lies in (0, 1] and cannot overflow.
template <class D, class V>
HWY_INLINE V Sigmoid(D d, V x) {
  const V one = hn::Set(d, 1.0f);
  const V e = hn::Exp(d, hn::Neg(hn::Abs(x)));
  const V of_abs = hn::Div(one, hn::Add(one, e));  // sigmoid(|x|)
  // sigmoid(-|x|) = e / (1 + e) = e * sigmoid(|x|).
  return hn::IfThenElse(hn::Lt(x, hn::Zero(d)), hn::Mul(e, of_abs), of_abs);
}

// Softmax over S.c channels at each of the S.h * S.w positions. The channels
// of one position are S.h * S.w floats apart, so vectors run along positions
// and the reductions over channels are lane-wise. x is read only by the
// first two passes over a block of positions, so y may alias x.
template <Shape S>
HWY_INLINE void SoftmaxAlongPositions(const float* x, float* y) {
  constexpr std::size_t C = S.c, P = std::size_t(S.h) * S.w;
  ForEachVector<P>([&](auto d, std::size_t p) HWY_ATTR {
    auto max = hn::LoadU(d, x + p);
    for (std::size_t c = 1; c < C; ++c) max = hn::Max(max, hn::LoadU(d, x + c * P + p));
    auto sum = hn::Zero(d);
    for (std::size_t c = 0; c < C; ++c) {
      const auto e = hn::Exp(d, hn::Sub(hn::LoadU(d, x + c * P + p), max));  // <= 1
      hn::StoreU(e, d, y + c * P + p);
      sum = hn::Add(sum, e);  // >= 1: the maximum contributes exp(0)
    }
    const auto inv_sum = hn::Div(hn::Set(d, 1.0f), sum);
    for (std::size_t c = 0; c < C; ++c) {
      hn::StoreU(hn::Mul(hn::LoadU(d, y + c * P + p), inv_sum), d, y + c * P + p);
    }
  });
}

// Softmax over K contiguous features (a flat input): vectors along features,
// horizontal reductions. ForEachVector hands the remainder over in one-lane
// vectors of another type, which get their own accumulators.
template <std::size_t K>
HWY_INLINE void SoftmaxAlongFeatures(const float* x, float* y) {
  using DK = hn::CappedTag<float, K>;
  const DK d;
  const hn::CappedTag<float, 1> d1;
  auto max = hn::Set(d, -std::numeric_limits<float>::infinity());
  auto max1 = hn::Set(d1, -std::numeric_limits<float>::infinity());
  ForEachVector<K>([&](auto dt, std::size_t i) HWY_ATTR {
    if constexpr (!std::is_same_v<decltype(dt), DK>) {
      max1 = hn::Max(max1, hn::LoadU(dt, x + i));
    } else {
      max = hn::Max(max, hn::LoadU(dt, x + i));
    }
  });
  const float m = HWY_MAX(hn::GetLane(hn::MaxOfLanes(d, max)), hn::GetLane(max1));

  auto sum = hn::Zero(d);
  auto sum1 = hn::Zero(d1);
  ForEachVector<K>([&](auto dt, std::size_t i) HWY_ATTR {
    const auto e = hn::Exp(dt, hn::Sub(hn::LoadU(dt, x + i), hn::Set(dt, m)));
    hn::StoreU(e, dt, y + i);
    if constexpr (!std::is_same_v<decltype(dt), DK>) {
      sum1 = hn::Add(sum1, e);
    } else {
      sum = hn::Add(sum, e);
    }
  });
  const float inv_sum = 1.0f / (hn::GetLane(hn::SumOfLanes(d, sum)) + hn::GetLane(sum1));

  ForEachVector<K>([&](auto dt, std::size_t i) HWY_ATTR {
    hn::StoreU(hn::Mul(hn::LoadU(dt, y + i), hn::Set(dt, inv_sum)), dt, y + i);
  });
}

}  // namespace activation_detail

// max(v, 0); NaN stays NaN (what ReLU layers compute, and the kernels that
// fuse a ReLU into their output: the same bits either way).
template <class D>
HWY_INLINE hn::Vec<D> Relu(D d, hn::Vec<D> v) {
  return hn::IfThenZeroElse(hn::Lt(v, hn::Zero(d)), v);
}

// y = max(x, 0); NaN stays NaN.
template <std::size_t N>
void ReluForward(const float* x, float* y) {
  ForEachVector<N>([&](auto d, std::size_t i) HWY_ATTR {
    hn::StoreU(Relu(d, hn::LoadU(d, x + i)), d, y + i);
  });
}

// dx = dy where x > 0, else 0 (PyTorch's choice at x == 0), read from y =
// max(x, 0): in training a layer that fuses the ReLU writes y, not x.
template <std::size_t N>
void ReluBackward(const float* HWY_RESTRICT /*x*/, const float* HWY_RESTRICT y,
                  const float* HWY_RESTRICT dy, float* HWY_RESTRICT dx) {
  ForEachVector<N>([&](auto d, std::size_t i) HWY_ATTR {
    const auto positive = hn::Gt(hn::LoadU(d, y + i), hn::Zero(d));
    hn::StoreU(hn::IfThenElseZero(positive, hn::LoadU(d, dy + i)), d, dx + i);
  });
}

// y = x for x >= 0, negative_slope * x below.
template <std::size_t N>
void LeakyReluForward(const float* x, float* y, float negative_slope) {
  ForEachVector<N>([&](auto d, std::size_t i) HWY_ATTR {
    const auto v = hn::LoadU(d, x + i);
    const auto scaled = hn::Mul(v, hn::Set(d, negative_slope));
    hn::StoreU(hn::IfThenElse(hn::Lt(v, hn::Zero(d)), scaled, v), d, y + i);
  });
}

// dx = dy where x > 0, negative_slope * dy elsewhere (PyTorch's choice at 0).
// Reads x, not y: the slope may be zero or negative.
template <std::size_t N>
void LeakyReluBackward(const float* HWY_RESTRICT x, const float* HWY_RESTRICT /*y*/,
                       const float* HWY_RESTRICT dy, float* HWY_RESTRICT dx,
                       float negative_slope) {
  ForEachVector<N>([&](auto d, std::size_t i) HWY_ATTR {
    const auto g = hn::LoadU(d, dy + i);
    const auto positive = hn::Gt(hn::LoadU(d, x + i), hn::Zero(d));
    hn::StoreU(hn::IfThenElse(positive, g, hn::Mul(g, hn::Set(d, negative_slope))), d, dx + i);
  });
}

// y = min(max(x, 0), 6) (torch's hardtanh(x, 0, 6)); NaN stays NaN, as the
// comparisons are false for it (Highway's Min/Max would not keep it on x86).
template <std::size_t N>
void Relu6Forward(const float* x, float* y) {
  ForEachVector<N>([&](auto d, std::size_t i) HWY_ATTR {
    const auto v = hn::LoadU(d, x + i);
    const auto six = hn::Set(d, 6.0f);
    const auto below_six = hn::IfThenElse(hn::Gt(v, six), six, v);
    hn::StoreU(hn::IfThenZeroElse(hn::Lt(v, hn::Zero(d)), below_six), d, y + i);
  });
}

// dx = 0 where x <= 0 or x >= 6, else dy: PyTorch's hardtanh_backward, zero
// at both kinks; a NaN x passes dy through, as there.
template <std::size_t N>
void Relu6Backward(const float* HWY_RESTRICT x, const float* HWY_RESTRICT /*y*/,
                   const float* HWY_RESTRICT dy, float* HWY_RESTRICT dx) {
  ForEachVector<N>([&](auto d, std::size_t i) HWY_ATTR {
    const auto v = hn::LoadU(d, x + i);
    const auto outside = hn::Or(hn::Le(v, hn::Zero(d)), hn::Ge(v, hn::Set(d, 6.0f)));
    hn::StoreU(hn::IfThenZeroElse(outside, hn::LoadU(d, dy + i)), d, dx + i);
  });
}

// y = x * min(max(x + 3, 0), 6) / 6 in PyTorch's order of operations (a
// division by 6, not a product with 1/6), so results round as PyTorch's.
template <std::size_t N>
void HardswishForward(const float* x, float* y) {
  ForEachVector<N>([&](auto d, std::size_t i) HWY_ATTR {
    const auto v = hn::LoadU(d, x + i);
    const auto six = hn::Set(d, 6.0f);
    auto t = hn::Add(v, hn::Set(d, 3.0f));
    t = hn::IfThenZeroElse(hn::Lt(t, hn::Zero(d)), t);
    t = hn::IfThenElse(hn::Gt(t, six), six, t);
    hn::StoreU(hn::Div(hn::Mul(v, t), six), d, y + i);
  });
}

// dx = 0 for x < -3, dy for x >= 3, dy * (x / 3 + 1/2) between: PyTorch's
// vectorized hardswish_backward (the path that takes all but a tensor's last
// few elements). At x = -3 that is -dy/2; at x = 3 it is dy (PyTorch 1.13's
// scalar tail path gives 1.5 dy there; tools/make_golden.py checks which one
// the golden data holds). A NaN x passes dy through, as in PyTorch.
template <std::size_t N>
void HardswishBackward(const float* HWY_RESTRICT x, const float* HWY_RESTRICT /*y*/,
                       const float* HWY_RESTRICT dy, float* HWY_RESTRICT dx) {
  ForEachVector<N>([&](auto d, std::size_t i) HWY_ATTR {
    const auto v = hn::LoadU(d, x + i);
    const auto g = hn::LoadU(d, dy + i);
    const auto slope = hn::Add(hn::Div(v, hn::Set(d, 3.0f)), hn::Set(d, 0.5f));
    const auto inside = hn::IfThenElse(hn::Ge(v, hn::Set(d, 3.0f)), g, hn::Mul(g, slope));
    hn::StoreU(hn::IfThenZeroElse(hn::Lt(v, hn::Set(d, -3.0f)), inside), d, dx + i);
  });
}

// y = 1 / (1 + exp(-x)), finite and in [0, 1] for every finite x.
template <std::size_t N>
void SigmoidForward(const float* x, float* y) {
  ForEachVector<N>([&](auto d, std::size_t i) HWY_ATTR {
    hn::StoreU(activation_detail::Sigmoid(d, hn::LoadU(d, x + i)), d, y + i);
  });
}

// dx = dy * y * (1 - y).
template <std::size_t N>
void SigmoidBackward(const float* HWY_RESTRICT /*x*/, const float* HWY_RESTRICT y,
                     const float* HWY_RESTRICT dy, float* HWY_RESTRICT dx) {
  ForEachVector<N>([&](auto d, std::size_t i) HWY_ATTR {
    const auto s = hn::LoadU(d, y + i);
    const auto slope = hn::Mul(s, hn::Sub(hn::Set(d, 1.0f), s));
    hn::StoreU(hn::Mul(hn::LoadU(d, dy + i), slope), d, dx + i);
  });
}

template <std::size_t N>
void TanhForward(const float* x, float* y) {
  ForEachVector<N>([&](auto d, std::size_t i) HWY_ATTR {
    hn::StoreU(hn::Tanh(d, hn::LoadU(d, x + i)), d, y + i);
  });
}

// dx = dy * (1 - y^2).
template <std::size_t N>
void TanhBackward(const float* HWY_RESTRICT /*x*/, const float* HWY_RESTRICT y,
                  const float* HWY_RESTRICT dy, float* HWY_RESTRICT dx) {
  ForEachVector<N>([&](auto d, std::size_t i) HWY_ATTR {
    const auto t = hn::LoadU(d, y + i);
    const auto slope = hn::NegMulAdd(t, t, hn::Set(d, 1.0f));
    hn::StoreU(hn::Mul(hn::LoadU(d, dy + i), slope), d, dx + i);
  });
}

// y = exp(x - max) / sum exp(x - max) over the channels at each position; for
// S = {K, 1, 1} over the K features.
template <Shape S>
void SoftmaxForward(const float* x, float* y) {
  static_assert(S.c > 0 && S.h > 0 && S.w > 0);
  if constexpr (S.h * S.w == 1) {
    activation_detail::SoftmaxAlongFeatures<std::size_t(S.c)>(x, y);
  } else {
    activation_detail::SoftmaxAlongPositions<S>(x, y);
  }
}

// dx = y * (dy - sum_c dy * y) at each position.
template <Shape S>
void SoftmaxBackward(const float* HWY_RESTRICT /*x*/, const float* HWY_RESTRICT y,
                     const float* HWY_RESTRICT dy, float* HWY_RESTRICT dx) {
  static_assert(S.c > 0 && S.h > 0 && S.w > 0);
  constexpr std::size_t C = S.c, P = std::size_t(S.h) * S.w;
  if constexpr (P == 1) {
    using DC = hn::CappedTag<float, C>;
    const DC d;
    auto dot = hn::Zero(d);
    float dot1 = 0.0f;
    ForEachVector<C>([&](auto dt, std::size_t i) HWY_ATTR {
      const auto prod = hn::Mul(hn::LoadU(dt, dy + i), hn::LoadU(dt, y + i));
      if constexpr (!std::is_same_v<decltype(dt), DC>) {
        dot1 += hn::GetLane(prod);
      } else {
        dot = hn::Add(dot, prod);
      }
    });
    const float total = hn::GetLane(hn::SumOfLanes(d, dot)) + dot1;
    ForEachVector<C>([&](auto dt, std::size_t i) HWY_ATTR {
      const auto centered = hn::Sub(hn::LoadU(dt, dy + i), hn::Set(dt, total));
      hn::StoreU(hn::Mul(hn::LoadU(dt, y + i), centered), dt, dx + i);
    });
  } else {
    ForEachVector<P>([&](auto d, std::size_t p) HWY_ATTR {
      auto dot = hn::Zero(d);
      for (std::size_t c = 0; c < C; ++c) {
        dot = hn::MulAdd(hn::LoadU(d, dy + c * P + p), hn::LoadU(d, y + c * P + p), dot);
      }
      for (std::size_t c = 0; c < C; ++c) {
        const auto centered = hn::Sub(hn::LoadU(d, dy + c * P + p), dot);
        hn::StoreU(hn::Mul(hn::LoadU(d, y + c * P + p), centered), d, dx + c * P + p);
      }
    });
  }
}

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#endif  // STATICNN_KERNELS_ACTIVATION_INL_H_
