# Builds examples/firmware_inference{,_exact} for a Cortex-M board, runs both
# under qemu-system-arm and compares their logits with the host's:
#   cmake -DSOURCE_DIR=<staticnn> -DBUILD_DIR=<dir> -DBOARD=<boards/ name>
#         -DTOOLCHAIN=<cmake/toolchains/cortex-*.cmake> -DHOST_EXACT=<host binary>
#         -DULP_BOUND=<n> -P firmware.cmake
# firmware_inference_exact must print the host's bits exactly;
# firmware_inference (FMA contraction) within ULP_BOUND units in the last place.
# Writes <BUILD_DIR>/report.txt: sizes and stack for tools/firmware-table.
foreach(var SOURCE_DIR BUILD_DIR BOARD TOOLCHAIN HOST_EXACT ULP_BOUND)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "firmware.cmake: -D${var}=... is required")
  endif()
endforeach()

execute_process(COMMAND ${CMAKE_COMMAND} -DSOURCE_DIR=${SOURCE_DIR} -DBUILD_DIR=${BUILD_DIR}
                        -DTOOLCHAIN=${TOOLCHAIN}
                        "-DARGS=-DSTATICNN_BOARD=${BOARD}\;-DSTATICNN_BUILD_TESTS=OFF"
                        "-DTARGETS=firmware_inference\;firmware_inference_exact"
                        -P ${CMAKE_CURRENT_LIST_DIR}/build.cmake
                RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "building the firmware for ${BOARD} failed")
endif()

include(${SOURCE_DIR}/boards/${BOARD}/board.cmake)  # STATICNN_BOARD_QEMU_MACHINE

# The logits' bits, in order, from a run's output.
function(logits out text)
  string(REGEX MATCHALL "logit [0-9]+: 0x[0-9a-f]+" lines "${text}")
  list(TRANSFORM lines REPLACE "logit [0-9]+: " "")
  list(LENGTH lines n)
  if(NOT n EQUAL 10)
    message(FATAL_ERROR "expected 10 logits, got ${n} in:\n${text}")
  endif()
  set(${out} ${lines} PARENT_SCOPE)
endfunction()

function(run_board out elf)
  execute_process(COMMAND qemu-system-arm -machine ${STATICNN_BOARD_QEMU_MACHINE} -nographic
                          -monitor none -serial none
                          -semihosting-config enable=on,target=native -kernel ${elf}
                  TIMEOUT 120 RESULT_VARIABLE status OUTPUT_VARIABLE output
                  ERROR_VARIABLE output)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "${elf} on ${BOARD} exited with ${status}:\n${output}")
  endif()
  message(STATUS "${BOARD}: ${elf}\n${output}")
  set(${out} "${output}" PARENT_SCOPE)
endfunction()

# Distance in units in the last place between two floats given by their bits:
# map each to an integer that is monotonic in the float's value.
function(ordered out bits)
  math(EXPR v "${bits}")
  if(v GREATER_EQUAL 2147483648)  # negative: -(magnitude)
    math(EXPR v "2147483648 - ${v}")
  endif()
  set(${out} ${v} PARENT_SCOPE)
endfunction()

execute_process(COMMAND ${HOST_EXACT} RESULT_VARIABLE status OUTPUT_VARIABLE host)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "${HOST_EXACT} failed (${status})")
endif()
logits(expected "${host}")

run_board(exact_out ${BUILD_DIR}/examples/firmware_inference_exact.elf)
logits(exact "${exact_out}")
if(NOT exact STREQUAL expected)
  message(FATAL_ERROR "${BOARD}: firmware_inference_exact's logits differ from the host's:\n"
                      "  board: ${exact}\n  host:  ${expected}")
endif()

run_board(fma_out ${BUILD_DIR}/examples/firmware_inference.elf)
logits(fma "${fma_out}")
set(max_ulp 0)
foreach(i RANGE 9)
  list(GET fma ${i} a)
  list(GET expected ${i} b)
  ordered(a ${a})
  ordered(b ${b})
  math(EXPR d "${a} - ${b}")
  if(d LESS 0)
    math(EXPR d "-(${d})")
  endif()
  if(d GREATER max_ulp)
    set(max_ulp ${d})
  endif()
endforeach()
if(max_ulp GREATER ULP_BOUND)
  message(FATAL_ERROR "${BOARD}: firmware_inference (FMA) is ${max_ulp} ULP from the host's "
                      "exact logits, more than ${ULP_BOUND}:\n  board: ${fma}\n"
                      "  host:  ${expected}")
endif()

# Sizes of the default build (the exact one differs by a few bytes of code).
execute_process(COMMAND arm-none-eabi-size -A ${BUILD_DIR}/examples/firmware_inference.elf
                OUTPUT_VARIABLE sizes)
foreach(section text rodata init_array ARM.exidx data bss heap stack)
  string(REGEX MATCH "\n\\.${section} +([0-9]+)" _ "${sizes}")
  set(${section} 0)
  if(CMAKE_MATCH_1)
    set(${section} ${CMAKE_MATCH_1})
  endif()
endforeach()
string(REGEX MATCH "stack high-water: ([0-9]+) bytes" _ "${fma_out}")
set(stack_used ${CMAKE_MATCH_1})
string(REGEX MATCH "parameters: ([0-9]+) bytes, workspace: ([0-9]+) bytes" _ "${fma_out}")
set(parameters ${CMAKE_MATCH_1})
set(workspace ${CMAKE_MATCH_2})
math(EXPR flash "${text} + ${rodata} + ${init_array} + ${ARM.exidx} + ${data}")
math(EXPR ram "${data} + ${bss}")
file(WRITE ${BUILD_DIR}/report.txt
     "board=${BOARD};flash=${flash};text=${text};rodata=${rodata};ram=${ram};bss=${bss};"
     "stack_used=${stack_used};stack_reserved=${stack};heap=${heap};fma_ulp=${max_ulp};"
     "parameters=${parameters};workspace=${workspace}\n")
message(STATUS "${BOARD}: bit-identical to the host without contraction; "
               "${max_ulp} ULP at most with FMA; flash ${flash} B, static RAM ${ram} B, "
               "stack ${stack_used} B used")
