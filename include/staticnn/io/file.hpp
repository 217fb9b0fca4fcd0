// What the file formats share: a FILE* owned for a scope (no exceptions
// involved) and atomic replacement (write "<path>.tmp", then rename it over
// path, so a failed or interrupted save leaves any previous file in place).
#pragma once

#include <cstdio>

#include "staticnn/status.hpp"

namespace staticnn::io_detail {

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
Status write_atomically(const char* path, Emit emit) {
  char tmp[4096];
  if (std::snprintf(tmp, sizeof tmp, "%s.tmp", path) >= int(sizeof tmp)) return Status::cannot_open;
  File file(std::fopen(tmp, "wb"));
  if (file.f == nullptr) return Status::cannot_open;
  const bool written = emit(file.f);
  if (!file.close() || !written || std::rename(tmp, path) != 0) {
    std::remove(tmp);
    return Status::write_failed;
  }
  return Status::ok;
}

}  // namespace staticnn::io_detail
