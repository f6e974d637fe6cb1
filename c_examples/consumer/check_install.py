#!/usr/bin/env python3
"""Install-tree checks run by ctest (see cmake/install.cmake). One subcommand per test:

  install      cmake --install into a fresh prefix; check the files, the SONAME and its link
  pkgconfig    build consumer.c and consumer.cpp with `pkg-config --cflags --libs v2im`, run them
  cmake        configure c_examples/consumer with find_package(v2im), build shared, static and
               C++ consumers, run them
  symbols      libv2im.so exports exactly the functions v2im.h declares, all named v2im_*
  static-libs  the native libraries CMake links with libv2im.a (v2imConfig.cmake, v2im.pc) are
               what `cargo rustc --print native-static-libs` reports for the real crate

Exits non-zero with a message on any failure. Standard library only.
"""

import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def run(cmd, env=None, cwd=None):
    print("+ " + " ".join(shlex.quote(str(c)) for c in cmd), flush=True)
    p = subprocess.run([str(c) for c in cmd], env=env, cwd=cwd, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, universal_newlines=True)
    if p.stdout:
        print(p.stdout, end="" if p.stdout.endswith("\n") else "\n", flush=True)
    if p.returncode != 0:
        fail("exit status %d: %s" % (p.returncode, " ".join(str(c) for c in cmd)))
    return p.stdout


def soname_of(path):
    out = run(["readelf", "-d", path]) if shutil.which("readelf") else run(["objdump", "-p", path])
    m = re.search(r"SONAME\)?\s+(?:Library soname: \[)?([^\]\s]+)", out)
    return m.group(1) if m else None


def libdir(args):
    return os.path.join(args.prefix, args.libdir)


def check_loaded_from(binary, soname, expected_dir, env=None):
    """ldd: the program resolves libv2im to the install tree (or, static, needs no libv2im)."""
    out = run(["ldd", binary], env=env)
    line = next((l for l in out.splitlines() if "libv2im" in l), None)
    if expected_dir is None:
        if line is not None:
            fail("%s is linked statically but needs %s" % (binary, line.strip()))
        return
    want = os.path.realpath(os.path.join(expected_dir, soname))
    if line is None or "=>" not in line:
        fail("%s does not load %s (ldd: %r)" % (binary, soname, line))
    name, _, rest = line.partition("=>")
    got = rest.split("(")[0].strip()
    if name.strip() != soname or os.path.realpath(got) != want:
        fail("%s loads %s from %s, expected %s" % (binary, name.strip(), got, want))


def run_consumer(binary, expect, env=None):
    out = run([binary], env=env)
    if expect not in out:
        fail("%s printed %r, expected it to contain %r" % (binary, out, expect))


def cmd_install(args):
    if os.path.exists(args.prefix):
        shutil.rmtree(args.prefix)
    run([args.cmake, "--install", args.build_dir, "--prefix", args.prefix])
    ld = libdir(args)
    inc = os.path.join(args.prefix, args.includedir)
    real = os.path.join(ld, args.soname)
    link = os.path.join(ld, "libv2im.so")
    for path in [real, os.path.join(ld, "libv2im.a"), os.path.join(inc, "v2im.h"),
                 os.path.join(inc, "v2im.hpp"), os.path.join(ld, "pkgconfig", "v2im.pc"),
                 os.path.join(ld, "cmake", "v2im", "v2imConfig.cmake"),
                 os.path.join(ld, "cmake", "v2im", "v2imConfigVersion.cmake")]:
        if not os.path.isfile(path):
            fail("not installed: " + path)
    if os.path.islink(real):
        fail(real + " must be the library itself, not a link")
    if not os.path.islink(link) or os.readlink(link) != args.soname:
        fail("%s must be a link to %s (is %r)" % (link, args.soname,
                                                  os.readlink(link) if os.path.islink(link) else None))
    soname = soname_of(real)
    if soname != args.soname:
        fail("SONAME of the installed library is %r, its file name %s" % (soname, args.soname))
    with open(os.path.join(inc, "v2im.h")) as f:
        header = f.read()
    if '#define V2IM_VERSION_STRING "%s"' % args.version not in header:
        fail("installed v2im.h is not version " + args.version)
    server = os.path.join(args.prefix, args.bindir, "v2im-server")
    if not os.access(server, os.X_OK):
        fail("not installed as a program: " + server)
    said = run([server, "--version"]).strip()
    if not re.fullmatch(r"v2im-server \d+\.\d+\.\d+\S*", said):
        fail("%s --version says %r" % (server, said))
    # An admin command runs from the install tree (a UserSig needs no server).
    env = dict(os.environ, V2IM_SERVER_SDKAPPID="1400000000", V2IM_SERVER_SECRET_KEY="k")
    if not run([server, "usersig", "--user", "alice"], env=env).startswith("eJ"):
        fail("v2im-server usersig printed no UserSig")
    if args.profile == "release":
        # A release install carries no debug info (the profile strips it).
        for path in [real, server]:
            sections = run(["readelf", "-S", "-W", path]) if shutil.which("readelf") else ""
            if ".debug_info" in sections:
                fail(path + " has debug info in a release install")
    print("install tree ok: %s (SONAME %s, %s build, %.1f MiB library, %.1f MiB server)"
          % (args.prefix, soname, args.profile, os.path.getsize(real) / 2**20,
             os.path.getsize(server) / 2**20))


def cmd_pkgconfig(args):
    pkg_config = shutil.which("pkg-config")
    if not pkg_config:
        fail("pkg-config not found (apt-get install pkg-config; .ci/run installs it)")
    env = dict(os.environ, PKG_CONFIG_PATH=os.path.join(libdir(args), "pkgconfig"))
    env.pop("PKG_CONFIG_LIBDIR", None)
    modversion = run([pkg_config, "--modversion", "v2im"], env=env).strip()
    if modversion != args.version:
        fail("pkg-config --modversion v2im says %s, Cargo.toml %s" % (modversion, args.version))
    flags = shlex.split(run([pkg_config, "--cflags", "--libs", "v2im"], env=env))
    static = run([pkg_config, "--static", "--libs", "v2im"], env=env)
    for lib in args.native_libs.split():
        if lib not in static.split():
            fail("pkg-config --static --libs v2im lacks %s: %s" % (lib, static))
    os.makedirs(args.work_dir, exist_ok=True)
    run_env = dict(os.environ, LD_LIBRARY_PATH=libdir(args))
    c_exe = os.path.join(args.work_dir, "consumer_c")
    run([args.cc, "-std=c99", "-Wall", "-Wextra", "-Wpedantic", "-Werror",
         os.path.join(HERE, "consumer.c"), "-o", c_exe] + flags)
    check_loaded_from(c_exe, args.soname, libdir(args), env=run_env)
    run_consumer(c_exe, "v2im consumer ok: version %s, bad config -> 6017" % args.version,
                 env=run_env)
    cpp_exe = os.path.join(args.work_dir, "consumer_cpp")
    run([args.cxx, "-std=c++17", "-Wall", "-Wextra", "-Wpedantic", "-Werror",
         os.path.join(HERE, "consumer.cpp"), "-o", cpp_exe] + flags)
    run_consumer(cpp_exe, "v2im C++ consumer ok: version %s, bad config -> 6017" % args.version,
                 env=run_env)
    print("pkg-config consumers ok")


def cmd_cmake(args):
    if os.path.exists(args.work_dir):
        shutil.rmtree(args.work_dir)
    major, minor = args.version.split(".")[:2]
    run([args.cmake, "-S", HERE, "-B", args.work_dir, "-G", args.generator,
         "-DCMAKE_PREFIX_PATH=" + args.prefix, "-DCMAKE_BUILD_TYPE=Debug",
         "-DCMAKE_C_COMPILER=" + args.cc, "-DCMAKE_CXX_COMPILER=" + args.cxx,
         "-DV2IM_WANT=%s.%s" % (major, minor), "-DV2IM_REFUSE=%s.%d" % (major, int(minor) + 1)])
    run([args.cmake, "--build", args.work_dir])
    exe = lambda name: os.path.join(args.work_dir, name)
    # No LD_LIBRARY_PATH: CMake gives the shared consumers the install tree's lib/ as RPATH.
    check_loaded_from(exe("consumer_shared"), args.soname, libdir(args))
    check_loaded_from(exe("consumer_static"), args.soname, None)
    ok = "v2im consumer ok: version %s, bad config -> 6017" % args.version
    run_consumer(exe("consumer_shared"), ok)
    run_consumer(exe("consumer_static"), ok)
    run_consumer(exe("consumer_cpp"),
                 "v2im C++ consumer ok: version %s, bad config -> 6017" % args.version)
    print("find_package consumers ok")


def header_functions(path):
    with open(path) as f:
        text = f.read()
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    text = re.sub(r"^\s*#[^\n]*", " ", text, flags=re.M)
    # Declarations `... v2im_name(`; typedefs of function pointers read `(*v2im_name)(`.
    return set(re.findall(r"\b(v2im_\w+)\s*\(", text))


def cmd_symbols(args):
    out = run([args.nm, "-D", "--defined-only", args.library])
    exported = set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 3:
            exported.add(parts[2].split("@")[0])
    declared = header_functions(args.header)
    if not declared:
        fail("no v2im_ functions found in " + args.header)
    foreign = sorted(s for s in exported if not s.startswith("v2im_"))
    if foreign:
        fail("libv2im.so exports symbols without the v2im_ prefix: " + ", ".join(foreign))
    if exported != declared:
        fail("exported but not in v2im.h: %s; in v2im.h but not exported: %s"
             % (sorted(exported - declared), sorted(declared - exported)))
    print("exports == v2im.h: " + ", ".join(sorted(exported)))


def cmd_static_libs(args):
    # No debug info and no incremental data: this build only has to link (its target dir is
    # about half the size of one with them).
    env = dict(os.environ, CARGO_PROFILE_DEV_DEBUG="0", CARGO_INCREMENTAL="0")
    env.pop("RUSTFLAGS", None)
    out = run([args.cargo, "rustc", "-p", "v2im", "--lib", "--locked", "--crate-type", "staticlib",
               "--target-dir", args.target_dir, "--", "--print", "native-static-libs"],
              env=env, cwd=args.source_dir)
    found = re.findall(r"native-static-libs: ([^\r\n]*)", out)
    if not found:
        fail("cargo printed no native-static-libs line (did it compile v2im at all?)")
    printed = found[-1].split()
    ours = args.native_libs.split()
    if printed != ours:
        fail("cargo prints native-static-libs: %s\nCMake links libv2im.a with:  %s\n"
             "Update V2IM_NATIVE_STATIC_LIBS (CMakeLists.txt) so that v2imConfig.cmake and "
             "v2im.pc stay right." % (" ".join(printed), " ".join(ours)))
    print("native-static-libs == V2IM_NATIVE_STATIC_LIBS: " + " ".join(ours))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("command", choices=["install", "pkgconfig", "cmake", "symbols", "static-libs"])
    ap.add_argument("--cmake", default="cmake")
    ap.add_argument("--cargo", default="cargo")
    ap.add_argument("--nm", default="nm")
    ap.add_argument("--cc", default="cc")
    ap.add_argument("--cxx", default="c++")
    ap.add_argument("--generator", default="Unix Makefiles")
    ap.add_argument("--build-dir")
    ap.add_argument("--source-dir")
    ap.add_argument("--prefix")
    ap.add_argument("--libdir", default="lib")
    ap.add_argument("--includedir", default="include")
    ap.add_argument("--bindir", default="bin")
    ap.add_argument("--profile", default="debug")
    ap.add_argument("--work-dir")
    ap.add_argument("--target-dir")
    ap.add_argument("--soname")
    ap.add_argument("--version")
    ap.add_argument("--native-libs", default="")
    ap.add_argument("--library")
    ap.add_argument("--header")
    args = ap.parse_args()
    {"install": cmd_install, "pkgconfig": cmd_pkgconfig, "cmake": cmd_cmake,
     "symbols": cmd_symbols, "static-libs": cmd_static_libs}[args.command](args)


if __name__ == "__main__":
    main()
