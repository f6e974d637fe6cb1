# Install rules and the tests of the install tree. Included at the end of CMakeLists.txt, after
# the imported targets: uses V2IM_SHARED_LIB, V2IM_STATIC_LIB, V2IM_HEADER,
# V2IM_NATIVE_STATIC_LIBS (the one list of native libraries libv2im.a needs) and the version
# that cmake/cargo_version.cmake read from Cargo.toml.
#
#   cmake --install build --prefix P
#     P/lib/libv2im.so.0.1                  the library, named by its SONAME (build.rs sets it)
#     P/lib/libv2im.so -> libv2im.so.0.1    the link `-lv2im` finds
#     P/lib/libv2im.a
#     P/include/v2im.h, P/include/v2im.hpp
#     P/lib/pkgconfig/v2im.pc               relocatable (paths relative to ${pcfiledir})
#     P/lib/cmake/v2im/v2imConfig.cmake, v2imConfigVersion.cmake
#                                           targets v2im::v2im and v2im::v2im_static
#     P/bin/v2im-server                     the compatible server (its admin commands included)
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)
# v2im.pc and the libv2im.so link are placed relative to the prefix given at install time.
foreach(_dir CMAKE_INSTALL_LIBDIR CMAKE_INSTALL_INCLUDEDIR CMAKE_INSTALL_BINDIR)
  if(IS_ABSOLUTE "${${_dir}}")
    message(FATAL_ERROR "v2im's install rules need a relative ${_dir}, not ${${_dir}}")
  endif()
endforeach()

# The ABI version in the SONAME, as build.rs computes it: <major>.<minor> (while 0.x a minor may
# break the ABI).
set(V2IM_SONAME "libv2im.so.${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR}")
set(_v2im_cmake_dir "${CMAKE_INSTALL_LIBDIR}/cmake/v2im")
set(_v2im_gen "${CMAKE_BINARY_DIR}/install-files")

install(FILES "${V2IM_SHARED_LIB}" DESTINATION "${CMAKE_INSTALL_LIBDIR}" RENAME "${V2IM_SONAME}"
        PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
                    WORLD_READ WORLD_EXECUTE)
# libv2im.so -> libv2im.so.<ABI>, relative, made at install time in the prefix given then.
install(CODE "
  set(_link \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/libv2im.so\")
  message(STATUS \"Installing: \$ENV{DESTDIR}\${_link} -> ${V2IM_SONAME}\")
  file(REMOVE \"\$ENV{DESTDIR}\${_link}\")
  file(CREATE_LINK \"${V2IM_SONAME}\" \"\$ENV{DESTDIR}\${_link}\" SYMBOLIC)
  list(APPEND CMAKE_INSTALL_MANIFEST_FILES \"\${_link}\")   # like file(INSTALL): no DESTDIR
")
install(FILES "${V2IM_STATIC_LIB}" DESTINATION "${CMAKE_INSTALL_LIBDIR}")
install(PROGRAMS "${V2IM_SERVER_EXE}" DESTINATION "${CMAKE_INSTALL_BINDIR}")
# The header (the committed include/v2im.h, which the header test keeps equal to what cbindgen
# generates) and the C++ wrapper, which includes "v2im.h" next to it.
install(FILES "${V2IM_HEADER}" "${CMAKE_SOURCE_DIR}/include/v2im.hpp"
        DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")

# pkg-config. The prefix is found from the .pc file's own place, so the tree can be installed
# with any --prefix (or DESTDIR) and moved.
file(RELATIVE_PATH V2IM_PC_RELATIVE_PREFIX "/p/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/p")
string(REGEX REPLACE "/$" "" V2IM_PC_RELATIVE_PREFIX "${V2IM_PC_RELATIVE_PREFIX}")
configure_file("${CMAKE_CURRENT_LIST_DIR}/v2im.pc.in" "${_v2im_gen}/v2im.pc" @ONLY)
install(FILES "${_v2im_gen}/v2im.pc" DESTINATION "${CMAKE_INSTALL_LIBDIR}/pkgconfig")

# CMake package. The version file says SameMinorVersion: the SONAME is <major>.<minor>, so a
# program built against 0.1.0 runs with any 0.1.x (a request for 0.1 or 0.1.0 accepts 0.1.3),
# and never with 0.2 (which may break the ABI). TDLib uses ExactVersion because its SONAME is
# the full version; ours is not.
set(V2IM_NATIVE_STATIC_LIBS_LIST "${_v2im_native_libs}")
configure_package_config_file("${CMAKE_CURRENT_LIST_DIR}/v2imConfig.cmake.in"
  "${_v2im_gen}/v2imConfig.cmake"
  INSTALL_DESTINATION "${_v2im_cmake_dir}"
  PATH_VARS CMAKE_INSTALL_INCLUDEDIR CMAKE_INSTALL_LIBDIR)
write_basic_package_version_file("${_v2im_gen}/v2imConfigVersion.cmake"
  VERSION "${V2IM_CMAKE_VERSION}"
  COMPATIBILITY SameMinorVersion)
install(FILES "${_v2im_gen}/v2imConfig.cmake" "${_v2im_gen}/v2imConfigVersion.cmake"
        DESTINATION "${_v2im_cmake_dir}")

# --- Tests ---------------------------------------------------------------------------------------
set(_v2im_check "${CMAKE_SOURCE_DIR}/c_examples/consumer/check_install.py")
set(_v2im_test_prefix "${CMAKE_BINARY_DIR}/install-test/prefix")
set(_v2im_check_args
  --cmake "${CMAKE_COMMAND}" --build-dir "${CMAKE_BINARY_DIR}" --prefix "${_v2im_test_prefix}"
  --libdir "${CMAKE_INSTALL_LIBDIR}" --includedir "${CMAKE_INSTALL_INCLUDEDIR}"
  --bindir "${CMAKE_INSTALL_BINDIR}" --profile "${V2IM_CARGO_PROFILE}"
  --soname "${V2IM_SONAME}" --version "${V2IM_CARGO_VERSION}"
  --native-libs "${V2IM_NATIVE_STATIC_LIBS}"
  --cc "${CMAKE_C_COMPILER}" --cxx "${CMAKE_CXX_COMPILER}" --generator "${CMAKE_GENERATOR}")

# cmake --install into build/install-test/prefix: files, SONAME == file name, the link.
add_test(NAME install_tree COMMAND "${Python3_EXECUTABLE}" "${_v2im_check}" install ${_v2im_check_args})
set_tests_properties(install_tree PROPERTIES
  TIMEOUT 120 LABELS "install" FIXTURES_SETUP v2im_installed RESOURCE_LOCK v2im_install_prefix)
# C and C++ consumers built with pkg-config's flags, run from the install tree.
add_test(NAME consumer_pkgconfig COMMAND "${Python3_EXECUTABLE}" "${_v2im_check}" pkgconfig
         ${_v2im_check_args} --work-dir "${CMAKE_BINARY_DIR}/install-test/pkgconfig")
# A CMake project with find_package(v2im 0.1 CONFIG REQUIRED): shared, static and C++ consumers.
add_test(NAME consumer_cmake COMMAND "${Python3_EXECUTABLE}" "${_v2im_check}" cmake
         ${_v2im_check_args} --work-dir "${CMAKE_BINARY_DIR}/install-test/cmake")
set_tests_properties(consumer_pkgconfig consumer_cmake PROPERTIES
  TIMEOUT 300 LABELS "install" FIXTURES_REQUIRED v2im_installed RESOURCE_LOCK v2im_install_prefix)

# The shared library exports the functions of v2im.h and nothing else.
set(_v2im_nm "${CMAKE_NM}")
if(NOT _v2im_nm)
  set(_v2im_nm nm)
endif()
add_test(NAME exported_symbols COMMAND "${Python3_EXECUTABLE}" "${_v2im_check}" symbols
         --nm "${_v2im_nm}" --library "${V2IM_SHARED_LIB}" --header "${V2IM_HEADER}")
set_tests_properties(exported_symbols PROPERTIES TIMEOUT 60 LABELS "install;header")

if(V2IM_CARGO_CHECKS)
  # V2IM_NATIVE_STATIC_LIBS comes from an empty probe crate (CMakeLists.txt); this builds the
  # real crate's staticlib with `--print native-static-libs` and compares. A target dir of its
  # own (kept under cargo's, so reruns are incremental) leaves the shared build's fingerprints
  # alone.
  add_test(NAME native_static_libs COMMAND "${Python3_EXECUTABLE}" "${_v2im_check}" static-libs
           --cargo "${CARGO}" --source-dir "${CMAKE_SOURCE_DIR}"
           --target-dir "${V2IM_CARGO_TARGET_DIR}/native-static-libs-check"
           --native-libs "${V2IM_NATIVE_STATIC_LIBS}")
  set_tests_properties(native_static_libs PROPERTIES
    TIMEOUT 1200 LABELS "cargo;install" RESOURCE_LOCK cargo)
endif()

# README.md's quick start, followed as written in a temporary home: install from this build,
# the server and its admin commands, hello.c and hello.cpp built with pkg-config, the Python wheel
# in a fresh venv, receiving, a group message read back (c_examples/consumer/check_quickstart.py).
add_test(NAME readme_quickstart
         COMMAND "${Python3_EXECUTABLE}" "${CMAKE_SOURCE_DIR}/c_examples/consumer/check_quickstart.py"
                 --build-dir "${CMAKE_BINARY_DIR}")
set_tests_properties(readme_quickstart PROPERTIES
  TIMEOUT 600 LABELS "install" RESOURCE_LOCK v2im_install_prefix)
