// The passes over a chain of layers (chain.hpp), per Highway target: inference,
// forward for training, backward. The layer sequence is unrolled at compile
// time by a fold over an index sequence; each layer runs its Kernel<Layer>
// (layers/kernel-inl.h). No switch over layer kinds, no virtual calls, no
// run-time shapes, no heap. The Network and every block use these.

#if defined(STATICNN_CHAIN_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef STATICNN_CHAIN_INL_H_
#undef STATICNN_CHAIN_INL_H_
#else
#define STATICNN_CHAIN_INL_H_
#endif

#include <cstddef>
#include <cstdint>
#include <utility>

#include "hwy/highway.h"
#include "staticnn/chain.hpp"
#include "staticnn/layers/kernel-inl.h"

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {

// Runs f(integral_constant<I>) for I = 0 .. N-1, or N-1 .. 0.
template <std::size_t N, class F>
HWY_INLINE void ForEachLayer(F&& f) {
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    (f(std::integral_constant<std::size_t, I>{}), ...);
  }(std::make_index_sequence<N>{});
}
template <std::size_t N, class F>
HWY_INLINE void ForEachLayerBackward(F&& f) {
  [&]<std::size_t... R>(std::index_sequence<R...>) {
    (f(std::integral_constant<std::size_t, N - 1 - R>{}), ...);
  }(std::make_index_sequence<N>{});
}

// The last layer that computes (C::size if every layer aliases its input).
template <class C>
constexpr std::size_t LastComputing() {
  std::size_t last = C::size;
  for (std::size_t i = 0; i < C::size; ++i) {
    if (!C::plan.layers[i].aliases) last = i;
  }
  return last;
}

// The last layer that runs a kernel in inference (C::size if none does): not
// one that aliases its input or is skipped, nor a ReLU or max pool fused into
// the layer before it.
template <class C>
constexpr std::size_t LastInferring() {
  std::size_t last = C::size;
  for (std::size_t i = 0; i < C::size; ++i) {
    const detail::LayerRecord& r = C::plan.layers[i];
    if (!r.aliases && !r.fused && !r.pool_fused && !r.skipped) last = i;
  }
  return last;
}

// Copies n floats (a chain that only aliases, written to an explicit output).
HWY_INLINE void CopyFloats(std::size_t n, const float* from, float* to) {
  for (std::size_t k = 0; k < n; ++k) to[k] = from[k];
}

// Inference on a batch x ([Batch][in]); `memory` holds
// C::memory<Batch>.inference_floats floats. Returns the output, which lives in
// `memory` (or is x itself, for a chain of aliasing or skipped layers only) unless
// `out` is given: then the last layer writes there (blocks use this).
template <class C, int Batch>
const float* ChainInfer(const float* params, const float* buffers, const float* x, float* memory,
                        float* out_given = nullptr) {
  constexpr auto& m = C::template memory<Batch>;
  constexpr std::size_t last = LastInferring<C>();
  const float* current = x;
  ForEachLayer<C::size>([&](auto i) {
    constexpr std::size_t I = decltype(i)::value;
    constexpr detail::LayerRecord r = C::plan.layers[I];
    // A ReLU fused into this layer (chain.hpp) ran inside its kernel, and so
    // did a max pool after it (after the ReLU, if any), into the pool's buffer.
    constexpr bool kFusesNext = I + 1 < C::size && C::plan.layers[I + 1].fused;
    constexpr std::size_t kPoolAt = kFusesNext ? I + 2 : I + 1;
    constexpr bool kPoolsNext = kPoolAt < C::size && C::plan.layers[kPoolAt].pool_fused;
    if constexpr (!r.aliases && !r.fused && !r.pool_fused && !r.skipped) {
      // With a fused pool, this layer's own buffer is scratch for its kernel.
      float* out = I == last && out_given != nullptr && !kPoolsNext ? out_given
                                                                    : memory + m.inference_out[I];
      using K = Kernel<typename C::template layer<I>>;
      const ForwardArgs args{current, out, params + r.param_offset, buffers + r.buffer_offset,
                             nullptr, nullptr, memory + m.inference_scratch_at, false, nullptr};
      if constexpr (kPoolsNext) {
        float* pooled = I == last && out_given != nullptr ? out_given
                                                          : memory + m.inference_out[kPoolAt];
        K::template ForwardPooled<r.in, Batch, kFusesNext,
                                  typename C::template layer<kPoolAt>>(args, pooled);
        out = pooled;
      } else if constexpr (kFusesNext) {
        K::template ForwardRelu<r.in, Batch>(args);
      } else {
        K::template Forward<r.in, Batch>(args);
      }
      current = out;
    }
  });
  if (last == C::size && out_given != nullptr) {
    CopyFloats(std::size_t(Batch) * C::output_shape.size(), x, out_given);
    return out_given;
  }
  return current;
}

// Layer I's output during training: x itself for leading aliasing layers;
// `out` (when given) for the last computing layer and the aliasing ones after
// it; otherwise its place in `saved`, the chain's kept region.
template <class C, int Batch, std::size_t I>
HWY_INLINE float* TrainingOutput(float* saved, const float* x, float* out) {
  constexpr long kept = C::template memory<Batch>.kept_out[I];
  if constexpr (kept < 0) {
    return const_cast<float*>(x);  // never written: an aliasing layer's output
  } else {
    return out != nullptr && I >= LastComputing<C>() ? out : saved + kept;
  }
}
template <class C, int Batch, std::size_t I>
HWY_INLINE const float* TrainingInput(float* saved, const float* x, float* out) {
  if constexpr (I == 0) {
    return x;
  } else {
    return TrainingOutput<C, Batch, I - 1>(saved, x, out);
  }
}

// Forward that keeps what backward needs: `saved` holds
// C::memory<Batch>.saved_floats floats (kept until backward), `scratch`
// C::memory<Batch>.training_scratch_floats. In training mode (`updated_buffers`
// not null) layers use batch statistics and update their buffers. With `out`
// the last layer writes there (pass the same `out` to ChainBackward).
template <class C, int Batch>
const float* ChainForward(const float* params, const float* buffers, float* updated_buffers,
                          const float* x, float* saved, float* scratch, std::uint64_t* rng,
                          float* out = nullptr) {
  constexpr auto& m = C::template memory<Batch>;
  ForEachLayer<C::size>([&](auto i) {
    constexpr std::size_t I = decltype(i)::value;
    constexpr detail::LayerRecord r = C::plan.layers[I];
    // A ReLU fused into this layer (chain.hpp) runs inside its kernel, which
    // writes the ReLU's output; its own output is never written and has no
    // room of its own (chain.hpp: no backward reads it, ReLU's reads its output).
    constexpr bool kFusesNext = I + 1 < C::size && C::plan.layers[I + 1].fused;
    if constexpr (!r.aliases && !r.fused) {
      using K = Kernel<typename C::template layer<I>>;
      const ForwardArgs args{
          TrainingInput<C, Batch, I>(saved, x, out),
          TrainingOutput<C, Batch, kFusesNext ? I + 1 : I>(saved, x, out),
          params + r.param_offset, buffers + r.buffer_offset,
          updated_buffers == nullptr ? nullptr : updated_buffers + r.buffer_offset,
          saved + m.saved_at[I], scratch + m.training_scratch_at, updated_buffers != nullptr,
          rng};
      if constexpr (kFusesNext) {
        K::template ForwardRelu<r.in, Batch>(args);
      } else {
        K::template Forward<r.in, Batch>(args);
      }
    }
  });
  if constexpr (LastComputing<C>() == C::size) {  // only aliasing layers
    if (out != nullptr) {
      CopyFloats(std::size_t(Batch) * C::output_shape.size(), x, out);
      return out;
    }
  }
  return TrainingOutput<C, Batch, C::size - 1>(saved, x, out);
}

// Whether layer I of C takes the backward of the ReLU right before it (false
// past the last layer).
template <class C, std::size_t I>
constexpr bool TakesReluBackward() {
  if constexpr (I == 0 || I >= C::size) {
    return false;
  } else {
    return detail::layer_flags<typename C::template layer<I>>().takes_relu_backward &&
           detail::layer_flags<typename C::template layer<I - 1>>().relu;
  }
}

// Backward after ChainForward with the same `saved` and `out`: dout is the
// gradient at the chain's output. Adds the parameter gradients into `grads`;
// writes the gradient at the input into `din` unless it is null.
template <class C, int Batch>
void ChainBackward(const float* params, const float* buffers, const float* x, float* saved,
                   float* scratch, const float* dout, float* din, float* grads,
                   float* out = nullptr) {
  constexpr auto& m = C::template memory<Batch>;
  // The first layer that computes; the aliasing ones before it pass the
  // gradient through, so it writes `din` directly.
  constexpr std::size_t first = [] {
    std::size_t i = 0;
    while (i < C::size && C::plan.layers[i].aliases) ++i;
    return i;
  }();
  float* const gradient[2] = {scratch, scratch + m.gradient_floats};
  const float* grad = dout;
  ForEachLayerBackward<C::size>([&](auto i) {
    constexpr std::size_t I = decltype(i)::value;
    constexpr detail::LayerRecord r = C::plan.layers[I];
    // A layer that takes the backward of the ReLU before it (a max pool: no
    // gradient through a window whose maximum is not positive) writes the
    // gradient at the ReLU's input; the ReLU's own backward does not run.
    constexpr bool kTakesRelu = TakesReluBackward<C, I>();
    if constexpr (!r.aliases && !TakesReluBackward<C, I + 1>()) {
      float* d = I == first || (kTakesRelu && I - 1 == first)
                     ? din
                     : (grad == gradient[0] ? gradient[1] : gradient[0]);
      using K = Kernel<typename C::template layer<I>>;
      const BackwardArgs args{
          TrainingInput<C, Batch, I>(saved, x, out), TrainingOutput<C, Batch, I>(saved, x, out),
          grad, d, params + r.param_offset, buffers + r.buffer_offset, saved + m.saved_at[I],
          grads + r.param_offset, scratch + m.training_scratch_at};
      if constexpr (kTakesRelu) {
        K::template BackwardAfterRelu<r.in, Batch>(args);
      } else {
        K::template Backward<r.in, Batch>(args);
      }
      grad = d;
    }
  });
  if constexpr (first == C::size) {  // only aliasing layers: the gradient passes through
    if (din != nullptr) CopyFloats(std::size_t(Batch) * C::input_shape.size(), dout, din);
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#endif  // STATICNN_CHAIN_INL_H_ toggle
