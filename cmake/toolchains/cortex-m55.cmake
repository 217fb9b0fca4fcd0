# Cortex-M55 (Armv8.1-M, FPU and Helium), e.g. QEMU's mps3-an547:
#   cmake -S . -B build-fw-m55 --toolchain cmake/toolchains/cortex-m55.cmake \
#         -DSTATICNN_BOARD=mps3-an547
# Highway 1.0.3 has no Helium target: the kernels are scalar here too (GCC may
# still auto-vectorize some loops with MVE).
set(STATICNN_CPU cortex-m55)
set(STATICNN_CPU_FLAGS -mcpu=cortex-m55 -mthumb -mfloat-abi=hard)
include(${CMAKE_CURRENT_LIST_DIR}/arm-none-eabi.cmake)
