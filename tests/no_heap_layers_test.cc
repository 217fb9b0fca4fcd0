// Nothing on the passes of a network with batch norms, ReLU6, Hardswish and
// Dropout touches the heap: every allocation function is counted around
// inference, training-mode and inference-mode forward, backward after each,
// and training steps (static dispatch, as firmware runs).
#include "tests/support/allocation_counter.hpp"

#include <gtest/gtest.h>

#include "staticnn/init.hpp"
#include "staticnn/passes.hpp"
#include "tests/support/layer_nets.hpp"

namespace staticnn::test {
namespace {

volatile void* sink;

// The counter sees this executable's allocations (else zero proves nothing).
TEST(NoHeapLayersTest, CounterSeesNew) {
  AllocationScope scope;
  int* q = new int(1);
  sink = q;
  delete q;
  EXPECT_GE(scope.count(), 1);
}

template <class Net, int Batch>
void ExpectNoAllocations() {
  static typename Net::Parameters p;
  static typename Net::Gradients g;
  static InferenceWorkspace<Net, Batch> infer_ws;
  static TrainingWorkspace<Net, Batch> train_ws;
  static Sgd<Net> sgd{{.lr = 0.01f, .momentum = 0.9f}};
  static float x[Batch * Net::input_shape.size()];
  static float dx[Batch * Net::input_shape.size()];
  static int labels[Batch];
  init_parameters<Net>(p, 1);
  for (int i = 0; i < Batch; ++i) labels[i] = i % Net::output_shape.size();
  for (int i = 0; i < Batch * Net::input_shape.size(); ++i) x[i] = 0.01f * float(i % 97);

  AllocationScope scope;
  const float* y = forward<Net, Batch>(p, x, infer_ws);
  forward<Net, Batch>(p, x, train_ws, Mode::training);
  backward<Net, Batch>(p, x, train_ws, train_ws.output_gradient, g, dx);
  forward<Net, Batch>(p, x, train_ws, Mode::inference);
  backward<Net, Batch>(p, x, train_ws, train_ws.output_gradient, g, dx);
  const LossResult loss = train_step<Net, Batch>(p, g, sgd, train_ws, x, labels);
  EXPECT_EQ(scope.count(), 0);
  EXPECT_TRUE(loss);
  EXPECT_TRUE(y != nullptr);
}

TEST(NoHeapLayersTest, NormNetBatch2) { ExpectNoAllocations<NormNet, 2>(); }
TEST(NoHeapLayersTest, NormNetBatch32) { ExpectNoAllocations<NormNet, 32>(); }

}  // namespace
}  // namespace staticnn::test
