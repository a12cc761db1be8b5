# The fuzz smoke test (included from the top CMakeLists.txt).  When clang
# can build a libFuzzer program, the harnesses of tests/fuzz/ are built with
# it as part of the build (an external project in <build>/fuzz) and the
# test `fuzz_smoke` runs each over its seed corpus and then fuzzes it for a
# few seconds (tests/fuzz/smoke.sh).  Otherwise nothing is registered and
# this says why.  Registered in the normal build only: the harnesses carry
# their own sanitizers, so the AR_SANITIZE build would only repeat them.
if(AR_SANITIZE)
  message(STATUS "fuzz smoke: registered in the non-sanitizer build only")
  return()
endif()
find_program(AR_CLANG NAMES clang clang-19 clang-18 clang-17 clang-16 clang-15 clang-14)
if(NOT AR_CLANG)
  message(STATUS "fuzz smoke: not registered: clang not found "
                 "(apt-get install clang to fuzz)")
  return()
endif()
set(_fz_dir ${CMAKE_BINARY_DIR}/fuzz-check)
file(WRITE ${_fz_dir}/check.c
  "#include <stddef.h>\n#include <stdint.h>\n"
  "int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)"
  "{ (void)d; (void)n; return 0; }\n")
execute_process(COMMAND ${AR_CLANG} -fsanitize=fuzzer,address,undefined
                        ${_fz_dir}/check.c -o ${_fz_dir}/check
                RESULT_VARIABLE _fz_rc OUTPUT_QUIET ERROR_QUIET)
if(NOT _fz_rc EQUAL 0)
  message(STATUS "fuzz smoke: not registered: ${AR_CLANG} cannot link "
                 "-fsanitize=fuzzer,address,undefined (no libFuzzer runtime)")
  return()
endif()
message(STATUS "fuzz smoke: harnesses built with ${AR_CLANG}, test fuzz_smoke")
include(ExternalProject)
ExternalProject_Add(arfuzz
  SOURCE_DIR ${CMAKE_SOURCE_DIR}/tests/fuzz
  BINARY_DIR ${CMAKE_BINARY_DIR}/fuzz
  CMAKE_ARGS -DCMAKE_C_COMPILER=${AR_CLANG} -DCMAKE_BUILD_TYPE=RelWithDebInfo
  INSTALL_COMMAND ""
  BUILD_ALWAYS 1)
add_test(NAME fuzz_smoke COMMAND sh ${CMAKE_SOURCE_DIR}/tests/fuzz/smoke.sh
         ${CMAKE_BINARY_DIR}/fuzz ${CMAKE_SOURCE_DIR}/tests/fuzz/corpus 4)
set_tests_properties(fuzz_smoke PROPERTIES TIMEOUT 120)
