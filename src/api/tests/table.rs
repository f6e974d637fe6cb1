//! The method table against the places that document it: the README's method table and the
//! header's method list.

use crate::api::methods::{Run, METHODS};
use std::collections::BTreeSet;
use std::path::Path;

fn repo_file(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The backticked names of a README parameter cell, notes in parentheses left out.
fn documented_keys(cell: &str) -> BTreeSet<String> {
    let mut plain = String::new();
    let mut depth = 0;
    for c in cell.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            _ if depth == 0 => plain.push(c),
            _ => {}
        }
    }
    plain
        .split('`')
        .skip(1)
        .step_by(2)
        .map(|k| k.trim_end_matches('?').to_owned())
        .collect()
}

#[test]
fn names_are_unique_and_found() {
    let mut seen = BTreeSet::new();
    for m in METHODS {
        assert!(seen.insert(m.name), "{} declared twice", m.name);
        assert!(std::ptr::eq(crate::api::methods::find(m.name).unwrap(), m));
        assert!(
            !(m.keys)().is_empty() || m.name == "getTotalUnreadMessageCount",
            "{} has no params",
            m.name
        );
    }
}

#[test]
fn readme_method_table_matches() {
    let readme = repo_file("README.md");
    let section = readme
        .split_once("\n## Methods\n")
        .expect("README has a Methods section")
        .1;
    let section = section.split("\n## ").next().unwrap();
    let rows: Vec<Vec<&str>> = section
        .lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| l.trim_matches('|').split(" | ").map(str::trim).collect())
        .collect();
    let names: Vec<&str> = rows.iter().map(|r| r[0].trim_matches('`')).collect();
    let declared: Vec<&str> = METHODS.iter().map(|m| m.name).collect();
    assert_eq!(
        names, declared,
        "README's method table, in the table's order"
    );
    for (row, m) in rows.iter().zip(METHODS) {
        let runs = row.last().unwrap();
        let local = matches!(m.run, Run::Local(_));
        assert_eq!(
            runs.starts_with("local"),
            local,
            "{}: runs \"{runs}\"",
            m.name
        );
        let want: BTreeSet<String> = (m.keys)().iter().map(|k| (*k).to_owned()).collect();
        assert_eq!(
            documented_keys(row[1]),
            want,
            "{}: README parameters",
            m.name
        );
    }
}

#[test]
fn header_method_list_matches() {
    let header = repo_file("include/v2im.h");
    let doc = header
        .split_once("Methods (V2TIM's names and parameters")
        .expect("v2im_call documents its methods")
        .1;
    let doc = doc.split("Returns 0").next().unwrap();
    let list = |kind: &str| -> &str {
        let from = doc.split_once(kind).expect("a list of each kind").1;
        from.split('.').next().unwrap()
    };
    let (local, network) = (list("local —"), list("network —"));
    let names = |s: &str| -> BTreeSet<String> {
        s.split('`').skip(1).step_by(2).map(str::to_owned).collect()
    };
    let want = |is_local: bool| -> BTreeSet<String> {
        METHODS
            .iter()
            .filter(|m| matches!(m.run, Run::Local(_)) == is_local)
            .map(|m| m.name.to_owned())
            .collect()
    };
    assert_eq!(names(local), want(true), "v2im_call's local methods");
    assert_eq!(names(network), want(false), "v2im_call's network methods");
}
