// Compile-time diagnostics: one short error per violated rule.
//
// A layer's shape rules yield a `Violation` value. Layer indices are 0-based
// with Input excluded, as in Network::shape_after<I>. The network turns the first
// violation into the instantiation of one struct below, whose template
// arguments carry the numbers (the compiler prints them in the "In
// instantiation of" line) and whose static_assert says the rule in words:
//
//   In instantiation of 'struct staticnn::error::window_does_not_tile_input<
//     staticnn::error::layer_index<1>, staticnn::Conv2d<...>,
//     staticnn::error::input_chw<3, 7, 7>, staticnn::error::along<'H'>,
//     staticnn::error::W1<7>, staticnn::error::F<3>, staticnn::error::P<0>,
//     staticnn::error::S<3> >'
//   error: static assertion failed: staticnn: (W1 - F + 2P) / S + 1 is not an
//     integer: the window does not tile the input ...
#pragma once

#include <cstddef>
#include <utility>

#include "staticnn/shape.hpp"

namespace staticnn {

enum class Rule {
  none,
  invalid_size,             // a count, kernel, stride or dilation <= 0, or padding < 0
  window_larger_than_input, // effective window F exceeds W1 + 2P
  window_does_not_tile,     // (W1 - F + 2P) % S != 0 with exact rounding
  groups_do_not_divide,     // in or out channels not divisible by groups
  pool_padding_too_large,   // pooling pad > kernel / 2
  spatial_after_flatten,    // Conv/Pool after Flatten
  linear_needs_flat_input,  // Linear on an H x W > 1 input
  residual_changes_shape,   // Residual: F(x) (or the shortcut) differs from x
  concat_branches_differ,   // Concat: branch outputs differ in H or W
  block_is_empty,           // a block without layers
  batch_norm_wrong_input,   // BatchNorm2d on a flat input, BatchNorm1d on a spatial one
};

// The rule and its numbers: for window rules {W1, F, P, S} along `axis`; for
// groups {in_channels, out_channels, groups}; for pooling padding {P, F}.
// Inside a block, `path` holds the indices from the block down to the failing
// layer and `in` that layer's input.
struct Violation {
  static constexpr int kMaxDepth = 6;
  Rule rule = Rule::none;
  char axis = ' ';
  int n[4] = {};
  int depth = 0;
  int path[kMaxDepth] = {};
  Shape in{};
  constexpr bool ok() const { return rule == Rule::none; }
  // The same violation, seen from the block that holds the failing layer at `index`.
  constexpr Violation inside(int index) const {
    Violation v = *this;
    if (v.depth < kMaxDepth) ++v.depth;
    for (int i = v.depth - 1; i > 0; --i) v.path[i] = v.path[i - 1];
    v.path[0] = index;
    return v;
  }
};

namespace error {

// Named wrappers so that the printed template arguments read as a sentence.
template <int> struct layer_index {};
// Inside blocks: the top-level index, then the index in each nested block.
template <int...> struct layer_path {};
template <int C, int H, int W> struct input_chw {};
template <char> struct along {};
template <int> struct W1 {};
template <int> struct F {};
template <int> struct P {};
template <int> struct S {};
template <int> struct in_channels {};
template <int> struct out_channels {};
template <int> struct groups {};
template <int C, int H, int W> struct output_chw {};
template <int> struct branch {};

template <class...> inline constexpr bool always_false = false;

template <class... Where>
struct residual_changes_shape {
  static_assert(always_false<Where...>,
                "staticnn: a Residual's main path must give back its input shape "
                "(y = x + F(x)): fix the layers, or add a Shortcut<...> projection");
};
template <class... Where>
struct concat_branches_differ {
  static_assert(always_false<Where...>,
                "staticnn: Concat's branches must give the same height and width "
                "(channels are concatenated)");
};
template <class... Where>
struct block_is_empty {
  static_assert(always_false<Where...>, "staticnn: a block needs at least one layer");
};

// A layer used in a network without a Kernel<Layer> specialization for the
// target being compiled (layers/kernel-inl.h): the layer is the argument, so
// the "In instantiation of" line names it.
template <class Layer>
struct layer_has_no_kernel {
  static_assert(always_false<Layer>,
                "staticnn: this layer has no kernel for this Highway target: specialize "
                "staticnn::HWY_NAMESPACE::Kernel<Layer> (see layers/kernel-inl.h) and include "
                "its -inl.h before the network passes");
};

template <class... Where>
struct batch_norm_wrong_input {
  static_assert(always_false<Where...>,
                "staticnn: BatchNorm2d needs a spatial input (C x H x W, before Flatten or "
                "Linear) and BatchNorm1d a flat one (C x 1 x 1, after Flatten or Linear), as "
                "in PyTorch");
};

template <class... Where>
struct invalid_size {
  static_assert(always_false<Where...>,
                "staticnn: every size, count, kernel, stride and dilation must be "
                "positive and padding must be non-negative");
};
template <class... Where>
struct window_larger_than_input {
  static_assert(always_false<Where...>,
                "staticnn: the window is larger than the padded input: need "
                "F = dilation*(kernel-1)+1 <= W1 + 2P");
};
template <class... Where>
struct window_does_not_tile_input {
  static_assert(always_false<Where...>,
                "staticnn: (W1 - F + 2P) / S + 1 is not an integer: the window "
                "does not tile the input (fix padding or stride, or opt in with "
                ".rounding = staticnn::Rounding::floor)");
};
template <class... Where>
struct channels_not_divisible_by_groups {
  static_assert(always_false<Where...>,
                "staticnn: in_channels and out_channels must both be divisible "
                "by groups");
};
template <class... Where>
struct pool_padding_too_large {
  static_assert(always_false<Where...>,
                "staticnn: pooling padding must be at most half the kernel "
                "size (P <= F / 2)");
};
template <class... Where>
struct spatial_layer_after_flatten {
  static_assert(always_false<Where...>,
                "staticnn: a spatial layer (Conv2d, pooling) cannot follow "
                "Flatten or Linear");
};
template <class... Where>
struct linear_needs_flat_input {
  static_assert(always_false<Where...>,
                "staticnn: Linear needs a flat input (C x 1 x 1): insert "
                "staticnn::Flatten before it");
};

}  // namespace error

namespace detail {

// The layer a violation's path leads to, from the block that holds it.
template <class L, Violation V, int D = 0>
struct layer_at_path {
  using type = L;
};
template <class L, Violation V, int D>
  requires(D < V.depth)
struct layer_at_path<L, V, D> {
  using type = typename layer_at_path<typename L::template child<std::size_t(V.path[D])>, V,
                                      D + 1>::type;
};

template <int Index, Violation V, int... P>
constexpr auto where_of(std::integer_sequence<int, P...>) {
  if constexpr (V.depth == 0) {
    return error::layer_index<Index>{};
  } else {
    return error::layer_path<Index, V.path[P]...>{};
  }
}

}  // namespace detail

// Instantiating this function's body (its return type is deduced, so naming
// `decltype(report_violation<...>())` is enough) instantiates the error struct
// for `V`. Only done for the first violation of a network; `Top` is the
// top-level layer at `Index` (the block, for a violation inside one).
template <int Index, class Top, Shape TopIn, Violation V>
auto report_violation() {
  using namespace error;
  using where = decltype(detail::where_of<Index, V>(std::make_integer_sequence<int, V.depth>{}));
  using Layer = typename detail::layer_at_path<Top, V>::type;
  constexpr Shape In = V.depth == 0 ? TopIn : V.in;
  using input = input_chw<In.c, In.h, In.w>;
  constexpr Rule r = V.rule;
  if constexpr (r == Rule::invalid_size) {
    (void)sizeof(invalid_size<where, Layer, input>);
  } else if constexpr (r == Rule::window_larger_than_input) {
    (void)sizeof(window_larger_than_input<where, Layer, input, along<V.axis>,
                                          W1<V.n[0]>, F<V.n[1]>, P<V.n[2]>>);
  } else if constexpr (r == Rule::window_does_not_tile) {
    (void)sizeof(window_does_not_tile_input<where, Layer, input, along<V.axis>,
                                            W1<V.n[0]>, F<V.n[1]>, P<V.n[2]>,
                                            S<V.n[3]>>);
  } else if constexpr (r == Rule::groups_do_not_divide) {
    (void)sizeof(channels_not_divisible_by_groups<
                 where, Layer, input, in_channels<V.n[0]>,
                 out_channels<V.n[1]>, groups<V.n[2]>>);
  } else if constexpr (r == Rule::pool_padding_too_large) {
    (void)sizeof(pool_padding_too_large<where, Layer, input, along<V.axis>,
                                        P<V.n[0]>, F<V.n[1]>>);
  } else if constexpr (r == Rule::spatial_after_flatten) {
    (void)sizeof(spatial_layer_after_flatten<where, Layer, input>);
  } else if constexpr (r == Rule::linear_needs_flat_input) {
    (void)sizeof(linear_needs_flat_input<where, Layer, input>);
  } else if constexpr (r == Rule::residual_changes_shape) {
    (void)sizeof(residual_changes_shape<where, Layer, input,
                                        output_chw<V.n[0], V.n[1], V.n[2]>>);
  } else if constexpr (r == Rule::concat_branches_differ) {
    (void)sizeof(concat_branches_differ<where, Layer, input, branch<V.n[0]>,
                                        output_chw<V.n[1], V.n[2], V.n[3]>>);
  } else if constexpr (r == Rule::block_is_empty) {
    (void)sizeof(block_is_empty<where, Layer, input>);
  } else if constexpr (r == Rule::batch_norm_wrong_input) {
    (void)sizeof(batch_norm_wrong_input<where, Layer, input>);
  }
  return true;
}

}  // namespace staticnn
