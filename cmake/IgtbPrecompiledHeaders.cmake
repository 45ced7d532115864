# One precompiled header of LibTorch and spdlog, shared by every target that
# links LibTorch (directly or through our libraries). Why: those headers are
# most of each such file's compile time (GCC's -ftime-report on
# lib/bridge/inference_bridge.cpp under ASan: 49 % parsing), paid again in
# each of ~57 files, three builds per CI run (main, ASan, TSan);
# docs/testing.md has the measured effect.
#
# Off by default where LibTorch is 2.x (the GPU machine): its bundled fmt v12
# must never be seen before spdlog's fmt (cmake/IgtbDependencies.cmake), and a
# header forced first into every file would change that order. IGTB_PCH=OFF
# turns it off anywhere. A file whose flags do not match the header's is
# compiled without it (GCC ignores an unusable .gch: -Winvalid-pch says so),
# never wrongly. A target with the property IGTB_NO_PCH set goes without.

if(DEFINED Torch_VERSION AND Torch_VERSION VERSION_GREATER_EQUAL 2.0)
  set(_igtb_pch_default OFF)
else()
  set(_igtb_pch_default ON)
endif()
option(IGTB_PCH "Precompile LibTorch's and spdlog's headers once for every target that uses them" ${_igtb_pch_default})

# igtb_targets_below(VAR DIR): every buildsystem target defined in DIR and below.
function(igtb_targets_below var dir)
  get_property(targets DIRECTORY "${dir}" PROPERTY BUILDSYSTEM_TARGETS)
  get_property(subdirs DIRECTORY "${dir}" PROPERTY SUBDIRECTORIES)
  foreach(sub IN LISTS subdirs)
    igtb_targets_below(below "${sub}")
    list(APPEND targets ${below})
  endforeach()
  set(${var} ${targets} PARENT_SCOPE)
endfunction()

# igtb_precompile_torch_headers(): call once, after every target is defined.
function(igtb_precompile_torch_headers)
  if(NOT IGTB_PCH)
    message(STATUS "Precompiled headers: off (IGTB_PCH)")
    return()
  endif()
  # The header's own target: compiled with what every LibTorch user has.
  set(stub "${PROJECT_BINARY_DIR}/igtb_pch.cpp")
  file(WRITE "${stub}.in" "// the precompiled header's host (cmake/IgtbPrecompiledHeaders.cmake)\n")
  configure_file("${stub}.in" "${stub}" COPYONLY)
  add_library(igtb_pch OBJECT "${stub}")
  # igtb::warnings too: -Wpedantic changes the predefined macros (__cpp_runtime_arrays), and GCC
  # refuses a header precompiled with other ones.
  target_link_libraries(igtb_pch PRIVATE igtb::torch igtb::warnings)
  target_precompile_headers(igtb_pch PRIVATE <torch/script.h> <spdlog/spdlog.h>)

  # The users: the targets that link igtb_torch, or a target that does
  # (direct links, followed until nothing changes).
  igtb_targets_below(all "${PROJECT_SOURCE_DIR}")
  set(users igtb_torch)
  set(changed TRUE)
  while(changed)
    set(changed FALSE)
    foreach(t IN LISTS all)
      if(t IN_LIST users)
        continue()
      endif()
      get_target_property(type ${t} TYPE)
      get_target_property(no_pch ${t} IGTB_NO_PCH)
      if(type STREQUAL "INTERFACE_LIBRARY" OR type STREQUAL "UTILITY" OR no_pch)
        continue()
      endif()
      get_target_property(links ${t} LINK_LIBRARIES)
      foreach(l IN LISTS links)
        if(TARGET "${l}")
          get_target_property(real "${l}" ALIASED_TARGET)
          if(real)
            set(l "${real}")
          endif()
        endif()
        if(l IN_LIST users)
          list(APPEND users ${t})
          set(changed TRUE)
          break()
        endif()
      endforeach()
    endforeach()
  endwhile()
  list(REMOVE_ITEM users igtb_torch igtb_pch)
  foreach(t IN LISTS users)
    target_precompile_headers(${t} REUSE_FROM igtb_pch)
  endforeach()
  list(LENGTH users n)
  message(STATUS "Precompiled headers: <torch/script.h> and <spdlog/spdlog.h> for ${n} targets (IGTB_PCH)")
endfunction()
