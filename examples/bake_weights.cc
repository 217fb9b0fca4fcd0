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
// int8: a case tools/make_int8_golden.py ran through LiteRT's reference
// kernels, from its golden file (tests/data/int8/), for firmware that
// quantizes at compile time (int8::quantize: only the int8 parameters reach
// flash) and checks LiteRT's output. The float weights go to <out>_float.hpp
// (`<name>_float_weights`); <out.hpp> includes it and holds the calibrated
// ranges (`<name>_ranges`, one per tensor of the int8 network), the int8
// input (`<name>_input`) and LiteRT's int8 output (`<name>_litert`).
//
//   lenet5-int8 <out.hpp> tests/data/int8/lenet5.gold
//               firmware::LeNet (lenet5_int8), the float weights from the file
//   ds-cnn-int8, mobilenet-int8, resnet8-int8, autoencoder-int8
//               <out.hpp> tests/data/int8/mlperf_<model>.gold
//               firmware::Model (model_int8): the folded MLPerf Tiny model, its
//               float weights drawn by the script's generator (script_weights.hpp)
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
#include "staticnn/fold.hpp"
#include "staticnn/init.hpp"
#include "staticnn/int8/network.hpp"
#include "staticnn/io/file.hpp"
#include "staticnn/io/weights.hpp"
#include "staticnn/models/mlperf_tiny.hpp"
#include "tests/support/script_weights.hpp"

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

// Loads (or seeds) Net's weights, folds its BatchNorms if asked, writes the header.
template <class Net, bool kFold>
int bake(const char* out, const char* weights, const char* type, const char* name) {
  static typename Net::Parameters params;
  if (weights) {
    if (const nn::Status s = nn::load_weights(params, weights); s != nn::Status::ok) {
      std::fprintf(stderr, "error: %s: %s\n", weights, nn::to_string(s));
      return 1;
    }
  } else {
    init<Net>(params, kFold);
  }
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

// An int8 case (see the top): QNet's float weights `fill(golden, params)`
// gives, the rest from the golden file.
template <class QNet, class FloatParameters, class Fill>
int bake_int8(const char* out, const char* gold, const char* type, const char* name, Fill fill) {
  constexpr long kIn = QNet::input_shape.size(), kOut = QNet::output_shape.size();
  constexpr int kRanges = QNet::tensor_count;
  Golden golden;
  if (const nn::Status s = read_golden(gold, golden); s != nn::Status::ok) {
    std::fprintf(stderr, "error: %s: %s\n", gold, nn::to_string(s));
    return 1;
  }
  static FloatParameters params;
  float ranges[2 * kRanges], x[kIn], y[kOut];
  if (!fill(golden, params) || !get(golden, gold, "ranges", ranges, 2 * kRanges) ||
      !get(golden, gold, "x", x, kIn) || !get(golden, gold, "y", y, kOut)) {
    return 1;
  }
  for (const auto* values : {static_cast<const float*>(x), static_cast<const float*>(y)}) {
    const long n = values == x ? kIn : kOut;
    for (long i = 0; i < n; ++i) {
      if (values[i] != std::nearbyint(values[i]) || values[i] < -128 || values[i] > 127) {
        std::fprintf(stderr, "error: %s: %s holds %g, not an int8 value\n", gold,
                     values == x ? "x" : "y", double(values[i]));
        return 1;
      }
    }
  }
  std::string weights = out;
  if (weights.size() > 4 && weights.compare(weights.size() - 4, 4, ".hpp") == 0) {
    weights.resize(weights.size() - 4);
  }
  weights += "_float.hpp";
  const std::string weights_name = std::string(name) + "_float_weights";
  nn::Status s = nn::write_weights_header(params, weights.c_str(), type, weights_name.c_str());
  const char* slash = std::strrchr(weights.c_str(), '/');
  const auto ints = [](std::FILE* f, const char* what, const float* v, long n) {
    bool ok = std::fprintf(f, "inline constexpr std::int8_t %s[%ld] = {\n", what, n) > 0;
    for (long i = 0; ok && i < n; ++i) {
      ok = std::fprintf(f, "%d,%s", int(v[i]), i % 16 == 15 ? "\n" : " ") > 0;
    }
    return ok && std::fprintf(f, "};\n") > 0;
  };
  const auto emit = [&](std::FILE* f) {
    bool ok = std::fprintf(f,
                           "// Generated by bake_weights from %s. Do not edit.\n"
                           "#pragma once\n\n#include <cstdint>\n\n#include \"%s\"\n"
                           "#include \"staticnn/int8/calibration.hpp\"\n\nnamespace firmware {\n"
                           "// The calibrated range of each tensor (int8/network.hpp's order).\n"
                           "inline constexpr staticnn::int8::Range %s_ranges[%d] = {\n",
                           gold, slash != nullptr ? slash + 1 : weights.c_str(), name, kRanges) > 0;
    for (int i = 0; ok && i < kRanges; ++i) {
      ok = std::fprintf(f, "{%a, %a},\n", double(ranges[2 * i]), double(ranges[2 * i + 1])) > 0;
    }
    ok = ok && std::fprintf(f, "};\n// The int8 input, and LiteRT's reference kernels' output.\n") > 0;
    ok = ok && ints(f, (std::string(name) + "_input").c_str(), x, kIn);
    ok = ok && ints(f, (std::string(name) + "_litert").c_str(), y, kOut);
    return ok && std::fprintf(f, "}  // namespace firmware\n") > 0;
  };
  if (s == nn::Status::ok) s = nn::io_detail::write_atomically(out, emit);
  if (s != nn::Status::ok) {
    std::fprintf(stderr, "error: %s: %s\n", out, nn::to_string(s));
    return 1;
  }
  return 0;
}

// LeNet-5's float weights, from its golden file.
int bake_int8_lenet5(const char* out, const char* gold) {
  using Net = firmware::LeNet;
  return bake_int8<nn::int8::quantized_t<Net>, Net::Parameters>(
      out, gold, "firmware::LeNet", "lenet5_int8", [&](const Golden& golden, Net::Parameters& p) {
        for (const nn::Tensor& t : Net::tensors) {
          if (!get(golden, gold, t.name.s, p.values + t.offset, t.count())) return false;
        }
        return true;
      });
}

// An MLPerf Tiny model's int8 case: the folded weights the script drew
// (tests/support/script_weights.hpp).
template <class Model>
int bake_int8_mlperf_tiny(const char* out, const char* gold) {
  using Folded = nn::fold_batch_norm_t<Model>;
  return bake_int8<nn::int8::quantized_t<Model>, typename Folded::Parameters>(
      out, gold, "firmware::Model", "model_int8",
      [](const Golden&, typename Folded::Parameters& p) {
        nn::script_weights::Draw<Folded>(p.values);
        return true;
      });
}

}  // namespace

int main(int argc, char** argv) {
  namespace mt = staticnn::mlperf_tiny;
  if (argc < 3 || argc > 4) {
    std::fprintf(stderr,
                 "usage: %s <network> <out.hpp> [weights file]\n"
                 "network: lenet5, fashion, ds-cnn, mobilenet, resnet8, autoencoder\n"
                 "         lenet5-int8, ds-cnn-int8, mobilenet-int8, resnet8-int8, autoencoder-int8\n"
                 "         (weights file: the case's golden file, tests/data/int8/*.gold)\n",
                 argv[0]);
    return 2;
  }
  const char* net = argv[1];
  const char* out = argv[2];
  const char* weights = argc == 4 ? argv[3] : nullptr;
  if (!std::strcmp(net, "lenet5"))
    return bake<firmware::LeNet, false>(out, weights, "firmware::LeNet", "lenet_weights");
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
  const bool int8 = std::strlen(net) > 5 && !std::strcmp(net + std::strlen(net) - 5, "-int8");
  if (int8 && weights == nullptr) {
    std::fprintf(stderr, "error: %s needs its golden file (tests/data/int8/*.gold)\n", net);
    return 2;
  }
  if (!std::strcmp(net, "lenet5-int8")) return bake_int8_lenet5(out, weights);
  if (!std::strcmp(net, "ds-cnn-int8")) return bake_int8_mlperf_tiny<mt::DsCnn>(out, weights);
  if (!std::strcmp(net, "mobilenet-int8"))
    return bake_int8_mlperf_tiny<mt::MobileNetV1>(out, weights);
  if (!std::strcmp(net, "resnet8-int8")) return bake_int8_mlperf_tiny<mt::ResNet8>(out, weights);
  if (!std::strcmp(net, "autoencoder-int8"))
    return bake_int8_mlperf_tiny<mt::AutoEncoder>(out, weights);
  std::fprintf(stderr, "error: unknown network '%s'\n", net);
  return 2;
}
