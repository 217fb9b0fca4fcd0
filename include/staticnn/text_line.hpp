// A fixed-size line of text built with printf formats: appending past the end
// truncates, never overflows, never allocates. Layers describe themselves
// into one for the model summary, so it also works on a firmware UART.
#pragma once

#include <cstdarg>
#include <cstddef>
#include <cstdio>

namespace staticnn {

struct TextLine {
  char s[112] = {};
  std::size_t len = 0;

#if defined(__GNUC__)
  __attribute__((format(printf, 2, 3)))
#endif
  void
  add(const char* format, ...) {
    if (len + 1 >= sizeof(s)) return;
    std::va_list args;
    va_start(args, format);
    const int n = std::vsnprintf(s + len, sizeof(s) - len, format, args);
    va_end(args);
    if (n > 0) len = len + std::size_t(n) < sizeof(s) ? len + std::size_t(n) : sizeof(s) - 1;
  }
};

}  // namespace staticnn
