// A network's parameters and buffers seen as PyTorch's state_dict, tensor by
// tensor (Net::tensors: keys, shapes, where each lives), for the file formats;
// the check of a stored architecture signature (signature.hpp);
// and the check every save makes first: a NaN or infinity is refused, naming
// the tensor, rather than written to a file that no load would accept.
#pragma once

#include <cinttypes>
#include <cmath>
#include <cstdint>

#include "staticnn/io/file.hpp"
#include "staticnn/signature.hpp"
#include "staticnn/storage.hpp"

namespace staticnn::io_detail {

template <class Net>
const float* data_of(const ParameterStorage<Net, ParametersRole>& p, const Tensor& t) {
  return (t.role == TensorRole::parameter ? p.values : p.buffers) + t.offset;
}
template <class Net>
float* data_of(ParameterStorage<Net, ParametersRole>& p, const Tensor& t) {
  return (t.role == TensorRole::parameter ? p.values : p.buffers) + t.offset;
}

// Status::non_finite naming the first tensor holding a NaN or infinity, or ok.
template <class Net>
Status refuse_non_finite(const ParameterStorage<Net, ParametersRole>& p, IoError* error) {
  for (const Tensor& t : Net::tensors) {
    const float* data = data_of<Net>(p, t);
    for (long i = 0; i < t.count(); ++i) {
      if (!std::isfinite(data[i])) {
        return fail(error, Status::non_finite, t.name.s, "element %ld is %g: not saved", i,
                    double(data[i]));
      }
    }
  }
  return Status::ok;
}

// Status::wrong_network with both signatures, when they differ.
template <class Net>
Status check_signature(std::uint64_t in_file, IoError* error) {
  if (in_file == architecture_signature<Net>) return Status::ok;
  return fail(error, Status::wrong_network, nullptr,
              "saved for another architecture (signature 0x%016" PRIx64
              ", this network's is 0x%016" PRIx64 ")",
              in_file, architecture_signature<Net>);
}

}  // namespace staticnn::io_detail
