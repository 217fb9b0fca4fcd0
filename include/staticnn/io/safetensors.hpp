// safetensors files, the format PyTorch and Hugging Face exchange weights in
// (https://github.com/huggingface/safetensors): load_safetensors and
// save_safetensors read and write a network's parameters and buffers under
// PyTorch's state_dict keys and shapes (Net::tensors), so that
//
//   model.load_state_dict(safetensors.torch.load_file("net.safetensors"))
//
// works in PyTorch (strict), and a file PyTorch saved loads here.
//
// Format: u64 little-endian N, an N-byte JSON object, the data. Each entry is
// "key": {"dtype": "F32", "shape": [16, 3, 3, 3], "data_offsets": [begin, end]}
// with offsets into the data, which the entries tile exactly (no gap, no
// overlap, nothing after); "__metadata__" maps strings to strings.
//
// Loading accepts F32, and F16 and BF16 converted exactly to float. It checks
// the whole file before writing anything (a failed load leaves p untouched):
// every tensor of the network present with its shape, no tensor the network
// lacks, offsets consistent with shapes and dtypes, the data all there, every
// value finite. Refusals are a Status with an IoError naming the tensor and the
// problem. BatchNorm's "num_batches_tracked" (an I64 scalar PyTorch keeps) is
// accepted and ignored: staticnn's BatchNorm has no use for it.
// When the metadata holds "staticnn.signature" it must be this network's
// architecture_signature (signature.hpp); a file PyTorch wrote has none, and
// keys, dtypes and shapes decide.
//
// Saving writes F32 in state_dict order, "num_batches_tracked" as I64 0 after
// each BatchNorm's running_var (so that a strict load_state_dict finds every
// key; PyTorch reads it only for momentum=None, a cumulative average), and
// metadata {"format": "pt", "staticnn.signature": "0x<16 hex digits>"}. It
// refuses non-finite values, naming the tensor, and replaces the file
// atomically.
//
// Uses the heap (a std::string header, nlohmann::json, a staging copy): files
// are read and written outside the forward/backward path.
#pragma once

#include <algorithm>
#include <bit>
#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "staticnn/io/file.hpp"
#include "staticnn/io/state_dict.hpp"
#include "staticnn/signature.hpp"
#include "staticnn/storage.hpp"

namespace staticnn {
namespace safetensors_detail {

using io_detail::fail;

// Headers larger than this are refused before they are read, so that a
// corrupted length cannot make the loader allocate gigabytes. 100 MB is the
// limit of safetensors' reference implementation (MAX_HEADER_SIZE), so every
// file it accepts is accepted here; real headers are a few kilobytes.
inline constexpr std::uint64_t kMaxHeaderBytes = 100'000'000;
// A header nests three levels: {"key": {"shape": [...]}}. Deeper text is
// refused before parsing, as nesting is what costs a JSON parser the most
// memory per byte ("[[[[..." is a container per byte).
inline constexpr int kMaxNesting = 3;
// Dimensions beyond this are refused as absurd.
inline constexpr std::uint64_t kMaxDim = std::uint64_t(1) << 40;
inline constexpr const char* kSignatureKey = "staticnn.signature";
inline constexpr std::string_view kBatchesTracked = ".num_batches_tracked";

// The deepest nesting of objects and arrays in a JSON text (strings skipped).
inline int nesting_depth(std::string_view text) {
  int depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (const char c : text) {
    if (escaped) {
      escaped = false;
    } else if (in_string) {
      escaped = c == '\\';
      in_string = c != '"';
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      deepest = std::max(deepest, ++depth);
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return deepest;
}

struct DType {
  const char* name;
  int bytes;
};
// Every dtype of the format, so that offsets are checked whatever the tensor.
inline constexpr DType kDTypes[] = {{"BOOL", 1},    {"U8", 1},  {"I8", 1},  {"F8_E5M2", 1},
                                    {"F8_E4M3", 1}, {"I16", 2}, {"U16", 2}, {"F16", 2},
                                    {"BF16", 2},    {"I32", 4}, {"U32", 4}, {"F32", 4},
                                    {"F64", 8},     {"I64", 8}, {"U64", 8}};

struct Entry {
  std::string key;
  std::string dtype;
  int dtype_bytes = 0;
  std::vector<std::uint64_t> shape;
  std::uint64_t begin = 0, end = 0;
};

inline float from_f16(std::uint16_t h) {
  const int exponent = (h >> 10) & 0x1f;
  const int mantissa = h & 0x3ff;
  float magnitude;
  if (exponent == 0) {
    magnitude = std::ldexp(float(mantissa), -24);  // zero and subnormals
  } else if (exponent == 31) {
    magnitude = mantissa == 0 ? INFINITY : NAN;
  } else {
    magnitude = std::ldexp(float(mantissa | 0x400), exponent - 25);
  }
  return (h & 0x8000) != 0 ? -magnitude : magnitude;
}
inline float from_bf16(std::uint16_t b) { return std::bit_cast<float>(std::uint32_t(b) << 16); }

// "[16, 3, 3, 3]"
template <class Dims>
std::string dims_text(const Dims& dims, std::size_t rank) {
  std::string s = "[";
  for (std::size_t i = 0; i < rank; ++i) {
    s += (i > 0 ? ", " : "") + std::to_string(dims[i]);
  }
  return s + "]";
}

// One entry of the header, checked on its own: dtype known, shape and offsets
// well formed, offsets spanning what shape and dtype need.
inline Status read_entry(const std::string& key, const nlohmann::json& value, Entry& entry,
                         IoError* error) {
  entry.key = key;
  const char* k = key.c_str();
  if (!value.is_object()) return fail(error, Status::bad_format, k, "entry is not a JSON object");
  const auto dtype = value.find("dtype");
  const auto shape = value.find("shape");
  const auto offsets = value.find("data_offsets");
  if (dtype == value.end() || !dtype->is_string()) {
    return fail(error, Status::bad_format, k, "no \"dtype\" string");
  }
  entry.dtype = dtype->get_ref<const std::string&>();
  for (const DType& d : kDTypes) {
    if (entry.dtype == d.name) entry.dtype_bytes = d.bytes;
  }
  if (entry.dtype_bytes == 0) {
    return fail(error, Status::bad_format, k, "unknown dtype \"%.32s\"", entry.dtype.c_str());
  }
  if (shape == value.end() || !shape->is_array()) {
    return fail(error, Status::bad_format, k, "no \"shape\" array");
  }
  // The byte count, saturated at 2^62 (more than any file holds).
  constexpr std::uint64_t kHuge = std::uint64_t(1) << 62;
  std::uint64_t bytes = std::uint64_t(entry.dtype_bytes);
  for (const nlohmann::json& d : *shape) {
    if (!d.is_number_unsigned() || d.get<std::uint64_t>() > kMaxDim) {
      return fail(error, Status::bad_format, k, "shape holds something else than a size");
    }
    const std::uint64_t dim = d.get<std::uint64_t>();
    entry.shape.push_back(dim);
    bytes = dim != 0 && bytes > kHuge / dim ? kHuge : bytes * dim;
  }
  if (offsets == value.end() || !offsets->is_array() || offsets->size() != 2 ||
      !(*offsets)[0].is_number_unsigned() || !(*offsets)[1].is_number_unsigned()) {
    return fail(error, Status::bad_format, k, "no \"data_offsets\" pair of sizes");
  }
  entry.begin = (*offsets)[0].get<std::uint64_t>();
  entry.end = (*offsets)[1].get<std::uint64_t>();
  if (entry.end < entry.begin || entry.end - entry.begin != bytes) {
    return fail(error, Status::bad_format, k,
                "data_offsets [%" PRIu64 ", %" PRIu64 "] do not span the %" PRIu64
                " bytes of %s %s",
                entry.begin, entry.end, bytes, entry.dtype.c_str(),
                dims_text(entry.shape, entry.shape.size()).c_str());
  }
  return Status::ok;
}

// The metadata: strings only; the signature, when there, must be Net's.
template <class Net>
Status check_metadata(const nlohmann::json& metadata, IoError* error) {
  if (!metadata.is_object()) {
    return fail(error, Status::bad_format, "__metadata__", "is not a JSON object");
  }
  for (const auto& [key, value] : metadata.items()) {
    if (!value.is_string()) {
      return fail(error, Status::bad_format, "__metadata__", "value of \"%.64s\" is not a string",
                  key.c_str());
    }
  }
  const auto signature = metadata.find(kSignatureKey);
  if (signature == metadata.end()) return Status::ok;
  const std::string& text = signature->get_ref<const std::string&>();
  char expected[24];
  std::snprintf(expected, sizeof expected, "0x%016" PRIx64, architecture_signature<Net>);
  if (text == expected) return Status::ok;
  return fail(error, Status::wrong_network, "__metadata__",
              "saved for another architecture (signature %.24s, this network's is %s)",
              text.c_str(), expected);
}

// The entries tile the data exactly: sorted by offset, each starts where the
// previous ended. Returns the data's length in `bytes`.
inline Status check_tiling(std::vector<const Entry*> order, std::uint64_t& bytes, IoError* error) {
  std::sort(order.begin(), order.end(), [](const Entry* a, const Entry* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  bytes = 0;
  const Entry* previous = nullptr;
  for (const Entry* e : order) {
    if (e->begin < bytes) {
      return fail(error, Status::bad_format, e->key.c_str(), "data overlaps that of \"%.60s\"",
                  previous->key.c_str());
    }
    if (e->begin > bytes) {
      return fail(error, Status::bad_format, e->key.c_str(),
                  "%" PRIu64 " unused bytes before its data", e->begin - bytes);
    }
    bytes = e->end;
    previous = e;
  }
  return Status::ok;
}

// The network's tensor a "<prefix>.num_batches_tracked" belongs to, if any.
template <class Net>
bool is_batches_tracked(const std::string& key) {
  if (key.size() <= kBatchesTracked.size() || !key.ends_with(kBatchesTracked)) return false;
  const std::string mean = key.substr(0, key.size() - kBatchesTracked.size()) + ".running_mean";
  for (const Tensor& t : Net::tensors) {
    if (mean == t.name.s) return true;
  }
  return false;
}

// Converts one tensor's bytes to float into `out`; non_finite names it.
inline Status convert(const Entry& e, const unsigned char* bytes, float* out, IoError* error) {
  const std::size_t n = std::size_t(e.end - e.begin) / std::size_t(e.dtype_bytes);
  for (std::size_t i = 0; i < n; ++i) {
    const unsigned char* b = bytes + i * std::size_t(e.dtype_bytes);
    if (e.dtype_bytes == 4) {
      std::uint32_t u = 0;
      std::memcpy(&u, b, 4);
      out[i] = std::bit_cast<float>(u);
    } else {
      const std::uint16_t h = std::uint16_t(b[0] | (b[1] << 8));
      out[i] = e.dtype == "F16" ? from_f16(h) : from_bf16(h);
    }
    if (!std::isfinite(out[i])) {
      return fail(error, Status::non_finite, e.key.c_str(), "element %zu is %g", i, double(out[i]));
    }
  }
  return Status::ok;
}

// Loads from an open stream: the whole check, then the copy into p.
template <class Net>
Status load(ParameterStorage<Net, ParametersRole>& p, std::FILE* f, IoError* error) {
  static_assert(std::endian::native == std::endian::little,
                "staticnn: safetensors are little-endian, as this loader's host must be");
  const long size = std::fseek(f, 0, SEEK_END) == 0 ? std::ftell(f) : -1;
  if (size < 0 || std::fseek(f, 0, SEEK_SET) != 0) {
    return fail(error, Status::bad_format, nullptr, "not a regular file");
  }
  unsigned char length[8];
  if (std::fread(length, 1, 8, f) != 8) {
    return fail(error, Status::truncated, nullptr, "shorter than the 8-byte header length");
  }
  const std::uint64_t header_bytes = io_detail::get_u64(length);
  if (header_bytes > kMaxHeaderBytes) {
    return fail(error, Status::bad_format, nullptr,
                "header of %" PRIu64 " bytes: more than the 100 MB limit", header_bytes);
  }
  const std::uint64_t available = std::uint64_t(size) - 8;
  if (header_bytes > available) {
    return fail(error, Status::truncated, nullptr,
                "header of %" PRIu64 " bytes, but only %" PRIu64 " follow", header_bytes,
                available);
  }
  std::string text(std::size_t(header_bytes), '\0');
  if (std::fread(text.data(), 1, text.size(), f) != text.size()) {
    return fail(error, Status::truncated, nullptr, "header cut short");
  }
  if (nesting_depth(text) > kMaxNesting) {
    return fail(error, Status::bad_format, nullptr, "header nests deeper than %d levels",
                kMaxNesting);
  }
  const nlohmann::json header = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (header.is_discarded() || !header.is_object()) {
    return fail(error, Status::bad_format, nullptr, "header is not a JSON object");
  }

  // Every entry well formed, the metadata right, the offsets tiling the data.
  std::vector<Entry> entries;
  entries.reserve(header.size());
  for (const auto& [key, value] : header.items()) {
    if (key == "__metadata__") {
      if (const Status s = check_metadata<Net>(value, error); s != Status::ok) return s;
      continue;
    }
    entries.emplace_back();
    if (const Status s = read_entry(key, value, entries.back(), error); s != Status::ok) return s;
  }
  std::vector<const Entry*> order;
  for (const Entry& e : entries) order.push_back(&e);
  std::uint64_t data_bytes = 0;
  if (const Status s = check_tiling(order, data_bytes, error); s != Status::ok) return s;
  const std::uint64_t data_at = 8 + header_bytes, data_in_file = available - header_bytes;
  for (const Entry& e : entries) {
    if (e.end > data_in_file) {
      return fail(error, Status::truncated, e.key.c_str(),
                  "data ends at byte %" PRIu64 " of the file, which has %ld", data_at + e.end,
                  size);
    }
  }
  if (data_bytes < data_in_file) {
    return fail(error, Status::bad_format, nullptr, "%" PRIu64 " bytes after the data",
                data_in_file - data_bytes);
  }

  // The network's tensors, each present with its shape and a float dtype;
  // nothing else but num_batches_tracked.
  std::vector<const Entry*> source(Net::tensors.size(), nullptr);
  for (const Entry& e : entries) {
    std::size_t i = 0;
    while (i < Net::tensors.size() && e.key != Net::tensors[i].name.s) ++i;
    if (i < Net::tensors.size()) {
      source[i] = &e;
    } else if (is_batches_tracked<Net>(e.key)) {
      if (!e.shape.empty() || e.dtype != "I64") {
        return fail(error, Status::bad_format, e.key.c_str(), "%s %s, expected an I64 scalar",
                    e.dtype.c_str(), dims_text(e.shape, e.shape.size()).c_str());
      }
    } else {
      return fail(error, Status::wrong_network, e.key.c_str(), "this network has no such tensor");
    }
  }
  for (std::size_t i = 0; i < Net::tensors.size(); ++i) {
    const Tensor& t = Net::tensors[i];
    const Entry* e = source[i];
    if (e == nullptr) return fail(error, Status::wrong_network, t.name.s, "missing from the file");
    bool same = e->shape.size() == std::size_t(t.rank);
    for (std::size_t d = 0; same && d < e->shape.size(); ++d) {
      same = e->shape[d] == std::uint64_t(t.dims[d]);
    }
    if (!same) {
      return fail(error, Status::wrong_network, t.name.s, "shape %s in the file, %s here",
                  dims_text(e->shape, e->shape.size()).c_str(),
                  dims_text(t.dims, std::size_t(t.rank)).c_str());
    }
    if (e->dtype != "F32" && e->dtype != "F16" && e->dtype != "BF16") {
      return fail(error, Status::bad_format, t.name.s, "dtype %s: staticnn loads F32, F16 or BF16",
                  e->dtype.c_str());
    }
  }

  // The data, converted into a staging copy, then into p.
  std::vector<float> values(p.size), buffers(p.buffer_size);
  std::vector<unsigned char> bytes;
  for (std::size_t i = 0; i < Net::tensors.size(); ++i) {
    const Tensor& t = Net::tensors[i];
    const Entry& e = *source[i];
    bytes.resize(std::size_t(e.end - e.begin));
    if (std::fseek(f, long(data_at + e.begin), SEEK_SET) != 0 ||
        std::fread(bytes.data(), 1, bytes.size(), f) != bytes.size()) {
      return fail(error, Status::truncated, t.name.s, "data cut short");
    }
    float* out = (t.role == TensorRole::parameter ? values.data() : buffers.data()) + t.offset;
    if (const Status s = convert(e, bytes.data(), out, error); s != Status::ok) return s;
  }
  std::copy(values.begin(), values.end(), p.values);
  std::copy(buffers.begin(), buffers.end(), p.buffers);
  return Status::ok;
}

}  // namespace safetensors_detail

// Loads p from a safetensors file (see the top of this header); on any error
// p is unchanged and `error` (may be null) says which tensor and why.
template <class Net>
Status load_safetensors(ParameterStorage<Net, ParametersRole>& p, const char* path,
                        IoError* error = nullptr) {
  io_detail::File file(std::fopen(path, "rb"));
  if (file.f == nullptr) {
    return io_detail::fail(error, Status::cannot_open, nullptr, "cannot open %s", path);
  }
  return safetensors_detail::load<Net>(p, file.f, error);
}

// Saves p as a safetensors file that PyTorch's load_state_dict accepts.
template <class Net>
Status save_safetensors(const ParameterStorage<Net, ParametersRole>& p, const char* path,
                        IoError* error = nullptr) {
  using namespace safetensors_detail;
  if (const Status s = io_detail::refuse_non_finite<Net>(p, error); s != Status::ok) return s;
  // I64 scalars first, then the floats: every tensor stays aligned to its
  // element size, as the safetensors library lays files out.
  nlohmann::json header = nlohmann::json::object();
  char signature[24];
  std::snprintf(signature, sizeof signature, "0x%016" PRIx64, architecture_signature<Net>);
  header["__metadata__"] = {{"format", "pt"}, {kSignatureKey, signature}};
  std::uint64_t at = 0;
  for (const Tensor& t : Net::tensors) {
    const std::string_view key = t.name.s;
    if (key.ends_with(".running_var")) {
      const std::string tracked =
          std::string(key.substr(0, key.size() - 12)) + std::string(kBatchesTracked);
      header[tracked] = {
          {"dtype", "I64"}, {"shape", nlohmann::json::array()}, {"data_offsets", {at, at + 8}}};
      at += 8;
    }
  }
  const std::uint64_t tracked_bytes = at;
  for (const Tensor& t : Net::tensors) {
    const std::uint64_t bytes = std::uint64_t(t.count()) * 4;
    header[t.name.s] = {{"dtype", "F32"},
                        {"shape", std::vector<int>(t.dims.begin(), t.dims.begin() + t.rank)},
                        {"data_offsets", {at, at + bytes}}};
    at += bytes;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // the data starts 8-aligned
  unsigned char length[8];
  io_detail::put_u64(length, text.size());
  const std::vector<unsigned char> zeros(tracked_bytes, 0);
  return io_detail::write_atomically(
      path,
      [&](std::FILE* f) {
        bool ok = std::fwrite(length, 1, 8, f) == 8 &&
                  std::fwrite(text.data(), 1, text.size(), f) == text.size() &&
                  (zeros.empty() || std::fwrite(zeros.data(), 1, zeros.size(), f) == zeros.size());
        for (const Tensor& t : Net::tensors) {
          const std::size_t n = std::size_t(t.count());
          ok = ok && std::fwrite(io_detail::data_of<Net>(p, t), sizeof(float), n, f) == n;
        }
        return ok;
      },
      error);
}

}  // namespace staticnn
