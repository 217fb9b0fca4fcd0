// The IDX reader (staticnn/io/idx.hpp) on small valid and corrupted files
// written to a temporary directory: every bad input gets its exact error, and
// nothing is written beyond the caller's capacity. Then the real
// Fashion-MNIST files, if an uncompressed copy exists.
#include "staticnn/io/idx.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace staticnn {
namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;

void append_u32(Bytes& b, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) b.push_back(std::uint8_t(v >> shift));
}

// An IDX file: magic, dimensions, then `data`.
Bytes idx_file(std::uint32_t magic, std::vector<std::uint32_t> dims, const Bytes& data) {
  Bytes b;
  append_u32(b, magic);
  for (std::uint32_t d : dims) append_u32(b, d);
  b.insert(b.end(), data.begin(), data.end());
  return b;
}

Bytes pattern(std::size_t n) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = std::uint8_t(i * 7 + 3);
  return b;
}

class IdxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = (fs::temp_directory_path() / "staticnn_idx_XXXXXX").string();
    ASSERT_NE(mkdtemp(templ.data()), nullptr);
    dir_ = templ;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const char* name, const Bytes& bytes) {
    const std::string path = (dir_ / name).string();
    std::FILE* f = std::fopen(path.c_str(), "wb");
    EXPECT_NE(f, nullptr);
    if (f == nullptr) return path;
    if (!bytes.empty()) {
      EXPECT_EQ(std::fwrite(bytes.data(), 1, bytes.size(), f), bytes.size());
    }
    std::fclose(f);
    return path;
  }

  fs::path dir_;
};

constexpr std::uint32_t kImages = 0x00000803, kLabels = 0x00000801;

// A buffer with canary bytes after `capacity`.
struct GuardedBuffer {
  static constexpr std::size_t kGuard = 64;
  static constexpr std::uint8_t kCanary = 0xA5;
  std::size_t capacity;
  Bytes storage;
  explicit GuardedBuffer(std::size_t n) : capacity(n), storage(n + kGuard, kCanary) {}
  std::uint8_t* data() { return storage.data(); }
  bool guard_intact() const {
    for (std::size_t i = capacity; i < storage.size(); ++i) {
      if (storage[i] != kCanary) return false;
    }
    return true;
  }
};

TEST_F(IdxTest, ReadsImages) {
  const Bytes pixels = pattern(3 * 28 * 28);
  const std::string path = write("images", idx_file(kImages, {3, 28, 28}, pixels));
  GuardedBuffer out(pixels.size());  // exactly the size needed
  IdxInfo info;
  ASSERT_EQ(read_idx_images(path.c_str(), out.data(), out.capacity, &info), IdxError::ok);
  EXPECT_EQ(info.count, 3);
  EXPECT_EQ(info.rows, 28);
  EXPECT_EQ(info.cols, 28);
  EXPECT_EQ(info.rank, 3);
  EXPECT_EQ(Bytes(out.data(), out.data() + pixels.size()), pixels);
  EXPECT_TRUE(out.guard_intact());

  IdxInfo header;
  ASSERT_EQ(idx_header(path.c_str(), &header), IdxError::ok);
  EXPECT_EQ(header.count, 3);
  EXPECT_EQ(header.bytes(), pixels.size());
}

TEST_F(IdxTest, ReadsImagesOfAnySize) {
  const Bytes pixels = pattern(5 * 2 * 3);
  const std::string path = write("small", idx_file(kImages, {5, 2, 3}, pixels));
  Bytes out(100, 0);
  IdxInfo info;
  ASSERT_EQ(read_idx_images(path.c_str(), out.data(), out.size(), &info), IdxError::ok);
  EXPECT_EQ(info.count, 5);
  EXPECT_EQ(info.rows, 2);
  EXPECT_EQ(info.cols, 3);
  EXPECT_EQ(Bytes(out.begin(), out.begin() + 30), pixels);
  EXPECT_EQ(out[30], 0);  // nothing after the data
}

TEST_F(IdxTest, ReadsLabels) {
  const Bytes labels = {0, 9, 3, 3, 7};
  const std::string path = write("labels", idx_file(kLabels, {5}, labels));
  GuardedBuffer out(5);
  int count = -1;
  ASSERT_EQ(read_idx_labels(path.c_str(), out.data(), out.capacity, &count), IdxError::ok);
  EXPECT_EQ(count, 5);
  EXPECT_EQ(Bytes(out.data(), out.data() + 5), labels);
  EXPECT_TRUE(out.guard_intact());
  EXPECT_EQ(validate_labels(out.data(), 5), IdxError::ok);

  IdxInfo header;
  ASSERT_EQ(idx_header(path.c_str(), &header), IdxError::ok);
  EXPECT_EQ(header.count, 5);
  EXPECT_EQ(header.rank, 1);
  EXPECT_EQ(header.bytes(), 5u);
}

TEST_F(IdxTest, EmptyDataSetIsValid) {
  const std::string path = write("none", idx_file(kLabels, {0}, {}));
  int count = -1;
  EXPECT_EQ(read_idx_labels(path.c_str(), nullptr, 0, &count), IdxError::ok);
  EXPECT_EQ(count, 0);
}

TEST_F(IdxTest, CapacityTooSmallWritesNothing) {
  const Bytes pixels = pattern(2 * 28 * 28);
  const std::string path = write("images", idx_file(kImages, {2, 28, 28}, pixels));
  GuardedBuffer out(pixels.size() - 1);
  IdxInfo info{7, 7, 7, 7};
  EXPECT_EQ(read_idx_images(path.c_str(), out.data(), out.capacity, &info),
            IdxError::too_large);
  for (std::uint8_t b : out.storage) ASSERT_EQ(b, GuardedBuffer::kCanary);
  EXPECT_EQ(info.count, 7);  // info is only written on success

  const std::string labels = write("labels", idx_file(kLabels, {4}, {1, 2, 3, 4}));
  GuardedBuffer small(3);
  EXPECT_EQ(read_idx_labels(labels.c_str(), small.data(), small.capacity, nullptr),
            IdxError::too_large);
  EXPECT_TRUE(small.guard_intact());
}

TEST_F(IdxTest, TruncatedData) {
  Bytes file = idx_file(kImages, {2, 28, 28}, pattern(2 * 28 * 28));
  file.pop_back();
  const std::string path = write("images", file);
  GuardedBuffer out(2 * 28 * 28);
  EXPECT_EQ(read_idx_images(path.c_str(), out.data(), out.capacity, nullptr),
            IdxError::truncated);
  EXPECT_TRUE(out.guard_intact());
  IdxInfo header;
  EXPECT_EQ(idx_header(path.c_str(), &header), IdxError::ok);  // header only

  Bytes labels = idx_file(kLabels, {10}, pattern(4));
  const std::string labels_path = write("labels", labels);
  Bytes lout(10);
  EXPECT_EQ(read_idx_labels(labels_path.c_str(), lout.data(), lout.size(), nullptr),
            IdxError::truncated);
}

TEST_F(IdxTest, TruncatedHeader) {
  const Bytes full = idx_file(kImages, {2, 28, 28}, {});
  Bytes out(4096);
  IdxInfo info;
  for (std::size_t n : {2u, 4u, 6u, 15u}) {  // inside the magic, the dims
    const std::string path = write("cut", Bytes(full.begin(), full.begin() + n));
    EXPECT_EQ(read_idx_images(path.c_str(), out.data(), out.size(), &info),
              IdxError::truncated) << n;
    EXPECT_EQ(idx_header(path.c_str(), &info), IdxError::truncated) << n;
  }
}

TEST_F(IdxTest, EmptyFileIsTruncated) {
  const std::string path = write("empty", {});
  Bytes out(16);
  int count;
  EXPECT_EQ(read_idx_labels(path.c_str(), out.data(), out.size(), &count),
            IdxError::truncated);
  IdxInfo info;
  EXPECT_EQ(idx_header(path.c_str(), &info), IdxError::truncated);
}

TEST_F(IdxTest, TrailingData) {
  Bytes file = idx_file(kLabels, {3}, {1, 2, 3});
  file.push_back(4);
  const std::string path = write("labels", file);
  Bytes out(16);
  EXPECT_EQ(read_idx_labels(path.c_str(), out.data(), out.size(), nullptr),
            IdxError::trailing_data);
}

TEST_F(IdxTest, BadMagic) {
  Bytes out(4096);
  IdxInfo info;
  int count;
  // Labels where images are expected, and the other way round.
  const std::string labels = write("labels", idx_file(kLabels, {3}, {1, 2, 3}));
  EXPECT_EQ(read_idx_images(labels.c_str(), out.data(), out.size(), &info),
            IdxError::bad_magic);
  const std::string images = write("images", idx_file(kImages, {1, 2, 2}, pattern(4)));
  EXPECT_EQ(read_idx_labels(images.c_str(), out.data(), out.size(), &count),
            IdxError::bad_magic);
  // Other element types (0x0D float), ranks and plain garbage.
  for (std::uint32_t magic : {0x00000D03u, 0x00000802u, 0x00000804u, 0x01000803u,
                              0x03080000u, 0x41424344u}) {
    const std::string path = write("odd", idx_file(magic, {1, 2, 2}, pattern(4)));
    EXPECT_EQ(read_idx_images(path.c_str(), out.data(), out.size(), &info),
              IdxError::bad_magic) << std::hex << magic;
    EXPECT_EQ(idx_header(path.c_str(), &info), IdxError::bad_magic) << std::hex << magic;
  }
}

TEST_F(IdxTest, GzipIsRecognised) {
  const Bytes gzip = {0x1f, 0x8b, 0x08, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03};
  const std::string path = write("images.gz", gzip);
  Bytes out(4096);
  IdxInfo info;
  EXPECT_EQ(read_idx_images(path.c_str(), out.data(), out.size(), &info),
            IdxError::compressed);
}

TEST_F(IdxTest, WrongDims) {
  Bytes out(4096);
  IdxInfo info;
  const std::vector<std::vector<std::uint32_t>> bad = {
      {3, 0, 28},                        // no rows
      {3, 28, 0},                        // no cols
      {0x80000000u, 28, 28},             // count beyond int
      {1, 0xFFFFFFFFu, 1},               // rows beyond int
      {0x7fffffff, 0x7fffffff, 0x7fffffff},  // 2^93 bytes
  };
  for (const auto& dims : bad) {
    const std::string path = write("dims", idx_file(kImages, dims, pattern(16)));
    EXPECT_EQ(read_idx_images(path.c_str(), out.data(), out.size(), &info),
              IdxError::wrong_dims) << dims[0] << " " << dims[1] << " " << dims[2];
    EXPECT_EQ(idx_header(path.c_str(), &info), IdxError::wrong_dims);
  }
  const std::string labels = write("labels", idx_file(kLabels, {0xFFFFFFFFu}, {}));
  int count;
  EXPECT_EQ(read_idx_labels(labels.c_str(), out.data(), out.size(), &count),
            IdxError::wrong_dims);
  // A count that fits an int but not the buffer is too large, not wrong.
  const std::string many = write("many", idx_file(kImages, {1000000, 28, 28}, {}));
  EXPECT_EQ(read_idx_images(many.c_str(), out.data(), out.size(), &info),
            IdxError::too_large);
}

TEST_F(IdxTest, MissingFileDirectoryAndNullArguments) {
  Bytes out(16);
  IdxInfo info;
  int count;
  const std::string missing = (dir_ / "does-not-exist").string();
  EXPECT_EQ(read_idx_images(missing.c_str(), out.data(), out.size(), &info),
            IdxError::cannot_open);
  EXPECT_EQ(read_idx_labels(missing.c_str(), out.data(), out.size(), &count),
            IdxError::cannot_open);
  EXPECT_EQ(idx_header(missing.c_str(), &info), IdxError::cannot_open);

  // A directory opens on Linux, but cannot be read.
  EXPECT_EQ(read_idx_labels(dir_.c_str(), out.data(), out.size(), &count),
            IdxError::read_failed);

  const std::string path = write("labels", idx_file(kLabels, {3}, {1, 2, 3}));
  EXPECT_EQ(read_idx_labels(nullptr, out.data(), out.size(), &count),
            IdxError::invalid_argument);
  EXPECT_EQ(read_idx_labels(path.c_str(), nullptr, 16, &count), IdxError::invalid_argument);
  EXPECT_EQ(idx_header(path.c_str(), nullptr), IdxError::invalid_argument);
}

TEST(IdxValidateLabels, ReportsTheFirstLabelOutOfRange) {
  const std::uint8_t labels[] = {0, 9, 10, 3, 255};
  std::size_t first_bad = 0;
  EXPECT_EQ(validate_labels(labels, 2), IdxError::ok);
  EXPECT_EQ(validate_labels(labels, 5, 10, &first_bad), IdxError::label_out_of_range);
  EXPECT_EQ(first_bad, 2u);
  EXPECT_EQ(validate_labels(labels, 4, 11), IdxError::ok);
  EXPECT_EQ(validate_labels(labels, 5, 256), IdxError::ok);
  EXPECT_EQ(validate_labels(nullptr, 0), IdxError::ok);
}

TEST(IdxToString, EveryErrorHasAMessage) {
  for (int e = int(IdxError::ok); e <= int(IdxError::label_out_of_range); ++e) {
    const std::string message = to_string(IdxError(e));
    EXPECT_FALSE(message.empty());
    EXPECT_NE(message, "unknown IdxError") << e;
  }
}

// ---- The real data, if someone decompressed it (tools/run-example does,
// into build/fashion-mnist; or set STATICNN_FASHION_MNIST_DIR). ----
fs::path fashion_mnist_dir() {
  if (const char* dir = std::getenv("STATICNN_FASHION_MNIST_DIR")) return dir;
  return fs::path(STATICNN_TEST_DATA_DIR) / ".." / ".." / "build" / "fashion-mnist";
}

void check_split(const fs::path& dir, const char* images_name, const char* labels_name,
                 int expected_count) {
  const std::string images = (dir / images_name).string();
  const std::string labels = (dir / labels_name).string();
  if (!fs::exists(images) || !fs::exists(labels)) {
    GTEST_SKIP() << "no uncompressed Fashion-MNIST in " << dir
                 << " (gzip -dc /usr/share/datasets/fashion-mnist/*.gz)";
  }
  IdxInfo info;
  ASSERT_EQ(idx_header(images.c_str(), &info), IdxError::ok);
  ASSERT_EQ(info.count, expected_count);
  ASSERT_EQ(info.rows, 28);
  ASSERT_EQ(info.cols, 28);
  Bytes pixels(info.bytes());
  ASSERT_EQ(read_idx_images(images.c_str(), pixels.data(), pixels.size(), &info),
            IdxError::ok);
  Bytes label_bytes(static_cast<std::size_t>(expected_count));
  int count = 0;
  ASSERT_EQ(read_idx_labels(labels.c_str(), label_bytes.data(), label_bytes.size(), &count),
            IdxError::ok);
  ASSERT_EQ(count, expected_count);
  ASSERT_EQ(validate_labels(label_bytes.data(), label_bytes.size()), IdxError::ok);
  // Fashion-MNIST is balanced: every class has a tenth of each split.
  int per_class[10] = {};
  for (std::uint8_t l : label_bytes) ++per_class[l];
  for (int c = 0; c < 10; ++c) EXPECT_EQ(per_class[c], expected_count / 10) << c;
  // Images are not blank.
  std::uint64_t sum = 0;
  for (std::uint8_t p : pixels) sum += p;
  EXPECT_GT(sum, 0u);
}

TEST(IdxFashionMnist, TrainSplit) {
  check_split(fashion_mnist_dir(), "train-images-idx3-ubyte", "train-labels-idx1-ubyte",
              60000);
}

TEST(IdxFashionMnist, TestSplit) {
  check_split(fashion_mnist_dir(), "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte",
              10000);
}

}  // namespace
}  // namespace staticnn
