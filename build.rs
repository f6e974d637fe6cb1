//! Generates `v2im.h` with the pinned cbindgen into `OUT_DIR/include` and warns when the committed
//! `include/v2im.h` (the header CMake, the install and every consumer use) differs from it. Never
//! writes into the source tree: `V2IM_UPDATE_HEADER=1 cargo test -p v2im --test it header`
//! does, after review.

// The code table is plain Rust shared with the library (see its module doc).
#[allow(dead_code)]
#[path = "src/codes/table.rs"]
mod codes;

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::PathBuf;

fn main() {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("OUT_DIR"));

    println!("cargo::rerun-if-changed=src");
    println!("cargo::rerun-if-changed=cbindgen.toml");
    println!("cargo::rerun-if-changed=build.rs");

    // SONAME: while 0.x every minor may break the ABI, so the ABI version is 0.<minor>.
    if env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        let major = env::var("CARGO_PKG_VERSION_MAJOR").unwrap();
        let minor = env::var("CARGO_PKG_VERSION_MINOR").unwrap();
        println!("cargo::rustc-cdylib-link-arg=-Wl,-soname,libv2im.so.{major}.{minor}");
    }

    let after_includes = format!("{}\n{}", version_macros(), code_macros());

    let cfg = cbindgen::Config::from_file(manifest_dir.join("cbindgen.toml"))
        .expect("read cbindgen.toml");
    // `with_src` parses src/lib.rs and follows its `mod` items without running `cargo metadata`.
    let res = cbindgen::Builder::new()
        .with_config(cfg)
        .with_src(manifest_dir.join("src/lib.rs"))
        .with_after_include(after_includes)
        .generate();
    match res {
        Ok(bindings) => {
            let include = out_dir.join("include");
            fs::create_dir_all(&include).expect("create OUT_DIR/include");
            let generated = include.join("v2im.h");
            bindings.write_to_file(&generated);
            let committed = manifest_dir.join("include/v2im.h");
            if fs::read(&generated).ok() != fs::read(&committed).ok() {
                println!(
                    "cargo::warning=include/v2im.h differs from the header generated from src/; \
                     review, then `V2IM_UPDATE_HEADER=1 cargo test -p v2im --test it header`"
                );
            }
            println!("cargo::rerun-if-changed=include/v2im.h");
            println!("cargo::metadata=include={}", include.display());
        }
        // rustc reports the real syntax error with better context; don't hide it behind ours.
        Err(cbindgen::Error::ParseSyntaxError { .. }) => {
            println!("cargo::warning=v2im.h not regenerated (syntax error in src)");
        }
        Err(e) => panic!("cbindgen failed: {e:?}"),
    }
}

fn version_macros() -> String {
    let v = |k: &str| env::var(k).unwrap();
    format!(
        "\n/** Version of this header; equals v2im_version() of the library it ships with. */\n\
         #define V2IM_VERSION_MAJOR {}\n#define V2IM_VERSION_MINOR {}\n#define V2IM_VERSION_PATCH {}\n\
         #define V2IM_VERSION_STRING \"{}\"\n",
        v("CARGO_PKG_VERSION_MAJOR"),
        v("CARGO_PKG_VERSION_MINOR"),
        v("CARGO_PKG_VERSION_PATCH"),
        v("CARGO_PKG_VERSION"),
    )
}

/// One `#define V2IM_<NAME> <value>` per declared code, with its doc comment: the header's codes
/// come from the same table as the library's constants and texts.
fn code_macros() -> String {
    let mut out = String::from(
        "\n/** @name Result codes\n * 0 is success. Tencent's codes keep Tencent's values; v2im's own are 100001 and up.\n \
         * v2im_error_str() gives the text of each. Server codes pass through as the server sends them.\n * @{ */\n",
    );
    for c in codes::TABLE {
        let doc = c.doc.split_whitespace().collect::<Vec<_>>().join(" ");
        let _ = writeln!(out, "/** {} */", doc.replace("*/", "* /"));
        let _ = writeln!(out, "#define {} {}", c.c_name(), c.value);
    }
    out.push_str("/** @} */\n");
    out
}
