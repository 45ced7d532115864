# cpp-httplib as Debian 12 ships it (libcpp-httplib-dev 0.11): httplib.h with
# the declarations only and libcpp-httplib.so with the code, built with
# OpenSSL, zlib and brotli support. It has a pkg-config file (prefix /usr
# fixed, so not usable where the packages are unpacked elsewhere, as on the
# GPU machine) and no CMake config; hence this module. The header's classes
# depend on the three CPPHTTPLIB_* switches (Request holds an SSL* with
# OpenSSL support), so the target compiles with the library's own, and needs
# the OpenSSL and brotli headers that the -dev package depends on.
# Defines igtb::httplib.
find_path(CppHttplib_INCLUDE_DIR httplib.h)
find_library(CppHttplib_LIBRARY NAMES cpp-httplib)
find_path(CppHttplib_OPENSSL_INCLUDE_DIR openssl/ssl.h)
find_path(CppHttplib_BROTLI_INCLUDE_DIR brotli/decode.h)
if(CppHttplib_INCLUDE_DIR)
  file(STRINGS "${CppHttplib_INCLUDE_DIR}/httplib.h" _igtb_httplib_version REGEX "#define CPPHTTPLIB_VERSION \"")
  string(REGEX REPLACE ".*\"([0-9.]+)\".*" "\\1" CppHttplib_VERSION "${_igtb_httplib_version}")
endif()
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(CppHttplib
  REQUIRED_VARS CppHttplib_LIBRARY CppHttplib_INCLUDE_DIR CppHttplib_OPENSSL_INCLUDE_DIR CppHttplib_BROTLI_INCLUDE_DIR
  VERSION_VAR CppHttplib_VERSION
  REASON_FAILURE_MESSAGE "install libcpp-httplib-dev (scripts/setup.sh does)")
if(CppHttplib_FOUND AND NOT TARGET igtb::httplib)
  add_library(igtb::httplib UNKNOWN IMPORTED)
  set_target_properties(igtb::httplib PROPERTIES
    IMPORTED_LOCATION "${CppHttplib_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES
      "${CppHttplib_INCLUDE_DIR};${CppHttplib_OPENSSL_INCLUDE_DIR};${CppHttplib_BROTLI_INCLUDE_DIR}"
    INTERFACE_COMPILE_DEFINITIONS "CPPHTTPLIB_OPENSSL_SUPPORT;CPPHTTPLIB_ZLIB_SUPPORT;CPPHTTPLIB_BROTLI_SUPPORT")
endif()
