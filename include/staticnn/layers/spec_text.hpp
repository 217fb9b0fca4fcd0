// How layer specs print in the model summary, as torch prints them: "5x5" for
// a window, but "2" for a square stride or padding.
#pragma once

#include "staticnn/shape.hpp"
#include "staticnn/text_line.hpp"

namespace staticnn {

inline void add_size(TextLine& t, const char* key, Size2 v, bool always_both) {
  if (always_both || v.h != v.w) {
    t.add(", %s=%dx%d", key, v.h, v.w);
  } else {
    t.add(", %s=%d", key, v.h);
  }
}

inline void add_padding(TextLine& t, Padding p) {
  if (p.mode == PadMode::same) {
    t.add(", p=same");
  } else if (p.mode == PadMode::valid) {
    t.add(", p=valid");
  } else {
    add_size(t, "p", Size2{p.h, p.w}, false);
  }
}

}  // namespace staticnn
