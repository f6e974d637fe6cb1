# Runs after `cargo build` (cmake -P). Inputs: SHARED_LIB, LINK_DIR.
#
# The SONAME. If libv2im.so carries a SONAME other than its file name (libv2im.so.0.1, say),
# programs linked against it ask the loader for that name: put a link by that name in LINK_DIR,
# which the examples have in their RPATH.

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
