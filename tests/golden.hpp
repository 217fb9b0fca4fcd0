// Golden data from PyTorch (tools/make_golden.py writes tests/data/golden/*.gold)
// and the comparison the golden tests share.
//
// File format (little-endian): "SNNGOLD1", uint32 tensor count, then per
// tensor: uint32 name length, the name, uint32 ndim, int32 dims[ndim],
// float32 values[prod(dims)] (row-major; ndim 0 is a scalar).
//
// Tolerance rule. A golden value r is PyTorch's float64 result from the stored
// float32 inputs, rounded once to float32. A float32 computation that makes K
// roundings on the way to its result (a sum of n terms: n - 1 additions and n
// products, in any order) is within gamma_K * M <= K * eps * M of the exact
// value (eps = FLT_EPSILON = 2u), where M bounds the error's magnitude (for a
// sum, the sum of |term|). The file stores, next to each result T, the scalar
// "T.mag" = max over T's elements of M; the test states K. An element passes if
//     |actual - r| <= K * eps * T.mag + eps * |r|
// (the last term covers the golden value's own rounding). For LeNet-5 as a
// whole the magnitude is max |r| over the tensor (see golden_lenet_test.cc).
#pragma once

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace staticnn::golden {

struct Tensor {
  std::vector<int> dims;
  std::vector<float> values;

  const float* data() const { return values.data(); }
  std::size_t size() const { return values.size(); }
};

inline std::string DimsToString(const std::vector<int>& dims) {
  std::string s = "[";
  for (std::size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

// One .gold file, read whole. Every problem (missing file, bad magic,
// truncation, a missing tensor, other dims) is one gtest failure that names
// the path; the accessors then return zeros of the requested size, so a test
// can go on without reading out of bounds.
class File {
 public:
  explicit File(const std::string& case_name)
      : path_(std::string(STATICNN_TEST_DATA_DIR) + "/golden/" + case_name + ".gold") {
    ok_ = Read();
  }

  bool ok() const { return ok_; }
  const std::string& path() const { return path_; }

  // The tensor `name`, which must have exactly `dims`.
  const Tensor& Get(const std::string& name, const std::vector<int>& dims) const {
    const auto it = tensors_.find(name);
    if (it == tensors_.end()) {
      ADD_FAILURE() << path_ << ": no tensor \"" << name << "\" (rerun tools/make_golden.py?)";
    } else if (it->second.dims != dims) {
      ADD_FAILURE() << path_ << ": tensor \"" << name << "\" has dims "
                    << DimsToString(it->second.dims) << ", the test expects "
                    << DimsToString(dims);
    } else {
      return it->second;
    }
    return Zeros(dims);
  }

  float Scalar(const std::string& name) const { return Get(name, {}).values[0]; }

 private:
  const Tensor& Zeros(const std::vector<int>& dims) const {
    std::size_t n = 1;
    for (int d : dims) n *= static_cast<std::size_t>(std::max(d, 0));
    fallbacks_.push_back(std::make_unique<Tensor>(Tensor{dims, std::vector<float>(n, 0.0f)}));
    return *fallbacks_.back();
  }

  bool Fail(const std::string& what) {
    ADD_FAILURE() << path_ << ": " << what << " (rerun tools/make_golden.py?)";
    return false;
  }

  // Reads `n` bytes at the cursor; false at the end of the data.
  bool Take(std::size_t n, const unsigned char** out) {
    if (bytes_.size() - pos_ < n) return false;
    *out = bytes_.data() + pos_;
    pos_ += n;
    return true;
  }
  bool TakeU32(std::uint32_t* v) {
    const unsigned char* p;
    if (!Take(4, &p)) return false;
    *v = std::uint32_t{p[0]} | std::uint32_t{p[1]} << 8 | std::uint32_t{p[2]} << 16 |
         std::uint32_t{p[3]} << 24;
    return true;
  }

  bool Read() {
    std::FILE* f = std::fopen(path_.c_str(), "rb");
    if (f == nullptr) return Fail("cannot open the file");
    unsigned char buffer[1 << 16];
    std::size_t n;
    while ((n = std::fread(buffer, 1, sizeof(buffer), f)) > 0) {
      bytes_.insert(bytes_.end(), buffer, buffer + n);
    }
    std::fclose(f);

    const unsigned char* magic;
    if (!Take(8, &magic) || std::memcmp(magic, "SNNGOLD1", 8) != 0) {
      return Fail("not a golden file (no SNNGOLD1 magic)");
    }
    std::uint32_t count;
    if (!TakeU32(&count)) return Fail("truncated header");
    for (std::uint32_t t = 0; t < count; ++t) {
      std::uint32_t name_length, ndim;
      const unsigned char* name;
      if (!TakeU32(&name_length) || name_length > 256 || !Take(name_length, &name) ||
          !TakeU32(&ndim) || ndim > 8) {
        return Fail("corrupt header of tensor #" + std::to_string(t));
      }
      const std::string key(reinterpret_cast<const char*>(name), name_length);
      Tensor tensor;
      std::size_t size = 1;
      for (std::uint32_t i = 0; i < ndim; ++i) {
        std::uint32_t dim;
        if (!TakeU32(&dim) || dim > (1u << 24)) return Fail("corrupt dims of \"" + key + "\"");
        tensor.dims.push_back(static_cast<int>(dim));
        size *= dim;
      }
      if (size > (std::size_t{1} << 26)) return Fail("tensor \"" + key + "\" is too large");
      tensor.values.resize(size);
      for (float& v : tensor.values) {
        std::uint32_t raw;
        if (!TakeU32(&raw)) return Fail("truncated data of \"" + key + "\"");
        std::memcpy(&v, &raw, sizeof(v));
      }
      if (!tensors_.emplace(key, std::move(tensor)).second) {
        return Fail("tensor \"" + key + "\" appears twice");
      }
    }
    if (pos_ != bytes_.size()) return Fail("trailing bytes after the last tensor");
    return true;
  }

  std::string path_;
  std::vector<unsigned char> bytes_;
  std::size_t pos_ = 0;
  std::map<std::string, Tensor> tensors_;
  mutable std::vector<std::unique_ptr<Tensor>> fallbacks_;
  bool ok_ = false;
};

// ------------------------------------------------------------------ results

// The worst result of one (case, tensor) over the targets that ran it.
struct Worst {
  double relative_error = 0.0;  // max |a - r| / max |r|
  double tolerance_used = 0.0;  // max over elements of |a - r| / tolerance
  std::string target;           // where relative_error was seen
};

inline std::map<std::pair<std::string, std::string>, Worst>& Summary() {
  static std::map<std::pair<std::string, std::string>, Worst> summary;
  return summary;
}

// Prints the summary once, after all tests (the lead quotes these numbers).
class SummaryPrinter : public ::testing::Environment {
 public:
  void TearDown() override {
    std::printf("\n[golden] worst error per case and tensor over all targets\n");
    std::printf("[golden] %-38s %-18s %12s %10s  %s\n", "case", "tensor",
                "max|a-r|/max|r|", "err/tol", "target");
    for (const auto& [key, w] : Summary()) {
      std::printf("[golden] %-38s %-18s %12.3g %10.3g  %s\n", key.first.c_str(),
                  key.second.c_str(), w.relative_error, w.tolerance_used, w.target.c_str());
    }
  }
};

// Call once per test program (from its HWY_ONCE part).
inline bool RegisterSummary() {
  ::testing::AddGlobalTestEnvironment(new SummaryPrinter);  // gtest owns it
  return true;
}

// Checks every element of `actual` against `expected` with the rule above:
// |a - r| <= terms * eps * magnitude + eps * |r|. Reports at most five
// elements, and records the worst errors for the summary.
inline void ExpectNear(const std::string& case_name, const std::string& tensor,
                       const char* target, const float* actual, const Tensor& expected,
                       double terms, double magnitude) {
  constexpr double kEps = FLT_EPSILON;
  double max_error = 0.0, max_expected = 0.0, max_used = 0.0;
  int reported = 0;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const double a = actual[i], r = expected.values[i];
    const double error = std::abs(a - r);
    const double tolerance = terms * kEps * magnitude + kEps * std::abs(r);
    max_expected = std::max(max_expected, std::abs(r));
    if (!(error <= tolerance)) {  // NaN fails too
      max_used = std::isnan(error) ? INFINITY : std::max(max_used, error / tolerance);
      max_error = std::isnan(error) ? INFINITY : std::max(max_error, error);
      if (reported++ < 5) {
        ADD_FAILURE() << case_name << " " << tensor << "[" << i << "] on " << target
                      << ": " << a << " vs PyTorch " << r << " (error " << error
                      << " > tolerance " << tolerance << " = " << terms << " * eps * "
                      << magnitude << " + eps * |r|)";
      }
      continue;
    }
    max_error = std::max(max_error, error);
    if (tolerance > 0) max_used = std::max(max_used, error / tolerance);
  }
  if (reported > 5) {
    ADD_FAILURE() << case_name << " " << tensor << " on " << target << ": " << reported
                  << " of " << expected.size() << " elements out of tolerance";
  }
  const double relative = max_expected > 0 ? max_error / max_expected : max_error;
  Worst& w = Summary()[{case_name, tensor}];
  if (w.target.empty() || relative > w.relative_error) {
    w.relative_error = relative;
    w.target = target;
  }
  w.tolerance_used = std::max(w.tolerance_used, max_used);
}

}  // namespace staticnn::golden
