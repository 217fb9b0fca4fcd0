# QEMU's mps2-an386: a Cortex-M4 (toolchain cmake/toolchains/cortex-m4.cmake).
set(STATICNN_BOARD_CPU cortex-m4)
set(STATICNN_BOARD_QEMU_MACHINE mps2-an386)
