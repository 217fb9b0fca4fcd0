# Builds the examples for aarch64 and checks LeNet-5's firmware bits against
# the host's:
#   cmake -DSOURCE_DIR=<staticnn> -DBUILD_DIR=<dir> -DHOST_DIR=<host build's examples/>
#         -DULP_BOUND=<n> -P aarch64_examples.cmake
# - The examples compile (g++ 12 once crashed on mlperf_tiny.cc for aarch64,
#   see there). The dynamic-dispatch ones are built in a tree of their own for
#   the baseline target only (HWY_COMPILE_ONLY_STATIC), which is the examples'
#   own code: the kernels of every aarch64 target are cross.aarch64.build's.
# - firmware_inference_exact (Highway's SCALAR, no FMA contraction) prints the
#   host's bits exactly, on a NEON-only CPU (cortex-a53) and on QEMU's max CPU.
# - firmware_inference_neon and firmware_inference_sve (Highway's NEON and SVE,
#   no contraction) print the same bits on cortex-a53 (NEON) and under -cpu max
#   at SVE lengths of 128, 256 and 512 bits; they are within ULP_BOUND of the
#   host's: Highway's MulAdd is a fused multiply-add on aarch64 whatever
#   -ffp-contract says, so only the SCALAR build is bit-identical to the host.
cmake_minimum_required(VERSION 3.25)
foreach(var SOURCE_DIR BUILD_DIR HOST_DIR ULP_BOUND)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "aarch64_examples.cmake: -D${var}=... is required")
  endif()
endforeach()

set(toolchain ${SOURCE_DIR}/cmake/toolchains/aarch64-linux-gnu.cmake)
function(build dir args targets)
  execute_process(COMMAND ${CMAKE_COMMAND} -DSOURCE_DIR=${SOURCE_DIR} -DBUILD_DIR=${dir}
                          -DTOOLCHAIN=${toolchain} "-DARGS=-DSTATICNN_BUILD_TESTS=OFF;${args}"
                          "-DTARGETS=${targets}" -P ${CMAKE_CURRENT_LIST_DIR}/build.cmake
                  RESULT_VARIABLE status)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "building the examples for aarch64 failed (${targets})")
  endif()
endfunction()
build(${BUILD_DIR}/dynamic -DCMAKE_CXX_FLAGS=-DHWY_COMPILE_ONLY_STATIC
      "summary;mlperf_tiny;train_fashion_mnist")
set(BUILD_DIR ${BUILD_DIR}/firmware)
build(${BUILD_DIR} ""
      "firmware_inference_exact;firmware_inference_neon;firmware_inference_sve")

include(${CMAKE_CURRENT_LIST_DIR}/logits.cmake)  # logits, max_ulp

# Runs a program and returns its logits.
function(run_logits out)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE status OUTPUT_VARIABLE output
                  ERROR_VARIABLE output)
  string(REPLACE ";" " " command "${ARGN}")
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "${command} failed (${status}):\n${output}")
  endif()
  logits(bits "${output}")
  set(${out} "${bits}" PARENT_SCOPE)
endfunction()
function(qemu_logits out cpu program)
  run_logits(bits qemu-aarch64 -cpu ${cpu} -L /usr/aarch64-linux-gnu
             ${BUILD_DIR}/examples/${program})
  set(${out} "${bits}" PARENT_SCOPE)
endfunction()

run_logits(host ${HOST_DIR}/firmware_inference_exact)

foreach(cpu cortex-a53 max)
  qemu_logits(exact ${cpu} firmware_inference_exact)
  if(NOT exact STREQUAL host)
    message(FATAL_ERROR "firmware_inference_exact on aarch64 (-cpu ${cpu}) differs from the "
                        "host's:\n  aarch64: ${exact}\n  host:    ${host}")
  endif()
endforeach()
message(STATUS "aarch64: firmware_inference_exact bit-identical to the host "
               "(cortex-a53, max)")

qemu_logits(neon cortex-a53 firmware_inference_neon)
foreach(bits 128 256 512)
  math(EXPR bytes "${bits} / 8")
  foreach(program firmware_inference_neon firmware_inference_sve)
    qemu_logits(simd max,sve-default-vector-length=${bytes} ${program})
    if(NOT simd STREQUAL neon)
      message(FATAL_ERROR "${program} at ${bits}-bit SVE differs from NEON on cortex-a53:\n"
                          "  ${program}: ${simd}\n  NEON:    ${neon}")
    endif()
  endforeach()
endforeach()
max_ulp(ulp "${neon}" "${host}")
if(ulp GREATER ULP_BOUND)
  message(FATAL_ERROR "firmware_inference_neon is ${ulp} ULP from the host's exact logits, "
                      "more than ${ULP_BOUND}:\n  NEON: ${neon}\n  host: ${host}")
endif()
message(STATUS "aarch64: NEON and SVE (128, 256, 512 bits) bit-identical to each other, "
               "${ulp} ULP at most from the host's SCALAR build")
