// What a layer stores: its tensors, in PyTorch's state_dict order, each a
// trainable parameter (seen by gradients and optimizers) or a buffer (saved
// and loaded with the parameters, updated only by forward in training mode,
// as BatchNorm's running statistics are).
#pragma once

#include <array>
#include <cstddef>

namespace staticnn {

enum class TensorRole { parameter, buffer };

// How init_parameters() fills a tensor, as torch.nn's reset_parameters() does.
enum class Init {
  fan_in_uniform,  // uniform in [-1/sqrt(fan_in), 1/sqrt(fan_in)] (Conv2d, Linear)
  zeros,
  ones,
};

// A state_dict key such as "3.weight" or "5.main.0.running_mean": a fixed
// buffer, so that names can be built at compile time and live in .rodata.
struct TensorName {
  static constexpr int kMax = 64;
  char s[kMax] = {};

  constexpr TensorName() = default;
  constexpr TensorName(const char* text) { append(text); }  // NOLINT: implicit on purpose
  constexpr int size() const {
    int n = 0;
    while (n < kMax && s[n] != '\0') ++n;
    return n;
  }
  // Appends as much as fits (names that long do not occur in practice; a
  // truncated name still identifies the tensor by its position).
  constexpr TensorName& append(const char* text) {
    int n = size();
    for (int i = 0; text[i] != '\0' && n < kMax - 1; ++i) s[n++] = text[i];
    return *this;
  }
  constexpr TensorName& append(int value) {
    char digits[12] = {};
    int n = 0;
    do {
      digits[n++] = char('0' + value % 10);
      value /= 10;
    } while (value > 0 && n < 11);
    char text[12] = {};
    for (int i = 0; i < n; ++i) text[i] = digits[n - 1 - i];
    return append(text);
  }
  // "<prefix>.<this>", the key PyTorch gives a child module's tensor.
  constexpr TensorName under(const TensorName& prefix) const {
    TensorName t = prefix;
    t.append(".").append(s);
    return t;
  }
  constexpr bool operator==(const TensorName& o) const {
    for (int i = 0; i < kMax; ++i) {
      if (s[i] != o.s[i]) return false;
      if (s[i] == '\0') return true;
    }
    return true;
  }
};

struct Tensor {
  TensorName name;
  TensorRole role = TensorRole::parameter;
  int rank = 1;
  std::array<int, 4> dims{};  // PyTorch's shape, outermost first
  Init init = Init::fan_in_uniform;
  int fan_in = 1;  // for Init::fan_in_uniform
  long offset = 0; // first scalar within its role's array, relative to its layer

  constexpr long count() const {
    long n = 1;
    for (int i = 0; i < rank; ++i) n *= dims[std::size_t(i)];
    return n;
  }
};

// A tensor list with offsets laid out in order, per role: parameters after
// parameters, buffers after buffers.
template <std::size_t N>
constexpr std::array<Tensor, N> laid_out(std::array<Tensor, N> t) {
  long next[2] = {0, 0};
  for (Tensor& x : t) {
    x.offset = next[int(x.role)];
    next[int(x.role)] += x.count();
  }
  return t;
}

template <std::size_t N>
constexpr long count_of(const std::array<Tensor, N>& t, TensorRole role) {
  long n = 0;
  for (const Tensor& x : t) n += x.role == role ? x.count() : 0;
  return n;
}

// A parameter tensor of the given PyTorch shape, initialised from its fan-in.
constexpr Tensor parameter(const char* name, std::array<int, 4> dims, int rank, int fan_in,
                           Init init = Init::fan_in_uniform) {
  return {name, TensorRole::parameter, rank, dims, init, fan_in, 0};
}
constexpr Tensor buffer(const char* name, int count, Init init) {
  return {name, TensorRole::buffer, 1, {count, 0, 0, 0}, init, 1, 0};
}

}  // namespace staticnn
