// Inference with a network exported from PyTorch or ONNX by tools/staticnn_export:
// the header it wrote defines <namespace>::Net and <namespace>::parameters
// (constexpr: the weights are in read-only data). Reads one input sample (raw
// little-endian float32, C*H*W values, as numpy's tofile writes) and prints the
// output; given PyTorch's output for that sample as a second file, prints the
// largest difference and exits 1 if it is above 1e-4 of the largest output.
//
//   exported_inference sample.f32 [pytorch_output.f32]
//
// Build: STATICNN_EXPORTED_HEADER names the header (default "model.hpp") and
// STATICNN_EXPORTED_NAMESPACE its namespace (default model, the exporter's
// default for model.hpp). Static dispatch: the kernels are compiled for this
// translation unit's target (e.g. -march=native), as firmware is.
#include <cmath>
#include <cstdio>

#include "staticnn/passes.hpp"

#ifndef STATICNN_EXPORTED_HEADER
#define STATICNN_EXPORTED_HEADER "model.hpp"
#endif
#ifndef STATICNN_EXPORTED_NAMESPACE
#define STATICNN_EXPORTED_NAMESPACE model
#endif
#include STATICNN_EXPORTED_HEADER

namespace exported = STATICNN_EXPORTED_NAMESPACE;
using Net = exported::Net;
constexpr int kInputs = Net::input_shape.size(), kOutputs = Net::output_shape.size();

// Exactly `count` floats from `path`, or a message and false.
static bool read_floats(const char* path, float* out, int count) {
  std::FILE* f = std::fopen(path, "rb");
  if (f == nullptr) {
    std::fprintf(stderr, "error: %s: cannot open file\n", path);
    return false;
  }
  const bool ok = std::fread(out, sizeof(float), std::size_t(count), f) == std::size_t(count) &&
                  std::fgetc(f) == EOF;
  std::fclose(f);
  if (!ok) std::fprintf(stderr, "error: %s: not %d float32 values\n", path, count);
  return ok;
}

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: %s sample.f32 [pytorch_output.f32]\n", argv[0]);
    return 2;
  }
  static float x[kInputs], expected[kOutputs];
  static staticnn::InferenceWorkspace<Net, 1> workspace;
  if (!read_floats(argv[1], x, kInputs)) return 2;
  const float* y = staticnn::forward<Net, 1>(exported::parameters, x, workspace);
  for (int i = 0; i < kOutputs; ++i) std::printf("%s%.6g", i ? " " : "", double(y[i]));
  std::printf("\n");
  if (argc < 3) return 0;
  if (!read_floats(argv[2], expected, kOutputs)) return 2;
  double difference = 0.0, largest = 0.0;
  bool finite = true;
  for (int i = 0; i < kOutputs; ++i) {
    finite = finite && std::isfinite(y[i]);
    difference = std::fmax(difference, std::fabs(double(y[i]) - expected[i]));
    largest = std::fmax(largest, std::fabs(double(expected[i])));
  }
  const bool agrees = finite && difference <= 1e-4 * largest;
  std::printf("largest difference from PyTorch: %.3g (%.3g of the largest output): %s\n",
              difference, largest > 0 ? difference / largest : difference,
              agrees ? "agrees" : "DISAGREES");
  return agrees ? 0 : 1;
}
