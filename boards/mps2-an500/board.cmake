# QEMU's mps2-an500: a Cortex-M7 (toolchain cmake/toolchains/cortex-m7.cmake).
set(STATICNN_BOARD_CPU cortex-m7)
set(STATICNN_BOARD_QEMU_MACHINE mps2-an500)
