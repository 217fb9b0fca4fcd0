// Prints, as Markdown table rows, what staticnn/budget.hpp computes for the
// MLPerf Tiny reference models with BatchNorm folded (what firmware runs), batch 1:
// flash for the parameters, RAM for the inference workspace. tools/firmware-table
// compiles and runs it on the build machine (the sizes do not depend on the target).
#include <cstdio>

#include "staticnn/budget.hpp"
#include "staticnn/fold.hpp"
#include "staticnn/models/mlperf_tiny.hpp"

namespace {
template <class Net>
void row(const char* name) {
  using Folded = staticnn::fold_batch_norm_t<Net>;
  using Needs = staticnn::MemoryNeeds<Folded, 1>;
  std::printf("| %s | %d | %lu B | %lu B |\n", name, Folded::param_count,
              static_cast<unsigned long>(Needs::flash_bytes),
              static_cast<unsigned long>(Needs::inference_ram_bytes));
}
}  // namespace

int main() {
  namespace mt = staticnn::mlperf_tiny;
  std::printf("| network (BatchNorm folded) | parameters | flash | inference RAM |\n");
  std::printf("|---|--:|--:|--:|\n");
  row<mt::DsCnn>("DS-CNN (keyword spotting)");
  row<mt::MobileNetV1>("MobileNetV1 0.25 (visual wake words)");
  row<mt::ResNet8>("ResNet-8 (CIFAR-10)");
  row<mt::AutoEncoder>("FC autoencoder (anomaly detection)");
  return 0;
}
