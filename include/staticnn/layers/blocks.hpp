// Blocks: layers that hold flat lists of layers of their own, so that the
// models people embed read as they are drawn.
//
//   Sequential<Layers...>                 a named, reusable run of layers
//   Residual<Layers...>                   y = x + F(x)
//   Residual<Main<...>, Shortcut<...>>    y = F(x) + G(x) (ResNet's projection)
//   Concat<Branch<...>, Branch<...>...>   branch outputs stacked along channels
//
// A block is an element of the Network's list like any layer (never nested
// around the next layer); its inner layers are planned with the same fold, and
// an error inside it names the path: the block's index, then the index inside.
// Tensors are keyed as PyTorch keys submodules: "<block>.<i>.weight" for
// Sequential and Residual<Layers...>, "<block>.main.<i>..." and
// "<block>.shortcut.<i>..." for a projection Residual, "<block>.<branch>.<i>..."
// for Concat.
#pragma once

#include <array>
#include <cstddef>
#include <type_traits>

#include <boost/hana/at.hpp>
#include <boost/hana/tuple.hpp>
#include <boost/hana/type.hpp>

#include "staticnn/chain.hpp"
#include "staticnn/layers/layer.hpp"

namespace staticnn {
namespace detail {

template <std::size_t I, class... Ts>
using nth = typename decltype(+boost::hana::at_c<I>(boost::hana::tuple_t<Ts...>))::type;

// A violation inside the list at `index` of a block, seen from the block.
template <std::size_t N>
constexpr Violation violation_inside(const Plan<N>& plan, int index_in_block) {
  Violation v = plan.violation;
  if (v.depth == 0) v.in = plan.layers[std::size_t(plan.first_error)].in;
  return v.inside(plan.first_error).inside(index_in_block);
}
template <std::size_t N>
constexpr Violation violation_inside(const Plan<N>& plan) {
  Violation v = plan.violation;
  if (v.depth == 0) v.in = plan.layers[std::size_t(plan.first_error)].in;
  return v.inside(plan.first_error);
}

// Tensors of a part, keyed under `prefix` and shifted past what comes before.
template <std::size_t N>
constexpr std::array<Tensor, N> keyed(std::array<Tensor, N> t, const char* prefix, long params,
                                      long buffers) {
  for (Tensor& x : t) {
    x.name = x.name.under(TensorName(prefix));
    x.offset += x.role == TensorRole::parameter ? params : buffers;
  }
  return t;
}
template <std::size_t N, std::size_t M>
constexpr std::array<Tensor, N + M> joined(const std::array<Tensor, N>& a,
                                           const std::array<Tensor, M>& b) {
  std::array<Tensor, N + M> t{};
  for (std::size_t i = 0; i < N; ++i) t[i] = a[i];
  for (std::size_t i = 0; i < M; ++i) t[N + i] = b[i];
  return t;
}

// A layer's planned record on its own, for a block's child that is itself a list.
template <class L>
constexpr LayerRecord record_of(Shape in, bool flat) {
  return plan_layers<L>(in, flat).layers[0];
}

// What every block built on one list shares: its layers, planned on the
// block's input. (Its tensors and memory are read with flat = false: flatness
// changes which rules apply, never a valid plan's shapes.)
template <class... Layers>
struct ListOf {
  static constexpr std::size_t size = sizeof...(Layers);
  template <std::size_t I>
  using child = nth<I, Layers...>;
  template <Shape In>
  using chain = Chain<In, false, Layers...>;

  static constexpr Plan<size> plan(Shape in, bool flat) { return plan_layers<Layers...>(in, flat); }
  static constexpr auto list_tensors(Shape in) { return chain_tensors<Layers...>(in, false); }
  static constexpr ChainMemory<size> list_memory(Shape in, int batch) {
    return chain_memory<Layers...>(in, false, batch);
  }
  // visit.template operator()<Child>(key, record, flat_in) for each layer, keyed
  // "0", "1", ... as in state_dict paths (the summary's nested rows).
  template <class Visit>
  static constexpr void children(Shape in, bool flat, Visit&& visit) {
    const auto p = plan(in, flat);
    int i = 0;
    (
        [&] {
          TensorName key;
          key.append(i);
          const bool flat_in = i == 0 ? flat : p.layers[std::size_t(i - 1)].flat;
          visit.template operator()<Layers>(key, p.layers[std::size_t(i)], flat_in);
          ++i;
        }(),
        ...);
  }
};

}  // namespace detail

// A run of layers as one element: write a block once, use it many times
// (`template <int C, int S> struct DwSeparable : Sequential<...> {};` also gives
// it a short name in diagnostics).
template <class... Layers>
struct Sequential : detail::ListOf<Layers...> {
  static constexpr const char* name = "Sequential";
  using list = detail::ListOf<Layers...>;

  static constexpr LayerStep step(Shape in, bool flat) {
    LayerStep s;
    if (sizeof...(Layers) == 0) { s.violation = {Rule::block_is_empty}; return s; }
    const auto p = list::plan(in, flat);
    if (p.first_error >= 0) { s.violation = detail::violation_inside(p); return s; }
    s.out = p.out;
    s.flat = p.flat;
    s.macs = p.macs;
    return s;
  }
  static constexpr auto tensors(Shape in) { return list::list_tensors(in); }
  // The inner chain's memory: its ping-pong pair is this block's scratch.
  static constexpr LayerMemory memory(Shape in, int batch) {
    const auto m = list::list_memory(in, batch);
    return {m.inference_floats, m.saved_floats, m.training_scratch_floats};
  }
  // Under the name of the type that derives from it (Main, Branch, a user's block).
  template <class Self>
  static void describe_as(TextLine& t, Shape) {
    t.add("%s(%zu layer%s)", Self::name, sizeof...(Layers), sizeof...(Layers) == 1 ? "" : "s");
  }
};

// The paths of a projection Residual, and the branches of a Concat.
template <class... Layers>
struct Main : Sequential<Layers...> {
  static constexpr const char* name = "Main";
};
template <class... Layers>
struct Shortcut : Sequential<Layers...> {
  static constexpr const char* name = "Shortcut";
};
template <class... Layers>
struct Branch : Sequential<Layers...> {
  static constexpr const char* name = "Branch";
};

namespace detail {

template <class T> struct is_main : std::false_type {};
template <class... L> struct is_main<Main<L...>> : std::true_type {};
template <class T> struct is_shortcut : std::false_type {};
template <class... L> struct is_shortcut<Shortcut<L...>> : std::true_type {};

// A Residual's two paths: F and, for the identity form, no shortcut list.
template <class... Parts>
struct ResidualParts {
  using main = Sequential<Parts...>;
  static constexpr bool projection = false;
};
template <class... M, class... S>
struct ResidualParts<Main<M...>, Shortcut<S...>> {
  using main = Main<M...>;
  using shortcut = Shortcut<S...>;
  static constexpr bool projection = true;
};

}  // namespace detail

// y = x + F(x), or y = F(x) + G(x) with Residual<Main<F...>, Shortcut<G...>>.
// Backward fans the gradient out to both paths and sums their input gradients.
template <class... Parts>
struct Residual {
  static_assert(!(detail::is_shortcut<Parts>::value || ...) ||
                    (sizeof...(Parts) == 2 && detail::is_main<detail::nth<0, Parts..., void>>::value),
                "staticnn: write Residual<Main<...>, Shortcut<...>> (both, in that order) or "
                "Residual<Layers...> for an identity shortcut");
  using parts = detail::ResidualParts<Parts...>;
  using main = typename parts::main;
  static constexpr bool projection = parts::projection;
  static constexpr const char* name = "Residual";
  // Inference adds a ReLU after the block into the pass that sums the paths
  // (Kernel::ForwardRelu).
  static constexpr bool fuses_relu = true;

  // Errors inside name the layer in the main list (identity form) or in
  // Main (child 0) / Shortcut (child 1).
  template <std::size_t I>
  using child = typename decltype([] {
    if constexpr (projection) {
      return std::type_identity<detail::nth<I, Parts...>>{};
    } else {
      return std::type_identity<typename main::template child<I>>{};
    }
  }())::type;

  static constexpr LayerStep step(Shape in, bool flat) {
    LayerStep s;
    if (main::size == 0) { s.violation = {Rule::block_is_empty}; return s; }
    const auto m = main::plan(in, flat);
    if (m.first_error >= 0) {
      s.violation = projection ? detail::violation_inside(m, 0) : detail::violation_inside(m);
      return s;
    }
    Shape other = in;
    long macs = m.macs;
    if constexpr (projection) {
      using shortcut = typename parts::shortcut;
      if (shortcut::size == 0) { s.violation = {Rule::block_is_empty}; return s; }
      const auto g = shortcut::plan(in, flat);
      if (g.first_error >= 0) { s.violation = detail::violation_inside(g, 1); return s; }
      other = g.out;
      macs += g.macs;
    }
    if (!(m.out == other)) {
      s.violation = {Rule::residual_changes_shape, ' ', {m.out.c, m.out.h, m.out.w}};
      return s;
    }
    s.out = m.out;
    s.flat = m.flat;
    s.macs = macs;
    return s;
  }

  template <class Visit>
  static constexpr void children(Shape in, bool flat, Visit&& visit) {
    if constexpr (projection) {
      using shortcut = typename parts::shortcut;
      visit.template operator()<main>(TensorName("main"), detail::record_of<main>(in, flat), flat);
      visit.template operator()<shortcut>(TensorName("shortcut"),
                                          detail::record_of<shortcut>(in, flat), flat);
    } else {
      main::children(in, flat, visit);
    }
  }

  static constexpr auto tensors(Shape in) {
    if constexpr (projection) {
      using shortcut = typename parts::shortcut;
      const auto m = main::list_tensors(in);
      const auto p = main::plan(in, false);
      return detail::joined(detail::keyed(m, "main", 0, 0),
                            detail::keyed(shortcut::list_tensors(in), "shortcut", p.params,
                                          p.buffers));
    } else {
      return main::list_tensors(in);
    }
  }

  // Identity: the main chain's memory. Projection, inference scratch: the
  // shortcut's chain (it writes the block's output), then the main chain's;
  // saved: [main][shortcut][shortcut output]; training scratch: the main chain,
  // then [shortcut's input gradient][shortcut chain].
  static constexpr LayerMemory memory(Shape in, int batch) {
    const auto m = main::list_memory(in, batch);
    if constexpr (projection) {
      const auto g = parts::shortcut::list_memory(in, batch);
      const long out = detail::round_up16(long(batch) * main::plan(in, false).out.size());
      const long din = detail::round_up16(long(batch) * in.size());
      return {detail::max_of(m.inference_floats, g.inference_floats),
              m.saved_floats + g.saved_floats + out,
              detail::max_of(m.training_scratch_floats, din + g.training_scratch_floats)};
    } else {
      return {m.inference_floats, m.saved_floats, m.training_scratch_floats};
    }
  }

  template <class Self>
  static void describe_as(TextLine& t, Shape) {
    if constexpr (projection) {
      t.add("%s(main %zu, shortcut %zu layers)", Self::name, main::size, parts::shortcut::size);
    } else {
      t.add("%s(x + %zu layer%s)", Self::name, main::size, main::size == 1 ? "" : "s");
    }
  }
};

// Branches applied to the same input, outputs stacked along channels (torch.cat
// on dim 1), as in Inception and SqueezeNet's fire modules.
template <class... Branches>
struct Concat {
  static constexpr const char* name = "Concat";
  static constexpr std::size_t size = sizeof...(Branches);
  template <std::size_t I>
  using child = detail::nth<I, Branches...>;

  static constexpr LayerStep step(Shape in, bool flat) {
    LayerStep s;
    if (size == 0) { s.violation = {Rule::block_is_empty}; return s; }
    int index = 0, channels = 0;
    Shape first{};
    bool failed = false;
    (
        [&] {
          if (failed) return;
          if (Branches::size == 0) {
            s.violation = Violation{Rule::block_is_empty}.inside(index);
            failed = true;
            return;
          }
          const auto p = Branches::plan(in, flat);
          if (p.first_error >= 0) {
            s.violation = detail::violation_inside(p, index);
            failed = true;
            return;
          }
          if (index == 0) first = p.out;
          if (p.out.h != first.h || p.out.w != first.w) {
            s.violation = {Rule::concat_branches_differ, ' ', {index, p.out.c, p.out.h, p.out.w}};
            failed = true;
            return;
          }
          channels += p.out.c;
          s.macs += p.macs;
          s.flat = p.flat;
          ++index;
        }(),
        ...);
    if (!failed) s.out = {channels, first.h, first.w};
    return s;
  }

  template <class Visit>
  static constexpr void children(Shape in, bool flat, Visit&& visit) {
    int index = 0;
    (
        [&] {
          TensorName key;
          key.append(index++);
          visit.template operator()<Branches>(key, detail::record_of<Branches>(in, flat), flat);
        }(),
        ...);
  }

  static constexpr auto tensors(Shape in) {
    constexpr std::size_t n = (std::size_t{0} + ... + detail::tensor_count_of<Branches>);
    std::array<Tensor, n> t{};
    std::size_t k = 0;
    int index = 0;
    long params = 0, buffers = 0;
    (
        [&] {
          TensorName key;
          key.append(index);
          for (Tensor x : Branches::list_tensors(in)) {
            x.name = x.name.under(key);
            x.offset += x.role == TensorRole::parameter ? params : buffers;
            t[k++] = x;
          }
          const auto p = Branches::plan(in, false);
          params += p.params;
          buffers += p.buffers;
          ++index;
        }(),
        ...);
    return t;
  }

  // Per branch, inference scratch [branch output][branch chain]; saved
  // [branch saved][branch output] for every branch in turn; training scratch
  // [gradient slice][input gradient][branch chain].
  static constexpr LayerMemory memory(Shape in, int batch) {
    LayerMemory r;
    const long din = detail::round_up16(long(batch) * in.size());
    (
        [&] {
          const auto m = Branches::list_memory(in, batch);
          const long out = detail::round_up16(long(batch) * Branches::plan(in, false).out.size());
          r.inference_scratch = detail::max_of(r.inference_scratch, out + m.inference_floats);
          r.saved += m.saved_floats + out;
          r.training_scratch =
              detail::max_of(r.training_scratch, out + din + m.training_scratch_floats);
        }(),
        ...);
    return r;
  }

  template <class Self>
  static void describe_as(TextLine& t, Shape) { t.add("%s(%zu branches)", Self::name, size); }
};

namespace detail {

// The block a named block derives from (`struct DwSeparable : Sequential<...> {}`),
// found by overload resolution on the base; void for anything else.
template <class... Ls>
Sequential<Ls...> block_base(const Sequential<Ls...>*);
template <class... Ps>
Residual<Ps...> block_base(const Residual<Ps...>*);
template <class... Bs>
Concat<Bs...> block_base(const Concat<Bs...>*);
void block_base(const void*);
template <class L>
using block_base_t = decltype(block_base(static_cast<const L*>(nullptr)));

// A type derived from a block (Main, Branch, a user's named block): it runs
// its base block's kernel.
template <class L>
inline constexpr bool is_named_block =
    !std::is_void_v<block_base_t<L>> && !std::is_same_v<block_base_t<L>, L>;

}  // namespace detail

}  // namespace staticnn
