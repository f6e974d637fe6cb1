//! The code table on its own, and against the places that list codes: docs/codes.md and the
//! Python package's constants.

use super::TABLE;
use crate::markdown::repo_file;
use std::collections::{BTreeMap, BTreeSet, HashSet};

fn declared() -> BTreeMap<i32, String> {
    TABLE.iter().map(|c| (c.value, c.name.to_owned())).collect()
}

#[test]
fn codes_and_names_are_unique() {
    let mut values = HashSet::new();
    let mut names = HashSet::new();
    for c in TABLE {
        assert!(values.insert(c.value), "duplicate code {}", c.value);
        assert!(names.insert(c.name), "duplicate name {}", c.name);
        assert!(
            !c.text.is_empty() && !c.doc.is_empty(),
            "{} needs a text and a doc",
            c.name
        );
    }
    // Retired codes are never given again.
    for retired in [6009, 6013, 6016, 9508] {
        assert!(!values.contains(&retired), "{retired} is retired");
    }
}

/// `| code | NAME | text |` rows of a markdown section, by code.
fn table_rows(section: &str) -> BTreeMap<i32, Vec<String>> {
    section
        .lines()
        .filter_map(|l| {
            let mut cells = l.trim_matches('|').split('|').map(str::trim);
            let value = cells.next()?.parse().ok()?;
            Some((value, cells.map(str::to_owned).collect()))
        })
        .collect()
}

/// docs/codes.md: its library table holds exactly the declared codes, its server table exactly
/// the wire codes, each with the text `v2im_error_str` gives.
#[test]
fn docs_list_exactly_the_declared_codes() {
    let doc = repo_file("docs/codes.md");
    let (library, server) = doc
        .split_once("\n## Codes from the server\n")
        .expect("docs/codes.md has a server section");
    let library = library
        .split_once("\n## Codes of the library\n")
        .expect("docs/codes.md has a library section")
        .1;
    let names: BTreeMap<i32, String> = table_rows(library)
        .into_iter()
        .map(|(value, cells)| (value, cells[0].clone()))
        .collect();
    assert_eq!(names, declared(), "docs/codes.md's library table");
    let wire: BTreeMap<i32, Vec<String>> = table_rows(server)
        .into_iter()
        .map(|(value, cells)| (value, cells[1..2].to_vec()))
        .collect();
    let want: BTreeMap<i32, Vec<String>> = v2im_wire::codes::TEXTS
        .iter()
        .filter(|(value, _)| *value != 0)
        .map(|(value, text)| (*value, vec![text.to_str().unwrap().to_owned()]))
        .collect();
    assert_eq!(wire, want, "docs/codes.md's server table (code, text)");
}

/// `NAME = value` lines of `bindings/python/src/v2im/errors.py` (the names without `V2IM_` for
/// Tencent's codes, as in Rust).
#[test]
fn python_constants_are_the_declared_codes() {
    let py = repo_file("bindings/python/src/v2im/errors.py");
    let consts: BTreeMap<i32, String> = py
        .lines()
        .filter_map(|l| {
            let (name, value) = l.split_once(" = ")?;
            let upper = name
                .chars()
                .all(|c| c.is_ascii_uppercase() || c == '_' || c.is_ascii_digit());
            (upper && (name.starts_with("ERR_") || name.starts_with("V2IM_") || name == "OK"))
                .then(|| Some((value.trim().parse().ok()?, name.to_owned())))?
        })
        .collect();
    assert_eq!(consts, declared(), "Python's v2im.errors constants");
}

/// The `{...}` block that follows `start` in `errors.py`, one entry per line.
fn python_block<'a>(py: &'a str, start: &str) -> Vec<&'a str> {
    let body = py
        .split_once(start)
        .unwrap_or_else(|| panic!("errors.py has {start}"))
        .1;
    let body = body
        .split_once("\n}")
        .expect("the block ends with a `}` line")
        .0;
    body.lines()
        .skip(1) // the rest of the opening line
        .map(|l| l.split('#').next().unwrap().trim())
        .filter(|l| !l.is_empty())
        .collect()
}

/// Python's exception families: `FAMILIES` gives every declared code but OK a class that
/// errors.py defines, and `SERVER_AUTH_CODES` holds server codes only, every UserSig code of the
/// server's table among them.
#[test]
fn python_families_cover_the_declared_codes() {
    let py = repo_file("bindings/python/src/v2im/errors.py");
    let families: BTreeMap<String, String> = python_block(&py, "\nFAMILIES: ")
        .into_iter()
        .map(|l| {
            let (name, class) = l
                .trim_end_matches(',')
                .split_once(": ")
                .unwrap_or_else(|| panic!("FAMILIES entry `{l}`"));
            (name.to_owned(), class.to_owned())
        })
        .collect();
    let want: BTreeSet<String> = declared().into_values().filter(|n| n != "OK").collect();
    let got: BTreeSet<String> = families.keys().cloned().collect();
    assert_eq!(
        got, want,
        "Python's errors.FAMILIES: the declared codes but OK"
    );
    for class in families.values() {
        assert!(
            py.contains(&format!("\nclass {class}(")),
            "errors.py defines no class {class}"
        );
    }

    let auth: HashSet<i32> = python_block(&py, "\nSERVER_AUTH_CODES = ")
        .into_iter()
        .map(|l| {
            l.trim_end_matches(',')
                .parse()
                .unwrap_or_else(|_| panic!("SERVER_AUTH_CODES entry `{l}`"))
        })
        .collect();
    let library = declared();
    for code in &auth {
        assert!(
            v2im_wire::codes::text(*code).is_some() && !library.contains_key(code),
            "SERVER_AUTH_CODES: {code} is not a server code"
        );
    }
    for (code, text) in v2im_wire::codes::TEXTS {
        if text.to_str().unwrap().contains("UserSig") {
            assert!(
                auth.contains(code),
                "SERVER_AUTH_CODES lacks {code} ({text:?})"
            );
        }
    }
}
