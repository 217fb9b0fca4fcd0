# Cortex-M7 with the double-precision FPU, e.g. QEMU's mps2-an500:
#   cmake -S . -B build-fw-m7 --toolchain cmake/toolchains/cortex-m7.cmake \
#         -DSTATICNN_BOARD=mps2-an500
# -mfp16-format=ieee: Highway's hwy/base.h uses __fp16, which GCC only
# accepts for this FPU once a half-precision format is chosen.
set(STATICNN_CPU cortex-m7)
set(STATICNN_CPU_FLAGS
    -mcpu=cortex-m7 -mthumb -mfloat-abi=hard -mfpu=fpv5-d16 -mfp16-format=ieee)
include(${CMAKE_CURRENT_LIST_DIR}/arm-none-eabi.cmake)
