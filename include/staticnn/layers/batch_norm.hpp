// BatchNorm2d and BatchNorm1d with torch.nn's semantics.
//
// Training mode normalises with the batch's statistics, per channel over
// N, H, W (BatchNorm2d) or over N (BatchNorm1d): the biased variance
// normalises, and the running statistics move by `momentum` towards the batch
// mean and the UNBIASED variance (n / (n - 1)), as PyTorch does. Inference
// mode normalises with the running statistics. y = (x - mean) / sqrt(var + eps)
// * weight + bias (weight and bias only if affine).
//
// Tensors in state_dict order: weight (ones), bias (zeros) if affine, then the
// buffers running_mean (zeros) and running_var (ones). PyTorch's
// num_batches_tracked is not stored: it only matters for momentum = None (a
// cumulative average), which this layer does not offer; a loader of a PyTorch
// checkpoint skips it.
//
// With one value per channel (BatchNorm1d at batch 1) PyTorch refuses to
// train; here the batch variance is 0 and running_var moves towards 0 (no
// n / (n - 1) correction), so nothing becomes NaN.
#pragma once

#include "staticnn/layers/layer.hpp"

namespace staticnn {

struct BatchNormSpec {
  float eps = 1e-5f;
  float momentum = 0.1f;
  bool affine = true;
};

namespace detail {

// What BatchNorm2d and BatchNorm1d share; `Spatial` is the input they accept.
template <BatchNormSpec Spec, bool Spatial>
struct BatchNormLayer {
  static_assert(Spec.eps >= 0.0f && Spec.momentum >= 0.0f && Spec.momentum <= 1.0f,
                "staticnn: BatchNorm needs eps >= 0 and momentum in [0, 1]");
  static constexpr BatchNormSpec spec = Spec;
  static constexpr const char* name = Spatial ? "BatchNorm2d" : "BatchNorm1d";

  // BatchNorm2d: a C x H x W input (not after Flatten/Linear); BatchNorm1d:
  // a flat one (C x 1 x 1), as Linear takes.
  static constexpr LayerStep step(Shape in, bool flat) {
    LayerStep s;
    if (Spatial ? flat : in.h * in.w != 1) {
      s.violation = {Rule::batch_norm_wrong_input};
      return s;
    }
    s.out = in;
    s.flat = flat;
    return s;  // no MACs counted, as for the activations: folded away for inference
  }

  static constexpr auto tensors(Shape in) {
    std::array<Tensor, Spec.affine ? 4 : 2> t{};
    int i = 0;
    if constexpr (Spec.affine) {
      t[i++] = parameter("weight", {in.c}, 1, 1, Init::ones);
      t[i++] = parameter("bias", {in.c}, 1, 1, Init::zeros);
    }
    t[i++] = buffer("running_mean", in.c, Init::zeros);
    t[i++] = buffer("running_var", in.c, Init::ones);
    return t;
  }

  // Kept for backward: the mean and 1 / sqrt(var + eps) that forward used,
  // per channel, and whether they were the batch's (saved[2C] = 1) or the
  // running ones (0), which decides the gradient's form.
  static constexpr int saved_floats(Shape in) { return 2 * in.c + 1; }
  static constexpr LayerMemory memory(Shape in, int /*batch*/) {
    return {0, saved_floats(in), 0};
  }

  static void describe(TextLine& t, Shape in) {
    t.add("%s(%d", name, in.c);
    if (Spec.eps != 1e-5f) t.add(", eps=%g", double{Spec.eps});
    if (Spec.momentum != 0.1f) t.add(", momentum=%g", double{Spec.momentum});
    if (!Spec.affine) t.add(", affine=False");
    t.add(")");
  }
};

}  // namespace detail

template <BatchNormSpec Spec = BatchNormSpec{}>
struct BatchNorm2d : detail::BatchNormLayer<Spec, true> {};

template <BatchNormSpec Spec = BatchNormSpec{}>
struct BatchNorm1d : detail::BatchNormLayer<Spec, false> {};

}  // namespace staticnn
