# QEMU's mps3-an547: a Cortex-M55 (toolchain cmake/toolchains/cortex-m55.cmake).
set(STATICNN_BOARD_CPU cortex-m55)
set(STATICNN_BOARD_QEMU_MACHINE mps3-an547)
