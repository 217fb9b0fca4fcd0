// Turns LeNet-5 weights (examples/lenet5.hpp) into a C++ header whose
// constexpr array the compiler places in read-only memory (.rodata / flash):
//
//   bake_weights <out.hpp> [LeNet-5 weights file, as written by save_weights]
//
// Without a weights file it bakes the deterministic initial weights (seed 42),
// which is what the build does so that the firmware example always compiles.
#include <cstdio>

#include "examples/lenet5.hpp"
#include "staticnn/init.hpp"
#include "staticnn/io/weights.hpp"

int main(int argc, char** argv) {
  namespace nn = staticnn;
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: %s <out.hpp> [weights file]\n", argv[0]);
    return 2;
  }
  static firmware::LeNet::Parameters params;
  if (argc == 3) {
    if (const nn::Status s = nn::load_weights(params, argv[2]); s != nn::Status::ok) {
      std::fprintf(stderr, "error: %s: %s\n", argv[2], nn::to_string(s));
      return 1;
    }
  } else {
    nn::init_parameters<firmware::LeNet>(params, 42);
  }
  if (const nn::Status s =
          nn::write_weights_header(params, argv[1], "firmware::LeNet", "lenet_weights");
      s != nn::Status::ok) {
    std::fprintf(stderr, "error: %s: %s\n", argv[1], nn::to_string(s));
    return 1;
  }
  return 0;
}
