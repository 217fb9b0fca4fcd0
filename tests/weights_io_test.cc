// Weight files: round trip, and a clear Status (never a crash, never a
// half-loaded network) for every way a file can be wrong.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "staticnn/init.hpp"
#include "staticnn/io/weights.hpp"
#include "tests/support/nets.hpp"

namespace staticnn::test {
namespace {

using Small = Network<Input<2, 5, 5>, Conv2d<Conv2dSpec{.out_channels = 3, .kernel_size = 3}>, ReLU,
                      Flatten, Linear<LinearSpec{.out_features = 4}>>;

// The architecture signature (signature.hpp). Its values are pinned: they are
// in every file saved, so a change to what it hashes must bump the formats.
// The same with g++ 12 and clang 14, on x86-64 and aarch64.
static_assert(architecture_signature<LeNet> == 0x6e780702d894c1b0ull);
static_assert(architecture_signature<BlocksNet> == 0xfe4bcf478a45ebdcull);
// It sees inside blocks: the same sizes with another activation in a Residual,
// or in a Concat branch, is another architecture.
template <class Activation>
using InBlocks =
    Network<Input<2, 4, 4>,
            Residual<Conv2d<Conv2dSpec{.out_channels = 2, .kernel_size = 1}>, Activation>,
            Concat<Branch<ReLU>, Branch<Activation>>>;
static_assert(InBlocks<Tanh>::param_count == InBlocks<ReLU6>::param_count);
static_assert(architecture_signature<InBlocks<Tanh>> != architecture_signature<InBlocks<ReLU6>>);
// The same layers on inputs of the same size but another shape, too.
template <int C, int H>
using Dense = Network<Input<C, H, H>, Flatten, Linear<LinearSpec{.out_features = 3}>>;
static_assert(architecture_signature<Dense<4, 2>> != architecture_signature<Dense<1, 4>>);

std::string temp_path(const char* name) {
  return std::string(::testing::TempDir()) + "staticnn_" + name;
}

std::vector<unsigned char> read_file(const std::string& path) {
  std::vector<unsigned char> bytes;
  if (std::FILE* f = std::fopen(path.c_str(), "rb")) {
    int c;
    while ((c = std::fgetc(f)) != EOF) bytes.push_back(static_cast<unsigned char>(c));
    std::fclose(f);
  }
  return bytes;
}

void write_file(const std::string& path, const std::vector<unsigned char>& bytes) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  if (!bytes.empty()) {  // fwrite's buffer must not be null, even for 0 bytes
    ASSERT_EQ(std::fwrite(bytes.data(), 1, bytes.size(), f), bytes.size());
  }
  std::fclose(f);
}

class WeightsFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    init_parameters<Small>(saved, 3);
    path = temp_path("weights.bin");
    ASSERT_EQ(save_weights(saved, path.c_str()), Status::ok);
    good = read_file(path);
    init_parameters<Small>(target, 99);  // differs from `saved`
    std::memcpy(before, target.values, sizeof before);
  }
  // Loads `bytes` and expects `status` with `target` unchanged.
  void ExpectRejected(const std::vector<unsigned char>& bytes, Status status) {
    write_file(path, bytes);
    EXPECT_EQ(load_weights(target, path.c_str()), status) << to_string(status);
    EXPECT_EQ(std::memcmp(target.values, before, sizeof before), 0) << "parameters changed";
  }
  Small::Parameters saved, target;
  float before[Small::param_count];
  std::string path;
  std::vector<unsigned char> good;
};

TEST_F(WeightsFileTest, RoundTripIsExact) {
  // Magic, parameter count, buffer count, signature, hash: 40 bytes, then the data.
  ASSERT_EQ(good.size(), 40 + sizeof(float) * Small::param_count);
  ASSERT_EQ(load_weights(target, path.c_str()), Status::ok);
  EXPECT_EQ(std::memcmp(target.values, saved.values, sizeof before), 0);
}

TEST_F(WeightsFileTest, MissingFile) {
  EXPECT_EQ(load_weights(target, temp_path("does_not_exist").c_str()), Status::cannot_open);
}

TEST_F(WeightsFileTest, EmptyFile) { ExpectRejected({}, Status::truncated); }

TEST_F(WeightsFileTest, BadMagic) {
  auto bytes = good;
  bytes[0] = 'X';
  ExpectRejected(bytes, Status::bad_format);
}

TEST_F(WeightsFileTest, TruncatedHeaderAndData) {
  ExpectRejected({good.begin(), good.begin() + 12}, Status::truncated);
  ExpectRejected({good.begin(), good.end() - 1}, Status::truncated);
}

TEST_F(WeightsFileTest, TrailingBytes) {
  auto bytes = good;
  bytes.push_back(0);
  ExpectRejected(bytes, Status::bad_format);
}

TEST_F(WeightsFileTest, CorruptedDataFailsTheHash) {
  auto bytes = good;
  bytes[40] ^= 0x10;
  ExpectRejected(bytes, Status::bad_format);
}

TEST_F(WeightsFileTest, OtherNetwork) {
  LeNet::Parameters lenet;
  init_parameters<LeNet>(lenet, 1);
  ASSERT_EQ(save_weights(lenet, path.c_str()), Status::ok);
  ExpectRejected(read_file(path), Status::wrong_network);
}

TEST_F(WeightsFileTest, SameSizeOtherArchitecture) {
  // Small's sizes exactly; only the activation differs.
  using SmallTanh = Network<Input<2, 5, 5>, Conv2d<Conv2dSpec{.out_channels = 3, .kernel_size = 3}>,
                            Tanh, Flatten, Linear<LinearSpec{.out_features = 4}>>;
  static_assert(SmallTanh::param_count == Small::param_count);
  SmallTanh::Parameters other;
  init_parameters<SmallTanh>(other, 3);
  ASSERT_EQ(save_weights(other, path.c_str()), Status::ok);
  ExpectRejected(read_file(path), Status::wrong_network);
  IoError error;
  EXPECT_EQ(load_weights(target, path.c_str(), &error), Status::wrong_network);
  EXPECT_EQ(error.status, Status::wrong_network);
  EXPECT_NE(std::string(error.reason).find("another architecture"), std::string::npos)
      << error.reason;
}

TEST_F(WeightsFileTest, NonFiniteValuesAreNotSaved) {
  Small::Parameters bad = saved;
  bad.values[Small::param_count - 2] = INFINITY;  // in the last Linear's bias
  IoError error;
  EXPECT_EQ(save_weights(bad, path.c_str(), &error), Status::non_finite);
  EXPECT_STREQ(error.tensor, "3.bias");
  EXPECT_EQ(read_file(path), good) << "the previous file is kept";
}

TEST_F(WeightsFileTest, NonFiniteValuesAreNotLoaded) {
  // A NaN with a hash that matches it (save refuses NaN: made by hand).
  auto bytes = good;
  const float nan = std::nanf("");
  std::memcpy(&bytes[40 + 4 * 5], &nan, 4);
  detail::Fnv1a64 hash;
  hash.bytes(bytes.data() + 40, bytes.size() - 40);
  io_detail::put_u64(&bytes[32], hash.value);
  ExpectRejected(bytes, Status::non_finite);
}

TEST_F(WeightsFileTest, FailedSaveKeepsThePreviousFile) {
  EXPECT_EQ(save_weights(saved, temp_path("no_such_dir/weights.bin").c_str()), Status::cannot_open);
  // A directory where the temporary file would go makes the save fail; the
  // file saved before must survive intact.
  const std::string tmp = path + ".tmp";
  ASSERT_EQ(mkdir(tmp.c_str(), 0700), 0);
  Small::Parameters other;
  init_parameters<Small>(other, 4);
  EXPECT_EQ(save_weights(other, path.c_str()), Status::cannot_open);
  rmdir(tmp.c_str());
  EXPECT_EQ(read_file(path), good);
}

TEST(WeightsHeaderTest, WritesExactHexFloats) {
  Small::Parameters p;
  init_parameters<Small>(p, 8);
  const std::string path = temp_path("weights.hpp");
  ASSERT_EQ(write_weights_header(p, path.c_str(), "Small", "small_weights"), Status::ok);
  const auto bytes = read_file(path);
  const std::string text(bytes.begin(), bytes.end());
  EXPECT_NE(text.find("inline constexpr Small::Parameters small_weights{{"), std::string::npos);
  // Parse the literals back: they must reproduce every float bit for bit.
  std::size_t pos = text.find("{{") + 2;
  for (std::size_t i = 0; i < Small::param_count; ++i) {
    char* end = nullptr;
    const float v = std::strtof(text.c_str() + pos, &end);
    ASSERT_NE(end, text.c_str() + pos) << "literal " << i;
    EXPECT_EQ(v, p.values[i]) << "literal " << i;
    pos = std::size_t(end - text.c_str()) + 1;
  }
  // The header refuses weights baked for another architecture at compile time.
  EXPECT_NE(text.find("static_assert(staticnn::architecture_signature<Small> =="),
            std::string::npos);
  p.values[0] = INFINITY;
  IoError error;
  EXPECT_EQ(write_weights_header(p, path.c_str(), "Small", "small_weights", &error),
            Status::non_finite);
  EXPECT_STREQ(error.tensor, "0.weight");
}

}  // namespace
}  // namespace staticnn::test
