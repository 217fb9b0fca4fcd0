// The exporter's round trips: PyTorch models, exported to ONNX by
// tools/make_export_data.py (tests/export/golden/<m>.onnx), go through
// tools/staticnn_export at build time into headers (<m>.hpp, and <m>_folded.hpp
// with --fold) that define the network type and its constexpr parameters; here
// they must
//   - be the network PyTorch counted: parameter and buffer counts and output
//     shape (static_assert against expected_counts.hpp, from PyTorch);
//   - fold as staticnn folds: the --fold type is fold_batch_norm_t of the
//     unfolded one (static_assert), and its values are fold_batch_norm's
//     (within one float32 rounding: both compute in double and round once,
//     with sqrt from Python's math and from fold.hpp's Newton iteration);
//   - compute PyTorch's eval() output on the committed input, folded and not:
//     |actual - pytorch| <= kTerms * eps * max|pytorch| + eps * |pytorch|, a
//     normwise bound of 1e-4 of the largest output. The largest error seen is
//     1.3e-5 of it (MobileNet; PyTorch's own float32 result is 1.6e-5 off its
//     float64 one), the others below 3e-6; a wrong layer or a misplaced weight
//     is off by O(1);
//   - and, written as safetensors (--safetensors), load with
//     staticnn::load_safetensors to the header's values, bit for bit.
// Static dispatch (the TU's own target), as firmware runs an exported model:
// one target keeps this TU's compile time in seconds.
#include <cfloat>
#include <cmath>
#include <cstring>
#include <string>
#include <type_traits>

#include "expected_counts.hpp"
#include "staticnn/fold.hpp"
#include "staticnn/io/safetensors.hpp"
#include "staticnn/passes.hpp"
#include "tests/golden.hpp"

#include "autoencoder.hpp"
#include "autoencoder_folded.hpp"
#include "blocks.hpp"
#include "blocks_folded.hpp"
#include "ds_cnn.hpp"
#include "ds_cnn_folded.hpp"
#include "lenet5.hpp"
#include "lenet5_folded.hpp"
#include "mobilenet_v1.hpp"
#include "mobilenet_v1_folded.hpp"
#include "resnet8.hpp"
#include "resnet8_folded.hpp"

namespace {

const bool kSummaryRegistered = staticnn::golden::RegisterSummary();

constexpr int kBatch = 2;
constexpr double kTerms = 1e-4 / FLT_EPSILON;

template <class Exported, class Expected>
constexpr bool counted_as_pytorch =
    Exported::param_count == Expected::param_count &&
    Exported::buffer_count == Expected::buffer_count &&
    Exported::output_shape == Expected::output_shape;

#define STATICNN_EXPORTED(m)                                                          \
  static_assert(counted_as_pytorch<m::Net, export_expected::m>, #m ": not PyTorch's"); \
  static_assert(std::is_same_v<m##_folded::Net, staticnn::fold_batch_norm_t<m::Net>>, \
                #m ": --fold is not fold_batch_norm_t")
STATICNN_EXPORTED(lenet5);
STATICNN_EXPORTED(blocks);
STATICNN_EXPORTED(ds_cnn);
STATICNN_EXPORTED(mobilenet_v1);
STATICNN_EXPORTED(resnet8);
STATICNN_EXPORTED(autoencoder);
#undef STATICNN_EXPORTED

template <class Net>
void ExpectPyTorchOutput(const std::string& name, const char* variant,
                         const typename Net::Parameters& p) {
  static staticnn::InferenceWorkspace<Net, kBatch> ws;  // static: MobileNet's is large
  const staticnn::golden::File f(name);
  const staticnn::Shape in = Net::input_shape, out = Net::output_shape;
  const std::vector<int> in_dims = in.h * in.w == 1
                                       ? std::vector<int>{kBatch, in.c}
                                       : std::vector<int>{kBatch, in.c, in.h, in.w};
  const float* y = staticnn::forward<Net, kBatch>(p, f.Get("x", in_dims).data(), ws);
  staticnn::golden::ExpectNear(name, std::string("y") + variant, "static", y,
                               f.Get("y", {kBatch, out.c}), kTerms, f.Scalar("y.mag"));
}

// The exporter's folded values against fold_batch_norm's from the unfolded ones.
template <class Net, class Folded>
void ExpectFoldedAsStaticnn(const std::string& name, const typename Net::Parameters& p,
                            const typename Folded::Parameters& exported) {
  static typename Folded::Parameters folded;  // static: up to 1 MB
  staticnn::fold_batch_norm_into<Net>(p, folded);
  int reported = 0;
  for (std::size_t i = 0; i < Folded::Parameters::size; ++i) {
    const float a = exported.values[i], r = folded.values[i];
    if (!(std::abs(a - r) <= FLT_EPSILON * std::abs(r)) && reported++ < 5) {
      ADD_FAILURE() << name << " folded parameter " << i << ": exporter " << a
                    << ", fold_batch_norm " << r;
    }
  }
  for (std::size_t i = 0; i < Folded::Parameters::buffer_size; ++i) {
    EXPECT_EQ(exported.buffers[i], folded.buffers[i]) << name << " buffer " << i;
  }
}

template <class Net>
void ExpectSafetensorsAsHeader(const std::string& file, const typename Net::Parameters& header) {
  static typename Net::Parameters loaded;
  staticnn::IoError error;
  const std::string path = std::string(STATICNN_EXPORTED_DIR) + "/" + file;
  ASSERT_EQ(staticnn::load_safetensors<Net>(loaded, path.c_str(), &error), staticnn::Status::ok)
      << path << ": " << error.tensor << ": " << error.reason;
  EXPECT_EQ(std::memcmp(loaded.values, header.values, sizeof loaded.values), 0) << file;
  EXPECT_EQ(std::memcmp(loaded.buffers, header.buffers, sizeof loaded.buffers), 0) << file;
}

TEST(ExportRoundTrip, SafetensorsHoldTheHeadersValues) {
  ExpectSafetensorsAsHeader<blocks::Net>("blocks.safetensors", blocks::parameters);
  ExpectSafetensorsAsHeader<blocks_folded::Net>("blocks_folded.safetensors",
                                                blocks_folded::parameters);
}

#define STATICNN_ROUND_TRIP(m)                                                      \
  TEST(ExportRoundTrip, m) {                                                        \
    ExpectPyTorchOutput<m::Net>(#m, "", m::parameters);                             \
    ExpectPyTorchOutput<m##_folded::Net>(#m, " (folded)", m##_folded::parameters);   \
    ExpectFoldedAsStaticnn<m::Net, m##_folded::Net>(#m, m::parameters,              \
                                                    m##_folded::parameters);        \
  }
STATICNN_ROUND_TRIP(lenet5)
STATICNN_ROUND_TRIP(blocks)
STATICNN_ROUND_TRIP(ds_cnn)
STATICNN_ROUND_TRIP(mobilenet_v1)
STATICNN_ROUND_TRIP(resnet8)
STATICNN_ROUND_TRIP(autoencoder)
#undef STATICNN_ROUND_TRIP

}  // namespace
