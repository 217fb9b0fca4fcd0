// Turns a network's weights into a C++ header whose constexpr array the
// compiler places in read-only memory (.rodata / flash), for the firmware
// examples:
//
//   bake_weights <network> <out.hpp> [weights file, as written by save_weights]
//
//   network     type baked (header's name)           weights file of
//   lenet5      firmware::LeNet (lenet_weights)      examples/lenet5.hpp's LeNet-5
//   fashion     example::Net (fashion_weights)       examples/train_fashion_mnist
//   ds-cnn, mobilenet, resnet8, autoencoder
//               firmware::Model (model_weights):     the MLPerf Tiny model as trained,
//               the model with BatchNorm folded      with BatchNorm (buffers included)
//
// Without a weights file it bakes deterministic weights (seed 42), which is
// what the build does so that the firmware examples always compile; for the
// MLPerf Tiny models BatchNorm's affine parameters and running statistics are
// seeded too (not 1 and 0), so that folding changes every weight.
//
// int8 (the firmware quantizes at compile time with int8::quantize, so only
// the int8 parameters reach flash): the float weights go to <out>_float.hpp
// (as `<name>_float_weights`), the calibrated ranges to <out.hpp>
// (`<name>_ranges`: each float layer's input, then the output), which
// includes the former.
//
//   lenet5-int8 <out.hpp> tests/data/int8/lenet5.gold
//               firmware::LeNet (lenet5_int8): the case LiteRT ran
//               (tools/make_int8_golden.py), with its float input
//               (lenet5_int8_input) and LiteRT's int8 output (lenet5_int8_litert)
//   ds-cnn-int8, autoencoder-int8 <out.hpp> [weights file]
//               firmware::Model (model_int8): the folded MLPerf Tiny model, its
//               ranges calibrated through the float network
//               (int8_calibration::Observe) on kCalibrationInputs seeded inputs
//               in [-1, 1] (not MobileNetV1: calibrating it through its 28
//               prefixes would add 17 s to this tool's build)
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "examples/fashion_mnist.hpp"
#include "examples/lenet5.hpp"
// Calibration runs once, on the build machine: its baseline target will do.
#define STATICNN_ALLOW_SCALAR
#include "hwy/highway.h"
#include "staticnn/fold.hpp"
#include "staticnn/init.hpp"
#include "staticnn/int8/calibrate-inl.h"
#include "staticnn/int8/network.hpp"
#include "staticnn/io/file.hpp"
#include "staticnn/io/weights.hpp"
#include "staticnn/models/mlperf_tiny.hpp"

namespace {
namespace nn = staticnn;

// Seed-42 weights; with `seed_batch_norm`, BatchNorm's tensors (initialised
// to ones and zeros) drawn around them as a trained model's would be.
template <class Net>
void init(typename Net::Parameters& p, bool seed_batch_norm) {
  nn::init_parameters<Net>(p, 42);
  if (!seed_batch_norm) return;
  nn::SplitMix64 rng{7};
  for (const nn::Tensor& t : Net::tensors) {
    if (t.init == nn::Init::fan_in_uniform) continue;
    float* data = (t.role == nn::TensorRole::parameter ? p.values : p.buffers) + t.offset;
    for (long i = 0; i < t.count(); ++i) {
      data[i] = t.init == nn::Init::ones ? 1.0f + 0.25f * rng.symmetric()  // gamma, variance
                                         : 0.1f * rng.symmetric();         // beta, mean
    }
  }
}

// Loads Net's weights, or seeds them (BatchNorm's too with `seed_batch_norm`).
template <class Net>
bool load_or_seed(typename Net::Parameters& params, const char* weights, bool seed_batch_norm) {
  if (weights == nullptr) {
    init<Net>(params, seed_batch_norm);
    return true;
  }
  const nn::Status s = nn::load_weights(params, weights);
  if (s != nn::Status::ok) std::fprintf(stderr, "error: %s: %s\n", weights, nn::to_string(s));
  return s == nn::Status::ok;
}

// Loads (or seeds) Net's weights, folds its BatchNorms if asked, writes the header.
template <class Net, bool kFold>
int bake(const char* out, const char* weights, const char* type, const char* name) {
  static typename Net::Parameters params;
  if (!load_or_seed<Net>(params, weights, kFold)) return 1;
  nn::Status s;
  if constexpr (kFold) {
    static typename nn::fold_batch_norm_t<Net>::Parameters folded;
    nn::fold_batch_norm_into<Net>(params, folded);
    s = nn::write_weights_header(folded, out, type, name);
  } else {
    s = nn::write_weights_header(params, out, type, name);
  }
  if (s != nn::Status::ok) {
    std::fprintf(stderr, "error: %s: %s\n", out, nn::to_string(s));
    return 1;
  }
  return 0;
}

// A golden file (tests/golden.hpp's format: "SNNGOLD1", u32 tensor count,
// then per tensor u32 name length, name, u32 ndim, i32 dims[ndim], f32
// values; little-endian), read whole: each tensor's values by name.
using Golden = std::map<std::string, std::vector<float>>;

nn::Status read_golden(const char* path, Golden& golden) {
  nn::io_detail::File file(std::fopen(path, "rb"));
  if (file.f == nullptr) return nn::Status::cannot_open;
  std::vector<unsigned char> bytes;
  unsigned char chunk[65536];
  for (std::size_t n; (n = std::fread(chunk, 1, sizeof chunk, file.f)) > 0;) {
    bytes.insert(bytes.end(), chunk, chunk + n);
  }
  std::size_t at = 0;
  const auto take = [&](std::size_t n) -> const unsigned char* {
    if (bytes.size() - at < n) return nullptr;
    at += n;
    return bytes.data() + at - n;
  };
  const auto u32 = [&](std::uint32_t& v) {
    const unsigned char* b = take(4);
    if (b != nullptr) v = std::uint32_t{b[0]} | b[1] << 8 | b[2] << 16 | std::uint32_t{b[3]} << 24;
    return b != nullptr;
  };
  const unsigned char* magic = take(8);
  if (magic == nullptr || std::memcmp(magic, "SNNGOLD1", 8) != 0) return nn::Status::bad_format;
  std::uint32_t count = 0;
  if (!u32(count)) return nn::Status::truncated;
  for (std::uint32_t t = 0; t < count; ++t) {
    std::uint32_t length = 0, ndim = 0;
    if (!u32(length)) return nn::Status::truncated;
    const unsigned char* name = take(length);
    if (name == nullptr || !u32(ndim) || ndim > 8) {
      return name == nullptr || ndim <= 8 ? nn::Status::truncated : nn::Status::bad_format;
    }
    std::uint64_t size = 1;
    for (std::uint32_t d = 0; d < ndim; ++d) {
      std::uint32_t dim = 0;
      if (!u32(dim)) return nn::Status::truncated;
      if (dim > (1u << 24)) return nn::Status::bad_format;
      size *= dim;
    }
    std::vector<float>& values = golden[std::string(name, name + length)];
    values.resize(std::size_t(size));
    for (float& v : values) {
      std::uint32_t bits = 0;
      if (!u32(bits)) return nn::Status::truncated;
      std::memcpy(&v, &bits, sizeof v);
      if (!std::isfinite(v)) return nn::Status::non_finite;
    }
  }
  return at == bytes.size() ? nn::Status::ok : nn::Status::bad_format;
}

// golden[name] into `out`, which must have its size.
bool get(const Golden& golden, const char* path, const std::string& name, float* out, long n) {
  const auto it = golden.find(name);
  if (it == golden.end() || long(it->second.size()) != n) {
    std::fprintf(stderr, "error: %s: no tensor \"%s\" of %ld values (tools/make_int8_golden.py)\n",
                 path, name.c_str(), n);
    return false;
  }
  std::copy(it->second.begin(), it->second.end(), out);
  return true;
}

// The int8 headers (see the top): <out>_float.hpp with `params` (of the
// network named `type`), and <out> with `<name>_ranges`, then what
// `more(FILE*) -> bool` writes.
template <class Parameters, int kRanges, class More>
int write_int8_headers(const char* out, const Parameters& params, const char* type,
                       const char* name, const char* source,
                       const nn::int8::Range (&ranges)[kRanges], More more) {
  std::string weights = out;
  if (weights.size() > 4 && weights.compare(weights.size() - 4, 4, ".hpp") == 0) {
    weights.resize(weights.size() - 4);
  }
  weights += "_float.hpp";
  const std::string weights_name = std::string(name) + "_float_weights";
  nn::Status s = nn::write_weights_header(params, weights.c_str(), type, weights_name.c_str());
  const char* slash = std::strrchr(weights.c_str(), '/');
  const char* included = slash != nullptr ? slash + 1 : weights.c_str();
  const auto emit = [&](std::FILE* f) {
    bool ok = std::fprintf(f,
                           "// Generated by bake_weights from %s. Do not edit.\n"
                           "#pragma once\n\n#include <cstdint>\n\n#include \"%s\"\n"
                           "#include \"staticnn/int8/calibration.hpp\"\n\nnamespace firmware {\n"
                           "// The calibrated range of each float layer's input, then the output's.\n"
                           "inline constexpr staticnn::int8::Range %s_ranges[%d] = {\n",
                           source, included, name, kRanges) > 0;
    for (const nn::int8::Range& r : ranges) {
      ok = ok && std::fprintf(f, "{%a, %a},\n", double(r.lo), double(r.hi)) > 0;
    }
    ok = ok && std::fprintf(f, "};\n") > 0 && more(f);
    return ok && std::fprintf(f, "}  // namespace firmware\n") > 0;
  };
  if (s == nn::Status::ok) s = nn::io_detail::write_atomically(out, emit);
  if (s != nn::Status::ok) {
    std::fprintf(stderr, "error: %s: %s\n", out, nn::to_string(s));
    return 1;
  }
  return 0;
}

// The int8 LeNet-5 case of tools/make_int8_golden.py (see the top).
int bake_int8_lenet5(const char* out, const char* gold) {
  using Net = firmware::LeNet;
  constexpr int kRanges = Net::layer_count + 1, kClasses = Net::output_shape.size();
  Golden golden;
  if (const nn::Status s = read_golden(gold, golden); s != nn::Status::ok) {
    std::fprintf(stderr, "error: %s: %s\n", gold, nn::to_string(s));
    return 1;
  }
  static Net::Parameters params;
  float ranges[2 * kRanges], input[Net::input_shape.size()], litert[kClasses];
  for (const nn::Tensor& t : Net::tensors) {
    if (!get(golden, gold, t.name.s, params.values + t.offset, t.count())) return 1;
  }
  if (!get(golden, gold, "ranges", ranges, 2 * kRanges) ||
      !get(golden, gold, "x.float", input, Net::input_shape.size()) ||
      !get(golden, gold, "y", litert, kClasses)) {
    return 1;
  }
  for (const float y : litert) {
    if (y != std::nearbyint(y) || y < -128 || y > 127) {
      std::fprintf(stderr, "error: %s: \"y\" holds %g, not an int8 value\n", gold, double(y));
      return 1;
    }
  }
  nn::int8::Range range_pairs[kRanges];
  for (int i = 0; i < kRanges; ++i) range_pairs[i] = {ranges[2 * i], ranges[2 * i + 1]};
  return write_int8_headers(
      out, params, "firmware::LeNet", "lenet5_int8", gold, range_pairs, [&](std::FILE* f) {
        bool ok = std::fprintf(f, "inline constexpr float lenet5_int8_input[%ld] = {\n",
                               long{Net::input_shape.size()}) > 0;
        for (long i = 0; ok && i < Net::input_shape.size(); ++i) {
          ok = std::fprintf(f, "%a,%s", double(input[i]), i % 8 == 7 ? "\n" : " ") > 0;
        }
        ok = ok && std::fprintf(f, "};\n// LiteRT's reference kernels' output on that input.\n"
                                "inline constexpr std::int8_t lenet5_int8_litert[%d] = {",
                                kClasses) > 0;
        for (int i = 0; ok && i < kClasses; ++i) ok = std::fprintf(f, "%d, ", int(litert[i])) > 0;
        return ok && std::fprintf(f, "};\n") > 0;
      });
}

// An MLPerf Tiny model for int8 (see the top): folded, calibrated.
constexpr int kCalibrationInputs = 4;
template <class Model>
int bake_int8(const char* out, const char* weights) {
  using Folded = nn::fold_batch_norm_t<Model>;
  using QNet = nn::int8::Network<Folded>;
  static typename Model::Parameters params;
  if (!load_or_seed<Model>(params, weights, true)) return 1;
  static typename Folded::Parameters folded;
  nn::fold_batch_norm_into<Model>(params, folded);
  static float inputs[kCalibrationInputs * Model::input_shape.size()];
  nn::SplitMix64 rng{11};
  for (float& x : inputs) x = rng.symmetric();
  nn::int8::MinMaxObserver observers[QNet::layer_count + 1];
  const nn::Status s = nn::HWY_NAMESPACE::int8_calibration::Observe<typename QNet::Float>(
      folded, inputs, kCalibrationInputs, observers);
  const char* source = weights != nullptr ? weights : "seeded weights (42)";
  if (s != nn::Status::ok) {  // non-finite weights from the file
    std::fprintf(stderr, "error: calibrating %s: %s\n", source, nn::to_string(s));
    return 1;
  }
  nn::int8::Range ranges[QNet::layer_count + 1];
  for (int i = 0; i <= QNet::layer_count; ++i) ranges[i] = observers[i].range();
  return write_int8_headers(out, folded, "firmware::Model", "model_int8", source, ranges,
                            [](std::FILE*) { return true; });
}

}  // namespace

int main(int argc, char** argv) {
  namespace mt = staticnn::mlperf_tiny;
  if (argc < 3 || argc > 4) {
    std::fprintf(stderr,
                 "usage: %s <network> <out.hpp> [weights file]\n"
                 "network: lenet5, fashion, ds-cnn, mobilenet, resnet8, autoencoder\n"
                 "         lenet5-int8 (weights file: tests/data/int8/lenet5.gold),\n"
                 "         ds-cnn-int8, autoencoder-int8\n",
                 argv[0]);
    return 2;
  }
  const char* net = argv[1];
  const char* out = argv[2];
  const char* weights = argc == 4 ? argv[3] : nullptr;
  if (!std::strcmp(net, "lenet5"))
    return bake<firmware::LeNet, false>(out, weights, "firmware::LeNet", "lenet_weights");
  if (!std::strcmp(net, "lenet5-int8")) {
    if (weights == nullptr) {
      std::fprintf(stderr, "error: lenet5-int8 needs its golden file (tests/data/int8/lenet5.gold)\n");
      return 2;
    }
    return bake_int8_lenet5(out, weights);
  }
  if (!std::strcmp(net, "fashion"))
    return bake<example::Net, false>(out, weights, "example::Net", "fashion_weights");
  if (!std::strcmp(net, "ds-cnn"))
    return bake<mt::DsCnn, true>(out, weights, "firmware::Model", "model_weights");
  if (!std::strcmp(net, "mobilenet"))
    return bake<mt::MobileNetV1, true>(out, weights, "firmware::Model", "model_weights");
  if (!std::strcmp(net, "resnet8"))
    return bake<mt::ResNet8, true>(out, weights, "firmware::Model", "model_weights");
  if (!std::strcmp(net, "autoencoder"))
    return bake<mt::AutoEncoder, true>(out, weights, "firmware::Model", "model_weights");
  if (!std::strcmp(net, "ds-cnn-int8")) return bake_int8<mt::DsCnn>(out, weights);
  if (!std::strcmp(net, "autoencoder-int8")) return bake_int8<mt::AutoEncoder>(out, weights);
  std::fprintf(stderr, "error: unknown network '%s'\n", net);
  return 2;
}
