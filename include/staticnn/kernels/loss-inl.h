// Loss functions for one sample: the loss value and its gradient with respect
// to the network output. The caller loops over a batch and passes
// scale = 1 / batch, so that the gradients of a batch average over samples
// (the returned loss is unscaled; the caller averages it too).
//
// The output gradient is OVERWRITTEN, like every input gradient in staticnn,
// and may be the output buffer itself (computed in place).
//
// Vectors are CappedTag<float, K>: a 10-class output uses one 8-lane vector,
// not a mostly empty 16-lane one. The remainder is processed one lane at a
// time with a one-lane tag: Highway 1.0.3's MaskedLoad loads a whole (aligned)
// vector on SSE4/SSSE3/EMU128, which would read past the end of the buffer.

// Per-target include guard (Highway's module pattern).
#if defined(STATICNN_KERNELS_LOSS_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef STATICNN_KERNELS_LOSS_INL_H_
#undef STATICNN_KERNELS_LOSS_INL_H_
#else
#define STATICNN_KERNELS_LOSS_INL_H_
#endif

#include <cmath>
#include <cstddef>
#include <limits>

#include "hwy/contrib/math/math-inl.h"
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Cross-entropy of softmax(logits) against the class `label`:
// returns -log softmax(logits)[label] = log(sum_j exp(l_j - m)) - (l_label - m)
// with m = max_j l_j, so exp never overflows and logits of any finite size
// give a finite loss. dlogits = scale * (softmax(logits) - onehot(label)).
template <int K>
float SoftmaxCrossEntropy(const float* logits, int label, float* dlogits,
                          float scale) {
  static_assert(K >= 1, "SoftmaxCrossEntropy needs at least one class");
  HWY_DASSERT(0 <= label && label < K);
  constexpr std::size_t kCount = K;
  const hn::CappedTag<float, kCount> d;
  const hn::CappedTag<float, 1> d1;
  const std::size_t lanes = hn::Lanes(d);
  const std::size_t full = kCount - kCount % lanes;
  const float label_logit = logits[label];  // read first: may be overwritten

  // Pass 1: the largest logit.
  constexpr float kLowest = -std::numeric_limits<float>::infinity();
  auto vmax = hn::Set(d, kLowest);
  for (std::size_t i = 0; i < full; i += lanes) {
    vmax = hn::Max(vmax, hn::LoadU(d, logits + i));
  }
  auto vmax1 = hn::Set(d1, kLowest);
  for (std::size_t i = full; i < kCount; ++i) {
    vmax1 = hn::Max(vmax1, hn::LoadU(d1, logits + i));
  }
  const float max_logit = HWY_MAX(hn::GetLane(hn::MaxOfLanes(d, vmax)),
                                  hn::GetLane(vmax1));

  // Pass 2: e_j = exp(l_j - m), kept in dlogits, and their sum (>= 1).
  const auto exp_shifted = [&](auto dt, std::size_t i) HWY_ATTR {
    const auto e = hn::Exp(dt, hn::Sub(hn::LoadU(dt, logits + i),
                                       hn::Set(dt, max_logit)));
    hn::StoreU(e, dt, dlogits + i);
    return e;
  };
  auto vsum = hn::Zero(d);
  for (std::size_t i = 0; i < full; i += lanes) {
    vsum = hn::Add(vsum, exp_shifted(d, i));
  }
  auto vsum1 = hn::Zero(d1);
  for (std::size_t i = full; i < kCount; ++i) {
    vsum1 = hn::Add(vsum1, exp_shifted(d1, i));
  }
  const float sum = hn::GetLane(hn::SumOfLanes(d, vsum)) + hn::GetLane(vsum1);

  // Pass 3: dlogits = scale * e_j / sum, minus scale at the label.
  const float factor = scale / sum;
  const auto normalize = [&](auto dt, std::size_t i) HWY_ATTR {
    hn::StoreU(hn::Mul(hn::LoadU(dt, dlogits + i), hn::Set(dt, factor)), dt,
               dlogits + i);
  };
  for (std::size_t i = 0; i < full; i += lanes) normalize(d, i);
  for (std::size_t i = full; i < kCount; ++i) normalize(d1, i);
  dlogits[label] -= scale;

  return std::log(sum) - (label_logit - max_logit);
}

// Multiclass SVM (hinge) loss of CS231n:
// sum over j != label of max(0, s_j - s_label + 1).
// dscores_j = scale for every active margin (> 0; a margin of exactly 0 is
// not active), dscores_label = -scale * (number of active margins).
template <int K>
float MulticlassHinge(const float* scores, int label, float* dscores,
                      float scale) {
  static_assert(K >= 1, "MulticlassHinge needs at least one class");
  HWY_DASSERT(0 <= label && label < K);
  constexpr std::size_t kCount = K;
  const hn::CappedTag<float, kCount> d;
  const hn::CappedTag<float, 1> d1;
  const std::size_t lanes = hn::Lanes(d);
  const std::size_t full = kCount - kCount % lanes;
  const float label_score = scores[label];  // read first: may be overwritten

  std::size_t active_count = 0;
  // Returns the active margins of the lanes at i, zero elsewhere.
  const auto hinge = [&](auto dt, std::size_t i) HWY_ATTR {
    const hn::RebindToSigned<decltype(dt)> di;
    const auto margin =
        hn::Add(hn::Sub(hn::LoadU(dt, scores + i), hn::Set(dt, label_score)),
                hn::Set(dt, 1.0f));
    // The label's own lane (margin exactly 1) is not part of the sum.
    const auto not_label = hn::RebindMask(
        dt, hn::Ne(hn::Iota(di, static_cast<int>(i)), hn::Set(di, label)));
    const auto active = hn::And(hn::Gt(margin, hn::Zero(dt)), not_label);
    hn::StoreU(hn::IfThenElseZero(active, hn::Set(dt, scale)), dt,
               dscores + i);
    active_count += hn::CountTrue(dt, active);
    return hn::IfThenElseZero(active, margin);
  };
  auto vloss = hn::Zero(d);
  for (std::size_t i = 0; i < full; i += lanes) {
    vloss = hn::Add(vloss, hinge(d, i));
  }
  auto vloss1 = hn::Zero(d1);
  for (std::size_t i = full; i < kCount; ++i) {
    vloss1 = hn::Add(vloss1, hinge(d1, i));
  }
  dscores[label] = -scale * static_cast<float>(active_count);
  return hn::GetLane(hn::SumOfLanes(d, vloss)) + hn::GetLane(vloss1);
}

// Mean squared error, torch.nn.MSELoss (reduction 'mean' over the N outputs):
// returns sum_i (p_i - t_i)^2 / N; dpred_i = scale * 2 * (p_i - t_i) / N.
template <std::size_t N>
float MeanSquaredError(const float* pred, const float* target, float* dpred,
                       float scale) {
  static_assert(N >= 1, "MeanSquaredError needs at least one output");
  const hn::CappedTag<float, N> d;
  const hn::CappedTag<float, 1> d1;
  const std::size_t lanes = hn::Lanes(d);
  const std::size_t full = N - N % lanes;
  const float factor = 2.0f * scale / static_cast<float>(N);

  // Writes the gradient of the lanes at i and returns their differences.
  const auto difference = [&](auto dt, std::size_t i) HWY_ATTR {
    const auto diff =
        hn::Sub(hn::LoadU(dt, pred + i), hn::LoadU(dt, target + i));
    hn::StoreU(hn::Mul(diff, hn::Set(dt, factor)), dt, dpred + i);
    return diff;
  };
  auto vsum = hn::Zero(d);
  for (std::size_t i = 0; i < full; i += lanes) {
    const auto diff = difference(d, i);
    vsum = hn::MulAdd(diff, diff, vsum);
  }
  auto vsum1 = hn::Zero(d1);
  for (std::size_t i = full; i < N; ++i) {
    const auto diff = difference(d1, i);
    vsum1 = hn::MulAdd(diff, diff, vsum1);
  }
  const float sum = hn::GetLane(hn::SumOfLanes(d, vsum)) + hn::GetLane(vsum1);
  return sum / static_cast<float>(N);
}

}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#endif  // STATICNN_KERNELS_LOSS_INL_H_ toggle guard
