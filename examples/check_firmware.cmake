# Checks the firmware example: `lenet_weights` is an object in .rodata of the
# size of LeNet-5's Parameters (which the program prints), and the binary runs
# and classifies.
execute_process(COMMAND ${BINARY} OUTPUT_VARIABLE out RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR NOT out MATCHES "parameters: ([0-9]+) bytes, workspace: [0-9]+ bytes\nclass [0-9]\n$")
  message(FATAL_ERROR "firmware_inference failed (${rc}):\n${out}")
endif()
set(parameter_bytes ${CMAKE_MATCH_1})
if(parameter_bytes LESS 246824)  # 61,706 floats, plus any alignment
  message(FATAL_ERROR "LeNet-5's parameters cannot take ${parameter_bytes} bytes")
endif()
execute_process(COMMAND objdump -t ${BINARY} OUTPUT_VARIABLE symbols RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "objdump failed on ${BINARY}")
endif()
string(REGEX MATCH "[^\n]*[ \t]lenet_weights\n" line "${symbols}")
if(NOT line MATCHES "\\.rodata[ \t]+([0-9a-f]+)[ \t]")
  message(FATAL_ERROR "lenet_weights is not an object in .rodata: '${line}'")
endif()
math(EXPR symbol_bytes "0x${CMAKE_MATCH_1}")
if(NOT symbol_bytes EQUAL parameter_bytes)
  message(FATAL_ERROR "lenet_weights takes ${symbol_bytes} bytes of .rodata, "
                      "Parameters ${parameter_bytes}: '${line}'")
endif()
message(STATUS "lenet_weights: ${symbol_bytes} bytes in .rodata: ${line}")
