# Builds firmware examples for a Cortex-M board, runs them under
# qemu-system-arm and compares their logits with the host's:
#   cmake -DSOURCE_DIR=<staticnn> -DBUILD_DIR=<dir> -DBOARD=<boards/ name>
#         -DTOOLCHAIN=<cmake/toolchains/cortex-*.cmake> -DHOST_DIR=<host build's examples/>
#         [-DEXACT=<program,...>] [-DFMA=<program,...> -DULP_BOUND=<n>]
#         [-DINT8=<program,...>] [-DREPORT=<file name>] -P firmware.cmake
# For each program P of EXACT, P_exact must print the bits of the host's
# P_exact exactly; for each of FMA, P (FMA contraction) must be within
# ULP_BOUND units in the last place of them. For each int8 program P of INT8
# (which exits 1 unless its outputs are LiteRT's), P must print the int8
# outputs of the host's P: integer arithmetic gives the same bits whatever
# the Highway target.
# Writes <BUILD_DIR>/<REPORT> (default report.txt), a line per program: sizes
# and stack for tools/firmware-table (of P where it was built, else of P_exact).
cmake_minimum_required(VERSION 3.25)  # policies: IN_LIST
foreach(var SOURCE_DIR BUILD_DIR BOARD TOOLCHAIN HOST_DIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "firmware.cmake: -D${var}=... is required")
  endif()
endforeach()
if(FMA AND NOT DEFINED ULP_BOUND)
  message(FATAL_ERROR "firmware.cmake: -DULP_BOUND=... is required with -DFMA")
endif()
if(NOT REPORT)
  set(REPORT report.txt)
endif()

string(REPLACE "," ";" EXACT "${EXACT}")
string(REPLACE "," ";" FMA "${FMA}")
string(REPLACE "," ";" INT8 "${INT8}")
set(targets ${FMA} ${INT8})
foreach(program ${EXACT})
  list(APPEND targets ${program}_exact)
endforeach()
execute_process(COMMAND ${CMAKE_COMMAND} -DSOURCE_DIR=${SOURCE_DIR} -DBUILD_DIR=${BUILD_DIR}
                        -DTOOLCHAIN=${TOOLCHAIN}
                        "-DARGS=-DSTATICNN_BOARD=${BOARD}\;-DSTATICNN_BUILD_TESTS=OFF"
                        "-DTARGETS=${targets}"
                        -P ${CMAKE_CURRENT_LIST_DIR}/build.cmake
                RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "building the firmware for ${BOARD} failed")
endif()

include(${SOURCE_DIR}/boards/${BOARD}/board.cmake)  # STATICNN_BOARD_QEMU_MACHINE

include(${CMAKE_CURRENT_LIST_DIR}/logits.cmake)  # logits, max_ulp

function(run_host out program)
  execute_process(COMMAND ${HOST_DIR}/${program} RESULT_VARIABLE status OUTPUT_VARIABLE output)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "${HOST_DIR}/${program} failed (${status})")
  endif()
  set(${out} "${output}" PARENT_SCOPE)
endfunction()

function(run_board out program)
  set(elf ${BUILD_DIR}/examples/${program}.elf)
  execute_process(COMMAND qemu-system-arm -machine ${STATICNN_BOARD_QEMU_MACHINE} -nographic
                          -monitor none -serial none
                          -semihosting-config enable=on,target=native -kernel ${elf}
                  TIMEOUT 120 RESULT_VARIABLE status OUTPUT_VARIABLE output
                  ERROR_VARIABLE output)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "${elf} on ${BOARD} exited with ${status}:\n${output}")
  endif()
  string(REGEX REPLACE "((logit|output) [0-9]+: [^\n]*\n)+" "(outputs)\n" shown "${output}")
  message(STATUS "${BOARD}: ${program}\n${shown}")
  set(${out} "${output}" PARENT_SCOPE)
endfunction()

# Sizes of a program: flash, static RAM, stack used, what budget.hpp counts.
function(report program output)
  execute_process(COMMAND arm-none-eabi-size -A ${BUILD_DIR}/examples/${program}.elf
                  OUTPUT_VARIABLE sizes)
  foreach(section text rodata init_array ARM.exidx data bss heap stack)
    string(REGEX MATCH "\n\\.${section} +([0-9]+)" _ "${sizes}")
    set(${section} 0)
    if(CMAKE_MATCH_1)
      set(${section} ${CMAKE_MATCH_1})
    endif()
  endforeach()
  string(REGEX MATCH "stack high-water: ([0-9]+) bytes" _ "${output}")
  set(stack_used ${CMAKE_MATCH_1})
  string(REGEX MATCH "parameters: ([0-9]+) bytes, workspace: ([0-9]+) bytes" _ "${output}")
  set(parameters ${CMAKE_MATCH_1})
  set(workspace ${CMAKE_MATCH_2})
  math(EXPR flash "${text} + ${rodata} + ${init_array} + ${ARM.exidx} + ${data}")
  math(EXPR ram "${data} + ${bss}")
  file(APPEND ${BUILD_DIR}/${REPORT}
       "board=${BOARD};program=${program};flash=${flash};text=${text};rodata=${rodata};"
       "ram=${ram};bss=${bss};stack_used=${stack_used};stack_reserved=${stack};heap=${heap};"
       "fma_ulp=${fma_ulp};parameters=${parameters};workspace=${workspace}\n")
  message(STATUS "${BOARD}: ${program}: flash ${flash} B, static RAM ${ram} B, "
                 "stack ${stack_used} B used")
endfunction()

# An int8 program's outputs ("output <k>: <value> ..."), in order.
function(int8_outputs out text)
  string(REGEX MATCHALL "output [0-9]+: -?[0-9]+" lines "${text}")
  if(NOT lines)
    message(FATAL_ERROR "no int8 outputs in:\n${text}")
  endif()
  set(${out} ${lines} PARENT_SCOPE)
endfunction()

file(REMOVE ${BUILD_DIR}/${REPORT})
foreach(program ${EXACT})
  run_host(host ${program}_exact)
  logits(expected "${host}")
  run_board(exact_out ${program}_exact)
  logits(exact "${exact_out}")
  if(NOT exact STREQUAL expected)
    message(FATAL_ERROR "${BOARD}: ${program}_exact's logits differ from the host's:\n"
                        "  board: ${exact}\n  host:  ${expected}")
  endif()
  message(STATUS "${BOARD}: ${program}_exact: bit-identical to the host")
  set(fma_ulp "")
  set(sized ${program}_exact)
  set(sized_out "${exact_out}")
  if(program IN_LIST FMA)
    run_board(fma_out ${program})
    logits(fma "${fma_out}")
    max_ulp(fma_ulp "${fma}" "${expected}")
    if(fma_ulp GREATER ULP_BOUND)
      message(FATAL_ERROR "${BOARD}: ${program} (FMA) is ${fma_ulp} ULP from the host's "
                          "exact logits, more than ${ULP_BOUND}:\n  board: ${fma}\n"
                          "  host:  ${expected}")
    endif()
    message(STATUS "${BOARD}: ${program}: ${fma_ulp} ULP at most with FMA")
    set(sized ${program})
    set(sized_out "${fma_out}")
  endif()
  report(${sized} "${sized_out}")
endforeach()

foreach(program ${INT8})
  run_host(host ${program})
  int8_outputs(expected "${host}")
  run_board(output ${program})  # exits 1 unless they are LiteRT's
  int8_outputs(actual "${output}")
  if(NOT actual STREQUAL expected)
    message(FATAL_ERROR "${BOARD}: ${program}'s int8 outputs differ from the host's:\n"
                        "  board: ${actual}\n  host:  ${expected}")
  endif()
  message(STATUS "${BOARD}: ${program}: int8 outputs identical to LiteRT's and the host's")
  set(fma_ulp "")
  report(${program} "${output}")
endforeach()
