// What a layer's kernels receive from the network passes. Pointers are for
// the whole batch ([Batch][C][H][W]); a layer's tensors are contiguous in the
// network's arrays in its own state_dict order (layers/tensor.hpp).
#pragma once

#include <cstdint>

namespace staticnn {

// How a forward pass runs: training (batch statistics, dropout active,
// buffers updated) or inference (running statistics, no dropout).
enum class Mode { training, inference };

struct ForwardArgs {
  const float* in;
  float* out;
  const float* params;   // the layer's first parameter
  const float* buffers;  // the layer's first buffer
  // Training mode only (null otherwise): buffers to update (running
  // statistics), the same memory as `buffers`.
  float* updated_buffers;
  // Kept for backward (layer's LayerMemory::saved floats); null when forward
  // does not keep state for backward (an InferenceWorkspace).
  float* saved;
  float* scratch;
  bool training;        // batch statistics, dropout active
  std::uint64_t* rng;   // random state for layers that draw (Dropout)
};

struct BackwardArgs {
  const float* in;    // forward's input and output
  const float* out;
  const float* dout;  // gradient at the output
  float* din;         // gradient at the input: written (overwritten); null if unwanted
  const float* params;
  const float* buffers;
  const float* saved;
  float* grads;       // the layer's parameter gradients: added to (accumulated)
  float* scratch;
};

}  // namespace staticnn
