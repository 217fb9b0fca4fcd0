// dlib peer for the staticnn benchmarks: the same networks as tools/peers/models.py,
// timed with the same protocol as tools/peers/timing.py, single-threaded.
//
// Built and run by tools/peers/run_peers.py (not part of the main CMake project):
//   g++ -std=c++17 -O3 -DNDEBUG dlib_bench.cc $(pkg-config --cflags --libs dlib-1)
// usage: dlib_bench CASE...   prints a JSON list of results on stdout.
//
// dlib's CPU backend (libdlib.so) runs convolution as im2col + cblas_sgemm and fully
// connected layers as cblas_sgemm, so the BLAS behind libblas.so.3 does the heavy
// lifting; every other dlib DNN CPU kernel is a plain single-threaded loop. The thread
// count of the process is reported to show that nothing else runs.

#include <dlib/dnn.h>
#include <dlib/revision.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using namespace dlib;

// ---- Networks (dlib lists layers from output to input) -------------------------------
// dlib's con<> alias pads kernel/2 at stride 1 ("same"), which is wrong for LeNet's second
// convolution, so the padding is spelled out with con_<filters, kh, kw, stride_y, stride_x,
// pad_y, pad_x>. max_pool<kh, kw, stride_y, stride_x> pads 0 at stride 2.
template <long Filters, long Kernel, int Padding, typename SUBNET>
using padded_con = add_layer<con_<Filters, Kernel, Kernel, 1, 1, Padding, Padding>, SUBNET>;

template <typename SUBNET>
using lenet_layers =
    fc<10, relu<fc<84, relu<fc<120,
    max_pool<2, 2, 2, 2, relu<padded_con<16, 5, 0,
    max_pool<2, 2, 2, 2, relu<padded_con<6, 5, 2, SUBNET>>>>>>>>>>>;
using lenet = lenet_layers<input<matrix<float>>>;
using lenet_with_loss = loss_multiclass_log<lenet>;

template <long Filters, typename SUBNET>
using conv3x3_relu = relu<padded_con<Filters, 3, 1, SUBNET>>;
template <long Filters, typename SUBNET>
using cifar_block = max_pool<2, 2, 2, 2, conv3x3_relu<Filters, conv3x3_relu<Filters, SUBNET>>>;
// The input layer only fixes the input type for to_tensor(); the benchmarks call
// forward() on a ready tensor, whose channel count sets up the first convolution.
using cifarnet = fc<10, cifar_block<128, cifar_block<64, cifar_block<32, input<matrix<float>>>>>>;

using conv3x3_64 = padded_con<64, 3, 1, input<matrix<float>>>;
using lecture_conv = padded_con<10, 5, 2, input<matrix<float>>>;

// ---- Timing (same protocol as timing.py) ----------------------------------------------
constexpr double kMinLoopSeconds = 0.2;
constexpr int kRepeats = 7;
constexpr double kWarmupSeconds = 0.1;

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double loop(const std::function<void()>& fn, long n) {
  const auto start = std::chrono::steady_clock::now();
  for (long i = 0; i < n; ++i) fn();
  return seconds_since(start);
}

struct Timing {
  double median;
  std::string summary;
};

Timing time_per_call(const std::function<void()>& fn) {
  for (int i = 0; i < 3; ++i) fn();
  const auto warmup_start = std::chrono::steady_clock::now();
  while (seconds_since(warmup_start) < kWarmupSeconds) fn();
  long n = 1;
  for (;;) {
    const double elapsed = loop(fn, n);
    if (elapsed >= kMinLoopSeconds) break;
    n = std::max(n * 2, static_cast<long>(n * 1.2 * kMinLoopSeconds / std::max(elapsed, 1e-9)));
  }
  std::vector<double> per_call;
  for (int r = 0; r < kRepeats; ++r) per_call.push_back(loop(fn, n) / n);
  std::vector<double> sorted = per_call;
  std::sort(sorted.begin(), sorted.end());
  std::ostringstream summary;
  summary.precision(3);
  summary << "median of " << kRepeats << " loops x " << n << " calls (min " << sorted.front()
          << " s, max " << sorted.back() << " s)";
  return {sorted[kRepeats / 2], summary.str()};
}

// ---- Environment facts for the note ----------------------------------------------------
std::string loaded_blas() {
  std::ifstream maps("/proc/self/maps");
  std::set<std::string> found;
  for (std::string line; std::getline(maps, line);) {
    const auto slash = line.find('/');
    if (slash == std::string::npos) continue;
    const std::filesystem::path path = line.substr(slash);
    const std::string file = path.filename().string();
    if (file.rfind("libblas", 0) == 0 || file.rfind("libopenblas", 0) == 0)
      found.insert((path.parent_path().filename() / path.filename()).string());
  }
  std::string joined;
  for (const auto& p : found) joined += (joined.empty() ? "" : ", ") + p;
  return joined.empty() ? "none" : joined;
}

long thread_count() {
  long count = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/task"))
    ++count;
  return count;
}

std::string shape_of(const tensor& t) {
  std::ostringstream s;
  s << t.num_samples() << "x" << t.k() << "x" << t.nr() << "x" << t.nc();
  return s.str();
}

// A checksum that lets runs with different BLAS libraries be compared. dlib draws its
// initial weights from a process-wide generator, so it matches only between runs of the
// same case list.
double sum_of(const tensor& t) {
  double sum = 0;
  for (const float v : t) sum += v;
  return sum;
}

// ---- Cases --------------------------------------------------------------------------------
void fill_normal(tensor& t, dlib::rand& rng) {
  for (auto& v : t) v = static_cast<float>(rng.get_random_gaussian());
}

// forward(tensor) needs the sample expansion factor that to_tensor() sets (1 here).
template <typename Net>
void prime_input_layer(Net& net) {
  matrix<float> dummy(1, 1);
  dummy = 0;
  resizable_tensor unused;
  net.to_tensor(&dummy, &dummy + 1, unused);
}

struct Result {
  double seconds;
  std::string note;
};

template <typename Net>
Result time_inference(long n, long k, long rows, long cols) {
  Net net;
  prime_input_layer(net);
  dlib::rand rng(0);
  resizable_tensor x(n, k, rows, cols);
  fill_normal(x, rng);
  float sink = 0;
  const tensor& out = net.forward(x);  // first call sets up (allocates) the layers
  const Timing t = time_per_call([&] { sink += net.forward(x).host()[0]; });
  std::ostringstream note;
  note << "net.forward(tensor) on a batch-" << n << " tensor; output " << shape_of(out)
       << " (sum " << sum_of(net.forward(x)) << "), " << count_parameters(net)
       << " parameters; " << t.summary;
  if (sink == 12345.678f) std::cerr << "";  // keeps the results observable
  return {t.median, note.str()};
}

Result time_lenet_training() {
  lenet_with_loss net;
  prime_input_layer(net);
  dlib::rand rng(0);
  constexpr long batch = 64;
  resizable_tensor x(batch, 1, 28, 28);
  fill_normal(x, rng);
  std::vector<unsigned long> labels(batch);
  for (auto& label : labels) label = rng.get_random_32bit_number() % 10;
  // dlib's sgd: v = momentum*v - lr*(weight_decay*w + grad); w += v. With no weight
  // decay and a constant learning rate this is PyTorch's SGD(lr, momentum) exactly.
  std::vector<sgd> solvers(lenet_with_loss::num_computational_layers, sgd(0.0f, 0.9f));
  auto step = [&] {
    net.compute_parameter_gradients(x, labels.begin());  // forward + mean loss + backward
    net.update_parameters(solvers, 0.01);
  };
  const double first_loss = net.compute_parameter_gradients(x, labels.begin());
  net.update_parameters(solvers, 0.01);
  const Timing t = time_per_call(step);
  return {t.median,
          "compute_parameter_gradients (forward + loss_multiclass_log (mean) + backward, which "
          "in dlib also computes the input gradient of the first conv) + update_parameters "
          "with sgd(weight_decay 0, momentum 0.9), lr 0.01; first loss " +
              std::to_string(first_loss) + ", " + std::to_string(count_parameters(net)) +
              " parameters; " + t.summary};
}

Result run_case(const std::string& name) {
  if (name == "lenet5_infer_b1") return time_inference<lenet>(1, 1, 28, 28);
  if (name == "lenet5_train_b64") return time_lenet_training();
  if (name == "cifar_infer_b1") return time_inference<cifarnet>(1, 3, 32, 32);
  if (name == "conv3x3_64x56x56_fwd") return time_inference<conv3x3_64>(1, 64, 56, 56);
  if (name == "lecture_conv_fwd") return time_inference<lecture_conv>(1, 3, 32, 32);
  throw std::runtime_error("unknown case " + name);
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

int main(int argc, char** argv) {
  const std::string engine = std::getenv("STATICNN_PEERS_ENGINE_LABEL")
                                 ? std::getenv("STATICNN_PEERS_ENGINE_LABEL")
                                 : "dlib";
  std::vector<std::string> entries;
  for (int i = 1; i < argc; ++i) {
    const std::string name = argv[i];
    std::cerr << "[dlib_bench] " << engine << " / " << name << " ...\n";
    std::string seconds = "null";
    std::string note;
    try {
      const Result r = run_case(name);
      char buffer[64];
      std::snprintf(buffer, sizeof buffer, "%.9g", r.seconds);
      seconds = buffer;
      note = "dlib " + std::to_string(DLIB_MAJOR_VERSION) + "." +
             std::to_string(DLIB_MINOR_VERSION) + " (Debian libdlib), CPU backend; " + r.note +
             "; BLAS loaded: " + loaded_blas() +
             "; process threads: " + std::to_string(thread_count());
      std::cerr << "[dlib_bench] " << engine << " / " << name << ": " << seconds << " s\n";
    } catch (const std::exception& e) {
      note = std::string("failed: ") + e.what();
      std::cerr << "[dlib_bench] " << note << "\n";
    }
    entries.push_back("{\"case\": " + json_string(name) + ", \"engine\": " + json_string(engine) +
                      ", \"median_seconds\": " + seconds + ", \"note\": " + json_string(note) +
                      "}");
  }
  std::cout << "[";
  for (size_t i = 0; i < entries.size(); ++i) std::cout << (i ? ", " : "") << entries[i];
  std::cout << "]\n";
}
