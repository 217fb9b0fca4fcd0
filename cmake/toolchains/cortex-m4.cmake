# Cortex-M4F (single-precision FPU), e.g. QEMU's mps2-an386:
#   cmake -S . -B build-fw-m4 --toolchain cmake/toolchains/cortex-m4.cmake \
#         -DSTATICNN_BOARD=mps2-an386
set(STATICNN_CPU cortex-m4)
set(STATICNN_CPU_FLAGS -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16)
include(${CMAKE_CURRENT_LIST_DIR}/arm-none-eabi.cmake)
