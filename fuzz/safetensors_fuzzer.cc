// libFuzzer target for load_safetensors: any bytes must give either ok with
// finite parameters, or an error Status with the parameters untouched, never
// a crash, a hang, an abort (nlohmann throwing under -fno-exceptions) or a
// sanitizer report. fuzz/run-fuzzer builds and runs it; safetensors_replay.cc
// replays the corpus and the regression inputs in CTest without libFuzzer.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "fuzz/fuzz_net.hpp"
#include "staticnn/io/safetensors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using staticnn::fuzz::FuzzNet;
  static FuzzNet::Parameters params, before;
  for (std::size_t i = 0; i < FuzzNet::Parameters::size; ++i) params.values[i] = 0.5f;
  for (std::size_t i = 0; i < FuzzNet::Parameters::buffer_size; ++i) params.buffers[i] = 0.25f;
  before = params;
  // fmemopen refuses an empty buffer; an empty file is tested in safetensors_test.
  if (size == 0) return 0;
  std::FILE* f = fmemopen(const_cast<std::uint8_t*>(data), size, "rb");
  if (f == nullptr) std::abort();
  staticnn::IoError error;
  const staticnn::Status s = staticnn::safetensors_detail::load<FuzzNet>(params, f, &error);
  std::fclose(f);
  if (s == staticnn::Status::ok) {
    for (float v : params.values) {
      if (!std::isfinite(v)) std::abort();  // load promised finite values
    }
    for (float v : params.buffers) {
      if (!std::isfinite(v)) std::abort();
    }
  } else if (std::memcmp(params.values, before.values, sizeof params.values) != 0 ||
             std::memcmp(params.buffers, before.buffers, sizeof params.buffers) != 0 ||
             error.status != s || error.reason[0] == '\0') {
    std::abort();  // a refused file changed the parameters, or came unexplained
  }
  return 0;
}
