// Scalar oracle for the losses of staticnn/kernels/loss-inl.h: plain loops in
// any scalar type T (double for finite differences). Same contract as the
// kernels: one sample, the returned loss is unscaled, the output gradient is
// overwritten with scale * d(loss)/d(output).
#pragma once

#include <cmath>
#include <cstddef>

namespace staticnn::reference {

// -log softmax(logits)[label], shifted by the largest logit so that exp
// cannot overflow; dlogits = scale * (softmax - onehot(label)).
template <class T>
T softmax_cross_entropy(int k, const T* logits, int label, T* dlogits, T scale) {
  T max_logit = logits[0];
  for (int j = 1; j < k; ++j) {
    if (logits[j] > max_logit) max_logit = logits[j];
  }
  T sum = 0;
  for (int j = 0; j < k; ++j) sum += std::exp(logits[j] - max_logit);
  for (int j = 0; j < k; ++j) {
    const T softmax = std::exp(logits[j] - max_logit) / sum;
    const T onehot = j == label ? T(1) : T(0);
    dlogits[j] = scale * (softmax - onehot);
  }
  return std::log(sum) - (logits[label] - max_logit);
}

// CS231n's multiclass SVM loss: sum over j != label of
// max(0, s_j - s_label + 1). A margin of exactly 0 is not active.
template <class T>
T multiclass_hinge(int k, const T* scores, int label, T* dscores, T scale) {
  T loss = 0;
  int active = 0;
  for (int j = 0; j < k; ++j) {
    dscores[j] = 0;
    if (j == label) continue;
    const T margin = scores[j] - scores[label] + T(1);
    if (margin > 0) {
      loss += margin;
      dscores[j] = scale;
      ++active;
    }
  }
  dscores[label] = -scale * T(active);
  return loss;
}

// Mean over n of (pred - target)^2, torch.nn.MSELoss.
template <class T>
T mean_squared_error(std::size_t n, const T* pred, const T* target, T* dpred,
                     T scale) {
  T sum = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const T diff = pred[i] - target[i];
    sum += diff * diff;
    dpred[i] = scale * T(2) * diff / T(n);
  }
  return sum / T(n);
}

}  // namespace staticnn::reference
