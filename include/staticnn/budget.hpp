// What a network needs on a device, as compile-time constants, and a one-line
// check that it fits a RAM and flash budget.
//
//   static_assert(staticnn::fits_budget<LeNet, {.ram_bytes = 48 * 1024,
//                                               .flash_bytes = 512 * 1024}>);
//
// compiles when the network fits; otherwise the one error names the numbers:
//
//   In instantiation of 'struct staticnn::error::network_exceeds_ram_budget<
//     staticnn::error::inference_batch<1>, staticnn::error::needed_bytes<55808>,
//     staticnn::error::budget_bytes<49152>, staticnn::error::over_by_bytes<6656> >'
//   error: static assertion failed: staticnn: the network needs more RAM than the budget
//
// The sizes are those of the objects a program declares (clang 14 needs the
// spelled-out form staticnn::Budget{...}):
//   flash           Net::Parameters: the weights, baked into .rodata by
//                   write_weights_header (examples/bake_weights.cc)
//   inference RAM   Net::InferenceWorkspace<Batch>: activations and kernel scratch
//   training RAM    Net::TrainingWorkspace<Batch>, plus Parameters and Gradients in
//                   RAM; an optimizer's state comes on top (sizeof(AdamState<Net>))
// Neither counts code (.text), the C library, nor the stack: boards/ measures
// those per board, see README "Cross-building and firmware".
#pragma once

#include <cstddef>
#include <limits>
#include <type_traits>

#include "staticnn/diagnostics.hpp"
#include "staticnn/network.hpp"
#include "staticnn/storage.hpp"

namespace staticnn {

enum class BudgetMode { inference, training };

struct Budget {
  std::size_t ram_bytes = std::numeric_limits<std::size_t>::max();    // unchecked if left out
  std::size_t flash_bytes = std::numeric_limits<std::size_t>::max();  // unchecked if left out
  int batch = 1;
  BudgetMode mode = BudgetMode::inference;
};

template <class Net, int Batch = 1>
struct MemoryNeeds {
  static constexpr std::size_t flash_bytes = sizeof(typename Net::Parameters);
  static constexpr std::size_t inference_ram_bytes =
      sizeof(typename Net::template InferenceWorkspace<Batch>);
  static constexpr std::size_t training_ram_bytes =
      sizeof(typename Net::template TrainingWorkspace<Batch>) +
      sizeof(typename Net::Parameters) + sizeof(typename Net::Gradients);
  static constexpr std::size_t ram_bytes(BudgetMode mode) {
    return mode == BudgetMode::inference ? inference_ram_bytes : training_ram_bytes;
  }
};

namespace error {

template <int> struct inference_batch {};
template <int> struct training_batch {};
template <std::size_t> struct needed_bytes {};
template <std::size_t> struct budget_bytes {};
template <std::size_t> struct over_by_bytes {};

template <class Batch, class Needed, class Budget, class Over>
struct network_exceeds_ram_budget {
  static_assert(always_false<Batch>,
                "staticnn: the network needs more RAM than the budget (the workspace: "
                "activations and kernel scratch; for training also parameters and gradients)");
};

template <class Needed, class Budget, class Over>
struct network_exceeds_flash_budget {
  static_assert(always_false<Needed>,
                "staticnn: the network's parameters need more flash than the budget");
};

}  // namespace error

namespace detail {

template <class Net, Budget B>
constexpr bool check_budget() {
  using Needs = MemoryNeeds<Net, B.batch>;
  constexpr std::size_t ram = Needs::ram_bytes(B.mode);
  if constexpr (ram > B.ram_bytes) {
    using Batch = std::conditional_t<B.mode == BudgetMode::inference,
                                     error::inference_batch<B.batch>,
                                     error::training_batch<B.batch>>;
    // The struct's static_assert is the one error; the value stays true so that
    // a static_assert around fits_budget does not add a second one.
    return sizeof(error::network_exceeds_ram_budget<Batch, error::needed_bytes<ram>,
                                                    error::budget_bytes<B.ram_bytes>,
                                                    error::over_by_bytes<ram - B.ram_bytes>>) > 0;
  } else if constexpr (Needs::flash_bytes > B.flash_bytes) {
    return sizeof(error::network_exceeds_flash_budget<
                  error::needed_bytes<Needs::flash_bytes>, error::budget_bytes<B.flash_bytes>,
                  error::over_by_bytes<Needs::flash_bytes - B.flash_bytes>>) > 0;
  } else {
    return true;
  }
}

}  // namespace detail

// True, or a compile error naming the numbers (RAM is checked before flash).
template <class Net, Budget B>
inline constexpr bool fits_budget = detail::check_budget<Net, B>();

// The same comparison as a value, for code that picks a configuration.
template <class Net, Budget B>
inline constexpr bool fits_in =
    MemoryNeeds<Net, B.batch>::ram_bytes(B.mode) <= B.ram_bytes &&
    MemoryNeeds<Net, B.batch>::flash_bytes <= B.flash_bytes;

}  // namespace staticnn
