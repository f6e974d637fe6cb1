//! The committed include/v2im.h is the generated one; its version macros and result codes match
//! the library. `V2IM_UPDATE_HEADER=1 cargo test -p v2im --test it header` rewrites the snapshot.

use std::ffi::CStr;
use std::path::Path;

fn generated() -> String {
    let p = Path::new(env!("OUT_DIR")).join("include/v2im.h");
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn define(header: &str, name: &str) -> Option<String> {
    header.lines().find_map(|l| {
        let rest = l.strip_prefix("#define ")?;
        let (n, v) = rest.split_once(' ')?;
        (n == name).then(|| v.trim().to_string())
    })
}

#[test]
fn committed_header_is_the_generated_one() {
    let committed_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("include/v2im.h");
    let fresh = generated();
    if std::env::var_os("V2IM_UPDATE_HEADER").is_some() {
        std::fs::write(&committed_path, &fresh).expect("write include/v2im.h");
    }
    let committed = std::fs::read_to_string(&committed_path).expect("include/v2im.h");
    assert!(
        committed == fresh,
        "include/v2im.h differs from the generated header; review and run \
         `V2IM_UPDATE_HEADER=1 cargo test -p v2im --test it header`"
    );
}

#[test]
fn version_macros_equal_runtime_and_cargo() {
    let h = generated();
    let runtime = unsafe { CStr::from_ptr(v2im::ffi::v2im_version()) }
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(runtime, env!("CARGO_PKG_VERSION"));
    assert_eq!(
        define(&h, "V2IM_VERSION_STRING").unwrap(),
        format!("\"{runtime}\"")
    );
    assert_eq!(
        define(&h, "V2IM_VERSION_MAJOR").unwrap(),
        env!("CARGO_PKG_VERSION_MAJOR")
    );
    assert_eq!(
        define(&h, "V2IM_VERSION_MINOR").unwrap(),
        env!("CARGO_PKG_VERSION_MINOR")
    );
    assert_eq!(
        define(&h, "V2IM_VERSION_PATCH").unwrap(),
        env!("CARGO_PKG_VERSION_PATCH")
    );
}

#[test]
fn every_code_has_a_macro_and_a_text() {
    let h = generated();
    let mut defined = 0;
    for l in h.lines() {
        let Some(rest) = l.strip_prefix("#define V2IM_") else {
            continue;
        };
        // The include guard has no value.
        let Some((name, value)) = rest.split_once(' ') else {
            continue;
        };
        if name.starts_with("VERSION_") {
            continue;
        }
        let value: i32 = value.trim().parse().unwrap_or_else(|_| panic!("{l}"));
        let code = v2im::codes::TABLE
            .iter()
            .find(|c| c.value == value)
            .unwrap_or_else(|| panic!("V2IM_{name} = {value} is not a declared code"));
        assert_eq!(code.c_name(), format!("V2IM_{name}"));
        defined += 1;
    }
    for code in v2im::codes::TABLE {
        assert!(
            h.contains(&format!("#define {} {}\n", code.c_name(), code.value)),
            "code {} has no macro",
            code.value
        );
        let s = unsafe { CStr::from_ptr(v2im::ffi::v2im_error_str(code.value)) };
        assert_eq!(s, code.text);
    }
    assert_eq!(defined, v2im::codes::TABLE.len());
    assert!(!unsafe { CStr::from_ptr(v2im::ffi::v2im_error_str(-12345)) }.is_empty());
}

/// Every code v2im-server can answer with (Tencent's REST codes, declared in v2im-wire) has a
/// text of its own, not the text of an unknown code.
#[test]
fn server_codes_have_their_own_text() {
    let text = |code| {
        unsafe { CStr::from_ptr(v2im::ffi::v2im_error_str(code)) }
            .to_str()
            .unwrap()
            .to_owned()
    };
    let unknown = text(-12345);
    for (code, want) in v2im_wire::codes::TEXTS {
        let got = text(*code);
        assert_ne!(got, unknown, "{code}");
        if v2im::codes::TABLE.iter().all(|c| c.value != *code) {
            assert_eq!(got, want.to_str().unwrap(), "{code}");
        }
    }
    assert!(text(90003).contains("To_Account"));
    assert!(text(10010).contains("group"));
    assert!(text(70009).contains("UserSig"));
}

#[test]
fn header_declares_exactly_the_six_functions() {
    let h = generated();
    let mut fns: Vec<&str> = h
        .lines()
        .filter(|l| {
            l.contains("v2im_")
                && l.contains('(')
                && !l.starts_with([' ', '/', '#'])
                && !l.starts_with("typedef")
        })
        .filter_map(|l| l.split('(').next()?.rsplit([' ', '*']).next())
        .collect();
    fns.sort_unstable();
    assert_eq!(
        fns,
        [
            "v2im_call",
            "v2im_client_free",
            "v2im_client_new",
            "v2im_error_str",
            "v2im_set_event_callback",
            "v2im_version"
        ]
    );
    assert!(h.contains("typedef struct v2im_client v2im_client;"));
    assert!(h.contains("#ifndef V2IM_H"));
    assert!(h.contains("extern \"C\""));
}
