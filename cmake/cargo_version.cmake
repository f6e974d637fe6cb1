# The version of the `v2im` package, read from Cargo.toml: the one place it is written. Included
# before project(), which takes it as PROJECT_VERSION; the SONAME (build.rs), v2im.pc and
# v2imConfigVersion.cmake all derive from it.
file(STRINGS "${CMAKE_CURRENT_LIST_DIR}/../Cargo.toml" _v2im_toml_lines)
set(_v2im_section "")
set(V2IM_CARGO_VERSION "")
foreach(_line IN LISTS _v2im_toml_lines)
  if(_line MATCHES "^[ \t]*\\[([^]]*)\\]")
    set(_v2im_section "${CMAKE_MATCH_1}")
  elseif(_v2im_section STREQUAL "package" AND _line MATCHES "^[ \t]*version[ \t]*=[ \t]*\"([^\"]+)\"")
    set(V2IM_CARGO_VERSION "${CMAKE_MATCH_1}")
    break()
  endif()
endforeach()
if(NOT V2IM_CARGO_VERSION MATCHES "^[0-9]+\\.[0-9]+\\.[0-9]+")
  message(FATAL_ERROR "no version = \"X.Y.Z\" in the [package] section of Cargo.toml")
endif()
# CMake versions are numeric: a pre-release suffix (0.2.0-rc.1) is dropped for project().
string(REGEX MATCH "^[0-9]+\\.[0-9]+\\.[0-9]+" V2IM_CMAKE_VERSION "${V2IM_CARGO_VERSION}")
unset(_v2im_toml_lines)
unset(_v2im_section)
