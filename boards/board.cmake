# Links a firmware executable for STATICNN_BOARD (a folder of boards/):
#   staticnn_board_executable(<target>)
# adds the startup code and linker script, newlib-nano with semihosting (rdimon:
# printf and the exit code go to the host through QEMU), a map file, and the
# QEMU command line as the target's CROSSCOMPILING_EMULATOR, so that
#   $<TARGET_PROPERTY:<target>,CROSSCOMPILING_EMULATOR> <target>.elf
# runs it. A port to a real chip replaces boards/common/startup.cc's exit and
# printf plumbing and the memory map, nothing else.
set(STATICNN_BOARDS_DIR ${CMAKE_CURRENT_LIST_DIR})

function(staticnn_board_executable target)
  set(dir ${STATICNN_BOARDS_DIR}/${STATICNN_BOARD})
  if(NOT STATICNN_BOARD OR NOT EXISTS ${dir}/board.cmake)
    file(GLOB boards RELATIVE ${STATICNN_BOARDS_DIR} ${STATICNN_BOARDS_DIR}/*/board.cmake)
    list(TRANSFORM boards REPLACE "/board.cmake" "")
    message(FATAL_ERROR "STATICNN_BOARD='${STATICNN_BOARD}': set it to one of: ${boards}")
  endif()
  include(${dir}/board.cmake)
  if(NOT STATICNN_CPU STREQUAL STATICNN_BOARD_CPU)
    message(FATAL_ERROR "board ${STATICNN_BOARD} has a ${STATICNN_BOARD_CPU}, the toolchain "
                        "builds for '${STATICNN_CPU}': use "
                        "cmake/toolchains/${STATICNN_BOARD_CPU}.cmake")
  endif()
  target_sources(${target} PRIVATE ${STATICNN_BOARDS_DIR}/common/startup.cc)
  target_link_options(${target} PRIVATE --specs=rdimon.specs -L${dir}
                      -T${STATICNN_BOARDS_DIR}/common/cortex-m.ld
                      -Wl,-Map=$<TARGET_FILE:${target}>.map)
  set_target_properties(${target} PROPERTIES
    SUFFIX .elf
    LINK_DEPENDS "${STATICNN_BOARDS_DIR}/common/cortex-m.ld;${dir}/memory.ld")
  find_program(STATICNN_QEMU_SYSTEM_ARM qemu-system-arm)
  if(STATICNN_QEMU_SYSTEM_ARM)
    set_target_properties(${target} PROPERTIES CROSSCOMPILING_EMULATOR
      "${STATICNN_QEMU_SYSTEM_ARM};-machine;${STATICNN_BOARD_QEMU_MACHINE};-nographic;-monitor;none;-serial;none;-semihosting-config;enable=on,target=native;-kernel")
  endif()
endfunction()
