// Checkpoints: everything a training run needs to continue exactly where it
// stopped, in one file — the parameters (and buffers), the optimizer state
// (moments, step count), and the progress: epochs done, optimizer steps
// taken (the schedule's position: schedules are functions of it) and the
// state of the shuffling RNG. A resumed run then equals an uninterrupted one
// bit for bit (tests/checkpoint_test.cc).
//
// Saving writes "<path>.tmp" and renames it over path, so a crash leaves the
// previous checkpoint intact. Loading checks the whole file (header, sizes,
// length, a 64-bit FNV-1a hash, finite parameters) before it writes anything:
// every malformed file is a Status, and on any error the destinations are
// unchanged.
//
// Format (little-endian): "SNNCKPT1", u64 parameter count, u64 bytes of the
// parameter object, u64 bytes of the optimizer state, u64 hash of the
// payload, then the payload: the parameter object, the optimizer state, and
// the progress (three u64). Objects are stored as their bytes: a checkpoint is
// for resuming on the same kind of machine and build, not for exchange
// (io/weights.hpp is that format).
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <type_traits>

#include "staticnn/io/file.hpp"
#include "staticnn/status.hpp"

namespace staticnn {

// Where a training run is, besides its parameters and optimizer state.
struct TrainingProgress {
  std::uint64_t epochs_done = 0;
  std::uint64_t steps_done = 0;  // optimizer steps: the schedule's t
  std::uint64_t rng_state = 0;   // e.g. SplitMix64::state
};

namespace checkpoint_detail {

inline constexpr char kMagic[8] = {'S', 'N', 'N', 'C', 'K', 'P', 'T', '1'};
inline constexpr std::uint64_t kFnvBasis = 14695981039346656037ull;

inline std::uint64_t fnv1a(std::uint64_t h, const unsigned char* p, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ull;
  return h;
}

using io_detail::File;

inline void put_u64(unsigned char* b, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) b[i] = static_cast<unsigned char>(v >> (8 * i));
}
inline std::uint64_t get_u64(const unsigned char* b) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | b[i];
  return v;
}

// The payload in file order: (bytes, count) pieces.
struct Piece {
  unsigned char* data;
  std::size_t size;
};

}  // namespace checkpoint_detail

template <class Params, class State>
Status save_checkpoint(const char* path, const Params& params, const State& optimizer_state,
                       const TrainingProgress& progress) {
  using namespace checkpoint_detail;
  static_assert(std::endian::native == std::endian::little,
                "staticnn: checkpoints are little-endian");
  static_assert(std::is_trivially_copyable_v<Params> && std::is_trivially_copyable_v<State>,
                "staticnn: checkpoints store plain objects");
  unsigned char progress_bytes[24];
  put_u64(progress_bytes, progress.epochs_done);
  put_u64(progress_bytes + 8, progress.steps_done);
  put_u64(progress_bytes + 16, progress.rng_state);
  const Piece payload[] = {
      {reinterpret_cast<unsigned char*>(const_cast<Params*>(&params)), sizeof(Params)},
      {reinterpret_cast<unsigned char*>(const_cast<State*>(&optimizer_state)), sizeof(State)},
      {progress_bytes, sizeof progress_bytes}};
  std::uint64_t hash = kFnvBasis;
  for (const Piece& piece : payload) hash = fnv1a(hash, piece.data, piece.size);

  unsigned char header[40];
  std::memcpy(header, kMagic, 8);
  put_u64(header + 8, Params::size);
  put_u64(header + 16, sizeof(Params));
  put_u64(header + 24, sizeof(State));
  put_u64(header + 32, hash);

  return io_detail::write_atomically(path, [&](std::FILE* f) {
    bool written = std::fwrite(header, 1, sizeof header, f) == sizeof header;
    for (const Piece& piece : payload) {
      written = written && std::fwrite(piece.data, 1, piece.size, f) == piece.size;
    }
    return written;
  });
}

// Resumes from a checkpoint of the same network and optimizer type. On any
// error nothing is written.
template <class Params, class State>
Status load_checkpoint(const char* path, Params& params, State& optimizer_state,
                       TrainingProgress& progress) {
  using namespace checkpoint_detail;
  static_assert(std::is_trivially_copyable_v<Params> && std::is_trivially_copyable_v<State>);
  File file(std::fopen(path, "rb"));
  if (file.f == nullptr) return Status::cannot_open;
  unsigned char header[40];
  const std::size_t got = std::fread(header, 1, sizeof header, file.f);
  if (got >= 8 && std::memcmp(header, kMagic, 8) != 0) return Status::bad_format;
  if (got != sizeof header) return Status::truncated;
  if (get_u64(header + 8) != Params::size || get_u64(header + 16) != sizeof(Params)) {
    return Status::wrong_network;
  }
  if (get_u64(header + 24) != sizeof(State)) return Status::bad_format;  // another optimizer

  // Pass 1: hash the payload, and check the parameters are finite.
  const std::size_t values_at = std::size_t(reinterpret_cast<const unsigned char*>(params.values) -
                                            reinterpret_cast<const unsigned char*>(&params));
  const std::size_t values_end = values_at + Params::size * sizeof(float);
  const std::size_t payload = sizeof(Params) + sizeof(State) + 24;
  std::uint64_t hash = kFnvBasis;
  bool finite = true;
  unsigned char chunk[4096];
  for (std::size_t done = 0; done < payload;) {
    const std::size_t want = payload - done < sizeof chunk ? payload - done : sizeof chunk;
    if (std::fread(chunk, 1, want, file.f) != want) return Status::truncated;
    hash = fnv1a(hash, chunk, want);
    for (std::size_t i = 0; i < want; ++i) {  // whole floats of params.values only
      const std::size_t at = done + i;
      if (at >= values_at && at + 4 <= values_end && (at - values_at) % 4 == 0 && i + 4 <= want) {
        float v;
        std::memcpy(&v, chunk + i, 4);
        finite = finite && std::isfinite(v);
      }
    }
    done += want;
  }
  if (std::fgetc(file.f) != EOF) return Status::bad_format;  // trailing bytes
  if (hash != get_u64(header + 32)) return Status::bad_format;
  if (!finite) return Status::non_finite;

  // Pass 2: the file is good; read it into place.
  unsigned char progress_bytes[24];
  if (std::fseek(file.f, long(sizeof header), SEEK_SET) != 0 ||
      std::fread(&params, 1, sizeof(Params), file.f) != sizeof(Params) ||
      std::fread(&optimizer_state, 1, sizeof(State), file.f) != sizeof(State) ||
      std::fread(progress_bytes, 1, 24, file.f) != 24) {
    return Status::truncated;  // the file changed under us
  }
  progress = {get_u64(progress_bytes), get_u64(progress_bytes + 8),
              get_u64(progress_bytes + 16)};
  return Status::ok;
}

}  // namespace staticnn
