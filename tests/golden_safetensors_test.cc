// safetensors files written by PyTorch (tests/data/safetensors, by
// tools/make_safetensors_data.py with the safetensors package) load into
// staticnn's LeNet-5 and ResNet-8 and reproduce PyTorch: the parameters and
// buffers equal the golden files' bit for bit, and the inference outputs meet
// those files' tolerance rules (tests/golden.hpp):
//   LeNet-5, lenet5.gold's logits: |a - r| <= K eps max|r| + eps |r| with
//   K = 789, the roundings of its forward path (golden_lenet_test.cc's rule);
//   the F16 and BF16 files, converted on load: the same rule against PyTorch's
//   float64 logits from the converted weights (lenet_half.gold);
//   ResNet-8, mlperf_resnet8.gold's y_infer with its stored K and magnitude.
// Then the reverse: what save_safetensors writes for those parameters has the
// same entries (key, dtype, shape) and the same data bytes as PyTorch's file,
// apart from the metadata. With STATICNN_SAFETENSORS_OUT=DIR set, the saved
// files go to DIR for `tools/make_safetensors_data.py --check DIR`, which
// loads them into the PyTorch models with load_state_dict(strict=True).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "staticnn/io/safetensors.hpp"
#include "staticnn/models/mlperf_tiny.hpp"
#include "staticnn/passes.hpp"
#include "tests/golden.hpp"
#include "tests/support/nets.hpp"

namespace staticnn {
namespace {

constexpr double kLeNetLogitsTerms = 789;  // conv 27 + 152, fc 402 + 122 + 86

std::string DataPath(const char* name) {
  return std::string(STATICNN_TEST_DATA_DIR) + "/safetensors/" + name;
}

std::vector<unsigned char> ReadFile(const std::string& path) {
  std::vector<unsigned char> bytes;
  if (std::FILE* f = std::fopen(path.c_str(), "rb")) {
    for (int c; (c = std::fgetc(f)) != EOF;) bytes.push_back(static_cast<unsigned char>(c));
    std::fclose(f);
  }
  return bytes;
}

// Loads `file` into p, expecting success.
template <class Net>
void Load(const char* file, typename Net::Parameters& p) {
  IoError error;
  ASSERT_EQ(load_safetensors(p, DataPath(file).c_str(), &error), Status::ok)
      << file << ": " << error.tensor << ": " << error.reason;
}

// Every tensor of p equals the golden file's tensor golden_key(key) bit for bit.
template <class Net, class Key>
void ExpectState(const typename Net::Parameters& p, const golden::File& gold, Key golden_key) {
  for (const Tensor& t : Net::tensors) {
    const golden::Tensor& g = gold.Get(golden_key(std::string(t.name.s)),
                                       std::vector<int>(t.dims.begin(), t.dims.begin() + t.rank));
    const float* v = (t.role == TensorRole::parameter ? p.values : p.buffers) + t.offset;
    EXPECT_EQ(std::memcmp(v, g.data(), g.size() * sizeof(float)), 0) << t.name.s;
  }
}

// save_safetensors(p) against PyTorch's file: the same entries but the
// metadata, the same bytes for each. Saves to STATICNN_SAFETENSORS_OUT too.
template <class Net>
void ExpectSavedAsPyTorchDid(const typename Net::Parameters& p, const char* name) {
  const std::string stem = std::string(name) + ".safetensors";
  const std::string path = std::string(::testing::TempDir()) + "/staticnn_" + stem;
  ASSERT_EQ(save_safetensors(p, path.c_str()), Status::ok);
  if (const char* out = std::getenv("STATICNN_SAFETENSORS_OUT")) {
    ASSERT_EQ(save_safetensors(p, (std::string(out) + "/" + stem).c_str()), Status::ok);
  }
  const auto split = [](const std::vector<unsigned char>& file) {
    std::uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | file[std::size_t(i)];
    nlohmann::json header = nlohmann::json::parse(file.begin() + 8, file.begin() + 8 + long(n));
    header.erase("__metadata__");
    return std::make_pair(header,
                          std::vector<unsigned char>(file.begin() + 8 + long(n), file.end()));
  };
  const auto [ours, our_data] = split(ReadFile(path));
  const auto [theirs, their_data] = split(ReadFile(DataPath(stem.c_str())));
  ASSERT_EQ(ours.size(), theirs.size()) << name;
  for (const auto& [key, entry] : theirs.items()) {
    ASSERT_TRUE(ours.contains(key)) << name << ": " << key;
    const nlohmann::json& mine = ours[key];
    EXPECT_EQ(mine["dtype"], entry["dtype"]) << key;
    EXPECT_EQ(mine["shape"], entry["shape"]) << key;
    const auto bytes = [](const std::vector<unsigned char>& data, const nlohmann::json& e) {
      return std::vector<unsigned char>(data.begin() + e["data_offsets"][0].get<long>(),
                                        data.begin() + e["data_offsets"][1].get<long>());
    };
    EXPECT_EQ(bytes(our_data, mine), bytes(their_data, entry)) << key;
  }
  EXPECT_EQ(our_data.size(), their_data.size()) << name;
}

using test::LeNet;
constexpr int kLeNetBatch = 4;

// lenet5.gold names LeNet's layers as its PyTorch class does ("fc1.weight").
std::string LeNetGoldenKey(const std::string& key) {
  const std::string index = key.substr(0, key.find('.')), what = key.substr(key.find('.'));
  const char* names[] = {"conv1", "conv2", "fc1", "fc2", "fc3"};
  const char* indices[] = {"0", "3", "7", "9", "11"};
  for (int i = 0; i < 5; ++i) {
    if (index == indices[i]) return names[i] + what;
  }
  return key;
}

// LeNet-5 loaded from `file` against `logits` of lenet5.gold's input.
void CheckLeNet(const char* file, const golden::File& gold, const char* logits_key,
                const golden::File& logits_file) {
  static LeNet::Parameters p;
  static InferenceWorkspace<LeNet, kLeNetBatch> ws;
  Load<LeNet>(file, p);
  const golden::Tensor& x = gold.Get("x", {kLeNetBatch, 1, 28, 28});
  const golden::Tensor& expected = logits_file.Get(logits_key, {kLeNetBatch, 10});
  double largest = 0;
  for (float v : expected.values) largest = std::max(largest, double(std::abs(v)));
  const float* y = forward<LeNet, kLeNetBatch>(p, x.data(), ws);
  golden::ExpectNear(file, logits_key, "static", y, expected, kLeNetLogitsTerms, largest);
}

TEST(GoldenSafetensors, LeNetWrittenByPyTorch) {
  const golden::File gold("lenet5");
  ASSERT_TRUE(gold.ok());
  static LeNet::Parameters p;
  Load<LeNet>("lenet.safetensors", p);
  ExpectState<LeNet>(p, gold, LeNetGoldenKey);
  CheckLeNet("lenet.safetensors", gold, "logits", gold);
  ExpectSavedAsPyTorchDid<LeNet>(p, "lenet");
}

TEST(GoldenSafetensors, LeNetInHalfPrecisionWrittenByPyTorch) {
  const golden::File gold("lenet5");
  const golden::File half("../safetensors/lenet_half");
  ASSERT_TRUE(gold.ok() && half.ok());
  CheckLeNet("lenet_f16.safetensors", gold, "logits_f16", half);
  CheckLeNet("lenet_bf16.safetensors", gold, "logits_bf16", half);
}

TEST(GoldenSafetensors, ResNet8WrittenByPyTorch) {
  using mlperf_tiny::ResNet8;
  constexpr int B = 2;
  static ResNet8::Parameters p;
  static InferenceWorkspace<ResNet8, B> ws;
  const golden::File gold("mlperf_resnet8");
  ASSERT_TRUE(gold.ok());
  Load<ResNet8>("resnet8.safetensors", p);
  ExpectState<ResNet8>(p, gold, [](const std::string& key) { return "state." + key; });
  const golden::Tensor& x = gold.Get("x", {B, 3, 32, 32});
  const float* y = forward<ResNet8, B>(p, x.data(), ws);
  golden::ExpectNear("resnet8.safetensors", "y_infer", "static", y, gold.Get("y_infer", {B, 10}),
                     gold.Scalar("y_infer.terms"), gold.Scalar("y_infer.mag"));
  ExpectSavedAsPyTorchDid<ResNet8>(p, "resnet8");
}

}  // namespace
}  // namespace staticnn
