# What staticnn's headers need, found the same way by the project and by its
# installed package (staticnnConfig.cmake):
#
#   Boost::headers          Boost.Hana (header-only)
#   staticnn::hwy_headers   Highway's headers: all that static dispatch needs
#   hwy::hwy, hwy::hwy_contrib
#                           Highway's libraries, if installed for the target
#                           (STATICNN_HWY_LIBRARIES_FOUND): dynamic dispatch, and
#                           HWY_DASSERT in builds without NDEBUG, call into them
#
# Debian has Highway and Boost packages for the host and for aarch64 (multiarch),
# none for arm-none-eabi. Their headers do not depend on the architecture, so a
# bare-metal build uses the host's /usr/include/{hwy,boost}; it cannot put
# /usr/include itself on its include path (the host's C library is there), so it
# gets a directory holding only those two.

find_package(hwy 1.0 CONFIG QUIET)
find_package(Boost 1.74 CONFIG QUIET)
set(STATICNN_HWY_LIBRARIES_FOUND ${hwy_FOUND})

# A directory in which `include <name>/...` finds <dir>/<name> and nothing else.
function(_staticnn_header_dir out name dir)
  set(farm ${CMAKE_BINARY_DIR}/staticnn-headers/${name})
  file(MAKE_DIRECTORY ${farm})
  file(CREATE_LINK ${dir}/${name} ${farm}/${name} SYMBOLIC)
  set(${out} ${farm} PARENT_SCOPE)
endfunction()

function(_staticnn_find_headers out name probe)
  find_path(STATICNN_${name}_INCLUDE_DIR ${probe}
            PATHS /usr/include /usr/local/include NO_CMAKE_FIND_ROOT_PATH)
  if(NOT STATICNN_${name}_INCLUDE_DIR)
    message(FATAL_ERROR "staticnn: ${probe} not found (Debian: apt-get install "
                        "libhwy-dev libboost-dev); set STATICNN_${name}_INCLUDE_DIR")
  endif()
  set(dir ${STATICNN_${name}_INCLUDE_DIR})
  if(NOT dir IN_LIST CMAKE_CXX_IMPLICIT_INCLUDE_DIRECTORIES)
    _staticnn_header_dir(dir ${name} ${dir})
  endif()
  set(${out} ${dir} PARENT_SCOPE)
endfunction()

if(NOT TARGET staticnn::hwy_headers)
  add_library(staticnn::hwy_headers INTERFACE IMPORTED)
  if(hwy_FOUND)
    get_target_property(dirs hwy::hwy INTERFACE_INCLUDE_DIRECTORIES)
  else()
    _staticnn_find_headers(dirs hwy hwy/highway.h)
  endif()
  set_target_properties(staticnn::hwy_headers PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${dirs}")
endif()

if(NOT TARGET Boost::headers)
  _staticnn_find_headers(dirs boost boost/hana.hpp)
  add_library(Boost::headers INTERFACE IMPORTED)
  set_target_properties(Boost::headers PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${dirs}")
endif()
