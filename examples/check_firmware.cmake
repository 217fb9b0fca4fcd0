# Checks the firmware example: `lenet_weights` is an object in .rodata of the
# size of LeNet-5's parameters, and the binary runs and classifies.
execute_process(COMMAND objdump -t ${BINARY} OUTPUT_VARIABLE symbols RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "objdump failed on ${BINARY}")
endif()
string(REGEX MATCH "[^\n]*[ \t]lenet_weights\n" line "${symbols}")
if(NOT line MATCHES "\\.rodata[ \t]+0*3c440[ \t]")  # 61,706 floats, 64-byte aligned: 0x3c440 bytes
  message(FATAL_ERROR "lenet_weights is not a 246,848-byte object in .rodata: '${line}'")
endif()
execute_process(COMMAND ${BINARY} OUTPUT_VARIABLE out RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR NOT out MATCHES "class [0-9]\n$")
  message(FATAL_ERROR "firmware_inference failed (${rc}):\n${out}")
endif()
message(STATUS "lenet_weights in .rodata: ${line}")
