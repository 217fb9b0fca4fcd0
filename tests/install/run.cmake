# cmake -DBUILD_DIR=<main build> -DCONSUMER_DIR=<tests/install> -DWORK_DIR=<scratch>
#       -DCXX=<compiler> -DGENERATOR=<generator> -P run.cmake
foreach(var BUILD_DIR CONSUMER_DIR WORK_DIR CXX GENERATOR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run.cmake: -D${var}=... is required")
  endif()
endforeach()

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE status
                  OUTPUT_VARIABLE output ERROR_VARIABLE output)
  if(NOT status EQUAL 0)
    string(REPLACE ";" " " command "${ARGN}")
    message(FATAL_ERROR "failed (exit ${status}): ${command}\n${output}")
  endif()
  message(STATUS "ok: ${ARGV0} ${ARGV1} ${ARGV2}\n${output}")
endfunction()

set(prefix ${WORK_DIR}/prefix)
set(consumer_build ${WORK_DIR}/consumer)
file(REMOVE_RECURSE ${WORK_DIR})

run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})
foreach(installed include/staticnn/staticnn.hpp)
  if(NOT EXISTS ${prefix}/${installed})
    message(FATAL_ERROR "cmake --install did not install ${installed}")
  endif()
endforeach()
file(GLOB_RECURSE config_files ${prefix}/*/staticnnConfig.cmake)
if(NOT config_files)
  message(FATAL_ERROR "cmake --install did not install staticnnConfig.cmake")
endif()

run(${CMAKE_COMMAND} -S ${CONSUMER_DIR} -B ${consumer_build} -G ${GENERATOR}
    -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_BUILD_TYPE=Release)
# The consumer must have found the installed copy, not the source tree.
file(STRINGS ${consumer_build}/CMakeCache.txt staticnn_dir REGEX "^staticnn_DIR:")
if(NOT staticnn_dir MATCHES "^staticnn_DIR:PATH=${prefix}/")
  message(FATAL_ERROR "found staticnn elsewhere than ${prefix}: ${staticnn_dir}")
endif()
run(${CMAKE_COMMAND} --build ${consumer_build})
run(${consumer_build}/app)
