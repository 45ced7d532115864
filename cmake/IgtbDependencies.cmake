# Imported targets for the dependencies that do not ship proper CMake targets,
# and the include-order fix for LibTorch 2.x + a distribution's spdlog.

# --- OpenIGTLink 1.11 (Debian): a legacy config with variables only. ---------
if(NOT TARGET igtb::openigtlink)
  find_library(IGTB_OPENIGTLINK_LIBRARY NAMES OpenIGTLink
    HINTS ${OpenIGTLink_LIBRARY_DIRS} ${OpenIGTLink_DIR}/../../lib ${OpenIGTLink_DIR}/../../lib/x86_64-linux-gnu
    REQUIRED)
  add_library(igtb::openigtlink INTERFACE IMPORTED)
  set_target_properties(igtb::openigtlink PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${OpenIGTLink_INCLUDE_DIRS}"
    INTERFACE_LINK_LIBRARIES "${IGTB_OPENIGTLINK_LIBRARY};Threads::Threads")
  message(STATUS "OpenIGTLink ${OpenIGTLink_VERSION_MAJOR}.${OpenIGTLink_VERSION_MINOR}: ${IGTB_OPENIGTLINK_LIBRARY}")
endif()

# --- fmt clash ---------------------------------------------------------------
# PyTorch 2.x ships fmt v12 headers inside its include directory; a distribution's
# spdlog (Debian: 1.10 with external fmt 9) fails to compile when it meets v12
# first. Imported include directories are passed as -isystem in link order, so
# whichever library is linked first would win. We make the fmt/spdlog headers
# win always: their directories are added as ordinary -I directories (searched
# before every -isystem directory) on every target that links igtb::deps_first.
get_target_property(_igtb_fmt_inc fmt::fmt INTERFACE_INCLUDE_DIRECTORIES)
if(TARGET spdlog::spdlog)
  get_target_property(_igtb_spdlog_inc spdlog::spdlog INTERFACE_INCLUDE_DIRECTORIES)
endif()
set(_igtb_first_dirs "")
foreach(_d IN LISTS _igtb_fmt_inc _igtb_spdlog_inc)
  # -I on a compiler system directory (/usr/include) is ignored by GCC and
  # breaks #include_next in libstdc++: only add the non-standard ones.
  if(_d AND NOT _d STREQUAL "/usr/include" AND NOT _d IN_LIST _igtb_first_dirs)
    list(APPEND _igtb_first_dirs "${_d}")
  endif()
endforeach()
add_library(igtb_deps_first INTERFACE)
add_library(igtb::deps_first ALIAS igtb_deps_first)
if(_igtb_first_dirs)
  message(STATUS "fmt/spdlog headers searched before LibTorch's: ${_igtb_first_dirs}")
  target_include_directories(igtb_deps_first BEFORE INTERFACE ${_igtb_first_dirs})
endif()
target_link_libraries(igtb_deps_first INTERFACE spdlog::spdlog fmt::fmt)

# --- LibTorch ----------------------------------------------------------------
add_library(igtb_torch INTERFACE)
add_library(igtb::torch ALIAS igtb_torch)
target_link_libraries(igtb_torch INTERFACE igtb::deps_first ${TORCH_LIBRARIES})
if(TORCH_CXX_FLAGS)
  separate_arguments(_igtb_torch_flags UNIX_COMMAND "${TORCH_CXX_FLAGS}")
  target_compile_options(igtb_torch INTERFACE ${_igtb_torch_flags})
endif()

# --- our CUDA kernels ----------------------------------------------------------
# Built where LibTorch has CUDA and a CUDA compiler is found (the GPU machine);
# elsewhere (Debian's CPU LibTorch) their stand-ins refuse to run. The
# architectures follow TORCH_CUDA_ARCH_LIST ("9.0" -> 90), else "native".
set(IGTB_WITH_CUDA OFF)
set(IGTB_WITH_CUPTI OFF)
if(NOT IGTB_FUZZ_ONLY AND (CAFFE2_USE_CUDA OR TORCH_CUDA_LIBRARIES))
  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    if(TORCH_CUDA_ARCH_LIST)
      string(REGEX REPLACE "[ ;]+" ";" _igtb_arch "${TORCH_CUDA_ARCH_LIST}")
      string(REPLACE "." "" _igtb_arch "${_igtb_arch}")
      string(REPLACE "+PTX" "" _igtb_arch "${_igtb_arch}")
      set(IGTB_CUDA_ARCHITECTURES ${_igtb_arch})
    else()
      set(IGTB_CUDA_ARCHITECTURES native)
    endif()
    if(NOT CMAKE_CUDA_ARCHITECTURES)
      set(CMAKE_CUDA_ARCHITECTURES ${IGTB_CUDA_ARCHITECTURES})
    endif()
    enable_language(CUDA)
    set(CMAKE_CUDA_STANDARD 17)
    set(CMAKE_CUDA_STANDARD_REQUIRED ON)
    set(IGTB_WITH_CUDA ON)
    message(STATUS "CUDA kernels: on (${CMAKE_CUDA_COMPILER}, architectures ${IGTB_CUDA_ARCHITECTURES})")
    # CUPTI (in the CUDA toolkit) counts the copies per frame (igtbridge-bench --count-copies).
    find_package(CUDAToolkit QUIET)
    if(TARGET CUDA::cupti)
      set(IGTB_WITH_CUPTI ON)
      message(STATUS "CUPTI copy counting: on")
    else()
      message(STATUS "CUPTI copy counting: off (CUDA::cupti not found)")
    endif()
  else()
    message(STATUS "CUDA kernels: off (LibTorch has CUDA but no CUDA compiler was found)")
  endif()
endif()

# --- warnings for our own code -------------------------------------------------
add_library(igtb_warnings INTERFACE)
add_library(igtb::warnings ALIAS igtb_warnings)
target_compile_options(igtb_warnings INTERFACE
  $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wno-unused-parameter -Wno-missing-field-initializers>)
