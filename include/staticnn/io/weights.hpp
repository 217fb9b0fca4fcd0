// Saving and loading trained parameters, and baking them into a C++ header
// whose array lands in read-only memory. Every failure is a Status value, with
// an IoError (optional) saying which tensor and why; a failed load leaves the
// parameters untouched and a failed save leaves any previous file in place
// (writes go to "<path>.tmp", then rename). Non-finite values are refused on
// save, naming the tensor.
//
// File format (little-endian), a 40-byte header then the data: "SNNWGT03",
// u64 parameter count, u64 buffer count, u64 architecture signature
// (signature.hpp: a file for another network of the same size is refused),
// u64 FNV-1a-64 hash of the data bytes; then every tensor as float32 in
// PyTorch's state_dict order (parameters and buffers interleaved as the
// layers order them). For exchange with PyTorch, see io/safetensors.hpp.
#pragma once

#include <bit>
#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include "staticnn/io/file.hpp"
#include "staticnn/io/state_dict.hpp"
#include "staticnn/signature.hpp"
#include "staticnn/status.hpp"
#include "staticnn/storage.hpp"

namespace staticnn {
namespace io_detail {

inline constexpr char kWeightsMagic[8] = {'S', 'N', 'N', 'W', 'G', 'T', '0', '3'};

}  // namespace io_detail

template <class Net>
Status save_weights(const ParameterStorage<Net, ParametersRole>& p, const char* path,
                    IoError* error = nullptr) {
  using namespace io_detail;
  static_assert(sizeof(float) == 4 && std::endian::native == std::endian::little,
                "staticnn: the weight format is little-endian float32");
  if (const Status s = refuse_non_finite<Net>(p, error); s != Status::ok) return s;
  detail::Fnv1a64 hash;
  for (const Tensor& t : Net::tensors) {
    hash.bytes(reinterpret_cast<const unsigned char*>(data_of<Net>(p, t)),
               std::size_t(t.count()) * 4);
  }
  unsigned char header[40];
  std::memcpy(header, kWeightsMagic, 8);
  put_u64(header + 8, p.size);
  put_u64(header + 16, p.buffer_size);
  put_u64(header + 24, architecture_signature<Net>);
  put_u64(header + 32, hash.value);
  return write_atomically(
      path,
      [&](std::FILE* f) {
        bool ok = std::fwrite(header, 1, sizeof header, f) == sizeof header;
        for (const Tensor& t : Net::tensors) {
          const std::size_t n = std::size_t(t.count());
          ok = ok && std::fwrite(data_of<Net>(p, t), sizeof(float), n, f) == n;
        }
        return ok;
      },
      error);
}

// Checks the whole file first (header, counts, signature, length, hash,
// finite values), then reads it into p; on any error p is unchanged.
template <class Net>
Status load_weights(ParameterStorage<Net, ParametersRole>& p, const char* path,
                    IoError* error = nullptr) {
  using namespace io_detail;
  File file(std::fopen(path, "rb"));
  if (file.f == nullptr) return fail(error, Status::cannot_open, nullptr, "cannot open %s", path);
  unsigned char header[40];
  const std::size_t got = std::fread(header, 1, sizeof header, file.f);
  if (got >= 8 && std::memcmp(header, kWeightsMagic, 8) != 0) {
    return fail(error, Status::bad_format, nullptr, "not a staticnn weight file (magic SNNWGT03)");
  }
  if (got != sizeof header) return fail(error, Status::truncated, nullptr, "header cut short");
  const std::uint64_t count = get_u64(header + 8), buffers = get_u64(header + 16);
  if (count != p.size || buffers != p.buffer_size) {
    return fail(error, Status::wrong_network, nullptr,
                "%" PRIu64 " parameters and %" PRIu64
                " buffer values in the file, %zu and %zu here",
                count, buffers, p.size, p.buffer_size);
  }
  if (const Status s = check_signature<Net>(get_u64(header + 24), error); s != Status::ok) return s;

  const std::size_t total = p.size + p.buffer_size;
  detail::Fnv1a64 hash;
  float chunk[1024];
  bool finite = true;
  for (std::size_t done = 0; done < total;) {
    const std::size_t want = total - done < 1024 ? total - done : 1024;
    if (std::fread(chunk, sizeof(float), want, file.f) != want) {
      return fail(error, Status::truncated, nullptr, "data cut short");
    }
    hash.bytes(reinterpret_cast<const unsigned char*>(chunk), want * sizeof(float));
    for (std::size_t i = 0; i < want; ++i) finite = finite && std::isfinite(chunk[i]);
    done += want;
  }
  if (std::fgetc(file.f) != EOF) {
    return fail(error, Status::bad_format, nullptr, "bytes after the data");
  }
  if (hash.value != get_u64(header + 32)) {
    return fail(error, Status::bad_format, nullptr, "data does not match its hash (corrupted)");
  }
  if (!finite) return fail(error, Status::non_finite, nullptr, "NaN or infinity in the data");

  // The file was checked whole; a short read now means it changed under us.
  if (std::fseek(file.f, long(sizeof header), SEEK_SET) != 0) {
    return fail(error, Status::truncated, nullptr, "file changed while loading");
  }
  bool ok = true;
  for (const Tensor& t : Net::tensors) {
    const std::size_t n = std::size_t(t.count());
    ok = ok && std::fread(data_of<Net>(p, t), sizeof(float), n, file.f) == n;
  }
  return ok ? Status::ok : fail(error, Status::truncated, nullptr, "file changed while loading");
}

// Writes a header defining `inline constexpr <net_type>::Parameters <name>{{...}, {...}};`
// (parameters, then buffers) with exact hexadecimal floats, so the weights
// compile into .rodata/flash.
template <class Net>
Status write_weights_header(const ParameterStorage<Net, ParametersRole>& p, const char* path,
                            const char* net_type, const char* name, IoError* error = nullptr) {
  // No literal for NaN or infinity.
  if (const Status s = io_detail::refuse_non_finite<Net>(p, error); s != Status::ok) return s;
  return io_detail::write_atomically(
      path,
      [&](std::FILE* f) {
        // The signature check makes weights baked for another network a compile
        // error (too few initializers would otherwise compile, zero-filled).
        bool ok = std::fprintf(f,
                               "// Generated by staticnn::write_weights_header. Do not edit.\n"
                               "#pragma once\n\n#include \"staticnn/signature.hpp\"\n\n"
                               "static_assert(staticnn::architecture_signature<%s> == 0x%016" PRIx64
                               "ull,\n              \"%s: these weights were baked for another "
                               "architecture\");\n\ninline constexpr %s::Parameters %s{{\n",
                               net_type, architecture_signature<Net>, name, net_type, name) > 0;
        for (std::size_t i = 0; ok && i < p.size; ++i) {
          ok = std::fprintf(f, "%a,%s", double(p.values[i]), i % 8 == 7 ? "\n" : " ") > 0;
        }
        ok = ok && std::fprintf(f, "\n}, {\n") > 0;
        for (std::size_t i = 0; ok && i < p.buffer_size; ++i) {
          ok = std::fprintf(f, "%a,%s", double(p.buffers[i]), i % 8 == 7 ? "\n" : " ") > 0;
        }
        return ok && std::fprintf(f, "\n}};\n") > 0;
      },
      error);
}

}  // namespace staticnn
