# Included by CMakeLists.txt: sets AR_STATIC_DEPS_LIBS (and
# AR_STATIC_DEPS_LINK_OPTIONS) to link libgit2, libyaml, PCRE2 and jansson
# from their static archives, or leaves it empty, saying why, so that the
# shared libraries are used.
#
# The archives are the ones libgit2's and libssh2's pkg-config files name
# for a static link on Debian 12 (mbedTLS, http-parser, libssh2 on OpenSSL,
# zlib).  Debian's libgit2 also calls GSSAPI, which has no archive: the
# shared libgssapi_krb5 stays, found by its soname, which libgit2's runtime
# package pulls in.  A test program must link and run before any of it is
# used, so another distribution's set falls back rather than breaking.

set(_ar_archives git2 mbedtls mbedx509 mbedcrypto http_parser ssh2 crypto z
    yaml pcre2-8 jansson)
set(_ar_libs)
foreach(_n ${_ar_archives})
  find_library(AR_ARCHIVE_${_n} NAMES lib${_n}.a)
  if(NOT AR_ARCHIVE_${_n})
    message(STATUS "ar: lib${_n}.a not found: linking the shared libraries")
    return()
  endif()
  list(APPEND _ar_libs ${AR_ARCHIVE_${_n}})
endforeach()
find_library(AR_SHARED_GSSAPI NAMES gssapi_krb5 libgssapi_krb5.so.2)
if(AR_SHARED_GSSAPI)
  list(APPEND _ar_libs ${AR_SHARED_GSSAPI})
endif()
find_package(Threads REQUIRED)
list(APPEND _ar_libs Threads::Threads rt ${CMAKE_DL_LIBS} m)
set(_ar_opts -Wl,--wrap=mbedtls_x509_crt_parse_file
    -Wl,--undefined=__wrap_mbedtls_x509_crt_parse_file)

include(CheckCSourceRuns)
set(CMAKE_REQUIRED_LIBRARIES ${_ar_libs})
set(CMAKE_REQUIRED_LINK_OPTIONS ${_ar_opts})
set(CMAKE_REQUIRED_QUIET ON)
check_c_source_runs([[
#include <git2.h>
#include <yaml.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <jansson.h>
int __wrap_mbedtls_x509_crt_parse_file(void *chain, const char *path);
int __wrap_mbedtls_x509_crt_parse_file(void *chain, const char *path)
{ (void)chain; (void)path; return 0; }
int main(void)
{
  yaml_parser_t y; int e; PCRE2_SIZE o; json_t *j = json_object();
  if (git_libgit2_init() < 0 || !yaml_parser_initialize(&y) || !j) return 1;
  yaml_parser_delete(&y);
  pcre2_code_free(pcre2_compile((PCRE2_SPTR)"a+", 2, 0, &e, &o, NULL));
  json_decref(j);
  return git_libgit2_shutdown() < 0;
}
]] AR_STATIC_DEPS_WORK)
unset(CMAKE_REQUIRED_LIBRARIES)
unset(CMAKE_REQUIRED_LINK_OPTIONS)
unset(CMAKE_REQUIRED_QUIET)
if(NOT AR_STATIC_DEPS_WORK)
  message(STATUS "ar: a static link of libgit2 and the rest failed: linking the shared libraries")
  return()
endif()
set(AR_STATIC_DEPS_LIBS ${_ar_libs})
set(AR_STATIC_DEPS_LINK_OPTIONS ${_ar_opts})
