// Shapes and the small value types that layer specs are built from.
// All of them are structural, so they can appear in template arguments:
// `Conv2d<{.out_channels = 6, .kernel_size = 5, .padding = 2}>`.
#pragma once

#include <cstddef>

namespace staticnn {

// A tensor's shape for one sample, PyTorch's NCHW without the N.
struct Shape {
  int c = 0, h = 0, w = 0;
  constexpr int size() const { return c * h * w; }
  constexpr bool operator==(const Shape&) const = default;
};

// A size given as one int (square) or as `{h, w}`.
struct Size2 {
  int h = 0, w = 0;
  constexpr Size2() = default;
  constexpr Size2(int both) : h(both), w(both) {}  // NOLINT: implicit on purpose
  constexpr Size2(int h_, int w_) : h(h_), w(w_) {}
  constexpr bool operator==(const Size2&) const = default;
};

// Keras-style padding requests, resolved against the kernel at compile time.
enum class PadMode { explicit_, same, valid };
inline constexpr PadMode same = PadMode::same;    // output size = ceil(input / stride)
inline constexpr PadMode valid = PadMode::valid;  // no padding

// Padding: an int, `{h, w}`, `staticnn::same` or `staticnn::valid`.
struct Padding {
  int h = 0, w = 0;
  PadMode mode = PadMode::explicit_;
  constexpr Padding() = default;
  constexpr Padding(int both) : h(both), w(both) {}  // NOLINT: implicit on purpose
  constexpr Padding(int h_, int w_) : h(h_), w(w_) {}
  constexpr Padding(PadMode m) : mode(m) {}  // NOLINT: implicit on purpose
  constexpr bool operator==(const Padding&) const = default;
};

// How `(W1 - F + 2P) / S + 1` may round. `exact` (the default) rejects a window
// that does not tile the input; `floor` is PyTorch's silent behaviour, opt-in
// per layer for ported models.
enum class Rounding { exact, floor };

}  // namespace staticnn
