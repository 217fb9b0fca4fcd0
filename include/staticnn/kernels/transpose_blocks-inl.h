// The transposes of the kernels that put channels in the vector lanes
// (conv2d_depthwise_lanes-inl.h, conv2d_pointwise_channels-inl.h):
//   TransposeBlocks     dst[i][r] = src[r][i] for a rows x cols block of floats
//   TransposeBlocksTo   the same with column i anywhere: column_at(i)[r]

#if defined(STATICNN_KERNELS_TRANSPOSE_BLOCKS_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef STATICNN_KERNELS_TRANSPOSE_BLOCKS_INL_H_
#undef STATICNN_KERNELS_TRANSPOSE_BLOCKS_INL_H_
#else
#define STATICNN_KERNELS_TRANSPOSE_BLOCKS_INL_H_
#endif

#include <cstdint>

#include "hwy/highway.h"
#include "staticnn/kernels/memory-inl.h"

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;
namespace conv2d_impl {

// Whether the target transposes in 8x8 blocks: 256-bit vectors of 128-bit
// blocks (AVX2, AVX-512), 8 loads, 24 shuffles and 8 stores per 64 floats,
// where Transpose's 4x4 blocks (memory-inl.h) take 16, 32 and 16.
inline constexpr bool kTransposeBlocksOf8 = HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2;

// column_at(i)[r] = src[r * src_stride + i] for r < r8, i < c8 (multiples of 8).
template <class ColumnAt>
HWY_INLINE void TransposeBlocksOf8(const float* HWY_RESTRICT src, int src_stride, int r8, int c8,
                                   const ColumnAt& column_at) {
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2
  const hn::FixedTag<float, 8> d;
  const hn::Repartition<uint64_t, decltype(d)> d64;
  for (int r = 0; r < r8; r += 8) {
    for (int i = 0; i < c8; i += 8) {
      const float* HWY_RESTRICT s = src + r * src_stride + i;
      const auto r0 = hn::LoadU(d, s), r1 = hn::LoadU(d, s + src_stride);
      const auto r2 = hn::LoadU(d, s + 2 * src_stride), r3 = hn::LoadU(d, s + 3 * src_stride);
      const auto r4 = hn::LoadU(d, s + 4 * src_stride), r5 = hn::LoadU(d, s + 5 * src_stride);
      const auto r6 = hn::LoadU(d, s + 6 * src_stride), r7 = hn::LoadU(d, s + 7 * src_stride);
      // Pairs of rows, per 128-bit block: t0 = r0[0] r1[0] r0[1] r1[1] | r0[4] ...
      const auto t0 = hn::BitCast(d64, hn::InterleaveLower(d, r0, r1));
      const auto t1 = hn::BitCast(d64, hn::InterleaveUpper(d, r0, r1));
      const auto t2 = hn::BitCast(d64, hn::InterleaveLower(d, r2, r3));
      const auto t3 = hn::BitCast(d64, hn::InterleaveUpper(d, r2, r3));
      const auto t4 = hn::BitCast(d64, hn::InterleaveLower(d, r4, r5));
      const auto t5 = hn::BitCast(d64, hn::InterleaveUpper(d, r4, r5));
      const auto t6 = hn::BitCast(d64, hn::InterleaveLower(d, r6, r7));
      const auto t7 = hn::BitCast(d64, hn::InterleaveUpper(d, r6, r7));
      // Quads of rows: u0 = column 0 of rows 0-3 | column 4 of rows 0-3.
      const auto u0 = hn::BitCast(d, hn::InterleaveLower(d64, t0, t2));
      const auto u1 = hn::BitCast(d, hn::InterleaveUpper(d64, t0, t2));
      const auto u2 = hn::BitCast(d, hn::InterleaveLower(d64, t1, t3));
      const auto u3 = hn::BitCast(d, hn::InterleaveUpper(d64, t1, t3));
      const auto u4 = hn::BitCast(d, hn::InterleaveLower(d64, t4, t6));
      const auto u5 = hn::BitCast(d, hn::InterleaveUpper(d64, t4, t6));
      const auto u6 = hn::BitCast(d, hn::InterleaveLower(d64, t5, t7));
      const auto u7 = hn::BitCast(d, hn::InterleaveUpper(d64, t5, t7));
      hn::StoreU(hn::ConcatLowerLower(d, u4, u0), d, column_at(i) + r);
      hn::StoreU(hn::ConcatLowerLower(d, u5, u1), d, column_at(i + 1) + r);
      hn::StoreU(hn::ConcatLowerLower(d, u6, u2), d, column_at(i + 2) + r);
      hn::StoreU(hn::ConcatLowerLower(d, u7, u3), d, column_at(i + 3) + r);
      hn::StoreU(hn::ConcatUpperUpper(d, u4, u0), d, column_at(i + 4) + r);
      hn::StoreU(hn::ConcatUpperUpper(d, u5, u1), d, column_at(i + 5) + r);
      hn::StoreU(hn::ConcatUpperUpper(d, u6, u2), d, column_at(i + 6) + r);
      hn::StoreU(hn::ConcatUpperUpper(d, u7, u3), d, column_at(i + 7) + r);
    }
  }
#else
  (void)src, (void)src_stride, (void)r8, (void)c8, (void)column_at;
#endif
}

// dst[i * dst_stride + r] = src[r * src_stride + i] for r < rows, i < cols, as
// Transpose, in 8x8 blocks where kTransposeBlocksOf8; the rest goes to
// Transpose.
inline void TransposeBlocks(const float* HWY_RESTRICT src, int src_stride, int rows, int cols,
                            float* HWY_RESTRICT dst, int dst_stride) {
  if constexpr (kTransposeBlocksOf8) {
    const int r8 = rows & ~7, c8 = cols & ~7;
    TransposeBlocksOf8(src, src_stride, r8, c8, [=](int i) { return dst + i * dst_stride; });
    Transpose(src + c8, src_stride, r8, cols - c8, dst + c8 * dst_stride, dst_stride);
    Transpose(src + r8 * src_stride, src_stride, rows - r8, cols, dst + r8, dst_stride);
  } else {
    Transpose(src, src_stride, rows, cols, dst, dst_stride);
  }
}

// column_at(i)[r] = src[r * src_stride + i] for r < rows, i < cols, in 8x8
// blocks where kTransposeBlocksOf8, the rest (all of it on other targets) one
// float at a time: a plane of channels into a padded layout whose rows are too
// narrow for blocks of their own (conv2d_depthwise_lanes-inl.h).
template <class ColumnAt>
HWY_INLINE void TransposeBlocksTo(const float* HWY_RESTRICT src, int src_stride, int rows,
                                  int cols, const ColumnAt& column_at) {
  const int r8 = kTransposeBlocksOf8 ? rows & ~7 : 0, c8 = kTransposeBlocksOf8 ? cols & ~7 : 0;
  TransposeBlocksOf8(src, src_stride, r8, c8, column_at);
  for (int i = 0; i < cols; ++i) {
    float* HWY_RESTRICT column = column_at(i);
    for (int r = i < c8 ? r8 : 0; r < rows; ++r) column[r] = src[r * src_stride + i];
  }
}

}  // namespace conv2d_impl
}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#endif  // STATICNN_KERNELS_TRANSPOSE_BLOCKS_INL_H_
