# Runs after `cargo build` (cmake -P). Inputs: HEADER, COMMITTED_HEADER, CARGO_OUT_DIR,
# SHARED_LIB, LINK_DIR.
#
# 1. The header. build.rs writes v2im.h into $V2IM_HEADER_DIR whenever it runs, but cargo reruns a
#    build script only when its inputs change: a fresh build directory over an up-to-date target/
#    would be left without a header. Then take the newest header build.rs generated into its
#    OUT_DIR, or, failing that, the committed include/v2im.h (a cargo test keeps it identical).
# 2. The SONAME. If libv2im.so carries a SONAME other than its file name (libv2im.so.0.1, say),
#    programs linked against it ask the loader for that name: put a link by that name in LINK_DIR,
#    which the examples have in their RPATH.

if(NOT EXISTS "${HEADER}")
  file(GLOB _generated LIST_DIRECTORIES false
       "${CARGO_OUT_DIR}/build/v2im-*/out/v2im.h"
       "${CARGO_OUT_DIR}/build/v2im-*/out/include/v2im.h")
  set(_best "")
  foreach(h IN LISTS _generated)
    if(_best STREQUAL "" OR "${h}" IS_NEWER_THAN "${_best}")
      set(_best "${h}")
    endif()
  endforeach()
  if(_best STREQUAL "" AND EXISTS "${COMMITTED_HEADER}")
    set(_best "${COMMITTED_HEADER}")
  endif()
  if(_best STREQUAL "")
    message(FATAL_ERROR "v2im.h was not generated (no ${HEADER}, nothing in OUT_DIR, no ${COMMITTED_HEADER})")
  endif()
  message(STATUS "v2im.h: build.rs did not rerun; copying ${_best}")
  get_filename_component(_dir "${HEADER}" DIRECTORY)
  file(MAKE_DIRECTORY "${_dir}")
  file(COPY_FILE "${_best}" "${HEADER}")
endif()

if(NOT EXISTS "${SHARED_LIB}")
  message(FATAL_ERROR "cargo did not produce ${SHARED_LIB}")
endif()
find_program(_objdump NAMES objdump)
set(_soname "")
if(_objdump)
  execute_process(COMMAND "${_objdump}" -p "${SHARED_LIB}"
                  OUTPUT_VARIABLE _dyn ERROR_QUIET RESULT_VARIABLE _rc)
  if(_rc EQUAL 0 AND _dyn MATCHES "SONAME[ \t]+([^ \t\r\n]+)")
    set(_soname "${CMAKE_MATCH_1}")
  endif()
endif()
file(MAKE_DIRECTORY "${LINK_DIR}")
get_filename_component(_libname "${SHARED_LIB}" NAME)
foreach(n IN ITEMS "${_libname}" "${_soname}")
  if(NOT n STREQUAL "")
    file(REMOVE "${LINK_DIR}/${n}")
    file(CREATE_LINK "${SHARED_LIB}" "${LINK_DIR}/${n}" SYMBOLIC)
  endif()
endforeach()
