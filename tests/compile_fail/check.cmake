# Runs one compile-fail case: cmake -DCXX=... -DSOURCE=... -DMODE=fail|twin
#   -DSTD=-std=c++20 -DOWN_INCLUDE=<dir> -DINCLUDES=<a|b|...> -DIMPLICIT=<a|b|...>
#   -P check.cmake
#
# MODE=fail: the compiler must fail, print exactly one error, and its output
#   must match every `// expect: <regex>` line of SOURCE (CMake regex syntax).
#   With `// max-bytes: N`, the output besides the one line naming the
#   Network's type must be at most N bytes; with `// max-total-bytes: N`, the
#   whole output (paths counted from the project's directory) must be.
# MODE=twin: SOURCE compiled with -DSTATICNN_TWIN (the corrected network) must
#   compile without a diagnostic, warnings included.
# On a mismatch the compiler's output is printed, so the log says why.

foreach(var CXX SOURCE MODE STD OWN_INCLUDE)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "check.cmake: -D${var}=... is required")
  endif()
endforeach()

# Include directories: ours with -I (our headers must be warning-free), the
# dependencies' (Boost, Highway) with -isystem, the compiler's own left out
# (-isystem /usr/include would break #include_next in the standard library).
string(REPLACE "|" ";" includes "${INCLUDES}")
string(REPLACE "|" ";" implicit "${IMPLICIT}")
list(REMOVE_DUPLICATES includes)
if(implicit)
  list(REMOVE_ITEM includes ${implicit})
endif()
set(include_flags -I${OWN_INCLUDE})
foreach(dir IN LISTS includes)
  if(NOT dir STREQUAL OWN_INCLUDE)
    list(APPEND include_flags -isystem ${dir})
  endif()
endforeach()

set(flags ${STD} -fsyntax-only -Wall -Wextra ${include_flags})
if(MODE STREQUAL "twin")
  list(APPEND flags -DSTATICNN_TWIN)
endif()

# Plain ASCII quotes from g++, whatever the locale of the caller.
set(ENV{LC_ALL} C)
execute_process(COMMAND ${CXX} ${flags} ${SOURCE}
                RESULT_VARIABLE status
                OUTPUT_VARIABLE output
                ERROR_VARIABLE output)

get_filename_component(name ${SOURCE} NAME)
string(REGEX MATCHALL "error: " errors "${output}")
list(LENGTH errors error_count)
string(REGEX MATCHALL "\n" newlines "${output}")
list(LENGTH newlines line_count)

if(MODE STREQUAL "twin")
  if(NOT status EQUAL 0 OR NOT output STREQUAL "")
    message(FATAL_ERROR "${name}: the twin (-DSTATICNN_TWIN) must compile cleanly, "
                        "but the compiler said (exit ${status}):\n${output}")
  endif()
  message(STATUS "${name}: twin compiles")
  return()
endif()

if(status EQUAL 0)
  message(FATAL_ERROR "${name}: compiled, but must not:\n${output}")
endif()
file(STRINGS ${SOURCE} expect_lines REGEX "^// expect: ")
if(NOT expect_lines)
  message(FATAL_ERROR "${name}: no `// expect: <regex>` line")
endif()
foreach(line IN LISTS expect_lines)
  string(REGEX REPLACE "^// expect: " "" regex "${line}")
  if(NOT output MATCHES "${regex}")
    message(FATAL_ERROR "${name}: the compiler's output does not match\n  ${regex}\n"
                        "Output (exit ${status}):\n${output}")
  endif()
endforeach()
if(NOT error_count EQUAL 1)
  message(FATAL_ERROR "${name}: expected exactly one error, got ${error_count}:\n${output}")
endif()
# `// max-bytes: N`: the network's own type may be printed once (g++ names the
# class it instantiates); everything else together stays within N bytes.
file(STRINGS ${SOURCE} max_lines REGEX "^// max-bytes: ")
if(max_lines)
  string(REGEX REPLACE "^// max-bytes: " "" max_bytes "${max_lines}")
  string(REGEX MATCHALL "struct staticnn::Network<" network_mentions "${output}")
  list(LENGTH network_mentions mention_count)
  if(mention_count GREATER 1)
    message(FATAL_ERROR "${name}: the network's type is printed ${mention_count} times:\n${output}")
  endif()
  string(REGEX REPLACE "[^\n]*struct staticnn::Network<[^\n]*\n" "" rest "${output}")
  string(LENGTH "${rest}" rest_bytes)
  if(rest_bytes GREATER max_bytes)
    message(FATAL_ERROR "${name}: ${rest_bytes} bytes of diagnostic besides the network's "
                        "type, more than ${max_bytes}:\n${output}")
  endif()
endif()
# `// max-total-bytes: N`: all of it, the network's type included, with the
# project's directory left out of paths (it is the checkout's, not ours).
file(STRINGS ${SOURCE} total_lines REGEX "^// max-total-bytes: ")
if(total_lines)
  string(REGEX REPLACE "^// max-total-bytes: " "" max_total "${total_lines}")
  get_filename_component(project_dir ${OWN_INCLUDE} DIRECTORY)
  string(REPLACE "${project_dir}/" "" relative "${output}")
  string(LENGTH "${relative}" total_bytes)
  if(total_bytes GREATER max_total)
    message(FATAL_ERROR "${name}: ${total_bytes} bytes of diagnostic, more than ${max_total}:\n"
                        "${output}")
  endif()
endif()
message(STATUS "${name}: fails as expected: 1 error, ${line_count} lines of output")
