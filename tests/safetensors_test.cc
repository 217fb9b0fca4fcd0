// safetensors files (staticnn/io/safetensors.hpp): the round trip is bit
// exact; every malformed file, crafted here from a good one, is the expected
// Status with the tensor named and the parameters untouched; F16 and BF16 are
// converted exactly; saves refuse non-finite values. Files written by PyTorch
// are tests/golden_safetensors_test.cc's; fuzz/ fuzzes the loader.
#include "staticnn/io/safetensors.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fuzz/fuzz_net.hpp"
#include "staticnn/init.hpp"

namespace staticnn {
namespace {

using Net = fuzz::FuzzNet;  // BatchNorm, a projection Residual, Linear
using json = nlohmann::json;
using Bytes = std::vector<unsigned char>;

std::string TempPath(const char* name) {
  return std::string(::testing::TempDir()) + "/staticnn_safetensors_" + name;
}

Bytes ReadFile(const std::string& path) {
  Bytes bytes;
  if (std::FILE* f = std::fopen(path.c_str(), "rb")) {
    for (int c; (c = std::fgetc(f)) != EOF;) bytes.push_back(static_cast<unsigned char>(c));
    std::fclose(f);
  }
  return bytes;
}

void WriteFile(const std::string& path, const Bytes& bytes) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  if (!bytes.empty()) {
    ASSERT_EQ(std::fwrite(bytes.data(), 1, bytes.size(), f), bytes.size());
  }
  ASSERT_EQ(std::fclose(f), 0);
}

// A file as header and data, to be changed and put together again.
struct Parts {
  json header;
  Bytes data;
};

Parts Split(const Bytes& file) {
  std::uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | file[std::size_t(i)];
  return {json::parse(file.begin() + 8, file.begin() + 8 + long(n)),
          Bytes(file.begin() + 8 + long(n), file.end())};
}

Bytes Join(const std::string& header_text, const Bytes& data) {
  Bytes file(8 + header_text.size() + data.size());
  io_detail::put_u64(file.data(), header_text.size());
  std::copy(header_text.begin(), header_text.end(), file.begin() + 8);
  std::copy(data.begin(), data.end(), file.begin() + 8 + long(header_text.size()));
  return file;
}
Bytes Join(const Parts& p) { return Join(p.header.dump(), p.data); }

// The bytes of one entry's data.
Bytes DataOf(const Parts& p, const std::string& key) {
  const auto& o = p.header[key]["data_offsets"];
  return Bytes(p.data.begin() + o[0].get<long>(), p.data.begin() + o[1].get<long>());
}

// A file with these entries (key, dtype, shape, data), laid out in order.
struct Entry {
  std::string key, dtype;
  json shape;
  Bytes data;
};
Parts Build(const std::vector<Entry>& entries) {
  Parts p{json::object(), {}};
  for (const Entry& e : entries) {
    p.header[e.key] = {{"dtype", e.dtype},
                       {"shape", e.shape},
                       {"data_offsets", {p.data.size(), p.data.size() + e.data.size()}}};
    p.data.insert(p.data.end(), e.data.begin(), e.data.end());
  }
  return p;
}
// The entries of a file, in data order.
std::vector<Entry> EntriesOf(const Parts& p) {
  std::vector<Entry> entries;
  for (const auto& [key, value] : p.header.items()) {
    if (key != "__metadata__") {
      entries.push_back({key, value["dtype"], value["shape"], DataOf(p, key)});
    }
  }
  std::sort(entries.begin(), entries.end(), [&](const Entry& a, const Entry& b) {
    return p.header[a.key]["data_offsets"][0] < p.header[b.key]["data_offsets"][0];
  });
  return entries;
}

// Bit-equal values and buffers (the padding between them is not compared).
bool Same(const Net::Parameters& a, const Net::Parameters& b) {
  return std::memcmp(a.values, b.values, sizeof a.values) == 0 &&
         std::memcmp(a.buffers, b.buffers, sizeof a.buffers) == 0;
}

class SafetensorsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    init_parameters<Net>(saved, 3);
    for (std::size_t i = 0; i < Net::Parameters::buffer_size; ++i) {
      saved.buffers[i] = 0.5f + 0.1f * float(i);
    }
    path = TempPath("file.safetensors");
    ASSERT_EQ(save_safetensors(saved, path.c_str()), Status::ok);
    good = ReadFile(path);
    init_parameters<Net>(target, 99);
    before = target;
  }
  // Loads `bytes`: expects `status`, the tensor named `tensor`, a reason
  // containing `reason`, and the parameters untouched.
  void ExpectRejected(const Bytes& bytes, Status status, const char* tensor,
                      const char* reason = "") {
    WriteFile(path, bytes);
    IoError error;
    EXPECT_EQ(load_safetensors(target, path.c_str(), &error), status) << error.reason;
    EXPECT_EQ(error.status, status);
    EXPECT_STREQ(error.tensor, tensor) << error.reason;
    EXPECT_NE(std::string(error.reason).find(reason), std::string::npos) << error.reason;
    EXPECT_TRUE(Same(target, before)) << "parameters changed";
  }
  void ExpectLoads(const Bytes& bytes) {
    WriteFile(path, bytes);
    IoError error;
    EXPECT_EQ(load_safetensors(target, path.c_str(), &error), Status::ok)
        << error.tensor << ": " << error.reason;
  }
  // Every tensor as F16 (or BF16) holding `pattern` cyclically; loads must give
  // `expected` exactly.
  void ExpectConverted(const char* dtype, const std::vector<std::uint16_t>& pattern,
                       const std::vector<float>& expected) {
    std::vector<Entry> entries = EntriesOf(Split(good));
    for (Entry& e : entries) {
      if (e.dtype != "F32") continue;
      const std::size_t n = e.data.size() / 4;
      e.dtype = dtype;
      e.data.assign(n * 2, 0);
      for (std::size_t i = 0; i < n; ++i) {
        const std::uint16_t h = pattern[i % pattern.size()];
        e.data[2 * i] = h & 0xff;
        e.data[2 * i + 1] = h >> 8;
      }
    }
    ExpectLoads(Join(Build(entries)));
    for (const Tensor& t : Net::tensors) {
      const float* v =
          (t.role == TensorRole::parameter ? target.values : target.buffers) + t.offset;
      for (long i = 0; i < t.count(); ++i) {
        ASSERT_EQ(std::memcmp(&v[i], &expected[std::size_t(i) % expected.size()], 4), 0)
            << dtype << " " << t.name.s << "[" << i << "] = " << v[i];
      }
    }
  }

  Net::Parameters saved, target, before;
  std::string path;
  Bytes good;
};

TEST_F(SafetensorsTest, RoundTripIsBitExact) {
  ExpectLoads(good);
  EXPECT_TRUE(Same(target, saved));
  const Parts p = Split(good);
  EXPECT_EQ((good.size() - p.data.size()) % 8, 0u) << "data 8-aligned (header padded)";
  EXPECT_EQ(p.header["__metadata__"]["format"], "pt");
  char signature[24];
  std::snprintf(signature, sizeof signature, "0x%016llx",
                static_cast<unsigned long long>(architecture_signature<Net>));
  EXPECT_EQ(p.header["__metadata__"]["staticnn.signature"], signature);
  // Every state_dict key with PyTorch's shape, and num_batches_tracked.
  for (const Tensor& t : Net::tensors) {
    ASSERT_TRUE(p.header.contains(t.name.s)) << t.name.s;
    EXPECT_EQ(p.header[t.name.s]["dtype"], "F32");
    EXPECT_EQ(p.header[t.name.s]["shape"],
              json(std::vector<int>(t.dims.begin(), t.dims.begin() + t.rank)));
  }
  EXPECT_EQ(p.header["1.num_batches_tracked"]["dtype"], "I64");
  EXPECT_EQ(p.header["1.num_batches_tracked"]["shape"], json::array());
  EXPECT_EQ(p.header.size(), Net::tensors.size() + 2);
}

TEST_F(SafetensorsTest, WithoutMetadataNamesShapesAndDtypesDecide) {
  Parts p = Split(good);
  p.header.erase("__metadata__");
  ExpectLoads(Join(p));
  EXPECT_TRUE(Same(target, saved));
}

TEST_F(SafetensorsTest, MissingFileAndShortFiles) {
  IoError error;
  EXPECT_EQ(load_safetensors(target, TempPath("does_not_exist").c_str(), &error),
            Status::cannot_open);
  ExpectRejected({}, Status::truncated, "", "8-byte");
  ExpectRejected(Bytes(good.begin(), good.begin() + 7), Status::truncated, "", "8-byte");
  ExpectRejected(Bytes(good.begin(), good.begin() + 20), Status::truncated, "", "header of");
}

TEST_F(SafetensorsTest, HeaderTooLarge) {
  Bytes bytes = good;
  const std::uint64_t n = 100'000'001;
  for (int i = 0; i < 8; ++i) bytes[std::size_t(i)] = (n >> (8 * i)) & 0xff;
  ExpectRejected(bytes, Status::bad_format, "", "100 MB");
  for (int i = 0; i < 8; ++i) bytes[std::size_t(i)] = 0xff;  // 2^64 - 1
  ExpectRejected(bytes, Status::bad_format, "", "100 MB");
}

TEST_F(SafetensorsTest, BadJsonHeader) {
  const Parts p = Split(good);
  ExpectRejected(Join("{\"0.weight\": ", p.data), Status::bad_format, "", "JSON");
  ExpectRejected(Join("[1, 2]", p.data), Status::bad_format, "", "JSON");
  ExpectRejected(Join("", p.data), Status::bad_format, "", "JSON");
  // Nested deeper than a header can be: refused before parsing.
  ExpectRejected(Join(std::string(1000, '[') + std::string(1000, ']'), p.data), Status::bad_format,
                 "", "deeper than 3 levels");
  Parts q = p;
  q.header["0.bias"]["shape"] = {{3}};
  ExpectRejected(Join(q), Status::bad_format, "", "deeper than 3 levels");
  q = p;
  q.header["0.bias"] = "F32";
  ExpectRejected(Join(q), Status::bad_format, "0.bias", "not a JSON object");
  q = p;
  q.header["0.bias"].erase("dtype");
  ExpectRejected(Join(q), Status::bad_format, "0.bias", "dtype");
  q = p;
  q.header["0.bias"]["shape"] = {3, -1};
  ExpectRejected(Join(q), Status::bad_format, "0.bias", "shape");
  q = p;
  q.header["0.bias"]["data_offsets"] = {0};
  ExpectRejected(Join(q), Status::bad_format, "0.bias", "data_offsets");
  q = p;
  q.header["__metadata__"]["format"] = 1;
  ExpectRejected(Join(q), Status::bad_format, "__metadata__", "not a string");
}

TEST_F(SafetensorsTest, BracketsInStringsAreNotNesting) {
  Parts p = Split(good);
  p.header["__metadata__"]["note"] = "[[[{{\\\"]]";  // an escaped backslash and quote
  ExpectLoads(Join(p));
}

TEST_F(SafetensorsTest, MissingTensor) {
  std::vector<Entry> entries = EntriesOf(Split(good));
  std::erase_if(entries, [](const Entry& e) { return e.key == "3.shortcut.0.weight"; });
  ExpectRejected(Join(Build(entries)), Status::wrong_network, "3.shortcut.0.weight", "missing");
}

TEST_F(SafetensorsTest, ExtraTensor) {
  std::vector<Entry> entries = EntriesOf(Split(good));
  entries.push_back({"6.weight", "F32", {1}, Bytes(4, 0)});
  ExpectRejected(Join(Build(entries)), Status::wrong_network, "6.weight", "no such tensor");
  // num_batches_tracked is accepted only where a BatchNorm is.
  entries.back() = {"0.num_batches_tracked", "I64", json::array(), Bytes(8, 0)};
  ExpectRejected(Join(Build(entries)), Status::wrong_network, "0.num_batches_tracked");
}

TEST_F(SafetensorsTest, NumBatchesTrackedMustBeAnI64Scalar) {
  std::vector<Entry> entries = EntriesOf(Split(good));
  for (Entry& e : entries) {
    if (e.key == "1.num_batches_tracked") e = {e.key, "F32", {2}, Bytes(8, 0)};
  }
  ExpectRejected(Join(Build(entries)), Status::bad_format, "1.num_batches_tracked", "I64 scalar");
  // And it may be absent (staticnn needs nothing from it).
  std::erase_if(entries, [](const Entry& e) { return e.key == "1.num_batches_tracked"; });
  ExpectLoads(Join(Build(entries)));
}

TEST_F(SafetensorsTest, WrongShape) {
  std::vector<Entry> entries = EntriesOf(Split(good));
  for (Entry& e : entries) {
    if (e.key == "5.weight") e.shape = {32, 3};  // transposed: the same bytes
  }
  ExpectRejected(Join(Build(entries)), Status::wrong_network, "5.weight",
                 "shape [32, 3] in the file, [3, 32] here");
}

TEST_F(SafetensorsTest, WrongDtype) {
  std::vector<Entry> entries = EntriesOf(Split(good));
  for (Entry& e : entries) {
    if (e.key == "0.bias") e.dtype = "I32";  // the same size
  }
  ExpectRejected(Join(Build(entries)), Status::bad_format, "0.bias", "dtype I32");
  for (Entry& e : entries) {
    if (e.key == "0.bias") e.dtype = "F33";
  }
  ExpectRejected(Join(Build(entries)), Status::bad_format, "0.bias", "unknown dtype");
}

TEST_F(SafetensorsTest, TruncatedAndTrailingData) {
  const Parts p = Split(good);
  const std::string last = EntriesOf(p).back().key;
  ExpectRejected(Bytes(good.begin(), good.end() - 1), Status::truncated, last.c_str(),
                 "data ends at byte");
  Bytes longer = good;
  longer.push_back(0);
  ExpectRejected(longer, Status::bad_format, "", "1 bytes after the data");
}

TEST_F(SafetensorsTest, OffsetsOverlappingOrLeavingGapsOrInconsistent) {
  const Parts p = Split(good);
  // 0.bias and 1.weight have 3 floats each: the second over the first.
  Parts q = p;
  q.header["1.weight"]["data_offsets"] = q.header["0.bias"]["data_offsets"];
  WriteFile(path, Join(q));
  IoError error;
  EXPECT_EQ(load_safetensors(target, path.c_str(), &error), Status::bad_format);
  EXPECT_NE(std::string(error.reason).find("overlaps"), std::string::npos) << error.reason;
  EXPECT_TRUE(Same(target, before));
  // A span that does not match shape and dtype.
  q = p;
  q.header["0.bias"]["data_offsets"][1] = q.header["0.bias"]["data_offsets"][1].get<long>() - 4;
  ExpectRejected(Join(q), Status::bad_format, "0.bias", "do not span the 12 bytes of F32 [3]");
  // begin > end, and offsets far beyond the file.
  q = p;
  q.header["0.bias"]["data_offsets"] = {12, 0};
  ExpectRejected(Join(q), Status::bad_format, "0.bias", "do not span");
  q = p;
  const std::uint64_t far = std::uint64_t(1) << 62;
  q.header["0.bias"]["data_offsets"] = {far, far + 12};
  ExpectRejected(Join(q), Status::bad_format, "1.weight", "unused bytes");  // where 0.bias was
  // A gap: every entry moved 4 bytes on.
  std::vector<Entry> entries = EntriesOf(p);
  Parts gap = Build(entries);
  for (auto& [key, value] : gap.header.items()) {
    value["data_offsets"][0] = value["data_offsets"][0].get<long>() + 4;
    value["data_offsets"][1] = value["data_offsets"][1].get<long>() + 4;
  }
  gap.data.insert(gap.data.begin(), 4, 0);
  ExpectRejected(Join(gap), Status::bad_format, entries.front().key.c_str(), "4 unused bytes");
}

TEST_F(SafetensorsTest, NonFiniteValues) {
  std::vector<Entry> entries = EntriesOf(Split(good));
  const float nan = std::nanf("");
  for (Entry& e : entries) {
    if (e.key == "1.running_var") std::memcpy(e.data.data() + 4, &nan, 4);
  }
  ExpectRejected(Join(Build(entries)), Status::non_finite, "1.running_var", "element 1");
}

TEST_F(SafetensorsTest, OtherArchitecture) {
  Parts p = Split(good);
  p.header["__metadata__"]["staticnn.signature"] = "0x0000000000000001";
  ExpectRejected(Join(p), Status::wrong_network, "__metadata__", "another architecture");
}

TEST_F(SafetensorsTest, F16IsConvertedExactly) {
  // 1, -2, the smallest subnormal, the largest finite, 1/3 rounded, -0, a
  // subnormal with several bits, the smallest normal.
  ExpectConverted("F16", {0x3C00, 0xC000, 0x0001, 0x7BFF, 0x3555, 0x8000, 0x03FF, 0x0400},
                  {1.0f, -2.0f, 0x1p-24f, 65504.0f, 0x1.554p-2f, -0.0f, 0x1.ff8p-15f, 0x1p-14f});
}

TEST_F(SafetensorsTest, BF16IsConvertedExactly) {
  ExpectConverted("BF16", {0x3F80, 0xC040, 0x0001, 0x7F7F, 0x3EAB, 0x8000},
                  {1.0f, -3.0f, 0x1p-133f, 0x1.fep127f, 0x1.56p-2f, -0.0f});
}

TEST_F(SafetensorsTest, NonFiniteF16AndBF16AreRefused) {
  std::vector<Entry> entries = EntriesOf(Split(good));
  for (Entry& e : entries) {
    if (e.key == "0.bias") e = {e.key, "F16", {3}, {0, 0x3C, 0, 0x7C, 0, 0}};  // 1, inf, 0
  }
  ExpectRejected(Join(Build(entries)), Status::non_finite, "0.bias", "element 1 is inf");
  for (Entry& e : entries) {
    if (e.key == "0.bias") e = {e.key, "BF16", {3}, {0, 0, 0, 0, 0xC0, 0x7F}};  // 0, 0, NaN
  }
  ExpectRejected(Join(Build(entries)), Status::non_finite, "0.bias", "element 2");
}

TEST_F(SafetensorsTest, SaveRefusesNonFiniteValuesAndKeepsThePreviousFile) {
  Net::Parameters bad = saved;
  bad.buffers[Net::Parameters::buffer_size - 1] = INFINITY;  // 1.running_var
  IoError error;
  EXPECT_EQ(save_safetensors(bad, path.c_str(), &error), Status::non_finite);
  EXPECT_STREQ(error.tensor, "1.running_var");
  EXPECT_EQ(ReadFile(path), good);
  EXPECT_EQ(save_safetensors(saved, TempPath("no_such_dir/x.safetensors").c_str(), &error),
            Status::cannot_open);
}

}  // namespace
}  // namespace staticnn
