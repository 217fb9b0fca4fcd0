// Winograd F(2x2, 3x3) (kernels/conv2d_winograd-inl.h) against direct
// convolution in double (the scalar oracle), forward and backward input, on
// the shapes it is selected for and on every Highway target compiled here.
//
// The bound. Every value the algorithm computes is a sum of terms whose
// absolute values add up to the same value computed with |x|, |w| and the
// transforms' matrices in absolute value; call that S for an output:
//   S = |b| + sum_c |A^T| ((|G| |g_c| |G^T|) . (|B^T| |d_c| |B|)) |A|.
// Along one output's computation there are at most 2 roundings in B^T d B,
// 4 in G g G^T (the halvings are exact), in_channels + 1 in the FMA chain of
// the GEMM (the bias included) and 4 in A^T M A, so to first order
//   |y - y_exact| <= (in_channels + 11) * eps * S;
// the test allows (in_channels + 16) * eps * S. S also counts inputs of the
// 4x4 tile outside the output's window (their terms cancel in exact
// arithmetic, not their roundings), so it is not a multiple of the direct
// sum over |w| |x| in general; the test prints the largest ratio seen, and the
// error measured in units of eps * sum |w| |x| next to the same figure for a
// float sum in the oracle's order (direct convolution).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <random>
#include <string>
#include <vector>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "tests/conv2d_winograd_test.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "staticnn/kernels/conv2d-inl.h"
#include "staticnn/kernels/conv2d_scratch.hpp"
#include "tests/reference/conv2d.hpp"
#include "hwy/tests/test_util-inl.h"

#ifndef STATICNN_TESTS_CONV2D_WINOGRAD_TEST_HELPERS_
#define STATICNN_TESTS_CONV2D_WINOGRAD_TEST_HELPERS_
namespace staticnn::winograd_test {

constexpr Conv2dGeometry conv3x3(Shape in, int out_c, int pad = 1) {
  return {in, {out_c, in.h + 2 * pad - 2, in.w + 2 * pad - 2}, {3, 1, pad}, {3, 1, pad}, 1,
          true};
}

std::string describe(const Conv2dGeometry& g) {
  return std::to_string(g.in.c) + "x" + std::to_string(g.in.h) + "x" + std::to_string(g.in.w) +
         " -> " + std::to_string(g.out.c) + " pad " + std::to_string(g.y.pad);
}

// |B^T| |d| |B| of every input channel and 4x4 tile of one sample of x, in
// double: [c][tile][16], tiles row by row.
std::vector<double> InputTransformMagnitude(const Conv2dGeometry& g, const double* x) {
  static constexpr double kB[4][4] = {{1, 0, 1, 0}, {0, 1, 1, 0}, {0, 1, 1, 0}, {0, 1, 0, 1}};
  const int tiles_y = (g.out.h + 1) / 2, tiles_x = (g.out.w + 1) / 2;
  std::vector<double> v(static_cast<std::size_t>(g.in.c) * tiles_y * tiles_x * 16);
  for (int c = 0; c < g.in.c; ++c) {
    for (int ty = 0; ty < tiles_y; ++ty) {
      for (int tx = 0; tx < tiles_x; ++tx) {
        double d[4][4];
        for (int i = 0; i < 4; ++i) {
          for (int j = 0; j < 4; ++j) {
            const int ih = 2 * ty + i - g.y.pad, iw = 2 * tx + j - g.x.pad;
            const bool inside = ih >= 0 && ih < g.in.h && iw >= 0 && iw < g.in.w;
            d[i][j] = inside ? std::abs(x[(c * g.in.h + ih) * g.in.w + iw]) : 0.0;
          }
        }
        double* out = &v[((static_cast<std::size_t>(c) * tiles_y + ty) * tiles_x + tx) * 16];
        for (int p = 0; p < 4; ++p) {
          for (int q = 0; q < 4; ++q) {
            double sum = 0;
            for (int i = 0; i < 4; ++i)
              for (int j = 0; j < 4; ++j) sum += kB[p][i] * d[i][j] * kB[q][j];
            out[p * 4 + q] = sum;
          }
        }
      }
    }
  }
  return v;
}

inline constexpr double kAbsG[4][3] = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, 0.5, 0.5}, {0, 0, 1}};
inline constexpr double kAbsAt[2][4] = {{1, 1, 1, 0}, {0, 1, 1, 1}};  // |A^T|

// S of every output of g (see the top of the file), in double: the Winograd
// algorithm run on |x|, |w|, |b| with the transforms' matrices in absolute value.
// w is [out.c][in.c][3][3].
std::vector<double> WinogradMagnitude(const Conv2dGeometry& g, const std::vector<double>& x,
                                      const std::vector<double>& w,
                                      const std::vector<double>& b) {
  const int tiles_y = (g.out.h + 1) / 2, tiles_x = (g.out.w + 1) / 2;
  const std::vector<double> v = InputTransformMagnitude(g, x.data());
  std::vector<double> s(g.out.size());
  std::vector<double> u(static_cast<std::size_t>(g.in.c) * 16);
  for (int co = 0; co < g.out.c; ++co) {
    for (int c = 0; c < g.in.c; ++c) {  // |G| |g| |G^T|
      const double* gw = &w[(static_cast<std::size_t>(co) * g.in.c + c) * 9];
      for (int p = 0; p < 4; ++p) {
        for (int q = 0; q < 4; ++q) {
          double sum = 0;
          for (int i = 0; i < 3; ++i)
            for (int j = 0; j < 3; ++j) sum += kAbsG[p][i] * std::abs(gw[i * 3 + j]) * kAbsG[q][j];
          u[c * 16 + p * 4 + q] = sum;
        }
      }
    }
    for (int ty = 0; ty < tiles_y; ++ty) {
      for (int tx = 0; tx < tiles_x; ++tx) {
        double m[16] = {};
        for (int c = 0; c < g.in.c; ++c) {
          const double* vc = &v[((static_cast<std::size_t>(c) * tiles_y + ty) * tiles_x + tx) * 16];
          for (int f = 0; f < 16; ++f) m[f] += u[c * 16 + f] * vc[f];
        }
        for (int a = 0; a < 2; ++a) {
          for (int e = 0; e < 2; ++e) {
            const int oh = 2 * ty + a, ow = 2 * tx + e;
            if (oh >= g.out.h || ow >= g.out.w) continue;
            double sum = b.empty() ? 0.0 : std::abs(b[co]);
            for (int p = 0; p < 4; ++p)
              for (int q = 0; q < 4; ++q) sum += kAbsAt[a][p] * m[p * 4 + q] * kAbsAt[e][q];
            s[(co * g.out.h + oh) * g.out.w + ow] = sum;
          }
        }
      }
    }
  }
  return s;
}

struct Errors {
  double worst_ratio = 0;     // max |error| / bound: must be <= 1
  double winograd = 0;        // max |error| / (eps * sum |w| |x|)
  double direct_float = 0;    // the same for a float sum in the oracle's order
  double amplification = 0;   // max S / sum |w| |x|
};

// Checks `actual` against `exact` with the bound (in_channels + 16) eps S.
Errors Measure(const char* what, const std::vector<float>& actual,
               const std::vector<double>& exact, const std::vector<double>& direct_magnitude,
               const std::vector<double>& winograd_magnitude, const std::vector<float>& direct,
               int in_channels) {
  const double eps = std::numeric_limits<float>::epsilon();
  Errors e;
  int reported = 0;
  for (std::size_t i = 0; i < exact.size(); ++i) {
    const double error = std::abs(double{actual[i]} - exact[i]);
    const double bound = (in_channels + 16) * eps * winograd_magnitude[i];
    if (!(error <= bound) && reported++ < 5) {  // also catches NaN
      ADD_FAILURE() << what << "[" << i << "] = " << actual[i] << ", expected " << exact[i]
                    << " (bound " << bound << ")";
    }
    const double scale = eps * direct_magnitude[i];
    if (scale == 0) continue;
    e.worst_ratio = std::max(e.worst_ratio, error / bound);
    e.winograd = std::max(e.winograd, error / scale);
    e.direct_float = std::max(e.direct_float, std::abs(double{direct[i]} - exact[i]) / scale);
    e.amplification = std::max(e.amplification, winograd_magnitude[i] / direct_magnitude[i]);
  }
  return e;
}

void Print(const char* what, const Conv2dGeometry& g, const char* target, const Errors& e) {
  std::printf("%-8s %-24s %-8s error/(eps*sum|w||x|): winograd %.2f, direct float %.2f; "
              "S/sum|w||x| <= %.2f; error/bound <= %.3f\n",
              target, describe(g).c_str(), what, e.winograd, e.direct_float, e.amplification,
              e.worst_ratio);
}

using Forward = void (*)(const float*, const float*, const float*, float*, float*);
using BackwardInput = void (*)(const float*, const float*, float*, float*);

Errors Worst(const Errors& a, const Errors& b) {
  return {std::max(a.worst_ratio, b.worst_ratio), std::max(a.winograd, b.winograd),
          std::max(a.direct_float, b.direct_float), std::max(a.amplification, b.amplification)};
}

// The forward and backward-input passes over `batch` samples (one call each,
// on conv2d_scratch_floats(g, batch) floats of scratch), every sample checked.
void Check(const Conv2dGeometry& g, int batch, Forward forward, BackwardInput backward_input,
           const char* target) {
  SCOPED_TRACE(describe(g) + " batch " + std::to_string(batch) + " on " + target);
  std::mt19937 rng(static_cast<unsigned>(g.in.size() * 7 + g.out.c + batch));
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  auto random = [&](int n) {
    std::vector<float> v(n);
    for (float& f : v) f = dist(rng);
    return v;
  };
  auto to_double = [](const float* v, int n, bool absolute) {
    std::vector<double> d(n);
    for (int i = 0; i < n; ++i) d[i] = absolute ? std::abs(v[i]) : v[i];
    return d;
  };
  const int in = g.in.size(), out = g.out.size();
  const std::vector<float> x = random(batch * in), w = random(g.weight_count()),
                           b = random(g.out.c), dy = random(batch * out);
  const std::size_t scratch_floats = conv2d_scratch_floats(g, batch);
  // Outputs and scratch are followed by kGuard NaNs that must stay NaN.
  constexpr int kGuard = 64;
  auto guard_intact = [](const float* end) {
    return std::all_of(end, end + kGuard, [](float f) { return std::isnan(f); });
  };
  std::vector<float> scratch_storage(scratch_floats + 16 + kGuard, std::nanf(""));
  float* scratch = scratch_storage.data();
  while (reinterpret_cast<std::uintptr_t>(scratch) % 64 != 0) ++scratch;
  const std::vector<double> wd = to_double(w.data(), w.size(), false),
                            bd = to_double(b.data(), b.size(), false),
                            wa = to_double(w.data(), w.size(), true),
                            ba = to_double(b.data(), b.size(), true);
  // Backward input is the Winograd convolution of dy with the flipped,
  // transposed kernel, whose magnitude S is computed on that kernel.
  const Conv2dGeometry t = conv2d_detail::winograd_transposed(g);
  std::vector<double> wt(w.size());
  for (int co = 0; co < g.out.c; ++co)
    for (int c = 0; c < g.in.c; ++c)
      for (int k = 0; k < 9; ++k) wt[(c * g.out.c + co) * 9 + k] = wd[(co * g.in.c + c) * 9 + 8 - k];

  std::vector<float> y(batch * out + kGuard, std::nanf("")), dx(batch * in + kGuard, std::nanf(""));
  forward(x.data(), w.data(), b.data(), y.data(), scratch);
  EXPECT_TRUE(guard_intact(y.data() + batch * out));
  backward_input(dy.data(), w.data(), dx.data(), scratch);
  EXPECT_TRUE(guard_intact(dx.data() + batch * in));
  EXPECT_TRUE(guard_intact(scratch + scratch_floats)) << "wrote past the scratch";

  Errors ey, edx;
  for (int s = 0; s < batch; ++s) {
    const float* xs = x.data() + s * in;
    const std::vector<double> xd = to_double(xs, in, false), xa = to_double(xs, in, true);
    const std::vector<float> ys(y.begin() + s * out, y.begin() + (s + 1) * out);
    std::vector<double> y_exact(out), y_direct_magnitude(out);
    std::vector<float> y_float(out);
    reference::conv2d_forward(g, xd.data(), wd.data(), bd.data(), y_exact.data());
    reference::conv2d_forward(g, xa.data(), wa.data(), ba.data(), y_direct_magnitude.data());
    reference::conv2d_forward(g, xs, w.data(), b.data(), y_float.data());
    ey = Worst(ey, Measure("y", ys, y_exact, y_direct_magnitude,
                           WinogradMagnitude(g, xd, wd, bd), y_float, g.in.c));

    const float* dys = dy.data() + s * out;
    const std::vector<double> dyd = to_double(dys, out, false), dya = to_double(dys, out, true);
    const std::vector<float> dxs(dx.begin() + s * in, dx.begin() + (s + 1) * in);
    std::vector<double> dx_exact(in), dx_direct_magnitude(in);
    std::vector<float> dx_float(in);
    reference::conv2d_backward_input(g, dyd.data(), wd.data(), dx_exact.data());
    reference::conv2d_backward_input(g, dya.data(), wa.data(), dx_direct_magnitude.data());
    reference::conv2d_backward_input(g, dys, w.data(), dx_float.data());
    edx = Worst(edx, Measure("dx", dxs, dx_exact, dx_direct_magnitude,
                             WinogradMagnitude(t, dyd, wt, {}), dx_float, g.out.c));
  }
  const std::string y_name = batch == 1 ? "y" : "y b" + std::to_string(batch);
  const std::string dx_name = batch == 1 ? "dx" : "dx b" + std::to_string(batch);
  Print(y_name.c_str(), g, target, ey);
  Print(dx_name.c_str(), g, target, edx);
}

// S of every weight gradient over a batch of x and dy (the bound on the
// weight gradient, below): the transposed algorithm run on |x| and |dy|,
//   S[co][ci] = |G^T| sum over samples and tiles of (|A| |dy| |A^T|)[co] .
//               (|B^T| |d| |B|)[ci] |G|.
std::vector<double> WeightGradMagnitude(const Conv2dGeometry& g, int batch,
                                        const std::vector<double>& x,
                                        const std::vector<double>& dy) {
  const int tiles_y = (g.out.h + 1) / 2, tiles_x = (g.out.w + 1) / 2, tiles = tiles_y * tiles_x;
  std::vector<double> m(static_cast<std::size_t>(g.out.c) * g.in.c * 16);
  std::vector<double> dyt(static_cast<std::size_t>(g.out.c) * tiles * 16);
  for (int s = 0; s < batch; ++s) {
    const std::vector<double> v = InputTransformMagnitude(g, x.data() + s * g.in.size());
    for (int co = 0; co < g.out.c; ++co) {
      for (int t = 0; t < tiles; ++t) {
        double e[2][2];  // |dy| of the tile, zero past the output
        for (int i = 0; i < 2; ++i) {
          for (int j = 0; j < 2; ++j) {
            const int oh = 2 * (t / tiles_x) + i, ow = 2 * (t % tiles_x) + j;
            e[i][j] = oh < g.out.h && ow < g.out.w
                          ? std::abs(dy[s * g.out.size() + (co * g.out.h + oh) * g.out.w + ow])
                          : 0.0;
          }
        }
        for (int p = 0; p < 4; ++p) {
          for (int q = 0; q < 4; ++q) {
            double sum = 0;
            for (int i = 0; i < 2; ++i)
              for (int j = 0; j < 2; ++j) sum += kAbsAt[i][p] * e[i][j] * kAbsAt[j][q];
            dyt[(static_cast<std::size_t>(co) * tiles + t) * 16 + p * 4 + q] = sum;
          }
        }
      }
    }
    for (int co = 0; co < g.out.c; ++co) {
      for (int ci = 0; ci < g.in.c; ++ci) {
        double* mc = &m[(static_cast<std::size_t>(co) * g.in.c + ci) * 16];
        for (int t = 0; t < tiles; ++t) {
          const double* a = &dyt[(static_cast<std::size_t>(co) * tiles + t) * 16];
          const double* b = &v[(static_cast<std::size_t>(ci) * tiles + t) * 16];
          for (int f = 0; f < 16; ++f) mc[f] += a[f] * b[f];
        }
      }
    }
  }
  std::vector<double> bound(g.weight_count());
  for (std::size_t pair = 0; pair < bound.size() / 9; ++pair) {
    for (int kh = 0; kh < 3; ++kh) {
      for (int kw = 0; kw < 3; ++kw) {
        double sum = 0;
        for (int p = 0; p < 4; ++p)
          for (int q = 0; q < 4; ++q) sum += kAbsG[p][kh] * m[pair * 16 + p * 4 + q] * kAbsG[q][kw];
        bound[pair * 9 + kh * 3 + kw] = sum;
      }
    }
  }
  return bound;
}

using WeightGrad = void (*)(const float* x, const float* dy, float* dw, float* scratch);

// The weight gradient of `batch` samples (one call, on `scratch_floats` of
// scratch, added to dw = 0.5 everywhere) against the scalar oracle in double.
// Bound: every M_f sums depth = batch * tiles products along an FMA chain per
// block of tiles, then adds the block's sums into M (one rounding per block,
// fewer blocks than tiles), so each term meets at most 2 * depth roundings
// there; B^T d B and A dy A^T add 2 each, the product 1, G^T M G 4 (the
// halvings are exact): (2 * depth + 9) eps S to first order; the test allows
// (2 * depth + 16) eps S, plus eps * |0.5 + dw| for the final addition.
void CheckWeightGrad(const Conv2dGeometry& g, int batch, std::size_t scratch_floats,
                     WeightGrad weight_grad, const char* target) {
  SCOPED_TRACE(describe(g) + " weight gradient, batch " + std::to_string(batch) + " on " +
               target);
  std::mt19937 rng(static_cast<unsigned>(g.in.size() * 5 + g.out.c + batch));
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> x(batch * g.in.size()), dy(batch * g.out.size());
  for (float& f : x) f = dist(rng);
  for (float& f : dy) f = dist(rng);
  constexpr int kGuard = 64;
  std::vector<float> scratch_storage(scratch_floats + 16 + kGuard, std::nanf(""));
  float* scratch = scratch_storage.data();
  while (reinterpret_cast<std::uintptr_t>(scratch) % 64 != 0) ++scratch;
  std::vector<float> dw(g.weight_count() + kGuard, std::nanf(""));
  std::fill(dw.begin(), dw.begin() + g.weight_count(), 0.5f);
  weight_grad(x.data(), dy.data(), dw.data(), scratch);
  auto guard_intact = [](const float* end) {
    return std::all_of(end, end + kGuard, [](float f) { return std::isnan(f); });
  };
  EXPECT_TRUE(guard_intact(dw.data() + g.weight_count()));
  EXPECT_TRUE(guard_intact(scratch + scratch_floats)) << "wrote past the scratch";

  const std::vector<double> xd(x.begin(), x.end()), dyd(dy.begin(), dy.end());
  std::vector<double> exact(g.weight_count()), direct_magnitude(g.weight_count()), db(g.out.c);
  std::vector<double> xa(xd.size()), dya(dyd.size());
  std::transform(xd.begin(), xd.end(), xa.begin(), [](double v) { return std::abs(v); });
  std::transform(dyd.begin(), dyd.end(), dya.begin(), [](double v) { return std::abs(v); });
  for (int s = 0; s < batch; ++s) {
    reference::conv2d_backward_params(g, xd.data() + s * g.in.size(),
                                      dyd.data() + s * g.out.size(), exact.data(), db.data());
    reference::conv2d_backward_params(g, xa.data() + s * g.in.size(),
                                      dya.data() + s * g.out.size(), direct_magnitude.data(),
                                      db.data());
  }
  const std::vector<double> s = WeightGradMagnitude(g, batch, xd, dyd);
  const double eps = std::numeric_limits<float>::epsilon();
  const int depth = batch * ((g.out.h + 1) / 2) * ((g.out.w + 1) / 2);
  double worst_ratio = 0, winograd = 0, amplification = 0;
  int reported = 0;
  for (std::size_t i = 0; i < exact.size(); ++i) {
    const double error = std::abs(double{dw[i]} - 0.5 - exact[i]);
    const double bound = (2 * depth + 16) * eps * s[i] + eps * std::abs(0.5 + exact[i]);
    if (!(error <= bound) && reported++ < 5) {  // also catches NaN
      ADD_FAILURE() << "dw[" << i << "] = " << dw[i] << ", expected 0.5 + " << exact[i]
                    << " (bound " << bound << ")";
    }
    worst_ratio = std::max(worst_ratio, error / bound);
    winograd = std::max(winograd, error / (eps * direct_magnitude[i]));
    amplification = std::max(amplification, s[i] / direct_magnitude[i]);
  }
  std::printf("%-8s %-24s dw b%-3d error/(eps*sum|dy||x|): winograd %.2f; "
              "S/sum|dy||x| <= %.2f; error/bound <= %.4f\n",
              target, describe(g).c_str(), batch, winograd, amplification, worst_ratio);
}

}  // namespace staticnn::winograd_test
#endif  // STATICNN_TESTS_CONV2D_WINOGRAD_TEST_HELPERS_

HWY_BEFORE_NAMESPACE();
namespace staticnn {
namespace HWY_NAMESPACE {

template <Conv2dGeometry G>
void CheckWinograd() {
  static_assert(conv2d_detail::winograd_pays(G) && conv2d_detail::winograd_input_pays(G),
                "a shape Winograd is selected for");
  winograd_test::Check(G, 1, &Conv2dForward<G>, &Conv2dBackwardInput<G>,
                       hwy::TargetName(HWY_TARGET));
}

// Over a batch: the weights transformed once, and smaller planes selected.
template <Conv2dGeometry G, int Batch>
void CheckWinogradBatch() {
  static_assert(conv2d_detail::winograd_pays(G, Batch) &&
                    conv2d_detail::winograd_input_pays(G, Batch),
                "a shape Winograd is selected for over a batch");
  winograd_test::Check(G, Batch, &Conv2dForward<G, Batch>, &Conv2dBackwardInput<G, Batch>,
                       hwy::TargetName(HWY_TARGET));
}

// The smallest selected planes and channel counts, CifarNet's and ResNet-8's
// selected layers, odd sizes (a partial last tile row and column, a short last
// row tile of channels), no padding and `full` padding, blocks of tiles that
// start and end mid-row (20x26: 13 tiles a row, blocks of 96).
void TestWinograd() {
  using winograd_test::conv3x3;
  CheckWinograd<conv3x3({16, 16, 16}, 16)>();
  CheckWinograd<conv3x3({16, 32, 32}, 16)>();
  CheckWinograd<conv3x3({32, 16, 16}, 64)>();
  CheckWinograd<conv3x3({32, 32, 32}, 32)>();
  CheckWinograd<conv3x3({17, 17, 19}, 19)>();
  CheckWinograd<conv3x3({16, 12, 31}, 24, 0)>();
  CheckWinograd<conv3x3({24, 14, 15}, 16, 2)>();
  CheckWinograd<conv3x3({16, 20, 26}, 16)>();
}

// Batches: blocks of several samples of a small plane (CifarNet's 64->128
// 8x8 layer: 3 samples a block, the last block short; a 7x9 plane, 20 tiles,
// with odd channel counts; 16 input channels),
// padding 0 and 2, and planes of several blocks per sample (one block of 64
// tiles, 6 samples, the last block of 1; 20x26: 169 tiles, blocks that start
// mid-row).
void TestWinogradBatch() {
  using winograd_test::conv3x3;
  static_assert(!conv2d_detail::winograd_pays(conv3x3({128, 8, 8}, 128)) &&
                    !conv2d_detail::winograd_pays(conv3x3({64, 8, 8}, 64), 16),
                "8x8 planes stay direct at batch 1, and over a batch with fewer channels");
  CheckWinogradBatch<conv3x3({64, 8, 8}, 128), 4>();
  CheckWinogradBatch<conv3x3({17, 7, 9}, 129), 3>();
  CheckWinogradBatch<conv3x3({16, 8, 8}, 128), 2>();
  CheckWinogradBatch<conv3x3({128, 10, 10}, 24, 0), 2>();
  CheckWinogradBatch<conv3x3({130, 6, 7}, 16, 2), 3>();
  CheckWinogradBatch<conv3x3({16, 16, 16}, 16), 7>();
  CheckWinogradBatch<conv3x3({16, 20, 26}, 16), 2>();
}

// The weight gradient by Winograd, called directly (any batch, selected or
// not), and, where it is selected, through Conv2dBackwardParams.
template <Conv2dGeometry G, int Batch>
void CheckWinogradWeightGrad() {
  const std::size_t floats = std::max<std::size_t>(
      conv2d_scratch_floats(G, Batch), conv2d_detail::winograd_weight_grad_plan(G, Batch).floats);
  winograd_test::CheckWeightGrad(
      G, Batch, floats,
      [](const float* x, const float* dy, float* dw, float* scratch) {
        conv2d_impl::WinogradWeightGrad<G, Batch>(x, dy, dw, scratch);
      },
      hwy::TargetName(HWY_TARGET));
  if constexpr (conv2d_detail::winograd_weight_grad_pays(G, Batch)) {
    winograd_test::CheckWeightGrad(
        G, Batch, conv2d_scratch_floats(G, Batch),
        [](const float* x, const float* dy, float* dw, float* scratch) {
          float db[G.out.c] = {};
          Conv2dBackwardParams<G, Batch>(x, dy, dw, db, scratch);
        },
        hwy::TargetName(HWY_TARGET));
  }
}

// CifarNet's 3x3 layers from 32 channels on (32x32 at batch 1: blocks of 96
// tiles that start and end mid-row; 8x8 at batch 16: blocks of several
// samples, the last one short), odd planes with padding 0 and 1 and channel
// counts that are not multiples of the lanes nor of the row tile.
void TestWinogradWeightGrad() {
  using winograd_test::conv3x3;
  CheckWinogradWeightGrad<conv3x3({32, 32, 32}, 32), 1>();
  CheckWinogradWeightGrad<conv3x3({32, 16, 16}, 64), 3>();
  CheckWinogradWeightGrad<conv3x3({64, 16, 16}, 64), 3>();
  CheckWinogradWeightGrad<conv3x3({64, 8, 8}, 128), 16>();
  CheckWinogradWeightGrad<conv3x3({128, 8, 8}, 128), 16>();
  CheckWinogradWeightGrad<conv3x3({17, 7, 9}, 19, 0), 3>();
  CheckWinogradWeightGrad<conv3x3({19, 9, 7}, 17), 1>();
  CheckWinogradWeightGrad<conv3x3({18, 11, 13}, 21), 5>();
}

}  // namespace HWY_NAMESPACE
}  // namespace staticnn
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace staticnn {
HWY_BEFORE_TEST(Conv2dWinogradTest);
HWY_EXPORT_AND_TEST_P(Conv2dWinogradTest, TestWinograd);
HWY_EXPORT_AND_TEST_P(Conv2dWinogradTest, TestWinogradBatch);
HWY_EXPORT_AND_TEST_P(Conv2dWinogradTest, TestWinogradWeightGrad);
}  // namespace staticnn
#endif
