# Configures (once) and builds a cross build tree:
#   cmake -DSOURCE_DIR=<staticnn> -DBUILD_DIR=<dir> -DTOOLCHAIN=<file>
#         [-DARGS=<-Dx=y;...>] [-DTARGETS=<t1;t2>] -P build.cmake
foreach(var SOURCE_DIR BUILD_DIR TOOLCHAIN)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "build.cmake: -D${var}=... is required")
  endif()
endforeach()

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE status)
  if(NOT status EQUAL 0)
    string(REPLACE ";" " " command "${ARGN}")
    message(FATAL_ERROR "failed (exit ${status}): ${command}")
  endif()
endfunction()

run(${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${BUILD_DIR} --toolchain ${TOOLCHAIN}
    -DCMAKE_BUILD_TYPE=Release -DSTATICNN_BUILD_BENCHMARKS=OFF ${ARGS})
set(target_args "")
if(TARGETS)
  set(target_args --target ${TARGETS})
endif()
run(${CMAKE_COMMAND} --build ${BUILD_DIR} -j2 ${target_args})
