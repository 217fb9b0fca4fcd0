# Bare-metal Arm Cortex-M with Debian's gcc-arm-none-eabi, newlib-nano and
# libstdc++-arm-none-eabi-newlib. Not used directly: cortex-m4.cmake,
# cortex-m7.cmake and cortex-m55.cmake set STATICNN_CPU_FLAGS and include it.
#
# Highway has no SIMD target for Cortex-M (Helium/MVE is not one of its
# targets): kernels compile for HWY_SCALAR. Exceptions and RTTI are off; the
# library uses neither.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_CXX_COMPILER arm-none-eabi-g++)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)  # no board to link for yet

string(JOIN " " STATICNN_CPU_FLAGS ${STATICNN_CPU_FLAGS})
set(CMAKE_C_FLAGS_INIT "${STATICNN_CPU_FLAGS} -ffunction-sections -fdata-sections")
set(CMAKE_CXX_FLAGS_INIT
    "${STATICNN_CPU_FLAGS} -ffunction-sections -fdata-sections -fno-exceptions -fno-rtti")
set(CMAKE_EXE_LINKER_FLAGS_INIT "--specs=nano.specs -Wl,--gc-sections")
# Size over speed: what a firmware build wants by default. A cache entry, not
# CMAKE_CXX_FLAGS_RELEASE_INIT, to which CMake's GNU module appends -O3 (the
# last -O wins: Release firmware was -O3).
set(CMAKE_CXX_FLAGS_RELEASE "-Os -DNDEBUG" CACHE STRING "Flags of Release builds")

set(CMAKE_FIND_ROOT_PATH /usr/lib/arm-none-eabi)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
