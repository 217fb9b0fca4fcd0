// Conv2d SIMD kernels against the scalar oracle (in double), on every Highway
// target compiled here. Each call runs on buffers with canary guards on both
// sides, on a scratch of exactly conv2d_scratch_floats(G) floats (the forward
// pass: conv2d_forward_scratch_floats(G), what inference holds) that starts
// full of NaN; outputs that must be overwritten start as NaN, gradients that
// accumulate start from random values.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "tests/conv2d_test.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "staticnn/kernels/conv2d-inl.h"
#include "staticnn/kernels/conv2d_scratch.hpp"
#include "tests/reference/conv2d.hpp"
#include "hwy/tests/test_util-inl.h"

// Target-independent helpers, compiled once.
#ifndef STATICNN_TESTS_CONV2D_TEST_HELPERS_
#define STATICNN_TESTS_CONV2D_TEST_HELPERS_
namespace staticnn::conv2d_test {

constexpr int out_size(int in, const WindowAxis& a) {
  return (in + 2 * a.pad - a.extent()) / a.stride + 1;
}

// PyTorch-style geometry: symmetric padding, floor rounding.
constexpr Conv2dGeometry conv(Shape in, int out_c, WindowAxis y, WindowAxis x, int groups = 1,
                              bool bias = true) {
  return {in, {out_c, out_size(in.h, y), out_size(in.w, x)}, y, x, groups, bias};
}
constexpr Conv2dGeometry conv3x3(Shape in, int out_c) {
  return conv(in, out_c, {3, 1, 1}, {3, 1, 1});
}
// Keras `same`, stride 1: output size = input size; an even kernel pads one
// more after than before (before = (kernel - 1) / 2).
constexpr Conv2dGeometry same(Shape in, int out_c, int kh, int kw, int groups = 1) {
  return {in, {out_c, in.h, in.w}, {kh, 1, (kh - 1) / 2}, {kw, 1, (kw - 1) / 2}, groups, true};
}

std::string describe(const Conv2dGeometry& g) {
  return "in " + std::to_string(g.in.c) + "x" + std::to_string(g.in.h) + "x" +
         std::to_string(g.in.w) + " out " + std::to_string(g.out.c) + "x" +
         std::to_string(g.out.h) + "x" + std::to_string(g.out.w) + " k " +
         std::to_string(g.y.kernel) + "x" + std::to_string(g.x.kernel) + " s " +
         std::to_string(g.y.stride) + "," + std::to_string(g.x.stride) + " p " +
         std::to_string(g.y.pad) + "," + std::to_string(g.x.pad) + " d " +
         std::to_string(g.y.dilation) + "," + std::to_string(g.x.dilation) + " groups " +
         std::to_string(g.groups) + (g.bias ? "" : " no bias");
}

// A buffer of n floats between two guard regions of canaries. `guard` floats on
// each side; the data pointer is aligned to 64 bytes plus `misalign` floats.
class Guarded {
 public:
  Guarded(std::size_t n, int misalign, float fill) : n_(n), storage_(n + 2 * kGuard + 32) {
    const auto address = reinterpret_cast<std::uintptr_t>(storage_.data() + kGuard);
    const std::size_t to_aligned = ((64 - address % 64) % 64) / sizeof(float);
    data_ = storage_.data() + kGuard + to_aligned + misalign;
    std::fill(storage_.begin(), storage_.end(), Canary());
    std::fill_n(data_, n_, fill);
  }
  float* data() { return data_; }
  const float* data() const { return data_; }
  float operator[](std::size_t i) const { return data_[i]; }
  std::size_t size() const { return n_; }
  // The canaries before and after the data are untouched.
  bool Intact() const {
    const float canary = Canary();
    for (const float* p = storage_.data(); p < data_; ++p) {
      if (std::memcmp(p, &canary, sizeof(float)) != 0) return false;
    }
    for (const float* p = data_ + n_; p < storage_.data() + storage_.size(); ++p) {
      if (std::memcmp(p, &canary, sizeof(float)) != 0) return false;
    }
    return true;
  }

 private:
  static constexpr std::size_t kGuard = 64;
  static float Canary() {
    const std::uint32_t bits = 0x7fa5c0deu;  // a signalling NaN with a payload
    float f;
    std::memcpy(&f, &bits, sizeof(f));
    return f;
  }
  std::size_t n_;
  std::vector<float> storage_;
  float* data_ = nullptr;
};

inline float NaN() { return std::numeric_limits<float>::quiet_NaN(); }

void FillRandom(Guarded& buffer, std::mt19937& rng) {
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (std::size_t i = 0; i < buffer.size(); ++i) buffer.data()[i] = dist(rng);
}

std::vector<double> ToDouble(const Guarded& buffer, bool absolute = false) {
  std::vector<double> v(buffer.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    v[i] = absolute ? std::abs(double{buffer[i]}) : double{buffer[i]};
  }
  return v;
}

// |actual - expected| <= terms * eps * magnitude, where magnitude is the sum of
// |each term| of that output: the worst-case bound of a float sum of `terms`
// terms in any order (products by FMA are exact before rounding).
void ExpectClose(const char* what, const Guarded& actual, const std::vector<double>& expected,
                 const std::vector<double>& magnitude, int terms) {
  const double eps = std::numeric_limits<float>::epsilon();
  int reported = 0;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const double tolerance = terms * eps * magnitude[i];
    const double error = std::abs(double{actual[i]} - expected[i]);
    if (!(error <= tolerance)) {  // also catches NaN
      ADD_FAILURE() << what << "[" << i << "] = " << actual[i] << ", expected " << expected[i]
                    << " (tolerance " << tolerance << ")";
      if (++reported == 5) return;
    }
  }
}

// The three kernels of one geometry on one target.
struct Kernels {
  void (*forward)(const float* x, const float* w, const float* b, float* y, float* scratch);
  void (*backward_input)(const float* dy, const float* w, float* dx, float* scratch);
  void (*backward_params)(const float* x, const float* dy, float* dw, float* db,
                          float* scratch);
  const char* target;
};

// Compiled once; each geometry and target only instantiates the kernels.
void CheckKernels(const Conv2dGeometry& g, const Kernels& kernels) {
  SCOPED_TRACE(describe(g) + " on " + kernels.target);
  const int taps = g.y.kernel * g.x.kernel;
  std::mt19937 rng(static_cast<unsigned>(g.in.size() * 31 + g.out.size()));

  Guarded x(g.in.size(), 1, 0), w(g.weight_count(), 3, 0), b(g.bias_count(), 5, 0);
  Guarded dy(g.out.size(), 7, 0), dw(g.weight_count(), 2, 0), db(g.bias_count(), 6, 0);
  FillRandom(x, rng);
  FillRandom(w, rng);
  FillRandom(b, rng);
  FillRandom(dy, rng);
  FillRandom(dw, rng);
  FillRandom(db, rng);
  Guarded y(g.out.size(), 1, NaN()), dx(g.in.size(), 3, NaN());
  Guarded scratch(conv2d_scratch_floats(g), 0, NaN());  // 64-byte aligned
  Guarded forward_scratch(conv2d_forward_scratch_floats(g), 0, NaN());
  const float* bias = g.bias ? b.data() : nullptr;

  // The oracle in double, and the same sums over |terms| for the tolerances.
  const std::vector<double> xd = ToDouble(x), wd = ToDouble(w), bd = ToDouble(b);
  const std::vector<double> dyd = ToDouble(dy);
  const std::vector<double> xa = ToDouble(x, true), wa = ToDouble(w, true),
                            ba = ToDouble(b, true), dya = ToDouble(dy, true);
  std::vector<double> y_ref(g.out.size()), y_mag(g.out.size());
  reference::conv2d_forward(g, xd.data(), wd.data(), bd.data(), y_ref.data());
  reference::conv2d_forward(g, xa.data(), wa.data(), ba.data(), y_mag.data());
  std::vector<double> dx_ref(g.in.size()), dx_mag(g.in.size());
  reference::conv2d_backward_input(g, dyd.data(), wd.data(), dx_ref.data());
  reference::conv2d_backward_input(g, dya.data(), wa.data(), dx_mag.data());
  std::vector<double> dw_ref = ToDouble(dw), dw_mag = ToDouble(dw, true);
  std::vector<double> db_ref = ToDouble(db), db_mag = ToDouble(db, true);
  reference::conv2d_backward_params(g, xd.data(), dyd.data(), dw_ref.data(), db_ref.data());
  reference::conv2d_backward_params(g, xa.data(), dya.data(), dw_mag.data(), db_mag.data());

  kernels.forward(x.data(), w.data(), bias, y.data(), forward_scratch.data());
  ExpectClose("y", y, y_ref, y_mag, g.in_per_group() * taps + 1);
  // Run again on the scratch the first call left behind: same bits.
  Guarded y2(g.out.size(), 2, NaN());
  kernels.forward(x.data(), w.data(), bias, y2.data(), forward_scratch.data());
  EXPECT_EQ(0, std::memcmp(y.data(), y2.data(), sizeof(float) * y.size()));

  kernels.backward_input(dy.data(), w.data(), dx.data(), scratch.data());
  ExpectClose("dx", dx, dx_ref, dx_mag, g.out_per_group() * taps);

  kernels.backward_params(x.data(), dy.data(), dw.data(), g.bias ? db.data() : nullptr,
                          scratch.data());
  ExpectClose("dw", dw, dw_ref, dw_mag, g.out.h * g.out.w + 1);
  ExpectClose("db", db, db_ref, db_mag, g.out.h * g.out.w + 1);

  for (const Guarded* buffer :
       {&x, &w, &b, &dy, &y, &y2, &dx, &dw, &db, &scratch, &forward_scratch}) {
    EXPECT_TRUE(buffer->Intact()) << "a kernel wrote outside a buffer";
  }
}

constexpr int kBatch = 3;

// Both backward passes of a batch of kBatch samples in one call each (the
// batch folded into the kernels) against the oracle, per sample for dx and
// summed over the samples for dw and db; the same guards and NaN-filled
// scratch as CheckKernels.
void CheckBatched(const Conv2dGeometry& g, const Kernels& kernels) {
  const char* target = kernels.target;
  SCOPED_TRACE(describe(g) + " batch " + std::to_string(kBatch) + " on " + target);
  std::mt19937 rng(static_cast<unsigned>(g.in.size() * 17 + g.out.size()));
  Guarded x(kBatch * g.in.size(), 1, 0), dy(kBatch * g.out.size(), 7, 0);
  Guarded w(g.weight_count(), 3, 0), dw(g.weight_count(), 2, 0), db(g.bias_count(), 6, 0);
  for (Guarded* buffer : {&x, &dy, &w, &dw, &db}) FillRandom(*buffer, rng);
  Guarded dx(kBatch * g.in.size(), 3, NaN());
  Guarded scratch(conv2d_scratch_floats(g, kBatch), 0, NaN());
  const std::vector<double> wd = ToDouble(w), wa = ToDouble(w, true);
  std::vector<double> dx_ref(dx.size()), dx_mag(dx.size());
  const std::vector<double> xd = ToDouble(x), dyd = ToDouble(dy);
  const std::vector<double> xa = ToDouble(x, true), dya = ToDouble(dy, true);
  std::vector<double> dw_ref = ToDouble(dw), dw_mag = ToDouble(dw, true);
  std::vector<double> db_ref = ToDouble(db), db_mag = ToDouble(db, true);
  for (int b = 0; b < kBatch; ++b) {
    const std::size_t xo = b * g.in.size(), yo = b * g.out.size();
    reference::conv2d_backward_params(g, xd.data() + xo, dyd.data() + yo, dw_ref.data(),
                                      db_ref.data());
    reference::conv2d_backward_params(g, xa.data() + xo, dya.data() + yo, dw_mag.data(),
                                      db_mag.data());
    reference::conv2d_backward_input(g, dyd.data() + yo, wd.data(), dx_ref.data() + xo);
    reference::conv2d_backward_input(g, dya.data() + yo, wa.data(), dx_mag.data() + xo);
  }
  kernels.backward_input(dy.data(), w.data(), dx.data(), scratch.data());
  ExpectClose("dx", dx, dx_ref, dx_mag, g.out_per_group() * g.y.kernel * g.x.kernel);
  kernels.backward_params(x.data(), dy.data(), dw.data(), g.bias ? db.data() : nullptr,
                          scratch.data());
  const int terms = kBatch * g.out.h * g.out.w + 1;
  ExpectClose("dw", dw, dw_ref, dw_mag, terms);
  ExpectClose("db", db, db_ref, db_mag, terms);
  for (const Guarded* buffer : {&x, &dy, &w, &dx, &dw, &db, &scratch}) {
    EXPECT_TRUE(buffer->Intact()) << "a kernel wrote outside a buffer";
  }
}

// Forward with a fused ReLU (what inference runs for Conv2d, ReLU) on `batch`
// samples: exactly the bits of forward followed by ReLU (max(x, 0), NaN kept;
// forward itself is checked against the oracle above), whether the tiles apply
// it or a pass over y does; nothing written outside y and scratch.
using ForwardFn = void (*)(const float* x, const float* w, const float* b, float* y,
                           float* scratch);
void CheckForwardRelu(const Conv2dGeometry& g, int batch, ForwardFn forward,
                      ForwardFn forward_relu, const char* target) {
  SCOPED_TRACE(describe(g) + " batch " + std::to_string(batch) + ", ReLU fused, on " + target);
  std::mt19937 rng(static_cast<unsigned>(g.in.size() * 13 + g.out.size()));
  Guarded x(batch * g.in.size(), 1, 0), w(g.weight_count(), 3, 0), b(g.bias_count(), 5, 0);
  for (Guarded* buffer : {&x, &w, &b}) FillRandom(*buffer, rng);
  Guarded y(batch * g.out.size(), 1, NaN()), y_relu(batch * g.out.size(), 2, NaN());
  Guarded scratch(conv2d_forward_scratch_floats(g, batch), 0, NaN());
  const float* bias = g.bias ? b.data() : nullptr;
  forward(x.data(), w.data(), bias, y.data(), scratch.data());
  forward_relu(x.data(), w.data(), bias, y_relu.data(), scratch.data());
  int negative = 0;
  for (std::size_t i = 0; i < y.size(); ++i) {
    negative += y[i] < 0.0f;
    const float expected = y[i] < 0.0f ? 0.0f : y[i];
    if (std::memcmp(&expected, y_relu.data() + i, sizeof(float)) != 0) {
      ADD_FAILURE() << "y[" << i << "] = " << y_relu[i] << ", expected " << expected;
      break;
    }
  }
  EXPECT_GT(negative, 0) << "the data should test the ReLU";
  for (const Guarded* buffer : {&x, &w, &b, &y, &y_relu, &scratch}) {
    EXPECT_TRUE(buffer->Intact()) << "a kernel wrote outside a buffer";
  }
}

}  // namespace staticnn::conv2d_test
#endif  // STATICNN_TESTS_CONV2D_TEST_HELPERS_

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {

template <Conv2dGeometry G>
void CheckConv2d() {
  conv2d_test::CheckKernels(G, {&Conv2dForward<G>, &Conv2dBackwardInput<G>,
                                &Conv2dBackwardParams<G>, hwy::TargetName(HWY_TARGET)});
}

// Channel counts 1/3/7 and widths around the vector lengths (4, 8, 16 floats).
void TestConv2dWidths() {
  using conv2d_test::conv3x3;
  CheckConv2d<conv3x3({1, 3, 1}, 1)>();
  CheckConv2d<conv3x3({3, 4, 3}, 7)>();
  CheckConv2d<conv3x3({7, 3, 7}, 3)>();
  CheckConv2d<conv3x3({1, 5, 15}, 3)>();
  CheckConv2d<conv3x3({3, 2, 16}, 7)>();
  CheckConv2d<conv3x3({7, 3, 17}, 1)>();
  CheckConv2d<conv3x3({3, 3, 31}, 3)>();
  CheckConv2d<conv3x3({1, 4, 33}, 7)>();
  CheckConv2d<conv3x3({3, 1, 1}, 3)>();
  CheckConv2d<conv3x3({7, 7, 16}, 7)>();
}

void TestConv2dStridePaddingDilation() {
  using conv2d_test::conv;
  using conv2d_test::same;
  CheckConv2d<conv({3, 9, 17}, 5, {3, 2, 1}, {3, 2, 1})>();        // stride 2
  CheckConv2d<conv({2, 8, 16}, 3, {3, 2, 1}, {3, 2, 1})>();        // stride 2, even size
  // Rows of 8 into copies of 4: each row split into even and odd columns once
  // on every SIMD target (EvenOddRowsFit, also with 4 lanes).
  static_assert(conv2d_impl::EvenOddRowsFit(conv({2, 7, 8}, 3, {3, 2, 1}, {3, 2, 1})) ==
                (HWY_TARGET != HWY_SCALAR &&
                 (HWY_TARGET & (HWY_SVE | HWY_SVE2 | HWY_SVE_256 | HWY_SVE2_128)) == 0));
  CheckConv2d<conv({2, 7, 8}, 3, {3, 2, 1}, {3, 2, 1})>();
  CheckConv2d<conv({3, 11, 13}, 4, {5, 3, 2}, {5, 3, 2})>();       // stride 3, 5x5
  CheckConv2d<conv({2, 8, 10}, 3, {3, 2, 0}, {3, 3, 0})>();        // unused input tail
  CheckConv2d<conv({2, 7, 33}, 3, {3, 1, 0}, {3, 1, 0})>();        // valid
  // Valid convolutions take a dedicated backward-input path: tap counts that
  // do and do not divide into tiles, planes of exactly 16 and of 17 floats.
  CheckConv2d<conv({3, 12, 17}, 4, {5}, {3})>();                    // valid 5x3
  CheckConv2d<conv({5, 6, 20}, 3, {2}, {4}, 1, false)>();           // valid 2x4
  CheckConv2d<conv({2, 4, 4}, 3, {3}, {3})>();                      // 16-float plane
  CheckConv2d<conv({3, 1, 17}, 2, {1}, {7})>();                     // valid 1x7
  CheckConv2d<conv({4, 9, 9}, 6, {3}, {3}, 2)>();                   // valid, groups 2
  CheckConv2d<same({3, 6, 17}, 4, 4, 4)>();                        // even kernel, pad 1 + 2
  CheckConv2d<same({2, 5, 7}, 3, 2, 2)>();                         // even kernel, pad 0 + 1
  CheckConv2d<conv({2, 9, 15}, 3, {3, 1, 2, 2}, {3, 1, 2, 2})>();  // dilation 2
  CheckConv2d<conv({3, 13, 17}, 2, {3, 2, 3, 3}, {3, 2, 2, 2})>(); // dilation with stride
  CheckConv2d<conv({2, 6, 7}, 3, {3, 1, 3}, {3, 1, 4})>();         // padding beyond the window
  CheckConv2d<conv({3, 9, 12}, 4, {3, 2, 1}, {3, 1, 1})>();        // stride 2 rows only
  CheckConv2d<conv({2, 5, 9}, 3, {2, 1, 0}, {3, 2, 1}, 1, false)>();  // stride 2 columns only
  // Rows of a stride-2 phase (CopyEvenFloats) of exactly 16 floats, of 19 with
  // padding 2, and of 35 (two vectors and an overlapping third on AVX-512).
  CheckConv2d<conv({2, 6, 32}, 3, {3, 2, 1}, {3, 2, 1})>();
  CheckConv2d<conv({3, 7, 37}, 4, {5, 2, 2}, {5, 2, 2})>();
  CheckConv2d<conv({2, 5, 70}, 3, {3, 2, 1}, {3, 2, 1})>();
  // Windows narrower than their stride read some phases only (PhasesRead):
  // 1 of 3 row phases, 2 of 3 column phases.
  CheckConv2d<conv({2, 10, 11}, 3, {1, 3, 0}, {2, 3, 0})>();
  // Strided layers unfold their columns (UnfoldColumns per row phase): ResNet-8's
  // 3x3 stride-2 layers (rows of 16 and 8 floats), and the forward of a
  // dilated one stays on the padded width.
  static_assert(conv2d_detail::unfold_columns_pays(conv({16, 32, 32}, 32, {3, 2, 1}, {3, 2, 1})));
  static_assert(!conv2d_detail::unfold_columns_pays(conv({3, 13, 17}, 2, {3, 2, 3, 3}, {3, 2, 2, 2})));
  CheckConv2d<conv({16, 32, 32}, 32, {3, 2, 1}, {3, 2, 1})>();
  CheckConv2d<conv({32, 16, 16}, 64, {3, 2, 1}, {3, 2, 1})>();
  // Backward input of a column stride 2 over an even width writes the two
  // column phases of a row interleaved (InterleaveColumnPhases): rows of 16
  // above (whole vectors on AVX2, scalar on AVX-512), 35 pairs (vectors and
  // one moved back), a row stride of 1, a 5x5 window; an odd width does not.
  static_assert(conv2d_detail::backward_input_plan(conv({16, 32, 32}, 32, {3, 2, 1}, {3, 2, 1}))
                    .pairs_columns);
  static_assert(conv2d_detail::backward_input_plan(conv({2, 5, 70}, 3, {3, 2, 1}, {3, 2, 1}))
                    .pairs_columns);
  static_assert(!conv2d_detail::backward_input_plan(conv({3, 7, 37}, 4, {5, 2, 2}, {5, 2, 2}))
                     .pairs_columns);
  CheckConv2d<conv({2, 5, 10}, 3, {2, 1, 0}, {3, 2, 1})>();
  CheckConv2d<conv({3, 7, 38}, 4, {5, 2, 2}, {5, 2, 2})>();
  // Those (and a row stride alone, whose single column phase is as wide as a
  // row) unfold dy into a copy per column shift (UnfoldShifts): ResNet-8's two
  // layers, 3 copies of 14-wide rows with a row stride 2 only, in groups of 2;
  // an odd width, whose column phases differ in width, does not.
  static_assert(conv2d_detail::backward_input_plan(conv({32, 16, 16}, 64, {3, 2, 1}, {3, 2, 1}))
                    .shifts == 2);
  static_assert(conv2d_detail::backward_input_plan(conv({3, 9, 12}, 4, {3, 2, 1}, {3, 1, 1}))
                    .shifts == 3);
  static_assert(conv2d_detail::backward_input_plan(conv({3, 9, 14}, 4, {3, 2, 1}, {3, 1, 1}))
                    .shifts == 3);
  static_assert(conv2d_detail::backward_input_plan(conv({3, 7, 37}, 4, {5, 2, 2}, {5, 2, 2}))
                    .shifts == 0);
  CheckConv2d<conv({6, 9, 16}, 22, {3, 2, 1}, {3, 2, 1}, 2)>();
  CheckConv2d<conv({4, 9, 14}, 6, {3, 2, 1}, {3, 1, 1}, 2)>();
  // A 1x1 stride-2 window (ResNet's shortcut) on rows of 34: its backward
  // input clears dx and scatters one phase of four with whole vectors
  // (ScatterEvenRow) on every target.
  CheckConv2d<conv({3, 6, 34}, 4, {1, 2, 0}, {1, 2, 0})>();
  // Even-sized, its dy planes whole vectors (48 floats), as ResNet-8's: backward
  // input is a GEMM over dy in place, spread into dx (rows of 12 values: a
  // vector and a tail on AVX-512), in two tiles of 5 input channels; backward
  // params the GEMM dy * xe^T (10 input channels padded to 16 lanes, 17 output
  // channels: a tile of rows past out.c).
  constexpr Conv2dGeometry kShortcut = conv({10, 8, 24}, 17, {1, 2, 0}, {1, 2, 0});
  static_assert(conv2d_impl::PointwiseStride2Input(kShortcut) &&
                conv2d_detail::pointwise_stride2_grad_plan(kShortcut).used);
  constexpr Conv2dGeometry kResNet8Shortcut = conv({16, 32, 32}, 32, {1, 2, 0}, {1, 2, 0});
  static_assert(conv2d_impl::PointwiseStride2Input(kResNet8Shortcut) &&
                conv2d_detail::pointwise_stride2_grad_plan(kResNet8Shortcut).used);
  CheckConv2d<kShortcut>();
}

void TestConv2dGroupsAndShapes() {
  using conv2d_test::conv;
  CheckConv2d<conv({4, 7, 9}, 6, {3, 1, 1}, {3, 1, 1}, 2)>();          // groups 2
  CheckConv2d<conv({6, 5, 17}, 9, {3, 2, 1}, {3, 2, 1}, 3)>();         // groups 3, stride 2
  CheckConv2d<conv({5, 7, 15}, 5, {3, 1, 1}, {3, 1, 1}, 5)>();         // depthwise
  CheckConv2d<conv({4, 6, 17}, 8, {3, 1, 1}, {3, 1, 1}, 4)>();         // depthwise x2
  CheckConv2d<conv({3, 9, 33}, 3, {3, 2, 1}, {3, 2, 1}, 3, false)>();  // depthwise stride 2
  CheckConv2d<conv({6, 9, 20}, 6, {5, 1, 2}, {3, 1, 1}, 6)>();         // depthwise 5x3
  CheckConv2d<conv({4, 3, 31}, 4, {3, 1, 1}, {3, 1, 1}, 4)>();         // depthwise, 3 rows
  CheckConv2d<conv({5, 9, 19}, 1, {5, 1, 2}, {5, 1, 2})>();            // a single filter
  CheckConv2d<conv({6, 8, 13}, 2, {3, 1, 2}, {3, 1, 0}, 2, false)>();  // one filter per group
  CheckConv2d<conv({7, 5, 9}, 5, {1}, {1})>();                         // 1x1
  CheckConv2d<conv({3, 7, 9}, 4, {1, 2, 0}, {1, 2, 0})>();             // 1x1 stride 2
  CheckConv2d<conv({2, 4, 5}, 3, {1, 1, 1}, {1, 1, 1})>();             // 1x1 pad 1
  CheckConv2d<conv({3, 8, 17}, 4, {3, 1, 1}, {1, 1, 0})>();            // 3x1
  CheckConv2d<conv({2, 5, 16}, 3, {1, 1, 0}, {5, 1, 2})>();            // 1x5
  CheckConv2d<conv({3, 9, 11}, 5, {2, 2, 0}, {3, 1, 1}, 1, false)>();  // 2x3, no bias
}

// Enough output channels per group for the dW^T path (16 and more), incl. tails.
void TestConv2dManyChannels() {
  using conv2d_test::conv;
  using conv2d_test::conv3x3;
  CheckConv2d<conv3x3({3, 9, 11}, 16)>();
  CheckConv2d<conv3x3({5, 6, 7}, 17)>();
  CheckConv2d<conv({7, 11, 9}, 33, {3, 2, 1}, {3, 2, 1})>();
  CheckConv2d<conv({8, 6, 19}, 48, {3, 1, 1}, {3, 1, 1}, 2)>();
  CheckConv2d<conv({16, 5, 6}, 80, {1}, {1}, 1, false)>();
  // 64 outputs a channel: forward's tiles are 6 rows x 4 vectors where that is
  // 4 vectors of 16 lanes with 32 registers (AVX-512), 11 of them, the last
  // overlapping the one before.
  constexpr Conv2dGeometry k8x8 = conv3x3({19, 8, 8}, 65);
  static_assert(hwy::HWY_NAMESPACE::MaxLanes(KernelTag()) != 16 || kVectorRegisters != 32 ||
                conv2d_impl::ForwardTileRows<k8x8>() == 6);
  CheckConv2d<k8x8>();
  // Its backward input unfolds dy (input_unfolds) and writes dx directly, as
  // does a 5x5 window with padding 1 (padding 3 around dy), in groups of 2.
  static_assert(conv2d_detail::input_unfolds(k8x8));
  constexpr Conv2dGeometry k5x5Pad1 = conv({6, 9, 11}, 10, {5, 1, 1}, {5, 1, 1}, 2);
  static_assert(conv2d_detail::input_unfolds(k5x5Pad1));
  CheckConv2d<k5x5Pad1>();
  // Forward reads the weights in place; where the tiles do not divide a
  // group's output channels, its last tile overlaps the one before: groups of
  // 11 (tiles of 6), unfolded and on the padded width (stride 2).
  CheckConv2d<conv({6, 7, 9}, 22, {3, 1, 1}, {3, 1, 1}, 2)>();
  CheckConv2d<conv({6, 9, 17}, 22, {3, 2, 1}, {3, 2, 1}, 2)>();
  // The largest unfolded input (CIFAR's 128 channels at 8x8 take 30,720
  // floats), 20 channels in tiles of 7.
  static_assert(conv2d_detail::unfold_columns_pays(conv3x3({100, 8, 8}, 20)));
  CheckConv2d<conv3x3({100, 8, 8}, 20)>();
}

// Depthwise layers take the channels-in-lanes forward (conv2d_depthwise_lanes-inl.h),
// the flat planes (conv2d_depthwise_flat-inl.h, CheckDepthwiseFlat) or, for
// rows of 32 outputs or more, the plane tiles (conv2d_depthwise-inl.h,
// CheckDepthwisePlaneTiles):
// the plane sizes and strides of MLPerf Tiny's DS-CNN and MobileNetV1, channel
// counts that leave a partial vector of channels (24, 20, 12 with 16 lanes), fewer
// channels than a vector (3), a single channel, and odd kernels, strides and tails;
// planes narrower than 4 columns, transposed in one piece (3 and 2 columns), and
// one with a dropped row, transposed row by row.
template <Conv2dGeometry G>
void CheckDepthwiseFlat() {
  static_assert(ForwardPathOf<G, 1>() == ForwardPath::depthwise_flat);
  CheckConv2d<G>();
}

template <Conv2dGeometry G>
void CheckDepthwisePlaneTiles() {
  static_assert(ForwardPathOf<G, 1>() == ForwardPath::depthwise);
  CheckConv2d<G>();
}

// The lanes path in `bands` bands of output rows (conv2d_scratch.hpp,
// depthwise_lanes_plan: a band's transposed input and outputs stay in L1).
template <Conv2dGeometry G, int kBands>
void CheckDepthwiseLanes() {
  static_assert(ForwardPathOf<G, 1>() == ForwardPath::depthwise_lanes);
  constexpr conv2d_detail::DepthwiseLanesPlan p = conv2d_detail::depthwise_lanes_plan(G);
  static_assert(conv2d_detail::ceil_div(G.out.h, p.band) == kBands);
  CheckConv2d<G>();
}

void TestConv2dDepthwisePlanes() {
  using conv2d_test::conv;
  // Plane tiles: MobileNet's 8x48x48 (a last chunk of columns that overlaps),
  // rows of exactly 32 (5 rows: two bands that overlap), 5x5 windows on 41 columns
  // without a bias; 31 columns stay in the lanes.
  CheckDepthwisePlaneTiles<conv({8, 48, 48}, 8, {3, 1, 1}, {3, 1, 1}, 8)>();
  CheckDepthwisePlaneTiles<conv({3, 5, 32}, 3, {3, 1, 1}, {3, 1, 1}, 3)>();
  CheckDepthwisePlaneTiles<conv({2, 11, 41}, 2, {5, 1, 2}, {5, 1, 2}, 2, false)>();
  // Even kernels, `same`: one more column of zeros after a row than before it,
  // from the copy's zeros between rows (PlaneCopyPlan). 2x2 pads no column
  // before and one after: rows of 48 floats, where in.w + 2 * pad would make
  // them 32, with no zero between rows.
  CheckDepthwisePlaneTiles<conv2d_test::same({3, 9, 46}, 3, 4, 4, 3)>();
  CheckDepthwisePlaneTiles<conv2d_test::same({2, 7, 32}, 2, 2, 2, 2)>();
  static_assert(ForwardPathOf<conv({3, 5, 31}, 3, {3, 1, 1}, {3, 1, 1}, 3), 1>() ==
                ForwardPath::depthwise_lanes);
  // Flat: DS-CNN, a plane of 99 positions that no vector divides (no bias), one
  // column (every tap beside the centre column masked off), 5x5 windows (with 16
  // registers the only ones whose weights are broadcast per tile, not held);
  // rows wider than a vector (4x3x31): TestConv2dGroupsAndShapes.
  constexpr Conv2dGeometry kDsCnn = conv({64, 25, 5}, 64, {3, 1, 1}, {3, 1, 1}, 64);
  constexpr Conv2dGeometry kFlat5x5 = conv({3, 10, 10}, 3, {5, 1, 2}, {5, 1, 2}, 3);
  static_assert(conv2d_impl::DepthwiseFlatHoldsWeights<kDsCnn>() == (kVectorRegisters == 16) &&
                !conv2d_impl::DepthwiseFlatHoldsWeights<kFlat5x5>());
  CheckDepthwiseFlat<kDsCnn>();
  CheckDepthwiseFlat<kFlat5x5>();
  CheckDepthwiseFlat<conv({5, 9, 11}, 5, {3, 1, 1}, {3, 1, 1}, 5, false)>();
  CheckDepthwiseFlat<conv({2, 70, 1}, 2, {3, 1, 1}, {3, 1, 1}, 2)>();
  CheckDepthwiseLanes<conv({16, 48, 48}, 16, {3, 2, 1}, {3, 2, 1}, 16), 12>();  // 48 -> 24
  // Bands of rows whose last one overlaps the one before: with a partial
  // block of channels (20), a dropped last input row (60 rows, stride 2, no
  // padding), and 5x5 windows reaching into 2 rows of zeros at either end.
  CheckDepthwiseLanes<conv({20, 50, 50}, 20, {3, 2, 1}, {3, 2, 1}, 20), 13>();
  CheckDepthwiseLanes<conv({5, 60, 41}, 5, {3, 2, 0}, {3, 2, 0}, 5, false), 3>();
  CheckDepthwiseLanes<conv({16, 40, 30}, 16, {5, 1, 2}, {5, 1, 2}, 16), 14>();
  CheckConv2d<conv({32, 12, 12}, 32, {3, 2, 1}, {3, 2, 1}, 32)>();   // 12 -> 6
  CheckConv2d<conv({24, 6, 6}, 24, {3, 1, 1}, {3, 1, 1}, 24)>();     // 6x6
  CheckConv2d<conv({20, 3, 3}, 20, {3, 1, 1}, {3, 1, 1}, 20)>();     // 3x3
  CheckConv2d<conv({256, 3, 3}, 256, {3, 1, 1}, {3, 1, 1}, 256)>();  // MobileNet 3x3
  CheckConv2d<conv({24, 5, 2}, 24, {3, 2, 1}, {3, 2, 1}, 24)>();     // 2 columns, stride 2
  CheckConv2d<conv({8, 4, 3}, 8, {3, 2, 0}, {3, 2, 0}, 8)>();        // 3 columns, a row dropped
  CheckConv2d<conv({12, 7, 9}, 12, {5, 1, 2}, {5, 1, 2}, 12)>();     // 5x5
  CheckConv2d<conv({3, 9, 10}, 3, {3, 2, 0}, {3, 2, 0}, 3, false)>();  // dropped tail
  CheckConv2d<conv({17, 11, 13}, 17, {5, 3, 2}, {3, 1, 1}, 17)>();   // 5x3, stride 3x1
  CheckConv2d<conv({1, 6, 7}, 1, {3, 1, 1}, {3, 1, 1})>();           // one channel
}

// 1x1 stride-1 layers take the pointwise GEMM (conv2d_pointwise-inl.h): the
// planes of DS-CNN and MobileNetV1 at 48x48, and planes smaller than a vector
// (9, 6 and 1 positions, with output channels that no vector divides, which
// keeps them off the channels-in-lanes path), positions that leave an
// overlapping last vector (125, 49), output channels that leave a partial tile
// of rows, no bias.
void TestConv2dPointwisePlanes() {
  using conv2d_test::conv;
  CheckConv2d<conv({64, 25, 5}, 64, {1}, {1})>();          // DS-CNN
  CheckConv2d<conv({8, 48, 48}, 16, {1}, {1})>();          // MobileNet 48x48
  CheckConv2d<conv({128, 3, 3}, 250, {1}, {1})>();         // 9 positions
  CheckConv2d<conv({20, 7, 7}, 11, {1}, {1}, 1, false)>(); // 49 positions, no bias
  CheckConv2d<conv({5, 2, 3}, 13, {1}, {1})>();            // 6 positions
  CheckConv2d<conv({9, 1, 1}, 3, {1}, {1})>();             // one position
  // Inputs beyond L1 (20 x 437 floats): forward's tiles prefetch the next
  // block of positions, the last block a partial one.
  CheckConv2d<conv({20, 23, 19}, 11, {1}, {1})>();
  // The input gradient as the forward of the transposed weights where the
  // general path's scratch holds them; not for 128 -> 250 on 3x3.
  static_assert(conv2d_impl::PointwiseInputFits(conv({64, 25, 5}, 64, {1}, {1})));
  static_assert(!conv2d_impl::PointwiseInputFits(conv({128, 3, 3}, 250, {1}, {1})));
  // The tiles: 8 x 3 with 32 registers; with 16, 6 x 2 for DS-CNN's 64
  // channels over 16 vectors (the last row tile of 4), 4 x 3 for 128 channels
  // over 5 vectors (MobileNetV1's 6x6 on 8 lanes, in the channels-in-lanes
  // test below), where 6 x 2 would end in a 6 x 1 tile.
  using conv2d_impl::PointwiseTileShape;
  static_assert(kVectorRegisters == 32
                    ? PointwiseTileShape(64, 16).rows == 8 && PointwiseTileShape(128, 5).rows == 8
                    : PointwiseTileShape(64, 16).rows == 6 &&
                          PointwiseTileShape(64, 16).vectors == 2 &&
                          PointwiseTileShape(128, 5).rows == 4 &&
                          PointwiseTileShape(128, 5).vectors == 3);
}

// 1x1 stride-1 layers on small planes with the output channels in the lanes
// (conv2d_pointwise_channels-inl.h): MobileNetV1's 6x6 and 3x3 planes, 6, 9,
// 17 and 20 positions (below, at and above a vector of 4, 8 and 16), one and
// several blocks of channels (16 to 256 on targets of 4, 8 and 16 lanes), few
// input channels (transposes with tails), no bias.
void TestConv2dPointwiseChannels() {
  using conv2d_test::conv;
#if HWY_TARGET != HWY_SCALAR
  static_assert(conv2d_impl::PointwiseChannelsPay(conv({7, 3, 3}, 64, {1}, {1})),
                "the path is taken on every target");
#endif
  CheckConv2d<conv({128, 6, 6}, 128, {1}, {1})>();          // MobileNet 6x6
  CheckConv2d<conv({7, 3, 3}, 64, {1}, {1})>();
  CheckConv2d<conv({5, 2, 3}, 32, {1}, {1}, 1, false)>();  // 6 positions, no bias
  CheckConv2d<conv({6, 3, 3}, 16, {1}, {1})>();
  CheckConv2d<conv({3, 17, 1}, 32, {1}, {1})>();           // overlapping tiles of positions
  CheckConv2d<conv({9, 4, 5}, 96, {1}, {1})>();
}

// 1x1 stride-1 layers on small planes with many input channels, as dot
// products along them (conv2d_pointwise_dot-inl.h): MobileNetV1's 3x3 layers
// (on 8 lanes 256 output channels are 10 blocks of 24 and an overlapping
// one), a single position (16 channels: one block of 16 lanes), 12 positions
// in one tile of 12 or three of 4 (40 channels: blocks of 4, or of 6 with an
// overlapping last one), 10 positions (overlapping tiles of 4 on 16-register
// targets; blocks of 8 or 12 channels), no bias.
void TestConv2dPointwiseDot() {
  using conv2d_test::conv;
#if HWY_TARGET != HWY_SCALAR
  static_assert(ForwardPathOf<conv({256, 3, 3}, 256, {1}, {1}), 1>() ==
                    ForwardPath::pointwise_dot,
                "the path is taken on every target");
#endif
  static_assert(!conv2d_impl::PointwiseDotPay(conv({128, 6, 6}, 128, {1}, {1})),
                "36 positions are too many for 128 input channels");
  CheckConv2d<conv({256, 3, 3}, 256, {1}, {1})>();  // MobileNet 3x3
  CheckConv2d<conv({128, 3, 3}, 256, {1}, {1})>();  // MobileNet 3x3, from 128
  CheckConv2d<conv({128, 1, 1}, 16, {1}, {1}, 1, false)>();
  CheckConv2d<conv({128, 3, 4}, 40, {1}, {1})>();
  CheckConv2d<conv({160, 2, 5}, 24, {1}, {1}, 1, false)>();
}

// Forward with the output channels in the lanes (conv2d_forward_channels-inl.h):
// one or two vectors of channels on every target (4, 8, 16 lanes), a tail of
// positions, no bias, a non-square kernel.
void TestConv2dChannelVectors() {
  using conv2d_test::conv;
#if HWY_TARGET != HWY_SCALAR
  static_assert(conv2d_impl::ChannelVectors(conv({3, 9, 9}, 8, {3}, {3})) > 0 ||
                    conv2d_impl::ChannelVectors(conv({5, 8, 11}, 16, {4}, {5})) > 0,
                "the path is taken on every target");
#endif
  CheckConv2d<conv({3, 9, 9}, 8, {3}, {3})>();
  CheckConv2d<conv({2, 7, 6}, 32, {3}, {2}, 1, false)>();
  CheckConv2d<conv({5, 8, 11}, 16, {4}, {5})>();
}

// The same path on a single padded or strided input plane, from its zero-padded
// copy, one output row at a time: DS-CNN's first layer (64 channels in blocks
// of vectors), stride 1 with padding, stride 2 without (no bias), Keras `same`
// with an even kernel (more padding after than before), dilation with 3 or 6
// or 12 vectors (blocks of 3, 2 and 2 or 4), rows longer than a tile.
void TestConv2dChannelVectorsPadded() {
  using conv2d_test::conv;
  using conv2d_test::same;
  constexpr Conv2dGeometry kDsCnnConv1 = conv({1, 49, 10}, 64, {10, 2, 5}, {4, 2, 1});
#if HWY_TARGET != HWY_SCALAR
  static_assert(conv2d_impl::ChannelVectors(kDsCnnConv1) > 0, "the path is taken");
#endif
  CheckConv2d<kDsCnnConv1>();
  CheckConv2d<conv({1, 9, 7}, 16, {3, 1, 1}, {3, 1, 1})>();
  CheckConv2d<conv({1, 11, 12}, 32, {3, 2, 0}, {5, 2, 0}, 1, false)>();
  CheckConv2d<same({1, 10, 6}, 16, 4, 2)>();
  CheckConv2d<conv({1, 8, 9}, 48, {3, 1, 2, 2}, {3, 1, 2, 2})>();
  CheckConv2d<conv({1, 5, 30}, 16, {3, 1, 1}, {3, 1, 1})>();
}

template <Conv2dGeometry G>
void CheckBatched() {
  constexpr int kBatch = conv2d_test::kBatch;
  conv2d_test::CheckBatched(G, {&Conv2dForward<G>, &Conv2dBackwardInput<G, kBatch>,
                                &Conv2dBackwardParams<G, kBatch>, hwy::TargetName(HWY_TARGET)});
}

// Every form of both backward passes over a batch: dW^T (with a tail of
// channels, groups), dot products (a few filters, one per group, stride 2),
// depthwise, valid convolutions (LeNet-5's conv2, groups 2), LeNet-5's conv1,
// a Winograd layer and dW^T's sliding tiles.
void TestConv2dBatched() {
  using conv2d_test::conv;
  using conv2d_test::conv3x3;
  CheckBatched<conv3x3({3, 9, 11}, 16)>();
  CheckBatched<conv3x3({5, 6, 7}, 17)>();
  CheckBatched<conv({8, 6, 19}, 48, {3, 1, 1}, {3, 1, 1}, 2)>();
  CheckBatched<conv({3, 9, 11}, 5, {2, 2, 0}, {3, 1, 1}, 1, false)>();
  CheckBatched<conv({6, 8, 13}, 2, {3, 1, 2}, {3, 1, 0}, 2, false)>();
  // Stride 2 with fewer than 16 filters: the weight gradient's dot form on
  // unfolded columns, per sample of the batch.
  static_assert(conv2d_detail::unfold_columns_pays(conv({3, 9, 17}, 5, {3, 2, 1}, {3, 2, 1})));
  CheckBatched<conv({3, 9, 17}, 5, {3, 2, 1}, {3, 2, 1})>();
  CheckBatched<conv({5, 7, 15}, 5, {3, 1, 1}, {3, 1, 1}, 5)>();
  CheckBatched<conv({4, 6, 17}, 8, {3, 1, 1}, {3, 1, 1}, 4)>();
  // Depthwise with rows of at least a vector: the weight gradient sample by
  // sample, channel by channel; rows of 33 take the plane tiles forward.
  CheckBatched<conv({3, 6, 33}, 3, {3, 1, 1}, {3, 1, 1}, 3)>();
  CheckBatched<conv({1, 28, 28}, 6, {5, 1, 2}, {5, 1, 2})>();
  CheckBatched<conv({6, 14, 14}, 16, {5}, {5})>();
  CheckBatched<conv({4, 9, 9}, 6, {3}, {3}, 2)>();
  CheckBatched<conv({3, 12, 17}, 4, {5}, {3})>();
  CheckBatched<conv3x3({16, 16, 16}, 16)>();  // Winograd backward input
  // dW^T in sliding tiles (a broadcast per input position, not per tap):
  // padded, 3 chunks of output rows, 3 vectors of channels (AVX-512: tiles
  // of 2 and a tail of 1); and two groups of 5 taps on 14-wide rows.
  CheckBatched<conv({5, 13, 12}, 48, {3, 1, 1}, {3, 1, 1})>();
  CheckBatched<conv({4, 10, 18}, 32, {3}, {5, 1, 0}, 2)>();
  // Rows longer than 16 in pieces: ResNet-8's 16 -> 16 at 32x32 (2 pieces of
  // 16, 2 rows a chunk; with 32 registers not Winograd), and rows of 45 in 3
  // pieces of 15 with a tail vector of channels.
  constexpr Conv2dGeometry kTwoPieces = conv3x3({16, 32, 32}, 16);
  constexpr Conv2dGeometry kThreePieces = conv({3, 6, 47}, 48, {3, 1, 1}, {3, 1, 0});
  static_assert(kVectorRegisters != 32 ||
                (conv2d_impl::SlidingTileShape<kTwoPieces>(1).pieces == 2 &&
                 conv2d_impl::SlidingTileShape<kThreePieces>(3).pieces == 3 &&
                 conv2d_impl::SlidingTileShape<kThreePieces>(3).vectors == 2));
  CheckBatched<kTwoPieces>();
  CheckBatched<kThreePieces>();
  // The plane tiles' band of rows per plane height (conv2d_depthwise-inl.h).
  // With 32 registers (two vectors a row): dx of one input channel, 13 rows in
  // 2 bands of 7 that overlap, 9 in 2 of 5, rows of 40 in two overlapping
  // chunks of columns; forward of 3 input channels per output channel, 11 rows
  // in 2 bands of 6. With 16 (one vector a row, at least kFmaChains rows): 13
  // in 2 of 8, 9 in one band, 11 in 2 of 8; LeNet-5's 28 rows in 3 of 10.
  using conv2d_impl::PlaneTileRows;
  static_assert(kVectorRegisters == 32
                    ? PlaneTileRows<5>(13) == 7 && PlaneTileRows<3>(9) == 5 &&
                          PlaneTileRows<3>(11) == 6 && PlaneTileRows<5>(28) == 7
                    : PlaneTileRows<5>(13) == 8 && PlaneTileRows<3>(9) == 9 &&
                          PlaneTileRows<3>(11) == 8 && PlaneTileRows<5>(28) == 10);
  CheckBatched<conv({1, 13, 20}, 3, {5, 1, 2}, {3, 1, 1})>();
  CheckBatched<conv({1, 9, 40}, 4, {3, 1, 1}, {3, 1, 1}, 1, false)>();
  constexpr Conv2dGeometry kSeveralInputs = conv({6, 11, 9}, 2, {3, 1, 1}, {3, 1, 1}, 2);
  static_assert(ForwardPathOf<kSeveralInputs, 1>() == ForwardPath::depthwise);
  CheckBatched<kSeveralInputs>();
  // The 1x1 stride-2 GEMMs (ResNet's shortcut), in two groups: dW summed over
  // the batch in scratch, per group.
  constexpr Conv2dGeometry kShortcut = conv({20, 8, 24}, 34, {1, 2, 0}, {1, 2, 0}, 2);
  static_assert(conv2d_impl::PointwiseStride2Input(kShortcut) &&
                conv2d_detail::pointwise_stride2_grad_plan(kShortcut).used);
  CheckBatched<kShortcut>();
  // dW^T with x read in place (1x1 stride 1), in two groups of 3 -> 17
  // channels (a tail), 4 output rows a chunk; db summed from dy^T.
  constexpr Conv2dGeometry kPointwise = conv({6, 5, 13}, 34, {1}, {1}, 2);
  static_assert(conv2d_detail::backward_params_plan(kPointwise).x_in_place);
  CheckBatched<kPointwise>();
  // The pointwise input gradient over the batch: the weights transposed once.
  constexpr Conv2dGeometry kPointwiseInput = conv({20, 23, 19}, 11, {1}, {1});
  static_assert(conv2d_impl::PointwiseInputFits(kPointwiseInput));
  CheckBatched<kPointwiseInput>();
}

template <Conv2dGeometry G, int Batch = 1>
void CheckForwardRelu() {
  conv2d_test::CheckForwardRelu(G, Batch, &Conv2dForward<G, Batch>,
                                &Conv2dForward<G, Batch, true>, hwy::TargetName(HWY_TARGET));
}

// A ReLU fused into forward: in the row tiles that write y (LeNet-5's conv1,
// one sample and a batch), in the channel-vector tiles (LeNet-5's conv2, DS-CNN's
// first layer), in the pointwise tiles (positions in the lanes: DS-CNN's 1x1 on
// every target, 16x6x6 -> 32 below AVX-512; output channels in the lanes:
// 16x6x6 -> 32 on AVX-512), in the depthwise lanes tiles (8x7x7), flat
// planes (DS-CNN's 64x25x5) and plane tiles (3x9x40, a batch of 2), in the row tiles of a strided layer's unfolded
// input, in Winograd's output transform (16x16x16 over 3 samples), and as a
// pass over y where the tiles' outputs are cropped (dilation).
void TestConv2dForwardRelu() {
  using conv2d_test::conv;
  using conv2d_test::conv3x3;
  CheckForwardRelu<conv({1, 28, 28}, 6, {5, 1, 2}, {5, 1, 2})>();
  CheckForwardRelu<conv({1, 28, 28}, 6, {5, 1, 2}, {5, 1, 2}), 2>();
  CheckForwardRelu<conv({6, 14, 14}, 16, {5}, {5})>();
  CheckForwardRelu<conv({1, 49, 10}, 64, {10, 2, 5}, {4, 2, 1})>();
  CheckForwardRelu<conv({3, 9, 17}, 5, {3, 2, 1}, {3, 2, 1})>();
  CheckForwardRelu<conv({3, 13, 17}, 2, {3, 2, 3, 3}, {3, 2, 2, 2})>();
  CheckForwardRelu<conv({16, 6, 6}, 32, {1}, {1})>();
  CheckForwardRelu<conv({256, 3, 3}, 256, {1}, {1})>();
  CheckForwardRelu<conv({160, 2, 5}, 24, {1}, {1})>();
  CheckForwardRelu<conv({64, 25, 5}, 64, {1}, {1})>();
  CheckForwardRelu<conv({8, 7, 7}, 8, {3, 1, 1}, {3, 1, 1}, 8)>();
  CheckForwardRelu<conv({64, 25, 5}, 64, {3, 1, 1}, {3, 1, 1}, 64)>();
  static_assert(ForwardPathOf<conv({3, 9, 40}, 3, {3, 1, 1}, {3, 1, 1}, 3), 2>() ==
                ForwardPath::depthwise);
  CheckForwardRelu<conv({3, 9, 40}, 3, {3, 1, 1}, {3, 1, 1}, 3), 2>();
  static_assert(conv2d_detail::winograd_pays(conv3x3({16, 16, 16}, 16), 3));
  CheckForwardRelu<conv3x3({16, 16, 16}, 16), 3>();
}

// Backward params' dot form on x unfolded per kernel column (as forward lays
// it out): dy read in place (positions a multiple of 16: 784, 64) or copied
// with a zero tail (143, 63, 90 per group), widths below a vector, output
// channels 1 to 15 (16 take dW^T), groups; one sample and a batch.
template <Conv2dGeometry G>
void CheckDotUnfolded() {
  static_assert(!conv2d_detail::backward_params_plan(G).transposed &&
                conv2d_detail::backward_params_plan(G).unfolded);
  CheckConv2d<G>();
  CheckBatched<G>();
}

void TestConv2dWeightGradDotUnfolded() {
  using conv2d_test::conv;
  CheckDotUnfolded<conv({1, 28, 28}, 6, {5, 1, 2}, {5, 1, 2})>();
  CheckDotUnfolded<conv({2, 11, 13}, 3, {5, 1, 2}, {5, 1, 2})>();
  CheckDotUnfolded<conv({1, 8, 8}, 1, {5, 1, 2}, {5, 1, 2})>();
  CheckDotUnfolded<conv({3, 7, 9}, 15, {3, 1, 1}, {3, 1, 1})>();
  CheckDotUnfolded<conv({4, 9, 10}, 4, {3, 1, 1}, {5, 1, 2}, 2)>();
  CheckDotUnfolded<conv({2, 16, 4}, 5, {3, 1, 1}, {5, 1, 2}, 1, false)>();
}

// Backward input of valid convolutions (a GEMM adding into the sums over
// kernel rows, then the sums over kernel columns): rows narrower than every
// vector (3), wider than AVX-512's (21, 33), a single kernel row or column, 1
// to 24 output channels; tiles of a whole kernel row (2 to 6 columns), of part
// of one (10 columns: two tiles of 5) and of one column (11, a prime past a
// tile's rows); one sample and a batch.
template <Conv2dGeometry G>
void CheckValidInput() {
  static_assert(conv2d_detail::valid_input_plan(G).used && G.in_per_group() > 1);
  CheckConv2d<G>();
  CheckBatched<G>();
}

void TestConv2dValidBackwardInput() {
  using conv2d_test::conv;
  CheckValidInput<conv({2, 6, 3}, 3, {2}, {2})>();
  CheckValidInput<conv({3, 7, 5}, 1, {3}, {1})>();
  CheckValidInput<conv({5, 9, 21}, 24, {4}, {6})>();
  CheckValidInput<conv({2, 5, 33}, 7, {1}, {3}, 1, false)>();
  CheckValidInput<conv({6, 11, 13}, 16, {5}, {5})>();
  CheckValidInput<conv({4, 7, 6}, 5, {3}, {3})>();
  constexpr Conv2dGeometry kTwoTilesPerRow = conv({3, 4, 13}, 6, {2}, {10});
  static_assert(conv2d_detail::valid_input_plan(kTwoTilesPerRow).mr == 5);
  CheckValidInput<kTwoTilesPerRow>();
  constexpr Conv2dGeometry kColumnTiles = conv({2, 3, 14}, 9, {3}, {11});
  static_assert(conv2d_detail::valid_input_plan(kColumnTiles).mr == 1);
  CheckValidInput<kColumnTiles>();
}

// The shapes the benchmark measures.
void TestConv2dBenchmarkShapes() {
  using conv2d_test::conv;
  CheckConv2d<conv({64, 56, 56}, 64, {3, 1, 1}, {3, 1, 1})>();
  // The lecture's layer discards 4 columns of 36 on the padded width: unfolded.
  static_assert(conv2d_detail::unfold_columns_pays(conv({3, 32, 32}, 10, {5, 1, 2}, {5, 1, 2})));
  CheckConv2d<conv({3, 32, 32}, 10, {5, 1, 2}, {5, 1, 2})>();
  CheckConv2d<conv({1, 28, 28}, 6, {5, 1, 2}, {5, 1, 2})>();
  CheckConv2d<conv({6, 14, 14}, 16, {5}, {5})>();
  static_assert(conv2d_detail::backward_params_plan(conv({64, 56, 56}, 64, {1}, {1})).x_in_place);
  CheckConv2d<conv({64, 56, 56}, 64, {1}, {1})>();
  CheckConv2d<conv({64, 56, 56}, 64, {3, 1, 1}, {3, 1, 1}, 64)>();
  // MobileNetV1's first layer unfolds past kMaxUnfoldedFloats: its copies take
  // less scratch than its phase planes and crop buffer would.
  constexpr Conv2dGeometry kMobileNetConv1 = conv({3, 96, 96}, 8, {3, 2, 1}, {3, 2, 1});
  static_assert(conv2d_detail::unfolded_floats(kMobileNetConv1) >
                    conv2d_detail::kMaxUnfoldedFloats &&
                conv2d_detail::unfold_columns_pays(kMobileNetConv1));
  CheckConv2d<kMobileNetConv1>();
}

}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace staticnn {
HWY_BEFORE_TEST(Conv2dTest);
HWY_EXPORT_AND_TEST_P(Conv2dTest, TestConv2dWidths);
HWY_EXPORT_AND_TEST_P(Conv2dTest, TestConv2dStridePaddingDilation);
HWY_EXPORT_AND_TEST_P(Conv2dTest, TestConv2dGroupsAndShapes);
HWY_EXPORT_AND_TEST_P(Conv2dTest, TestConv2dManyChannels);
HWY_EXPORT_AND_TEST_P(Conv2dTest, TestConv2dDepthwisePlanes);
HWY_EXPORT_AND_TEST_P(Conv2dTest, TestConv2dPointwisePlanes);
HWY_EXPORT_AND_TEST_P(Conv2dTest, TestConv2dPointwiseChannels);
HWY_EXPORT_AND_TEST_P(Conv2dTest, TestConv2dPointwiseDot);
HWY_EXPORT_AND_TEST_P(Conv2dTest, TestConv2dChannelVectors);
HWY_EXPORT_AND_TEST_P(Conv2dTest, TestConv2dChannelVectorsPadded);
HWY_EXPORT_AND_TEST_P(Conv2dTest, TestConv2dBenchmarkShapes);
HWY_EXPORT_AND_TEST_P(Conv2dTest, TestConv2dBatched);
HWY_EXPORT_AND_TEST_P(Conv2dTest, TestConv2dForwardRelu);
HWY_EXPORT_AND_TEST_P(Conv2dTest, TestConv2dWeightGradDotUnfolded);
HWY_EXPORT_AND_TEST_P(Conv2dTest, TestConv2dValidBackwardInput);
}  // namespace staticnn
#endif
