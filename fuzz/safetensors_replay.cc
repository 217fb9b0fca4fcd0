// Replays inputs through the fuzz target without libFuzzer (CTest runs it on
// fuzz/corpus and fuzz/regressions): `safetensors_replay FILE...`.
// `safetensors_replay --write-seed FILE` writes the seed: FuzzNet's
// parameters as save_safetensors writes them.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

#include "fuzz/fuzz_net.hpp"
#include "staticnn/init.hpp"
#include "staticnn/io/safetensors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

int main(int argc, char** argv) {
  using staticnn::fuzz::FuzzNet;
  if (argc == 3 && std::strcmp(argv[1], "--write-seed") == 0) {
    static FuzzNet::Parameters p;
    staticnn::init_parameters<FuzzNet>(p, 1);
    return staticnn::save_safetensors(p, argv[2]) == staticnn::Status::ok ? 0 : 1;
  }
  for (int i = 1; i < argc; ++i) {
    std::FILE* f = std::fopen(argv[i], "rb");
    if (f == nullptr) {
      std::fprintf(stderr, "cannot open %s\n", argv[i]);
      return 1;
    }
    std::vector<std::uint8_t> bytes;
    for (int c; (c = std::fgetc(f)) != EOF;) bytes.push_back(std::uint8_t(c));
    std::fclose(f);
    LLVMFuzzerTestOneInput(bytes.data(), bytes.size());  // aborts on a finding
  }
  std::printf("%d inputs replayed\n", argc - 1);
  return 0;
}
