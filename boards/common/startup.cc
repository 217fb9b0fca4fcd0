// Startup of the Cortex-M QEMU boards: the vector table, the reset handler
// (FPU on, .data copied from flash, .bss zeroed, the stack painted), main, and
// the exit code handed to QEMU through semihosting. Everything a port to a real
// chip replaces is here and in the board's memory.ld; the library needs nothing
// from it.
#include <cstdint>
#include <cstdio>

extern "C" {
// From cortex-m.ld.
extern std::uint32_t __data_load[], __data_start[], __data_end[];
extern std::uint32_t __bss_start__[], __bss_end__[];
extern std::uint32_t __stack_limit[], __stack_top[];
int main();
void initialise_monitor_handles();  // newlib's rdimon: stdio over semihosting
void __libc_init_array();
[[noreturn]] void Reset_Handler();
[[noreturn]] void Fault_Handler();
}

namespace {

constexpr std::uint32_t kStackPaint = 0xDEADBEEF;

// SYS_EXIT_EXTENDED: QEMU exits with `code` (plain SYS_EXIT on 32-bit Arm
// cannot carry one).
[[noreturn]] void SemihostingExit(int code) {
  volatile std::uint32_t block[2] = {0x20026 /* ADP_Stopped_ApplicationExit */,
                                     static_cast<std::uint32_t>(code)};
  register std::uint32_t op asm("r0") = 0x20;
  register volatile std::uint32_t* arg asm("r1") = block;
  asm volatile("bkpt 0xab" : "+r"(op) : "r"(arg) : "memory");
  for (;;) {
  }
}

// Bytes of the stack ever written: the painted words left untouched are free.
std::uint32_t StackHighWater() {
  const std::uint32_t* p = __stack_limit;
  while (p < __stack_top && *p == kStackPaint) ++p;
  return static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(__stack_top) -
                                    reinterpret_cast<std::uintptr_t>(p));
}

}  // namespace

extern "C" [[noreturn]] void Reset_Handler() {
  // Full access to CP10/CP11 (the FPU, and Helium on M55) before any float code.
  volatile std::uint32_t& cpacr = *reinterpret_cast<volatile std::uint32_t*>(0xE000ED88);
  cpacr = cpacr | (0xFu << 20);
  asm volatile("dsb\n\tisb" ::: "memory");
  for (std::uint32_t *from = __data_load, *to = __data_start; to < __data_end;) *to++ = *from++;
  for (std::uint32_t* p = __bss_start__; p < __bss_end__;) *p++ = 0;
  // Paint the stack below this frame, leaving a margin for this function's own use.
  std::uint32_t* const here = static_cast<std::uint32_t*>(__builtin_frame_address(0)) - 64;
  for (std::uint32_t* p = __stack_limit; p < here;) *p++ = kStackPaint;

  initialise_monitor_handles();
  __libc_init_array();
  const int code = main();
  std::printf("stack high-water: %lu bytes\n", static_cast<unsigned long>(StackHighWater()));
  std::fflush(stdout);
  SemihostingExit(code);
}

// Any fault or unexpected interrupt: exit with 100 + the exception number.
extern "C" [[noreturn]] void Fault_Handler() {
  std::uint32_t ipsr;
  asm volatile("mrs %0, ipsr" : "=r"(ipsr));
  SemihostingExit(100 + static_cast<int>(ipsr & 0x1FF));
}

namespace {
using Handler = void (*)();
struct VectorTable {
  void* initial_sp;
  Handler handlers[15];  // Reset, NMI, HardFault, ..., SysTick
};
}  // namespace

// Placed first in flash by cortex-m.ld (KEEP: nothing references it).
extern "C" __attribute__((section(".vectors"), used)) const VectorTable vector_table = {
    __stack_top,
    {Reset_Handler, Fault_Handler, Fault_Handler, Fault_Handler, Fault_Handler,
     Fault_Handler, Fault_Handler, nullptr, nullptr, nullptr, Fault_Handler, Fault_Handler,
     nullptr, Fault_Handler, Fault_Handler}};
