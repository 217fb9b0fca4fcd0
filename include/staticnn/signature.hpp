// architecture_signature<Net>: a 64-bit constant that identifies a network's
// architecture, so that a weight file, checkpoint or safetensors file saved
// for one network is refused by another, even one with the same parameter
// count (io/weights.hpp, io/checkpoint.hpp, io/safetensors.hpp store it).
//
// It is the FNV-1a hash of what defines the computation and is stable across
// compilers, targets and library versions: the input shape; for every layer,
// blocks' inner layers included, its kind (the layer's `name`), its input and
// output shapes, whether its output is flat, its parameter and buffer counts;
// and every state_dict key with its PyTorch shape. Block internals are reached
// through the layer contract's `children` (layers/layer.hpp), so a user's
// block is covered as the library's are. Not hashed: implementation details that may change between
// versions (scratch sizes, MAC counting), and hyperparameters that change no
// shape (LeakyReLU's slope, Dropout's p, BatchNorm's eps, a padding/dilation
// pair giving the same output size): two networks that differ only there share
// a signature.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>

#include "staticnn/layers/layer.hpp"
#include "staticnn/network.hpp"

namespace staticnn {
namespace detail {

// 64-bit FNV-1a, the hash of the file formats (signature and data checksums).
struct Fnv1a64 {
  std::uint64_t value = 14695981039346656037ull;

  constexpr void byte(unsigned char b) { value = (value ^ b) * 1099511628211ull; }
  constexpr void bytes(const unsigned char* p, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) byte(p[i]);
  }
  // Text with its terminating zero, so that "ab","c" and "a","bc" differ.
  constexpr void text(const char* s) {
    for (; *s != '\0'; ++s) byte(static_cast<unsigned char>(*s));
    byte(0);
  }
  constexpr void number(long v) {
    for (int i = 0; i < 8; ++i) byte(static_cast<unsigned char>(std::uint64_t(v) >> (8 * i)));
  }
  constexpr void shape(Shape s) {
    number(s.c);
    number(s.h);
    number(s.w);
  }
};

// A layer's kind and planned record, then its children's (blocks), each under
// its state_dict key.
template <class L>
constexpr void hash_layer(Fnv1a64& h, const LayerRecord& r, bool flat_in) {
  h.text(L::name);
  h.shape(r.in);
  h.shape(r.out);
  h.number(r.flat);
  h.number(r.params);
  h.number(r.buffers);
  if constexpr (has_children<L>) {
    L::children(r.in, flat_in, [&h]<class Child>(const TensorName& key, const LayerRecord& c,
                                                 bool child_flat_in) {
      h.text(key.s);
      hash_layer<Child>(h, c, child_flat_in);
    });
  }
}

template <class Net>
constexpr std::uint64_t signature_of() {
  Fnv1a64 h;
  h.shape(Net::input_shape);
  h.number(Net::chain::input_flat);
  h.number(Net::layer_count);
  [&h]<std::size_t... I>(std::index_sequence<I...>) {
    (hash_layer<typename Net::template layer<I>>(
         h, Net::plan.layers[I], I == 0 ? Net::chain::input_flat : Net::plan.layers[I - 1].flat),
     ...);
  }(std::make_index_sequence<std::size_t(Net::layer_count)>{});
  for (const Tensor& t : Net::tensors) {
    h.text(t.name.s);
    h.number(long(t.role));
    h.number(t.rank);
    for (int i = 0; i < t.rank; ++i) h.number(t.dims[std::size_t(i)]);
  }
  return h.value;
}

}  // namespace detail

template <class Net>
inline constexpr std::uint64_t architecture_signature = detail::signature_of<Net>();

}  // namespace staticnn
