# aarch64 Linux with Debian's cross compiler (g++-aarch64-linux-gnu):
#   cmake -S . -B build-aarch64 --toolchain cmake/toolchains/aarch64-linux-gnu.cmake
# Static dispatch needs only headers. Dynamic dispatch and the test suite also
# need Highway's (and GoogleTest's) aarch64 libraries, from Debian's multiarch:
#   dpkg --add-architecture arm64 && apt-get update
#   apt-get install libhwy-dev:arm64 libgtest-dev:arm64
# Programs and tests run under qemu-user when it is installed (CTest and the
# weight-baking step use CMAKE_CROSSCOMPILING_EMULATOR). QEMU's `-cpu max` has
# SVE and SVE2 at a default length of 512 bits; another length:
#   QEMU_CPU=max,sve-default-vector-length=32 ctest ...   (bytes: 256 bits)
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

find_program(STATICNN_QEMU_AARCH64 qemu-aarch64)
if(STATICNN_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${STATICNN_QEMU_AARCH64} -L /usr/aarch64-linux-gnu)
endif()
