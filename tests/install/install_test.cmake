# Registers the CTest test install.find_package: install this build into a
# scratch prefix, then configure, build and run tests/install (a consumer that
# uses find_package(staticnn CONFIG REQUIRED)) against that prefix only.
add_test(NAME install.find_package
         COMMAND ${CMAKE_COMMAND}
                 -DBUILD_DIR=${PROJECT_BINARY_DIR}
                 -DCONSUMER_DIR=${PROJECT_SOURCE_DIR}/tests/install
                 -DWORK_DIR=${CMAKE_CURRENT_BINARY_DIR}/install_test
                 -DCXX=${CMAKE_CXX_COMPILER}
                 -DGENERATOR=${CMAKE_GENERATOR}
                 -P ${PROJECT_SOURCE_DIR}/tests/install/run.cmake)
set_tests_properties(install.find_package PROPERTIES LABELS install)
