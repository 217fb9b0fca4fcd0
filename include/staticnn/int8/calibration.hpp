// Calibration of an activation tensor's int8 quantization from a set of
// inputs the user runs through the float network, without heap:
//   MinMaxObserver           the running [min, max] of every value seen (what
//                            TFLite's converter uses)
//   HistogramObserver<kBins> a second pass over the same inputs, counted in
//                            kBins equal bins over the first pass's range;
//                            Percentile(p) keeps the central p percent and
//                            drops the outliers that would stretch the scale
// Both give a TensorQuantization through AsymmetricQuantization (the range
// widened to contain 0, so that zero padding and ReLU stay exact). A
// non-finite value is refused (Status::non_finite) and leaves the observer
// as it was.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>

#include "staticnn/int8/requantize.hpp"
#include "staticnn/status.hpp"

namespace staticnn::int8 {

struct Range {
  float lo = 0.0f, hi = 0.0f;
  constexpr bool operator==(const Range&) const = default;
};

namespace detail {
inline bool AllFinite(const float* x, int n) {
  for (int i = 0; i < n; ++i) {
    if (!std::isfinite(x[i])) return false;
  }
  return true;
}
}  // namespace detail

class MinMaxObserver {
 public:
  Status Observe(const float* x, int n) {
    if (!detail::AllFinite(x, n)) return Status::non_finite;
    for (int i = 0; i < n; ++i) {
      min_ = x[i] < min_ ? x[i] : min_;
      max_ = x[i] > max_ ? x[i] : max_;
    }
    return Status::ok;
  }

  bool empty() const { return min_ > max_; }
  // [0, 0] before any value.
  Range range() const { return empty() ? Range{} : Range{min_, max_}; }
  TensorQuantization quantization() const { return AsymmetricQuantization(range().lo, range().hi); }

 private:
  float min_ = std::numeric_limits<float>::infinity();
  float max_ = -std::numeric_limits<float>::infinity();
};

template <int kBins = 2048>
class HistogramObserver {
  static_assert(kBins >= 2);

 public:
  // The range of the first pass (MinMaxObserver::range()); values outside it
  // count in the first or last bin.
  explicit HistogramObserver(Range range) : range_(range) {}

  Status Observe(const float* x, int n) {
    if (!detail::AllFinite(x, n)) return Status::non_finite;
    const double width = double(range_.hi) - double(range_.lo);
    for (int i = 0; i < n; ++i) {
      const double position = width > 0.0 ? (double(x[i]) - range_.lo) / width * kBins : 0.0;
      const int bin = position <= 0.0 ? 0 : position >= kBins ? kBins - 1 : int(position);
      ++counts_[bin];
    }
    total_ += static_cast<std::uint64_t>(n);
    return Status::ok;
  }

  // The smallest run of whole bins that holds all but (100 - percent) / 2
  // percent of the values at each end; the full range for percent >= 100 or
  // before any value.
  Range Percentile(double percent) const {
    if (percent >= 100.0 || total_ == 0) return range_;
    const double dropped_per_side = (100.0 - percent) / 200.0 * double(total_);
    int first = 0, last = kBins - 1;
    for (std::uint64_t below = 0; double(below + counts_[first]) <= dropped_per_side;) {
      below += counts_[first++];
    }
    for (std::uint64_t above = 0; double(above + counts_[last]) <= dropped_per_side;) {
      above += counts_[last--];
    }
    if (last < first) last = first;  // percent <= 0: the two ends met
    return {Edge(first), Edge(last + 1)};
  }

  TensorQuantization quantization(double percent) const {
    const Range r = Percentile(percent);
    return AsymmetricQuantization(r.lo, r.hi);
  }

 private:
  float Edge(int bin) const {
    return float(double(range_.lo) + (double(range_.hi) - range_.lo) * bin / kBins);
  }

  Range range_;
  std::uint64_t counts_[kBins] = {};
  std::uint64_t total_ = 0;
};

}  // namespace staticnn::int8
