// The single-core fp32 FMA peak that "peak_frac" counters divide by.
#pragma once

#include <cstdlib>

namespace staticnn::bench {

// $STATICNN_PEAK_FLOPS when set (tools/benchmarks.py sets it from peak_bench
// on the machine at hand); otherwise 117e9, peak_bench's AVX3 figure on the
// project's 2-core AMD EPYC (Zen 4 executes a 512-bit FMA as two halves, so
// AVX3 and AVX2 peak alike; HIGHWAY-1.0.3.md's 240e9 came from another CPU).
inline double PeakFlops() {
  const char* env = std::getenv("STATICNN_PEAK_FLOPS");
  const double measured = env != nullptr ? std::strtod(env, nullptr) : 0.0;
  return measured > 0 ? measured : 117e9;
}

}  // namespace staticnn::bench
