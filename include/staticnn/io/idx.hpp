// Reading IDX files, the format of MNIST and Fashion-MNIST, uncompressed
// (decompress the distributed .gz files first, e.g. `gzip -dc f.gz > f`).
//
// Format: a big-endian u32 magic 0x000008NN (two zero bytes, 0x08 = unsigned
// bytes, NN = number of dimensions), NN big-endian u32 dimensions, then the
// data, row-major. Labels: 0x00000801, [count]. Images: 0x00000803,
// [count][rows][cols].
//
// The data is read straight into the caller's buffer; nothing is allocated
// here beyond what the C library does for fopen. Every bad input (missing or
// unreadable file, wrong or compressed format, impossible dimensions, a file
// shorter or longer than its header says, a buffer too small) is reported as
// an IdxError; nothing is ever written beyond `capacity` bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>

namespace staticnn {

enum class IdxError {
  ok,
  invalid_argument,    // a null path or buffer, or a null info for idx_header
  cannot_open,         // the file could not be opened (missing, no permission)
  read_failed,         // the file opened but reading failed (a directory, I/O error)
  compressed,          // gzip data: decompress it first
  bad_magic,           // not an IDX file of unsigned bytes of the expected kind
  wrong_dims,          // rows or cols is 0, or the header announces an impossible size
  truncated,           // the file ends inside the header or the data (or is empty)
  trailing_data,       // the file continues after the data its header announces
  too_large,           // the data does not fit in the caller's buffer
  label_out_of_range,  // validate_labels: a label >= the number of classes
};

constexpr const char* to_string(IdxError e) {
  switch (e) {
    case IdxError::ok: return "ok";
    case IdxError::invalid_argument: return "invalid argument (null pointer)";
    case IdxError::cannot_open: return "cannot open file";
    case IdxError::read_failed: return "read failed (is it a regular file?)";
    case IdxError::compressed:
      return "file is gzip-compressed: decompress it first (gzip -dc)";
    case IdxError::bad_magic:
      return "not an IDX file of the expected kind (magic 0x00000803 for images, "
             "0x00000801 for labels)";
    case IdxError::wrong_dims: return "impossible dimensions in the IDX header";
    case IdxError::truncated: return "file is shorter than its IDX header says";
    case IdxError::trailing_data: return "file is longer than its IDX header says";
    case IdxError::too_large: return "data does not fit in the buffer";
    case IdxError::label_out_of_range: return "label out of range";
  }
  return "unknown IdxError";
}

// What an IDX header says. For a label file rows = cols = 1, so that
// count * rows * cols is always the number of data bytes.
struct IdxInfo {
  int count = 0, rows = 0, cols = 0;
  int rank = 0;  // number of dimensions: 1 for labels, 3 for images
  constexpr std::uint64_t bytes() const {
    return std::uint64_t(count) * std::uint64_t(rows) * std::uint64_t(cols);
  }
};

namespace idx_detail {

inline constexpr std::uint32_t kLabelsMagic = 0x00000801;
inline constexpr std::uint32_t kImagesMagic = 0x00000803;
inline constexpr std::uint32_t kLargestDim = 0x7fffffff;  // fits an int

// Owns a FILE* for the scope; no exceptions involved.
struct File {
  std::FILE* f;
  explicit File(const char* path) : f(std::fopen(path, "rb")) {}
  File(const File&) = delete;
  File& operator=(const File&) = delete;
  ~File() {
    if (f != nullptr) std::fclose(f);
  }
};

// Why fewer bytes than asked for arrived.
inline IdxError short_read(std::FILE* f) {
  return std::ferror(f) ? IdxError::read_failed : IdxError::truncated;
}

inline IdxError read_u32(std::FILE* f, std::uint32_t* v) {
  unsigned char b[4];
  if (std::fread(b, 1, 4, f) != 4) return short_read(f);
  *v = std::uint32_t(b[0]) << 24 | std::uint32_t(b[1]) << 16 |
       std::uint32_t(b[2]) << 8 | std::uint32_t(b[3]);
  return IdxError::ok;
}

// Reads and checks the header. `expected_magic` 0 accepts labels or images.
inline IdxError read_header(std::FILE* f, std::uint32_t expected_magic, IdxInfo* info) {
  std::uint32_t magic = 0;
  if (const IdxError e = read_u32(f, &magic); e != IdxError::ok) return e;
  if (magic >> 16 == 0x1f8b) return IdxError::compressed;  // gzip's magic bytes
  const bool known = magic == kLabelsMagic || magic == kImagesMagic;
  if (!known || (expected_magic != 0 && magic != expected_magic)) {
    return IdxError::bad_magic;
  }
  const int rank = magic == kImagesMagic ? 3 : 1;
  std::uint32_t dims[3] = {0, 1, 1};
  for (int i = 0; i < rank; ++i) {
    if (const IdxError e = read_u32(f, &dims[i]); e != IdxError::ok) return e;
    if (dims[i] > kLargestDim) return IdxError::wrong_dims;
  }
  // An empty data set (count 0) is valid; an image without pixels is not.
  if (dims[1] == 0 || dims[2] == 0) return IdxError::wrong_dims;
  // Each dimension < 2^31: the product of all three fits in 64 bits only if
  // checked; more bytes than a file offset can address is impossible.
  const std::uint64_t per_item = std::uint64_t(dims[1]) * dims[2];
  if (dims[0] > (std::uint64_t(1) << 62) / per_item) return IdxError::wrong_dims;
  *info = {int(dims[0]), int(dims[1]), int(dims[2]), rank};
  return IdxError::ok;
}

// Reads the whole file (header and data) into out[0, capacity). On an error
// the buffer may hold part of the data, never anything beyond capacity.
inline IdxError read_file(const char* path, std::uint32_t magic, std::uint8_t* out,
                          std::size_t capacity, IdxInfo* info) {
  if (path == nullptr || (out == nullptr && capacity != 0)) {
    return IdxError::invalid_argument;
  }
  File file(path);
  if (file.f == nullptr) return IdxError::cannot_open;
  IdxInfo header;
  if (const IdxError e = read_header(file.f, magic, &header); e != IdxError::ok) {
    return e;
  }
  if (header.bytes() > capacity) return IdxError::too_large;
  const std::size_t bytes = std::size_t(header.bytes());  // <= capacity
  if (bytes != 0 && std::fread(out, 1, bytes, file.f) != bytes) {
    return short_read(file.f);
  }
  if (std::fgetc(file.f) != EOF) return IdxError::trailing_data;
  if (std::ferror(file.f)) return IdxError::read_failed;
  if (info != nullptr) *info = header;
  return IdxError::ok;
}

}  // namespace idx_detail

// The header of an IDX label or image file, to size the buffers before
// reading. Checks the header only, not the length of the data.
inline IdxError idx_header(const char* path, IdxInfo* info) {
  if (path == nullptr || info == nullptr) return IdxError::invalid_argument;
  idx_detail::File file(path);
  if (file.f == nullptr) return IdxError::cannot_open;
  return idx_detail::read_header(file.f, 0, info);
}

// Reads an image file (count x rows x cols bytes) into out[0, capacity).
// `info` (may be null) receives the dimensions on success.
inline IdxError read_idx_images(const char* path, std::uint8_t* out,
                                std::size_t capacity, IdxInfo* info) {
  return idx_detail::read_file(path, idx_detail::kImagesMagic, out, capacity, info);
}

// Reads a label file (count bytes) into out[0, capacity). `count` (may be
// null) receives the number of labels on success. The labels are not
// checked; see validate_labels.
inline IdxError read_idx_labels(const char* path, std::uint8_t* out,
                                std::size_t capacity, int* count) {
  IdxInfo info;
  const IdxError e =
      idx_detail::read_file(path, idx_detail::kLabelsMagic, out, capacity, &info);
  if (e == IdxError::ok && count != nullptr) *count = info.count;
  return e;
}

// label_out_of_range if a label is >= num_classes; `first_bad` (may be null)
// then receives the index of the first such label.
inline IdxError validate_labels(const std::uint8_t* labels, std::size_t count,
                                int num_classes = 10, std::size_t* first_bad = nullptr) {
  if (labels == nullptr && count != 0) return IdxError::invalid_argument;
  for (std::size_t i = 0; i < count; ++i) {
    if (int(labels[i]) >= num_classes) {
      if (first_bad != nullptr) *first_bad = i;
      return IdxError::label_out_of_range;
    }
  }
  return IdxError::ok;
}

}  // namespace staticnn
