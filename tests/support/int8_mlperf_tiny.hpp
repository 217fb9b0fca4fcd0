// The MLPerf Tiny int8 cases of tools/make_int8_golden.py
// (tests/data/int8/mlperf_*.gold) as the C++ tests rebuild them: the folded
// float parameters and the inputs from the script's LCG, the committed
// ranges, and int8::quantize's parameters.
#pragma once

#include <string>

#include "staticnn/fold.hpp"
#include "staticnn/int8/network.hpp"
#include "staticnn/models/mlperf_tiny.hpp"
#include "tests/golden.hpp"
#include "tests/support/script_weights.hpp"

namespace staticnn::int8_mlperf_tiny {

constexpr int kCalibration = 4;

// A model's folded float parameters, calibration inputs (the test input
// after them), committed ranges and its int8 parameters.
template <class Model>
struct Case {
  using Folded = fold_batch_norm_t<Model>;
  using QNet = int8::quantized_t<Model>;
  static constexpr long kIn = QNet::input_shape.size();
  Folded::Parameters params{};
  float x[(kCalibration + 1) * kIn];
  int8::Range ranges[QNet::tensor_count];
  int8::Parameters<QNet> q;
};

inline std::string FileName(const char* name) { return std::string("../int8/mlperf_") + name; }

// Weights as the script draws them (script_weights.hpp); inputs in [-1, 1); ranges from the file; quantized. Once per model.
template <class Model>
Case<Model>& Prepare(const char* name) {
  static Case<Model> c;
  static bool prepared = false;
  if (prepared) return c;
  prepared = true;
  using C = Case<Model>;
  script_weights::Draw<typename C::Folded>(c.params.values);
  script_weights::Lcg inputs{7};
  for (float& v : c.x) v = inputs.Uniform(1.0f);
  const golden::File f(FileName(name));
  const golden::Tensor& ranges = f.Get("ranges", {int(C::QNet::tensor_count), 2});
  for (long i = 0; i < C::QNet::tensor_count; ++i) {
    c.ranges[i] = {ranges.values[std::size_t(2 * i)], ranges.values[std::size_t(2 * i + 1)]};
  }
  c.q = int8::quantize<typename C::QNet>(c.params, c.ranges);
  return c;
}

}  // namespace staticnn::int8_mlperf_tiny
