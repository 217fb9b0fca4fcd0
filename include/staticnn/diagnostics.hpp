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
};

// The rule and its numbers: for window rules {W1, F, P, S} along `axis`; for
// groups {in_channels, out_channels, groups}; for pooling padding {P, F}.
struct Violation {
  Rule rule = Rule::none;
  char axis = ' ';
  int n[4] = {};
  constexpr bool ok() const { return rule == Rule::none; }
};

namespace error {

// Named wrappers so that the printed template arguments read as a sentence.
template <int> struct layer_index {};
template <int C, int H, int W> struct input_chw {};
template <char> struct along {};
template <int> struct W1 {};
template <int> struct F {};
template <int> struct P {};
template <int> struct S {};
template <int> struct in_channels {};
template <int> struct out_channels {};
template <int> struct groups {};

template <class...> inline constexpr bool always_false = false;

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

// Instantiating this function's body (its return type is deduced, so naming
// `decltype(report_violation<...>())` is enough) instantiates the error struct
// for `V`. Only done for the first violation of a network.
template <int Index, class Layer, Shape In, Violation V>
auto report_violation() {
  using namespace error;
  using where = layer_index<Index>;
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
  }
  return true;
}

}  // namespace staticnn
