# Reading and comparing the logits the firmware examples print
# (examples/firmware.hpp: "logit <k>: 0x<bits> <decimal>"), for the -P scripts
# of tests/cross.

# The logits' bits, in order, from a run's output.
function(logits out text)
  string(REGEX MATCHALL "logit [0-9]+: 0x[0-9a-f]+" lines "${text}")
  list(TRANSFORM lines REPLACE "logit [0-9]+: " "")
  if(NOT lines)
    message(FATAL_ERROR "no logits in:\n${text}")
  endif()
  set(${out} ${lines} PARENT_SCOPE)
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
function(max_ulp out a b)
  list(LENGTH a n)
  list(LENGTH b m)
  if(NOT n EQUAL m)
    message(FATAL_ERROR "${n} logits against the host's ${m}")
  endif()
  set(max 0)
  foreach(x y IN ZIP_LISTS a b)
    ordered(u ${x})
    ordered(v ${y})
    math(EXPR d "${u} - ${v}")
    if(d LESS 0)
      math(EXPR d "-(${d})")
    endif()
    if(d GREATER max)
      set(max ${d})
    endif()
  endforeach()
  set(${out} ${max} PARENT_SCOPE)
endfunction()
