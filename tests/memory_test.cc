// The shared memory helpers of kernels/memory-inl.h on every Highway target:
// lengths 0 to 3 vectors + 1 and misaligned starts, canaries around every
// output, and buffers that end at an inaccessible page, so that a helper that
// reads or writes one float past the end crashes the test.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "tests/memory_test.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "staticnn/kernels/memory-inl.h"
#include "hwy/tests/test_util-inl.h"
#include "tests/support/guarded.hpp"

#ifndef STATICNN_TESTS_MEMORY_TEST_ONCE_
#define STATICNN_TESTS_MEMORY_TEST_ONCE_
namespace staticnn::memory_test {

// n floats that end where an inaccessible page starts.
class AtPageEnd {
 public:
  explicit AtPageEnd(std::size_t n) : page_(static_cast<std::size_t>(sysconf(_SC_PAGESIZE))) {
    void* map = mmap(nullptr, 2 * page_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                     -1, 0);
    HWY_ASSERT(map != MAP_FAILED && n * sizeof(float) <= page_);
    base_ = static_cast<char*>(map);
    HWY_ASSERT(mprotect(base_ + page_, page_, PROT_NONE) == 0);
    data_ = reinterpret_cast<float*>(base_ + page_) - n;
  }
  ~AtPageEnd() { munmap(base_, 2 * page_); }
  AtPageEnd(const AtPageEnd&) = delete;
  AtPageEnd& operator=(const AtPageEnd&) = delete;
  float* data() { return data_; }

 private:
  std::size_t page_;
  char* base_;
  float* data_;
};

float Value(std::size_t i) { return static_cast<float>(i % 97) - 40.5f; }

}  // namespace staticnn::memory_test
#endif  // STATICNN_TESTS_MEMORY_TEST_ONCE_

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {

using memory_test::AtPageEnd;
using memory_test::Value;
using test::Guarded;

int VectorLanes() { return static_cast<int>(hn::Lanes(KernelTag())); }

void TestPartialVectors() {
  const KernelTag d;
  const std::size_t lanes = hn::Lanes(d);
  HWY_ALIGN float lane[hn::MaxLanes(KernelTag())];
  for (std::size_t n = 0; n <= lanes; ++n) {
    AtPageEnd src(n);
    for (std::size_t i = 0; i < n; ++i) src.data()[i] = Value(i);
    if (n < lanes) {
      hn::Store(LoadFirstN(d, src.data(), n), d, lane);
      for (std::size_t i = 0; i < lanes; ++i) {
        EXPECT_EQ(lane[i], i < n ? Value(i) : 0.0f) << "LoadFirstN n=" << n << " lane " << i;
      }
    }
    hn::Store(LoadUpTo(d, src.data(), n), d, lane);
    for (std::size_t i = 0; i < lanes; ++i) {
      EXPECT_EQ(lane[i], i < n ? Value(i) : 0.0f) << "LoadUpTo n=" << n << " lane " << i;
    }
    AtPageEnd dst(n);
    Guarded guarded(n, 7.0f);
    const auto v = hn::Add(hn::Iota(d, 0.0f), hn::Set(d, 1.0f));
    StoreFirstN(d, v, dst.data(), n);
    StoreFirstN(d, v, guarded.begin(), n);
    for (std::size_t i = 0; i < n; ++i) {
      EXPECT_EQ(dst.data()[i], float(i + 1)) << "StoreFirstN n=" << n;
      EXPECT_EQ(guarded[i], float(i + 1)) << "StoreFirstN n=" << n;
    }
    EXPECT_TRUE(guarded.CanariesIntact()) << "StoreFirstN n=" << n;
  }
}

void TestCopyAndFill() {
  for (int n = 0; n <= 3 * VectorLanes() + 1; ++n) {
    for (int misalign = 0; misalign < 3; ++misalign) {
      AtPageEnd src(static_cast<std::size_t>(n));
      for (int i = 0; i < n; ++i) src.data()[i] = Value(std::size_t(i));
      Guarded copied(std::size_t(n + misalign), 9.0f), filled(std::size_t(n + misalign), 9.0f);
      CopyFloats(src.data(), copied.begin() + misalign, n);
      FillFloats(filled.begin() + misalign, n, 2.5f);
      AtPageEnd zeroed(static_cast<std::size_t>(n));
      for (int i = 0; i < n; ++i) zeroed.data()[i] = 1.0f;
      ZeroFloats(zeroed.data(), n);
      for (int i = 0; i < misalign; ++i) {
        EXPECT_EQ(copied[std::size_t(i)], 9.0f);
        EXPECT_EQ(filled[std::size_t(i)], 9.0f);
      }
      for (int i = 0; i < n; ++i) {
        EXPECT_EQ(copied[std::size_t(misalign + i)], Value(std::size_t(i))) << "n=" << n;
        EXPECT_EQ(filled[std::size_t(misalign + i)], 2.5f) << "n=" << n;
        EXPECT_EQ(zeroed.data()[i], 0.0f) << "n=" << n;
      }
      EXPECT_TRUE(copied.CanariesIntact() && filled.CanariesIntact()) << "n=" << n;
    }
  }
}

// The stride-2 copy reads from[0, 2n - 1) only: its source ends at the page.
void TestCopyEven() {
  for (int n = 0; n <= 3 * VectorLanes() + 1; ++n) {
    for (int misalign = 0; misalign < 3; ++misalign) {
      const std::size_t reach = n == 0 ? 0 : std::size_t(2 * n - 1);
      AtPageEnd src(reach);
      for (std::size_t i = 0; i < reach; ++i) src.data()[i] = Value(i);
      Guarded copied(std::size_t(n + misalign), 9.0f);
      CopyEvenFloats(src.data(), copied.begin() + misalign, n);
      for (int i = 0; i < misalign; ++i) EXPECT_EQ(copied[std::size_t(i)], 9.0f);
      for (int i = 0; i < n; ++i) {
        EXPECT_EQ(copied[std::size_t(misalign + i)], Value(std::size_t(2 * i))) << "n=" << n;
      }
      EXPECT_TRUE(copied.CanariesIntact()) << "n=" << n;
    }
  }
}

// The stride-2 scatter into a row writes the phase's floats, leaves the
// other phase's as they were, reads from[0, n) only (its source ends at the
// page) and nothing of the row outside [0, width) (canaries).
void TestScatterEven() {
  for (int width = 1; width <= 3 * VectorLanes() + 3; ++width) {
    for (int first = 0; first < 2 && first < width; ++first) {
      const int n = (width - first + 1) / 2;
      AtPageEnd src{std::size_t(n)};
      for (int i = 0; i < n; ++i) src.data()[i] = Value(std::size_t(i));
      Guarded row(std::size_t(width), 9.0f);
      for (int i = 0; i < width; ++i) row.begin()[i] = 1000.0f + float(i);
      ScatterEvenRow(src.data(), n, row.begin(), first, width);
      for (int i = 0; i < width; ++i) {
        const bool phase = i >= first && (i - first) % 2 == 0;
        EXPECT_EQ(row[std::size_t(i)], phase ? Value(std::size_t((i - first) / 2)) : 1000.0f + float(i))
            << "width=" << width << " first=" << first << " at " << i;
      }
      EXPECT_TRUE(row.CanariesIntact()) << "width=" << width << " first=" << first;
    }
  }
}

// The spread into a whole row: from[i] at 2i, zeros between, reading
// from[0, n) only (its source ends at the page) and writing nothing past
// row[2n) (canaries).
void TestSpreadEven() {
  for (int n = 1; n <= 3 * VectorLanes() + 3; ++n) {
    AtPageEnd src{std::size_t(n)};
    for (int i = 0; i < n; ++i) src.data()[i] = Value(std::size_t(i));
    Guarded row(std::size_t(2 * n), 9.0f);
    SpreadEvenFloats(src.data(), row.begin(), n);
    for (int i = 0; i < 2 * n; ++i) {
      EXPECT_EQ(row[std::size_t(i)], i % 2 == 0 ? Value(std::size_t(i / 2)) : 0.0f)
          << "n=" << n << " at " << i;
    }
    EXPECT_TRUE(row.CanariesIntact()) << "n=" << n;
  }
}

void TestTranspose() {
  for (int rows = 1; rows <= 9; ++rows) {
    for (int cols = 1; cols <= 9; ++cols) {
      const int src_stride = cols + 3, dst_stride = rows + 2;
      std::vector<float> src(std::size_t(rows * src_stride));
      for (std::size_t i = 0; i < src.size(); ++i) src[i] = Value(i);
      Guarded dst(std::size_t(cols * dst_stride), 5.0f);
      Transpose(src.data(), src_stride, rows, cols, dst.begin(), dst_stride);
      for (int i = 0; i < cols; ++i) {
        for (int r = 0; r < dst_stride; ++r) {
          const float expected = r < rows ? src[std::size_t(r * src_stride + i)] : 5.0f;
          EXPECT_EQ(dst[std::size_t(i * dst_stride + r)], expected)
              << rows << "x" << cols << " at " << i << ", " << r;
        }
      }
      EXPECT_TRUE(dst.CanariesIntact()) << rows << "x" << cols;
    }
  }
}

void TestSumFloats() {
  for (int n = 0; n <= 5 * VectorLanes() + 1; ++n) {
    AtPageEnd p(static_cast<std::size_t>(n));
    double expected = 0.0;  // of small integers: exact in any order
    for (int i = 0; i < n; ++i) {
      p.data()[i] = static_cast<float>(i % 7) - 2.0f;
      expected += p.data()[i];
    }
    EXPECT_EQ(SumFloats(p.data(), n), static_cast<float>(expected)) << "n=" << n;
  }
}

void TestStoreTile() {
  const KernelTag d;
  constexpr int R = 3, NV = 2;
  const int lanes = VectorLanes(), out_stride = NV * lanes + 5;
  VecTile<KernelTag, R, NV> acc;
  for (int r = 0; r < R; ++r) {
    for (int v = 0; v < NV; ++v) {
      acc.Set(r, v, hn::Iota(d, static_cast<float>(100 * r + v * lanes)));
    }
  }
  for (int rows = 1; rows <= R; ++rows) {
    for (int cols = 1; cols <= NV * lanes; ++cols) {
      Guarded out(std::size_t((R - 1) * out_stride + NV * lanes), -1.0f);
      StoreTile(d, acc, rows, out.begin(), out_stride, cols);
      for (int r = 0; r < R; ++r) {
        for (int c = 0; c < NV * lanes; ++c) {
          const float expected = r < rows && c < cols ? float(100 * r + c) : -1.0f;
          EXPECT_EQ(out[std::size_t(r * out_stride + c)], expected)
              << "rows=" << rows << " cols=" << cols << " at " << r << ", " << c;
        }
      }
      EXPECT_TRUE(out.CanariesIntact());
    }
  }
}

// Every index of [0, N) is visited exactly once, by a vector of at most N lanes.
template <std::size_t N>
void ExpectEachIndexOnce() {
  std::vector<int> visits(N, 0);
  ForEachVector<N>([&](auto d, std::size_t i) HWY_ATTR {
    const std::size_t lanes = hn::Lanes(d);
    HWY_ASSERT(i + lanes <= N);
    for (std::size_t j = 0; j < lanes; ++j) ++visits[i + j];
  });
  for (std::size_t i = 0; i < N; ++i) EXPECT_EQ(visits[i], 1) << "N=" << N << " index " << i;
}

void TestForEachVector() {
  ExpectEachIndexOnce<1>();
  ExpectEachIndexOnce<3>();
  ExpectEachIndexOnce<7>();
  ExpectEachIndexOnce<8>();
  ExpectEachIndexOnce<17>();
  ExpectEachIndexOnce<33>();
  ExpectEachIndexOnce<100>();
}

}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace staticnn {
HWY_BEFORE_TEST(MemoryTest);
HWY_EXPORT_AND_TEST_P(MemoryTest, TestPartialVectors);
HWY_EXPORT_AND_TEST_P(MemoryTest, TestCopyAndFill);
HWY_EXPORT_AND_TEST_P(MemoryTest, TestCopyEven);
HWY_EXPORT_AND_TEST_P(MemoryTest, TestScatterEven);
HWY_EXPORT_AND_TEST_P(MemoryTest, TestSpreadEven);
HWY_EXPORT_AND_TEST_P(MemoryTest, TestTranspose);
HWY_EXPORT_AND_TEST_P(MemoryTest, TestSumFloats);
HWY_EXPORT_AND_TEST_P(MemoryTest, TestStoreTile);
HWY_EXPORT_AND_TEST_P(MemoryTest, TestForEachVector);
}  // namespace staticnn
#endif
