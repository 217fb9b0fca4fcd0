// Errors that arrive at run time (bad labels, bad files) come back as values:
// the library never throws, aborts or reads out of bounds because of input.
#pragma once

namespace staticnn {

enum class Status {
  ok,
  label_out_of_range,   // a class label < 0 or >= the number of outputs
  non_finite,           // NaN or infinity where a finite number was required
  cannot_open,          // a file could not be opened for reading or writing
  bad_format,           // a file is not of the expected format
  wrong_network,        // a weight file for another network (parameter count differs)
  truncated,            // a file ended early
  write_failed,         // a write or close failed (disk full, ...)
  wrong_size,           // a buffer of run-time size does not hold the batch's samples
  partial_batch_statistics,  // a partial batch given to a network with batch
                             // statistics (BatchNorm) in training
  invalid_options,      // optimizer options torch.optim would refuse (lr < 0, beta >= 1, ...)
  split_batch_statistics,  // a network with batch statistics (BatchNorm) trained on a
                           // batch split across threads (parallel.hpp)
};

constexpr const char* to_string(Status s) {
  switch (s) {
    case Status::ok: return "ok";
    case Status::label_out_of_range: return "label out of range";
    case Status::non_finite: return "non-finite value";
    case Status::cannot_open: return "cannot open file";
    case Status::bad_format: return "bad file format";
    case Status::wrong_network: return "file is for a different network";
    case Status::truncated: return "file is truncated";
    case Status::write_failed: return "write failed";
    case Status::wrong_size: return "buffer size does not match the batch";
    case Status::partial_batch_statistics:
      return "a partial batch cannot train a network with BatchNorm";
    case Status::invalid_options: return "invalid optimizer options";
    case Status::split_batch_statistics:
      return "a batch split across threads cannot train a network with BatchNorm";
  }
  return "unknown status";
}

// A loss value, or why there is none.
struct LossResult {
  float value = 0.0f;
  Status status = Status::ok;
  constexpr explicit operator bool() const { return status == Status::ok; }
};

}  // namespace staticnn
