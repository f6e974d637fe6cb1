//! Generates `v2im.h` with the pinned cbindgen into `OUT_DIR/include` and, when `V2IM_HEADER_DIR`
//! is set (CMake sets it), into that directory too. Never writes into the source tree: the
//! committed `include/v2im.h` is compared with the generated one by `tests/header.rs`.

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

fn main() {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("OUT_DIR"));

    println!("cargo::rerun-if-changed=src");
    println!("cargo::rerun-if-changed=cbindgen.toml");
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=V2IM_HEADER_DIR");

    // SONAME: while 0.x every minor may break the ABI, so the ABI version is 0.<minor>.
    if env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        let major = env::var("CARGO_PKG_VERSION_MAJOR").unwrap();
        let minor = env::var("CARGO_PKG_VERSION_MINOR").unwrap();
        println!("cargo::rustc-cdylib-link-arg=-Wl,-soname,libv2im.so.{major}.{minor}");
    }

    let codes_rs =
        fs::read_to_string(manifest_dir.join("src/codes.rs")).expect("read src/codes.rs");
    let after_includes = format!("{}\n{}", version_macros(), code_macros(&codes_rs));

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
            bindings.write_to_file(include.join("v2im.h"));
            if let Some(dir) = env::var_os("V2IM_HEADER_DIR") {
                let dir = Path::new(&dir);
                fs::create_dir_all(dir).expect("create V2IM_HEADER_DIR");
                bindings.write_to_file(dir.join("v2im.h"));
            }
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

/// One `#define V2IM_<NAME> <value>` per `pub const NAME: i32 = VALUE;` of src/codes.rs, with its
/// doc comment (or the comment line above its group). Names already starting with `V2IM_` keep
/// their name. Generating them from the source is what keeps header and library equal.
fn code_macros(src: &str) -> String {
    let mut out = String::from(
        "\n/** @name Result codes\n * 0 is success. Tencent's codes keep Tencent's values; v2im's own are 100001 and up.\n \
         * v2im_error_str() gives the text of each. Server codes pass through as the server sends them.\n * @{ */\n",
    );
    // `(NAME, c"text"),` entries of TEXTS (rustfmt may spread one over several lines): the
    // fallback doc of a code without a doc comment.
    let flat = src
        .split_once("pub const TEXTS")
        .map(|(_, t)| t.split_whitespace().collect::<Vec<_>>().join(" "))
        .unwrap_or_default();
    let texts: Vec<(String, String)> = flat
        .split('(')
        .filter_map(|piece| {
            let (name, rest) = piece.split_once(", c\"")?;
            Some((name.trim().to_string(), rest.split_once('"')?.0.to_string()))
        })
        .collect();
    let mut docs: Vec<String> = Vec::new();
    for line in src.lines() {
        let t = line.trim();
        if let Some(d) = t.strip_prefix("///") {
            docs.push(d.trim().to_string());
            continue;
        }
        if let Some(rest) = t.strip_prefix("pub const ") {
            if let Some((name, tail)) = rest.split_once(": i32 = ") {
                let value: String = tail
                    .trim_end_matches(';')
                    .chars()
                    .filter(|c| *c != '_')
                    .collect();
                let cname = if name.starts_with("V2IM_") {
                    name.to_string()
                } else {
                    format!("V2IM_{name}")
                };
                if docs.is_empty() {
                    if let Some((_, text)) = texts.iter().find(|(n, _)| *n == name) {
                        docs.push(format!("{text}."));
                    }
                }
                if !docs.is_empty() {
                    let _ = writeln!(out, "/** {} */", docs.join(" ").replace("*/", "* /"));
                }
                let _ = writeln!(out, "#define {cname} {value}");
            }
        }
        docs.clear();
    }
    out.push_str("/** @} */\n");
    out
}
