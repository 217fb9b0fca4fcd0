// Firmware-style inference of a network exported from PyTorch or ONNX by
// tools/staticnn_export (README: From PyTorch or ONNX): its header defines
// <namespace>::Net and <namespace>::parameters, constexpr, so the weights are
// in read-only data (flash on a board). Configure with
// -DSTATICNN_EXPORTED_HEADER=/path/model.hpp; the program classifies the fixed
// input of examples/firmware.hpp and prints the logits' bits, so the board's
// output can be compared with the same program built for the host.
#include "examples/firmware.hpp"

#ifndef STATICNN_EXPORTED_HEADER
#error "define STATICNN_EXPORTED_HEADER (CMake: -DSTATICNN_EXPORTED_HEADER=<header>)"
#endif
#include STATICNN_EXPORTED_HEADER

int main() {
  return firmware::classify<STATICNN_EXPORTED_NAMESPACE::Net>(
      STATICNN_EXPORTED_NAMESPACE::parameters);
}
