// int8 depthwise Conv2d through the float kernels, exactly, per x86 Highway
// target (elsewhere DepthwiseByFloatPays is false):
//   y[c] = Requantize(b[c] + float_depthwise(x - x_zero_point, w)[c], r[c])
// over blocks of channels: each block's centered inputs and weights become
// floats, the float layer (kernels/conv2d-inl.h, without bias) sums their
// products, and its sums, back in int32, take the bias and TFLite's
// requantization (RequantizeRow).
//
// Exact: the inputs and weights are integers, |x - x_zero_point| <= 255 and
// |w| <= 128, so every partial sum of a float kernel, in any order, is an
// integer below taps * 255 * 128 < 2^24 (DepthwiseByFloatExact), which float
// holds exactly. The sums are TFLite's bits.
//
// Why: depthwise-inl.h runs a plane per channel, and a plane of MobileNet's
// 6x6 or DS-CNN's 25x5 is a few vectors, each paying its staging and
// requantization; the float kernels put the channels in the lanes for such
// planes (conv2d_depthwise_lanes-inl.h, conv2d_depthwise_flat-inl.h), tuned
// for them. The float multiply-adds do one product per lane where the int16
// pairs do two, and still the layer takes about half the time (the note of
// the commit has the figures). The blocks' buffers are on the stack, within
// kDepthwiseFloatBytes: larger planes keep depthwise-inl.h.

#if defined(STATICNN_INT8_DEPTHWISE_FLOAT_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef STATICNN_INT8_DEPTHWISE_FLOAT_INL_H_
#undef STATICNN_INT8_DEPTHWISE_FLOAT_INL_H_
#else
#define STATICNN_INT8_DEPTHWISE_FLOAT_INL_H_
#endif

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "hwy/highway.h"
#include "staticnn/geometry.hpp"
#include "staticnn/int8/depthwise-inl.h"
#include "staticnn/int8/requantize-inl.h"
#include "staticnn/int8/requantize.hpp"
#include "staticnn/kernels/conv2d-inl.h"
#include "staticnn/kernels/conv2d_scratch.hpp"

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {
namespace int8_kernels {

#if HWY_ARCH_X86 && HWY_TARGET != HWY_SCALAR
inline constexpr std::size_t kDepthwiseFloatBytes = 48 * 1024;

// Every partial sum is an integer below 2^24 (see above).
template <Conv2dGeometry G>
constexpr bool DepthwiseByFloatExact() {
  return std::int64_t{G.y.kernel} * G.x.kernel * 255 * 128 < (std::int64_t{1} << 24);
}

// kChannels of G's channels as a depthwise layer of its own, without bias.
template <Conv2dGeometry G, int kChannels>
inline constexpr Conv2dGeometry kChannelBlock = [] {
  Conv2dGeometry g = G;
  g.in.c = g.out.c = g.groups = kChannels;
  g.bias = false;
  return g;
}();

// The stack bytes of a block of kChannels.
template <Conv2dGeometry G, int kChannels>
constexpr std::size_t DepthwiseFloatBlockBytes() {
  const std::size_t floats = std::size_t{kChannels} * (G.in.h * G.in.w + G.out.h * G.out.w +
                                                       G.y.kernel * G.x.kernel) +
                             kLanes32 + conv2d_forward_scratch_floats(kChannelBlock<G, kChannels>);
  return floats * 4 + PadToVectors(G.out.h * G.out.w) * 5;
}

// Channels per block: all of them, or the most whole vectors of them, that
// fit kDepthwiseFloatBytes; 0 if a vector of them does not.
template <Conv2dGeometry G>
constexpr int DepthwiseFloatBlock() {
  if (DepthwiseFloatBlockBytes<G, G.out.c>() <= kDepthwiseFloatBytes) return G.out.c;
  constexpr int kOne = DepthwiseFloatBlockBytes<G, kLanes32>() / kLanes32;
  const int vectors = static_cast<int>(kDepthwiseFloatBytes / (kOne * kLanes32));
  return vectors > 0 && vectors * kLanes32 < G.out.c ? vectors * kLanes32 : 0;
}

template <Conv2dGeometry G>
constexpr bool DepthwiseByFloatFits() {
  return IsDepthwise(G) && DepthwiseByFloatExact<G>() && DepthwiseFloatBlock<G>() > 0;
}

// Measured (AVX-512, int8_bench and MobileNetV1's layers, before -> after):
// planes of up to 12x12 at stride 2 (6x6 -> 3x3: 3.4 -> 2.3 us, 12x12 -> 6x6:
// 4.2 -> 3.7), where depthwise-inl.h stages four phase planes per channel,
// and at stride 1 where its grid has more vectors to requantize than the
// plane (DS-CNN's 25x5, grid rows of 7: 11 vectors against 8, 6.8 -> 5.3 us).
// Not where both requantize as many (6x6: 3.8 -> 5.2 us, 3x3: even), nor on
// larger planes (12x12 at stride 1: 6.4 -> 8.7 us, 24x24 at stride 2).
template <Conv2dGeometry G>
constexpr bool DepthwiseByFloatPays() {
  if (!DepthwiseByFloatFits<G>()) return false;
  constexpr int kOutPlane = G.out.h * G.out.w;
  constexpr bool kStrided = G.y.stride > 1 || G.x.stride > 1;
  constexpr bool kFewerVectors =
      PadToVectors(kOutPlane) < PadToVectors(G.out.h * GridPlane<G>::kWidth);
  return G.in.h * G.in.w <= 144 && (kStrided || kFewerVectors);
}

// Channels [c0, c0 + kChannels) of the layer.
template <Conv2dGeometry G, int kChannels>
HWY_NOINLINE void DepthwiseChannelsByFloat(int c0, const std::int8_t* HWY_RESTRICT x,
                                           std::int32_t x_zero_point,
                                           const std::int8_t* HWY_RESTRICT w,
                                           const std::int32_t* HWY_RESTRICT b,
                                           const int8::Requantization* HWY_RESTRICT r,
                                           std::int8_t* HWY_RESTRICT y) {
  constexpr Conv2dGeometry B = kChannelBlock<G, kChannels>;
  static_assert(ForwardPathOf<B, 1>() != ForwardPath::winograd, "Winograd would not be exact");
  constexpr int kIn = G.in.h * G.in.w, kOut = G.out.h * G.out.w;
  constexpr int kTaps = G.y.kernel * G.x.kernel, kRow = PadToVectors(kOut);
  constexpr int kInputs = kChannels * kIn, kSums = kChannels * kOut;
  const hn::ScalableTag<float> df;
  const hn::Rebind<std::int32_t, decltype(df)> di;
  const hn::Rebind<std::int8_t, decltype(df)> d8;
  const int lanes = static_cast<int>(hn::Lanes(df));
  HWY_ALIGN float inputs[kInputs];
  HWY_ALIGN float weights[kChannels * kTaps];
  HWY_ALIGN float sums[kSums + kLanes32];  // a channel's last vector may read past
  HWY_ALIGN float scratch[std::max<std::size_t>(1, conv2d_forward_scratch_floats(B))];
  HWY_ALIGN std::int32_t acc[kRow];
  HWY_ALIGN std::int8_t out[kRow];
  const std::int8_t* HWY_RESTRICT xb = x + c0 * kIn;
  const auto zero_point = hn::Set(di, x_zero_point);
  int i = 0;
  for (; i + lanes <= kInputs; i += lanes) {
    const auto centered = hn::Sub(hn::PromoteTo(di, hn::LoadU(d8, xb + i)), zero_point);
    hn::Store(hn::ConvertTo(df, centered), df, inputs + i);
  }
  for (; i < kInputs; ++i) inputs[i] = static_cast<float>(xb[i] - x_zero_point);
  for (int j = 0; j < kChannels * kTaps; ++j) weights[j] = w[c0 * kTaps + j];
  for (int j = kSums; j < kSums + kLanes32; ++j) sums[j] = 0.0f;
  ::staticnn::HWY_NAMESPACE::Conv2dForward<B>(inputs, weights, nullptr, sums, scratch);
  for (int k = 0; k < kChannels; ++k) {
    const int c = c0 + k;
    const auto bias = hn::Set(di, G.bias ? b[c] : 0);
    for (int j = 0; j < kRow; j += lanes) {
      hn::Store(hn::Add(hn::ConvertTo(di, hn::LoadU(df, sums + k * kOut + j)), bias), di, acc + j);
    }
    // Straight into y where the row's padding lands in the next channels'
    // planes (written after it): through out, each copy's loads waited for
    // the requantization's stores.
    if (c * kOut + kRow <= G.out.c * kOut) {
      RequantizeRow<kRow>(acc, r[c], y + c * kOut);
    } else {
      RequantizeRow<kRow>(acc, r[c], out);
      std::memcpy(y + c * kOut, out, kOut);
    }
  }
}

template <Conv2dGeometry G>
void DepthwiseByFloat(const std::int8_t* HWY_RESTRICT x, std::int32_t x_zero_point,
                      const std::int8_t* HWY_RESTRICT w, const std::int32_t* HWY_RESTRICT b,
                      const int8::Requantization* HWY_RESTRICT r, std::int8_t* HWY_RESTRICT y) {
  static_assert(DepthwiseByFloatFits<G>());
  constexpr int kBlock = DepthwiseFloatBlock<G>();
  constexpr int kWhole = G.out.c / kBlock * kBlock, kRest = G.out.c - kWhole;
  for (int c0 = 0; c0 < kWhole; c0 += kBlock) {
    DepthwiseChannelsByFloat<G, kBlock>(c0, x, x_zero_point, w, b, r, y);
  }
  if constexpr (kRest > 0) {
    DepthwiseChannelsByFloat<G, kRest>(kWhole, x, x_zero_point, w, b, r, y);
  }
}
#else
// Not measured on other architectures (Arm runs only under QEMU here).
template <Conv2dGeometry G>
constexpr bool DepthwiseByFloatFits() {
  return false;
}
template <Conv2dGeometry G>
constexpr bool DepthwiseByFloatPays() {
  return false;
}
template <Conv2dGeometry G>
void DepthwiseByFloat(const std::int8_t* HWY_RESTRICT x, std::int32_t x_zero_point,
                      const std::int8_t* HWY_RESTRICT w, const std::int32_t* HWY_RESTRICT b,
                      const int8::Requantization* HWY_RESTRICT r, std::int8_t* HWY_RESTRICT y);
#endif

}  // namespace int8_kernels
// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#endif  // STATICNN_INT8_DEPTHWISE_FLOAT_INL_H_
