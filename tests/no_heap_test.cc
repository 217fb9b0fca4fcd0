// Nothing on the forward, loss, backward or optimizer path touches the heap:
// every allocation function is counted around whole passes of LeNet-5 and a
// CIFAR-style network, for inference and for training steps.
#include "tests/support/allocation_counter.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

#include "staticnn/init.hpp"
#include "staticnn/passes.hpp"
#include "tests/support/nets.hpp"

namespace staticnn::test {
namespace {

volatile void* sink;

TEST(AllocationCounterTest, SeesNewAndMalloc) {
  AllocationScope scope;
  int* p = new int(1);
  sink = p;
  delete p;
  void* m = std::malloc(16);
  sink = m;
  std::free(m);
  EXPECT_GE(scope.count(), STATICNN_COUNT_MALLOC ? 2 : 1);
}

template <class Net, int Batch>
void ExpectNoAllocations() {
  static typename Net::Parameters p;
  static typename Net::Gradients g;
  static InferenceWorkspace<Net, Batch> infer_ws;
  static TrainingWorkspace<Net, Batch> train_ws;
  static Sgd<Net> sgd{{.lr = 0.01f, .momentum = 0.9f}};
  static Adam<Net> adam{};
  static float x[Batch * Net::input_shape.size()];
  static float dx[Batch * Net::input_shape.size()];
  static int labels[Batch];
  init_parameters<Net>(p, 1);
  for (int i = 0; i < Batch; ++i) labels[i] = i % Net::output_shape.size();
  for (float& v : x) v = 0.5f;

  AllocationScope scope;
  const float* y = forward<Net, Batch>(p, x, infer_ws);
  const LossResult loss = train_step<Net, Batch>(p, g, sgd, train_ws, x, labels);
  const LossResult loss2 = train_step<Net, Batch>(p, g, adam, train_ws, x, labels);
  const LossResult hinge = multiclass_hinge<Net, Batch>(y, labels, train_ws.output_gradient);
  backward<Net, Batch>(p, x, train_ws, train_ws.output_gradient, g, dx);
  EXPECT_EQ(scope.count(), 0);
  EXPECT_TRUE(loss && loss2 && hinge);
}

TEST(NoHeapTest, LeNetBatch1) { ExpectNoAllocations<LeNet, 1>(); }
TEST(NoHeapTest, LeNetBatch64) { ExpectNoAllocations<LeNet, 64>(); }
TEST(NoHeapTest, CifarNetBatch2) { ExpectNoAllocations<CifarNet, 2>(); }

}  // namespace
}  // namespace staticnn::test
