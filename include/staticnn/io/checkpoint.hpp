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
// every malformed file is a Status (with an optional IoError saying why), and
// on any error the destinations are unchanged. Saving refuses non-finite
// parameters or buffers, naming the tensor.
//
// Format (little-endian): "SNNCKPT2", u64 parameter count, u64 bytes of the
// parameter object, u64 bytes of the optimizer state, u64 architecture
// signature (signature.hpp), u64 FNV-1a-64 hash of the payload, then the
// payload: the parameter object, the optimizer state, and the progress (three
// u64). Objects are stored as their bytes: a checkpoint is for resuming on the
// same kind of machine and build, not for exchange (io/weights.hpp and
// io/safetensors.hpp are those formats).
#pragma once

#include <bit>
#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <type_traits>

#include "staticnn/io/file.hpp"
#include "staticnn/io/state_dict.hpp"
#include "staticnn/signature.hpp"
#include "staticnn/status.hpp"

namespace staticnn {

// Where a training run is, besides its parameters and optimizer state.
struct TrainingProgress {
  std::uint64_t epochs_done = 0;
  std::uint64_t steps_done = 0;  // optimizer steps: the schedule's t
  std::uint64_t rng_state = 0;   // e.g. SplitMix64::state
};

namespace checkpoint_detail {

inline constexpr char kMagic[8] = {'S', 'N', 'N', 'C', 'K', 'P', 'T', '2'};
inline constexpr std::size_t kHeaderBytes = 48;

using namespace io_detail;

// The payload in file order: (bytes, count) pieces.
struct Piece {
  unsigned char* data;
  std::size_t size;
};

}  // namespace checkpoint_detail

template <class Net, class State>
Status save_checkpoint(const char* path, const ParameterStorage<Net, ParametersRole>& params,
                       const State& optimizer_state, const TrainingProgress& progress,
                       IoError* error = nullptr) {
  using namespace checkpoint_detail;
  using Params = ParameterStorage<Net, ParametersRole>;
  if (const Status s = refuse_non_finite<Net>(params, error); s != Status::ok) return s;
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
  detail::Fnv1a64 hash;
  for (const Piece& piece : payload) hash.bytes(piece.data, piece.size);

  unsigned char header[kHeaderBytes];
  std::memcpy(header, kMagic, 8);
  put_u64(header + 8, Params::size);
  put_u64(header + 16, sizeof(Params));
  put_u64(header + 24, sizeof(State));
  put_u64(header + 32, architecture_signature<Net>);
  put_u64(header + 40, hash.value);

  return write_atomically(
      path,
      [&](std::FILE* f) {
        bool written = std::fwrite(header, 1, sizeof header, f) == sizeof header;
        for (const Piece& piece : payload) {
          written = written && std::fwrite(piece.data, 1, piece.size, f) == piece.size;
        }
        return written;
      },
      error);
}

// Resumes from a checkpoint of the same network and optimizer type. On any
// error nothing is written.
template <class Net, class State>
Status load_checkpoint(const char* path, ParameterStorage<Net, ParametersRole>& params,
                       State& optimizer_state, TrainingProgress& progress,
                       IoError* error = nullptr) {
  using namespace checkpoint_detail;
  using Params = ParameterStorage<Net, ParametersRole>;
  static_assert(std::is_trivially_copyable_v<Params> && std::is_trivially_copyable_v<State>);
  File file(std::fopen(path, "rb"));
  if (file.f == nullptr) return fail(error, Status::cannot_open, nullptr, "cannot open %s", path);
  unsigned char header[kHeaderBytes];
  const std::size_t got = std::fread(header, 1, sizeof header, file.f);
  if (got >= 8 && std::memcmp(header, kMagic, 8) != 0) {
    return fail(error, Status::bad_format, nullptr, "not a staticnn checkpoint (magic SNNCKPT2)");
  }
  if (got != sizeof header) return fail(error, Status::truncated, nullptr, "header cut short");
  if (get_u64(header + 8) != Params::size || get_u64(header + 16) != sizeof(Params)) {
    return fail(error, Status::wrong_network, nullptr,
                "saved for a network of another size (%" PRIu64 " parameters, %zu here)",
                get_u64(header + 8), Params::size);
  }
  if (get_u64(header + 24) != sizeof(State)) {
    return fail(error, Status::bad_format, nullptr,
                "optimizer state of another size (another optimizer?)");
  }
  if (const Status s = check_signature<Net>(get_u64(header + 32), error); s != Status::ok) return s;

  // Pass 1: hash the payload, and check the parameters are finite.
  const std::size_t values_at = std::size_t(reinterpret_cast<const unsigned char*>(params.values) -
                                            reinterpret_cast<const unsigned char*>(&params));
  const std::size_t values_end = values_at + Params::size * sizeof(float);
  const std::size_t payload = sizeof(Params) + sizeof(State) + 24;
  detail::Fnv1a64 hash;
  bool finite = true;
  unsigned char chunk[4096];
  for (std::size_t done = 0; done < payload;) {
    const std::size_t want = payload - done < sizeof chunk ? payload - done : sizeof chunk;
    if (std::fread(chunk, 1, want, file.f) != want) {
      return fail(error, Status::truncated, nullptr, "payload cut short");
    }
    hash.bytes(chunk, want);
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
  if (std::fgetc(file.f) != EOF) {
    return fail(error, Status::bad_format, nullptr, "bytes after the payload");
  }
  if (hash.value != get_u64(header + 40)) {
    return fail(error, Status::bad_format, nullptr, "payload does not match its hash (corrupted)");
  }
  if (!finite) return fail(error, Status::non_finite, nullptr, "NaN or infinity in the parameters");

  // Pass 2: the file is good; read it into place.
  unsigned char progress_bytes[24];
  if (std::fseek(file.f, long(sizeof header), SEEK_SET) != 0 ||
      std::fread(&params, 1, sizeof(Params), file.f) != sizeof(Params) ||
      std::fread(&optimizer_state, 1, sizeof(State), file.f) != sizeof(State) ||
      std::fread(progress_bytes, 1, 24, file.f) != 24) {
    return fail(error, Status::truncated, nullptr, "file changed while loading");
  }
  progress = {get_u64(progress_bytes), get_u64(progress_bytes + 8), get_u64(progress_bytes + 16)};
  return Status::ok;
}

}  // namespace staticnn
