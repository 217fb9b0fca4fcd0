// BatchNorm folding for inference: fold_batch_norm_t<Net> is Net with every
// BatchNorm2d/BatchNorm1d that directly follows a Conv2d or Linear in the
// same list (the network's, or a block's: Sequential, Main, Shortcut, Branch,
// Residual's list, and named blocks derived from them) removed, and that
// Conv2d/Linear given a bias if it had none. fold_batch_norm<Net>(params)
// maps trained parameters and buffers to the folded network's, per output
// channel c of the layer before the BatchNorm:
//
//   s_c  = gamma_c / sqrt(running_var_c + eps)     (gamma = 1, beta = 0 if !affine)
//   w'_c = w_c * s_c
//   b'_c = (b_c - running_mean_c) * s_c + beta_c   (b_c = 0 without a bias)
//
// computed in double and rounded once to float. In inference mode the folded
// network computes the same function (tests/golden_mlperf_tiny_test.cc checks it on
// the MLPerf Tiny models). The mapping is constexpr, so firmware can bake the
// folded weights: `constexpr auto folded = fold_batch_norm<Net>(trained);`.
// Named blocks become the plain block they derive from (a DwSeparable<...>
// becomes Sequential<...>), and the folded network's state_dict keys are its
// own: a layer after a removed BatchNorm moves up by one index in its list.
// A BatchNorm that does not directly follow a Conv2d/Linear (the first layer
// of a block, or after an activation) stays.
#pragma once

#include <cstddef>
#include <type_traits>

#include "staticnn/core.hpp"
#include "staticnn/storage.hpp"

namespace staticnn {
namespace fold_detail {

template <class... Ls>
struct List {};

template <class L>
struct is_batch_norm : std::false_type {};
template <BatchNormSpec S>
struct is_batch_norm<BatchNorm2d<S>> : std::true_type {};
template <BatchNormSpec S>
struct is_batch_norm<BatchNorm1d<S>> : std::true_type {};

template <class L>
struct is_affine_layer : std::false_type {};  // Conv2d or Linear: a per-channel affine map
template <Conv2dSpec S>
struct is_affine_layer<Conv2d<S>> : std::true_type {};
template <LinearSpec S>
struct is_affine_layer<Linear<S>> : std::true_type {};

template <class A, class B>
inline constexpr bool folds = is_affine_layer<A>::value && is_batch_norm<B>::value;

template <class L>
struct with_bias {  // (named only in the branch not taken)
  using type = L;
};
template <Conv2dSpec S>
struct with_bias<Conv2d<S>> {
  static constexpr Conv2dSpec spec = [] {
    Conv2dSpec s = S;
    s.bias = true;
    return s;
  }();
  using type = Conv2d<spec>;
};
template <LinearSpec S>
struct with_bias<Linear<S>> {
  static constexpr LinearSpec spec = [] {
    LinearSpec s = S;
    s.bias = true;
    return s;
  }();
  using type = Linear<spec>;
};

// The block a layer is, through derivation (a named block): Sequential<...>,
// Residual<...> or Concat<...>; void for any other layer.
template <class... Ls>
Sequential<Ls...> block_of(const Sequential<Ls...>*);
template <class... Ps>
Residual<Ps...> block_of(const Residual<Ps...>*);
template <class... Bs>
Concat<Bs...> block_of(const Concat<Bs...>*);
void block_of(const void*);
template <class L>
using block_t = decltype(block_of(static_cast<const L*>(nullptr)));

template <class L, class B = block_t<L>>
struct fold_layer;

// A list, folded pairwise from the left.
template <class Done, class... Rest>
struct fold_list;
template <class... Done>
struct fold_list<List<Done...>> {
  using type = List<Done...>;
};
template <class... Done, class A>
struct fold_list<List<Done...>, A> {
  using type = List<Done..., typename fold_layer<A>::type>;
};
template <class... Done, class A, class B, class... Rest>
struct fold_list<List<Done...>, A, B, Rest...> {
  using type = typename std::conditional_t<
      folds<A, B>, fold_list<List<Done..., typename with_bias<A>::type>, Rest...>,
      fold_list<List<Done..., typename fold_layer<A>::type>, B, Rest...>>::type;
};

template <template <class...> class T, class L>
struct rebind;
template <template <class...> class T, class... Ls>
struct rebind<T, List<Ls...>> {
  using type = T<Ls...>;
};
template <template <class...> class T, class... Ls>
using folded_as = typename rebind<T, typename fold_list<List<>, Ls...>::type>::type;

// Any other layer is unchanged.
template <class L, class B>
struct fold_layer {
  using type = L;
};
template <class L, class... Ls>
struct fold_layer<L, Sequential<Ls...>> {
  using type = folded_as<Sequential, Ls...>;
};
template <class... Ls>
struct fold_layer<Main<Ls...>, Sequential<Ls...>> {
  using type = folded_as<Main, Ls...>;
};
template <class... Ls>
struct fold_layer<Shortcut<Ls...>, Sequential<Ls...>> {
  using type = folded_as<Shortcut, Ls...>;
};
template <class... Ls>
struct fold_layer<Branch<Ls...>, Sequential<Ls...>> {
  using type = folded_as<Branch, Ls...>;
};
template <class L, class... Ps>
struct fold_layer<L, Residual<Ps...>> {
  using type = typename std::conditional_t<
      Residual<Ps...>::projection,
      std::type_identity<Residual<typename fold_layer<Ps>::type...>>,
      rebind<Residual, typename fold_list<List<>, Ps...>::type>>::type;
};
template <class L, class... Bs>
struct fold_layer<L, Concat<Bs...>> {
  using type = Concat<typename fold_layer<Bs>::type...>;
};

template <class Net>
struct fold_network;
template <int C, int H, int W, class... Ls>
struct fold_network<Network<Input<C, H, W>, Ls...>> {
  using type = typename rebind<Network, typename fold_list<List<Input<C, H, W>>, Ls...>::type>::type;
};

// ------------------------------------------------------------ the parameters

// sqrt in double, the same at compile time and at run time (Newton's method
// from above; converges to the correctly rounded value or one ulp above,
// which the single rounding to float of the results absorbs).
constexpr double sqrt_of(double v) {
  if (v <= 0.0) return 0.0;
  double x = v > 1.0 ? v : 1.0;
  for (int i = 0; i < 2000; ++i) {
    const double next = 0.5 * (x + v / x);
    if (next >= x) break;
    x = next;
  }
  return x;
}

// Where a list's tensors are, in the source and in the folded network.
struct Cursor {
  const float* params;
  const float* buffers;
  float* out_params;
  float* out_buffers;
  constexpr Cursor at(long p, long b, long op, long ob) const {
    return {params + p, buffers + b, out_params + op, out_buffers + ob};
  }
};

template <class L, class B = block_t<L>>
struct map_layer;

// A list Ls... on input In, its folded list Fs... . Every offset and shape is
// a compile-time constant, and only the steps taken are instantiated: an
// earlier form planned at run time and instantiated never-taken steps that
// indexed past the plan, which g++ 12 -O3 (IPA-SRA) turned into a division by
// zero on an 84-layer flat list; now such a step would not compile.
template <class Source, class Folded>
struct map_list;
template <class... Ls, class... Fs>
struct map_list<List<Ls...>, List<Fs...>> {
  template <Shape In>
  static constexpr auto source_plan = detail::plan_layers<Ls...>(In, false);
  template <Shape In>
  static constexpr auto folded_plan = detail::plan_layers<Fs...>(In, false);

  template <Shape In>
  static constexpr void run(Cursor c) {
    step<In, 0, 0>(c);
  }
  // Whether source layer I and the next fold into one folded layer.
  template <std::size_t I>
  static constexpr bool pairs_with_next() {
    if constexpr (I + 1 < sizeof...(Ls)) {
      return folds<detail::nth<I, Ls...>, detail::nth<I + 1, Ls...>>;
    } else {
      return false;
    }
  }
  // Source layer I becomes folded layer J.
  template <Shape In, std::size_t I, std::size_t J>
  static constexpr void step(Cursor c) {
    if constexpr (I < sizeof...(Ls)) {
      using A = detail::nth<I, Ls...>;
      constexpr detail::LayerRecord s = source_plan<In>.layers[I];
      constexpr detail::LayerRecord f = folded_plan<In>.layers[J];
      const Cursor here = c.at(s.param_offset, s.buffer_offset, f.param_offset, f.buffer_offset);
      if constexpr (pairs_with_next<I>()) {
        constexpr detail::LayerRecord n = source_plan<In>.layers[I + 1];
        fold_pair<A, detail::nth<I + 1, Ls...>, s>(here, c.params + n.param_offset,
                                                   c.buffers + n.buffer_offset);
        step<In, I + 2, J + 1>(c);
      } else {
        map_layer<A>::template run<s.in>(here);
        step<In, I + 1, J + 1>(c);
      }
    }
  }
  // Layer A (weight [C][k], bias [C] if any) then BatchNorm B on its C outputs.
  template <class A, class B, detail::LayerRecord s>
  static constexpr void fold_pair(Cursor c, const float* bn_params, const float* bn_buffers) {
    const int channels = s.out.c;
    const long bias = A::spec.bias ? channels : 0;
    const long per_channel = (s.params - bias) / channels;
    for (int k = 0; k < channels; ++k) {
      const double gamma = B::spec.affine ? double(bn_params[k]) : 1.0;
      const double beta = B::spec.affine ? double(bn_params[channels + k]) : 0.0;
      const double mean = bn_buffers[k], var = bn_buffers[channels + k];
      const double scale = gamma / sqrt_of(var + double(B::spec.eps));
      for (long i = 0; i < per_channel; ++i) {
        const long at = k * per_channel + i;
        c.out_params[at] = float(double(c.params[at]) * scale);
      }
      const double b = A::spec.bias ? double(c.params[channels * per_channel + k]) : 0.0;
      c.out_params[channels * per_channel + k] = float((b - mean) * scale + beta);
    }
  }
};

// A layer that is not a block: its tensors as they are.
template <class L, class B>
struct map_layer {
  template <Shape In>
  static constexpr void run(Cursor c) {
    constexpr auto t = detail::layer_tensors<L>(In);
    constexpr long params = count_of(t, TensorRole::parameter);
    constexpr long buffers = count_of(t, TensorRole::buffer);
    for (long i = 0; i < params; ++i) c.out_params[i] = c.params[i];
    for (long i = 0; i < buffers; ++i) c.out_buffers[i] = c.buffers[i];
  }
};
template <class L, class... Ls>
struct map_layer<L, Sequential<Ls...>> {
  template <Shape In>
  static constexpr void run(Cursor c) {
    map_list<List<Ls...>, typename fold_list<List<>, Ls...>::type>::template run<In>(c);
  }
};
template <class L, class... Ps>
struct map_layer<L, Residual<Ps...>> {
  template <Shape In>
  static constexpr void run(Cursor c) {
    using R = Residual<Ps...>;
    if constexpr (R::projection) {
      using M = detail::nth<0, Ps...>;
      using S = detail::nth<1, Ps...>;
      using FM = typename fold_layer<M>::type;
      map_layer<M>::template run<In>(c);
      constexpr auto sp = M::plan(In, false);
      constexpr auto fp = FM::plan(In, false);
      map_layer<S>::template run<In>(c.at(sp.params, sp.buffers, fp.params, fp.buffers));
    } else {
      map_list<List<Ps...>, typename fold_list<List<>, Ps...>::type>::template run<In>(c);
    }
  }
};
template <class L, class... Bs>
struct map_layer<L, Concat<Bs...>> {
  template <Shape In>
  static constexpr void run(Cursor c) {
    long p = 0, b = 0, fp = 0, fb = 0;
    (
        [&] {
          using F = typename fold_layer<Bs>::type;
          map_layer<Bs>::template run<In>(c.at(p, b, fp, fb));
          constexpr auto s = Bs::plan(In, false);
          constexpr auto f = F::plan(In, false);
          p += s.params;
          b += s.buffers;
          fp += f.params;
          fb += f.buffers;
        }(),
        ...);
  }
};

template <class Net>
struct network_layers;
template <int C, int H, int W, class... Ls>
struct network_layers<Network<Input<C, H, W>, Ls...>> {
  using type = List<Ls...>;
  using folded = typename fold_list<List<>, Ls...>::type;
};

}  // namespace fold_detail

// Net with every BatchNorm directly after a Conv2d or Linear folded away.
template <class Net>
using fold_batch_norm_t = typename fold_detail::fold_network<Net>::type;

// Writes the folded network's parameters and buffers for Net's into `out`.
template <class Net>
constexpr void fold_batch_norm_into(const typename Net::Parameters& p,
                                    typename fold_batch_norm_t<Net>::Parameters& out) {
  using L = fold_detail::network_layers<Net>;
  fold_detail::map_list<typename L::type, typename L::folded>::template run<Net::input_shape>(
      {p.values, p.buffers, out.values, out.buffers});
}

// The folded network's parameters and buffers (constexpr: bake them into
// flash). A large network's are large: at run time prefer
// fold_batch_norm_into with static storage.
template <class Net>
constexpr typename fold_batch_norm_t<Net>::Parameters fold_batch_norm(
    const typename Net::Parameters& p) {
  typename fold_batch_norm_t<Net>::Parameters out{};
  fold_batch_norm_into<Net>(p, out);
  return out;
}

}  // namespace staticnn
