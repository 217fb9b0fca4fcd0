// What the file formats share: a FILE* owned for a scope (no exceptions
// involved), atomic replacement (write "<path>.tmp", then rename it over
// path, so a failed or interrupted save leaves any previous file in place),
// and IoError, the explanation that comes with a Status.
#pragma once

#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include "staticnn/status.hpp"

namespace staticnn {

// Why a file was refused or not written, for a person: the tensor concerned
// (empty when the problem is not one tensor's) and one line, e.g.
//   "3.main.0.weight": shape [16, 3, 3, 3] in the file, [16, 16, 3, 3] here
// Fixed arrays: filling one never allocates.
struct IoError {
  Status status = Status::ok;
  char tensor[64] = {};
  char reason[192] = {};
};

namespace io_detail {

// Records status, tensor (may be null) and the printf-formatted reason in
// `error` (may be null), and returns status.
#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
inline Status
fail(IoError* error, Status status, const char* tensor, const char* format, ...) {
  if (error == nullptr) return status;
  error->status = status;
  std::snprintf(error->tensor, sizeof error->tensor, "%s", tensor != nullptr ? tensor : "");
  std::va_list args;
  va_start(args, format);
  std::vsnprintf(error->reason, sizeof error->reason, format, args);
  va_end(args);
  return status;
}

// Little-endian u64, as every format here stores its sizes.
inline void put_u64(unsigned char* b, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) b[i] = static_cast<unsigned char>(v >> (8 * i));
}
inline std::uint64_t get_u64(const unsigned char* b) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | b[i];
  return v;
}

struct File {
  std::FILE* f;
  explicit File(std::FILE* file) : f(file) {}
  File(const File&) = delete;
  File& operator=(const File&) = delete;
  ~File() {
    if (f != nullptr) std::fclose(f);
  }
  // Closes now and reports whether buffered writes reached the file.
  bool close() {
    const bool ok = std::fclose(f) == 0;
    f = nullptr;
    return ok;
  }
};

// Writes with `emit(FILE*) -> bool` to path.tmp, then renames over path.
template <class Emit>
Status write_atomically(const char* path, Emit emit, IoError* error = nullptr) {
  char tmp[4096];
  if (std::snprintf(tmp, sizeof tmp, "%s.tmp", path) >= int(sizeof tmp)) {
    return fail(error, Status::cannot_open, nullptr, "path too long");
  }
  File file(std::fopen(tmp, "wb"));
  if (file.f == nullptr) return fail(error, Status::cannot_open, nullptr, "cannot create %s", tmp);
  const bool written = emit(file.f);
  if (!file.close() || !written || std::rename(tmp, path) != 0) {
    std::remove(tmp);
    return fail(error, Status::write_failed, nullptr, "writing %s failed", path);
  }
  return Status::ok;
}

}  // namespace io_detail
}  // namespace staticnn
