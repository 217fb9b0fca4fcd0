// A float buffer with canaries on both sides: a kernel under test must write
// only inside it. Shared by the per-target kernel tests.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <vector>

namespace staticnn::test {

class Guarded {
 public:
  static constexpr std::size_t kGuard = 64;
  Guarded(std::size_t n, float fill) : data_(n + 2 * kGuard, kCanary), n_(n) {
    std::fill(begin(), begin() + n, fill);
  }
  explicit Guarded(const std::vector<float>& init) : data_(init.size() + 2 * kGuard, kCanary),
                                                    n_(init.size()) {
    std::copy(init.begin(), init.end(), begin());
  }
  float* begin() { return data_.data() + kGuard; }
  const float* begin() const { return data_.data() + kGuard; }
  float operator[](std::size_t i) const { return begin()[i]; }
  std::size_t size() const { return n_; }
  bool CanariesIntact() const {
    for (std::size_t i = 0; i < kGuard; ++i) {
      if (!IsCanary(data_[i]) || !IsCanary(data_[kGuard + n_ + i])) return false;
    }
    return true;
  }

 private:
  static constexpr float kCanary = -1.2345678e33f;
  static bool IsCanary(float v) { return std::memcmp(&v, &kCanary, sizeof v) == 0; }
  std::vector<float> data_;
  std::size_t n_;
};

}  // namespace staticnn::test
