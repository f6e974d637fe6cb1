//! The method table on its own and against the header's method list (the reference pages are
//! checked in `src/docs_tests.rs`).

use crate::api::methods::{Run, METHODS};
use crate::markdown::repo_file;
use std::collections::BTreeSet;

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
