// Kernels of the blocks (layers/blocks.hpp) for one Highway target: each runs
// its inner chains with the chain passes (chain-inl.h), in the memory its
// LayerMemory reserved.

#if defined(STATICNN_LAYERS_BLOCKS_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef STATICNN_LAYERS_BLOCKS_INL_H_
#undef STATICNN_LAYERS_BLOCKS_INL_H_
#else
#define STATICNN_LAYERS_BLOCKS_INL_H_
#endif

#include <cstddef>
#include <type_traits>

#include "hwy/highway.h"
#include "staticnn/chain-inl.h"
#include "staticnn/kernels/activation-inl.h"
#include "staticnn/layers/blocks.hpp"
#include "staticnn/layers/kernel-inl.h"

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// dst[i] += src[i] for N floats: a memory-bound element-wise sum, left to the
// compiler's vectorizer for this target.
template <std::size_t N>
HWY_INLINE void AddInto(float* HWY_RESTRICT dst, const float* HWY_RESTRICT src) {
  for (std::size_t i = 0; i < N; ++i) dst[i] += src[i];
}
// dst[i] = a[i] + b[i], or max(0, a[i] + b[i]) with kRelu (a Residual and the
// ReLU after it in one pass, the ReLU's bits); dst may be a or b.
template <std::size_t N, bool kRelu>
HWY_INLINE void AddTo(float* dst, const float* a, const float* b) {
  ForEachVector<N>([&](auto d, std::size_t i) HWY_ATTR {
    const auto sum = hn::Add(hn::LoadU(d, a + i), hn::LoadU(d, b + i));
    hn::StoreU(kRelu ? Relu(d, sum) : sum, d, dst + i);
  });
}

// Runs one list (a Sequential, Main, Shortcut or Branch) as a chain: in
// inference when there is nowhere to keep state. With `out` its last layer
// writes there (and backward must be given the same `out`); without, its
// output stays in the chain's own memory. Returns where the output is.
template <class List, Shape In, int Batch>
struct ListPass {
  using C = typename List::template chain<In>;
  static const float* Forward(const ForwardArgs& a, float* saved, float* scratch, float* out) {
    if (a.saved == nullptr) return Infer(a, scratch, out);
    return ChainForward<C, Batch>(a.params, a.buffers, a.updated_buffers, a.in, saved, scratch,
                                  a.rng, out);
  }
  // For a caller that has already taken its inference branch: a run-time test
  // of a.saved here would leave ChainForward with a null `saved` for g++ to
  // analyse (it reloads a.saved after the float stores of the list run
  // before), and -Warray-bounds warns about that dead branch.
  static const float* Infer(const ForwardArgs& a, float* scratch, float* out) {
    return ChainInfer<C, Batch>(a.params, a.buffers, a.in, scratch, out);
  }
  static void Backward(const BackwardArgs& a, const float* dout, float* din, float* saved,
                       float* scratch, float* out) {
    ChainBackward<C, Batch>(a.params, a.buffers, a.in, saved, scratch, dout, din, a.grads, out);
  }
};

template <class... Layers>
struct Kernel<Sequential<Layers...>> {
  template <Shape In, int Batch>
  static void Forward(const ForwardArgs& a) {
    ListPass<Sequential<Layers...>, In, Batch>::Forward(a, a.saved, a.scratch, a.out);
  }
  template <Shape In, int Batch>
  static void Backward(const BackwardArgs& a) {
    ListPass<Sequential<Layers...>, In, Batch>::Backward(
        a, a.dout, a.din, const_cast<float*>(a.saved), a.scratch, const_cast<float*>(a.out));
  }
};

template <class... Parts>
struct Kernel<Residual<Parts...>> {
  using R = Residual<Parts...>;
  using Main = typename R::main;

  template <Shape In, int Batch>
  static void Forward(const ForwardArgs& a) {
    Run<In, Batch, false>(a);
  }

  // Inference of the block and a ReLU after it (chain.hpp): the ReLU is
  // applied in the pass that adds the two paths.
  template <Shape In, int Batch>
  static void ForwardRelu(const ForwardArgs& a) {
    Run<In, Batch, true>(a);
  }

  template <Shape In, int Batch, bool kRelu>
  static void Run(const ForwardArgs& a) {
    constexpr std::size_t n = std::size_t(Batch) * In.size();
    if constexpr (!R::projection) {
      // F(x) stays in the main chain's memory: its last layer's backward may
      // need its own output (Tanh, Sigmoid), which the sum would overwrite.
      const float* f = ListPass<Main, In, Batch>::Forward(a, a.saved, a.scratch, nullptr);
      AddTo<n, kRelu>(a.out, f, a.in);
    } else {
      using Shortcut = typename R::parts::shortcut;
      constexpr auto m = Main::list_memory(In, Batch);
      constexpr auto g = Shortcut::list_memory(In, Batch);
      constexpr Shape out_shape = Main::plan(In, false).out;
      constexpr std::size_t out_n = std::size_t(Batch) * out_shape.size();
      constexpr auto main_plan = Main::plan(In, false);
      ForwardArgs s = a;  // the shortcut's tensors follow the main path's
      s.params += main_plan.params;
      s.buffers += main_plan.buffers;
      if (s.updated_buffers != nullptr) s.updated_buffers += main_plan.buffers;
      if (a.saved == nullptr) {
        // Inference: the shortcut writes the output, then the main path runs
        // in the same scratch and its F(x) is added into it.
        ListPass<Shortcut, In, Batch>::Infer(s, a.scratch, a.out);
        const float* f = ListPass<Main, In, Batch>::Infer(a, a.scratch, nullptr);
        AddTo<out_n, kRelu>(a.out, a.out, f);
      } else {
        const float* f = ListPass<Main, In, Batch>::Forward(a, a.saved, a.scratch, nullptr);
        float* shortcut_out = a.saved + m.saved_floats + g.saved_floats;
        ListPass<Shortcut, In, Batch>::Forward(s, a.saved + m.saved_floats, a.scratch,
                                               shortcut_out);
        AddTo<out_n, kRelu>(a.out, f, shortcut_out);
      }
    }
  }

  template <Shape In, int Batch>
  static void Backward(const BackwardArgs& a) {
    constexpr std::size_t n = std::size_t(Batch) * In.size();
    float* saved = const_cast<float*>(a.saved);
    ListPass<Main, In, Batch>::Backward(a, a.dout, a.din, saved, a.scratch, nullptr);
    if constexpr (!R::projection) {
      if (a.din != nullptr) AddInto<n>(a.din, a.dout);
    } else {
      using Shortcut = typename R::parts::shortcut;
      constexpr auto m = Main::list_memory(In, Batch);
      constexpr auto g = Shortcut::list_memory(In, Batch);
      float* din = a.din == nullptr ? nullptr : a.scratch;
      constexpr auto main_plan = Main::plan(In, false);
      BackwardArgs s = a;
      s.params += main_plan.params;
      s.buffers += main_plan.buffers;
      s.grads += main_plan.params;
      ListPass<Shortcut, In, Batch>::Backward(s, a.dout, din, saved + m.saved_floats,
                                              a.scratch + detail::round_up16(long(n)),
                                              saved + m.saved_floats + g.saved_floats);
      if (a.din != nullptr) AddInto<n>(a.din, din);
    }
  }
};

// Each branch runs on the same input into its own output, which is then
// stacked along channels; backward slices the output gradient per branch and
// sums the branches' input gradients.
template <class... Branches>
struct Kernel<Concat<Branches...>> {
  template <Shape In, int Batch>
  static void Forward(const ForwardArgs& a) {
    ForEachBranch<In, Batch>([&](auto branch, const Layout& at) {
      using B = typename decltype(branch)::type;
      ForwardArgs s = a;
      s.params += at.params;
      s.buffers += at.buffers;
      if (s.updated_buffers != nullptr) s.updated_buffers += at.buffers;
      float* out;
      if (a.saved == nullptr) {
        out = a.scratch;
        ListPass<B, In, Batch>::Infer(s, a.scratch + at.out_floats, out);
      } else {
        out = a.saved + at.saved + at.branch_saved;
        ListPass<B, In, Batch>::Forward(s, a.saved + at.saved, a.scratch, out);
      }
      // [Batch][C_branch][HW] into [Batch][C][HW] at the branch's channels.
      for (int b = 0; b < Batch; ++b) {
        CopyFloats(std::size_t(at.branch_size), out + b * at.branch_size,
                   a.out + b * at.total_size + at.channel_offset);
      }
    });
  }

  template <Shape In, int Batch>
  static void Backward(const BackwardArgs& a) {
    constexpr std::size_t n = std::size_t(Batch) * In.size();
    ForEachBranch<In, Batch>([&](auto branch, const Layout& at) {
      using B = typename decltype(branch)::type;
      BackwardArgs s = a;
      s.params += at.params;
      s.buffers += at.buffers;
      s.grads += at.params;
      float* dout = a.scratch;  // this branch's slice of the output gradient
      for (int b = 0; b < Batch; ++b) {
        CopyFloats(std::size_t(at.branch_size), a.dout + b * at.total_size + at.channel_offset,
                   dout + b * at.branch_size);
      }
      // The first branch writes din; the others add theirs.
      float* din = a.din == nullptr ? nullptr : at.index == 0 ? a.din : a.scratch + at.out_floats;
      float* saved = const_cast<float*>(a.saved);
      ListPass<B, In, Batch>::Backward(s, dout, din, saved + at.saved,
                                       a.scratch + at.out_floats + at.din_floats,
                                       saved + at.saved + at.branch_saved);
      if (a.din != nullptr && at.index != 0) AddInto<n>(a.din, din);
    });
  }

 private:
  // Where branch `index` keeps its tensors, state and output.
  struct Layout {
    int index = 0;
    long params = 0, buffers = 0;    // its first tensor in the block's arrays
    long saved = 0, branch_saved = 0;  // its region in `saved`, and its output after it
    long out_floats = 0, din_floats = 0;
    int branch_size = 0, total_size = 0, channel_offset = 0;  // per sample
  };

  template <Shape In, int Batch, class F>
  static void ForEachBranch(F&& f) {
    constexpr Shape out = Concat<Branches...>::step(In, false).out;
    Layout at;
    at.total_size = out.size();
    at.din_floats = detail::round_up16(long(Batch) * In.size());
    (
        [&] {
          constexpr auto p = Branches::plan(In, false);
          constexpr auto m = Branches::list_memory(In, Batch);
          at.branch_size = p.out.size();
          at.out_floats = detail::round_up16(long(Batch) * p.out.size());
          at.branch_saved = m.saved_floats;
          f(std::type_identity<Branches>{}, at);
          at.params += p.params;
          at.buffers += p.buffers;
          at.saved += m.saved_floats + at.out_floats;
          at.channel_offset += p.out.size();
          ++at.index;
        }(),
        ...);
  }
};

}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#endif  // STATICNN_LAYERS_BLOCKS_INL_H_ toggle
