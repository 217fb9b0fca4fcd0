// Saving and loading trained parameters, and baking them into a C++ header
// whose array lands in read-only memory. Every failure is a Status value; a
// failed load leaves the parameters untouched and a failed save leaves any
// previous file in place (writes go to "<path>.tmp", then rename).
//
// File format (little-endian): "SNNWGT02", u64 parameter count, u64 buffer
// count, u64 holding the 32-bit FNV-1a hash of the data bytes, then every
// tensor as float32 in PyTorch's state_dict order (parameters and buffers
// interleaved as the layers order them).
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include "staticnn/io/file.hpp"
#include "staticnn/status.hpp"
#include "staticnn/storage.hpp"

namespace staticnn {
namespace io_detail {

inline constexpr char kMagic[8] = {'S', 'N', 'N', 'W', 'G', 'T', '0', '2'};

constexpr std::uint32_t fnv1a(std::uint32_t h, const unsigned char* p, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 16777619u;
  return h;
}
inline constexpr std::uint32_t kFnvBasis = 2166136261u;

inline bool write_u64(std::FILE* f, std::uint64_t v) {
  unsigned char b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<unsigned char>(v >> (8 * i));
  return std::fwrite(b, 1, 8, f) == 8;
}
inline bool read_le(std::FILE* f, std::uint64_t* v, int bytes) {
  unsigned char b[8] = {};
  if (std::fread(b, 1, std::size_t(bytes), f) != std::size_t(bytes)) return false;
  *v = 0;
  for (int i = bytes - 1; i >= 0; --i) *v = (*v << 8) | b[i];
  return true;
}

// Calls f(float* data, long count) for every tensor in state_dict order.
template <class Net, class F>
void for_each_tensor(typename Net::Parameters& p, F f) {
  for (const Tensor& t : Net::tensors) {
    f((t.role == TensorRole::parameter ? p.values : p.buffers) + t.offset, t.count());
  }
}

}  // namespace io_detail

template <class Net>
Status save_weights(const ParameterStorage<Net, ParametersRole>& p, const char* path) {
  using namespace io_detail;
  static_assert(sizeof(float) == 4 && std::endian::native == std::endian::little,
                "staticnn: the weight format is little-endian float32");
  auto& state = const_cast<ParameterStorage<Net, ParametersRole>&>(p);  // read only below
  std::uint32_t hash = kFnvBasis;
  for_each_tensor<Net>(state, [&](float* data, long n) {
    hash = fnv1a(hash, reinterpret_cast<const unsigned char*>(data), std::size_t(n) * 4);
  });
  return write_atomically(path, [&](std::FILE* f) {
    bool ok = std::fwrite(kMagic, 1, 8, f) == 8 && write_u64(f, p.size) &&
              write_u64(f, p.buffer_size) && write_u64(f, hash);
    for_each_tensor<Net>(state, [&](float* data, long n) {
      ok = ok && std::fwrite(data, sizeof(float), std::size_t(n), f) == std::size_t(n);
    });
    return ok;
  });
}

// Checks the whole file first (header, counts, length, hash, finite values),
// then reads it into p; on any error p is unchanged.
template <class Net>
Status load_weights(ParameterStorage<Net, ParametersRole>& p, const char* path) {
  using namespace io_detail;
  File file(std::fopen(path, "rb"));
  if (file.f == nullptr) return Status::cannot_open;
  char magic[8];
  std::uint64_t count = 0, buffers = 0, hash = 0;
  if (std::fread(magic, 1, 8, file.f) != 8) return Status::truncated;
  if (std::memcmp(magic, kMagic, 8) != 0) return Status::bad_format;
  if (!read_le(file.f, &count, 8) || !read_le(file.f, &buffers, 8) || !read_le(file.f, &hash, 8)) {
    return Status::truncated;
  }
  if (count != p.size || buffers != p.buffer_size) return Status::wrong_network;
  const long data_start = std::ftell(file.f);

  const std::size_t total = p.size + p.buffer_size;
  std::uint32_t h = kFnvBasis;
  float chunk[1024];
  bool finite = true;
  for (std::size_t done = 0; done < total;) {
    const std::size_t want = total - done < 1024 ? total - done : 1024;
    if (std::fread(chunk, sizeof(float), want, file.f) != want) return Status::truncated;
    h = fnv1a(h, reinterpret_cast<const unsigned char*>(chunk), want * sizeof(float));
    for (std::size_t i = 0; i < want; ++i) finite = finite && std::isfinite(chunk[i]);
    done += want;
  }
  if (std::fgetc(file.f) != EOF) return Status::bad_format;  // trailing bytes
  if (h != hash) return Status::bad_format;
  if (!finite) return Status::non_finite;

  if (std::fseek(file.f, data_start, SEEK_SET) != 0) return Status::truncated;
  // The file was checked whole; a short read now means it changed under us.
  bool ok = true;
  for_each_tensor<Net>(p, [&](float* data, long n) {
    ok = ok && std::fread(data, sizeof(float), std::size_t(n), file.f) == std::size_t(n);
  });
  return ok ? Status::ok : Status::truncated;
}

// Writes a header defining `inline constexpr <net_type>::Parameters <name>{{...}, {...}};`
// (parameters, then buffers) with exact hexadecimal floats, so the weights
// compile into .rodata/flash.
template <class Net>
Status write_weights_header(const ParameterStorage<Net, ParametersRole>& p, const char* path,
                            const char* net_type, const char* name) {
  for (float v : p.values) {
    if (!std::isfinite(v)) return Status::non_finite;  // no literal for NaN/inf
  }
  for (float v : p.buffers) {
    if (!std::isfinite(v)) return Status::non_finite;
  }
  return io_detail::write_atomically(path, [&](std::FILE* f) {
    bool ok = std::fprintf(f,
                           "// Generated by staticnn::write_weights_header. Do not edit.\n"
                           "#pragma once\n\ninline constexpr %s::Parameters %s{{\n",
                           net_type, name) > 0;
    for (std::size_t i = 0; ok && i < p.size; ++i) {
      ok = std::fprintf(f, "%a,%s", double(p.values[i]), i % 8 == 7 ? "\n" : " ") > 0;
    }
    ok = ok && std::fprintf(f, "\n}, {\n") > 0;
    for (std::size_t i = 0; ok && i < p.buffer_size; ++i) {
      ok = std::fprintf(f, "%a,%s", double(p.buffers[i]), i % 8 == 7 ? "\n" : " ") > 0;
    }
    return ok && std::fprintf(f, "\n}};\n") > 0;
  });
}

}  // namespace staticnn
