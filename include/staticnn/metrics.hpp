// What a classifier is judged by: the predicted class (argmax of the scores),
// accuracy and the confusion matrix over a data set. Target independent and
// without heap: the caller passes the forward function (static or dynamic
// dispatch) and a batch buffer; counts live in the returned value.
//
//   static float batch[100 * Net::input_shape.size()];
//   auto cm = nn::confusion_matrix<Net, 100>(
//       10000, batch,
//       [&](long i, float* x) { /* write sample i into x */ return label[i]; },
//       [&](const float* x) { return nn::forward<Net, 100>(params, x, ws); });
//   printf("%.2f%%\n", 100 * cm.accuracy());
#pragma once

#include <cstddef>

namespace staticnn {

// The index of the largest of K scores (the first one on ties, as
// torch.argmax). Logits and probabilities give the same class.
template <int K>
constexpr int predict(const float* scores) {
  int best = 0;
  for (int k = 1; k < K; ++k) best = scores[k] > scores[best] ? k : best;
  return best;
}

// The predicted class of every sample of a batch: scores [Batch][K].
template <int K, int Batch>
constexpr void predict(const float* scores, int* classes) {
  for (int b = 0; b < Batch; ++b) classes[b] = predict<K>(scores + b * K);
}

// counts[true class][predicted class].
template <int K>
struct ConfusionMatrix {
  long counts[K][K] = {};
  long bad_labels = 0;  // samples not counted: label or prediction outside [0, K)

  constexpr void add(int label, int predicted) {
    if (label < 0 || label >= K || predicted < 0 || predicted >= K) {
      ++bad_labels;
    } else {
      ++counts[label][predicted];
    }
  }
  constexpr long total() const {
    long n = 0;
    for (const auto& row : counts) {
      for (long c : row) n += c;
    }
    return n;
  }
  constexpr long correct() const {
    long n = 0;
    for (int k = 0; k < K; ++k) n += counts[k][k];
    return n;
  }
  // Correct / total; 0 for an empty matrix.
  constexpr double accuracy() const {
    const long n = total();
    return n > 0 ? double(correct()) / double(n) : 0.0;
  }
  // Of the samples of class k, the fraction predicted as k (0 if none).
  constexpr double recall(int k) const {
    long n = 0;
    for (long c : counts[k]) n += c;
    return n > 0 ? double(counts[k][k]) / double(n) : 0.0;
  }
  // Of the samples predicted as k, the fraction that are k (0 if none).
  constexpr double precision(int k) const {
    long n = 0;
    for (int j = 0; j < K; ++j) n += counts[j][k];
    return n > 0 ? double(counts[k][k]) / double(n) : 0.0;
  }
};

// The confusion matrix of a classifier over samples 0..n-1, Batch at a time:
//   load(long i, float* x) writes sample i (Net::input_shape.size() floats)
//     into x and returns its label (one outside [0, K) is counted in
//     bad_labels, not in the matrix);
//   forward(const float* batch) returns the [Batch][K] scores of a batch.
// `batch` holds Batch inputs; a last partial batch is completed with zeros
// whose predictions are not counted.
template <class Net, int Batch, class Load, class Forward>
auto confusion_matrix(long n, float* batch, Load load, Forward forward) {
  constexpr int k = Net::output_shape.size();
  constexpr std::size_t in = std::size_t(Net::input_shape.size());
  ConfusionMatrix<k> cm;
  int labels[Batch];
  for (long start = 0; start < n; start += Batch) {
    const int count = n - start < Batch ? int(n - start) : Batch;
    for (int b = 0; b < count; ++b) labels[b] = load(start + b, batch + b * in);
    for (std::size_t i = count * in; i < Batch * in; ++i) batch[i] = 0.0f;
    const float* scores = forward(static_cast<const float*>(batch));
    for (int b = 0; b < count; ++b) cm.add(labels[b], predict<k>(scores + b * k));
  }
  return cm;
}

// The fraction of samples 0..n-1 classified correctly (see confusion_matrix).
template <class Net, int Batch, class Load, class Forward>
double accuracy(long n, float* batch, Load load, Forward forward) {
  return confusion_matrix<Net, Batch>(n, batch, load, forward).accuracy();
}

}  // namespace staticnn
