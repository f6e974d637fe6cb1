//! The reference under `docs/` against what it describes: the method index and a page per
//! method against the method table, the config page against the config's keys, the events page
//! against the events the library emits. (The codes and the model have their checks beside
//! their declarations.)

use crate::api::methods::{Run, METHODS};
use crate::markdown::{backticked, first_table, repo_file, section};
use std::collections::BTreeSet;
use std::path::Path;

const RUNS_LOCAL: &str =
    "**Runs:** local — the callback runs on the calling thread before `v2im_call` returns.";
const RUNS_NETWORK: &str = "**Runs:** network — the callback runs on the client's callback \
     thread, in completion order, never on the calling thread.";

fn declared_keys(m: &crate::api::methods::Method) -> BTreeSet<String> {
    (m.keys)().iter().map(|k| (*k).to_owned()).collect()
}

/// The names of a parameter cell, with `?` and the notes in parentheses left out.
fn index_keys(cell: &str) -> BTreeSet<String> {
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
    backticked(&plain)
        .into_iter()
        .map(|k| k.trim_end_matches('?').to_owned())
        .collect()
}

#[test]
fn method_index_matches_the_method_table() {
    let index = repo_file("docs/README.md");
    let rows = first_table(section(&index, "## Methods").expect("docs/README.md has Methods")).rows;
    let names: Vec<String> = rows.iter().map(|r| backticked(&r[0])[0].clone()).collect();
    let declared: Vec<&str> = METHODS.iter().map(|m| m.name).collect();
    assert_eq!(names, declared, "docs/README.md's method table, in order");
    for (row, m) in rows.iter().zip(METHODS) {
        assert!(
            row[0].ends_with(&format!("(methods/{}.md)", m.name)),
            "{}: the index links its page: {}",
            m.name,
            row[0]
        );
        let runs = row.last().unwrap();
        let local = matches!(m.run, Run::Local(_));
        assert_eq!(
            runs.starts_with("local"),
            local,
            "{}: runs \"{runs}\"",
            m.name
        );
        let documented = if row[1] == "none" {
            BTreeSet::new()
        } else {
            index_keys(&row[1])
        };
        assert_eq!(documented, declared_keys(m), "{}: index parameters", m.name);
    }
}

#[test]
fn every_method_has_its_page_and_no_other_page_exists() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/methods");
    let pages: BTreeSet<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let want: BTreeSet<String> = METHODS.iter().map(|m| format!("{}.md", m.name)).collect();
    assert_eq!(pages, want, "docs/methods/");
}

/// Each page: its title, how it runs, exactly the method's keys, a result, codes that exist and
/// an example.
#[test]
fn method_pages_match_the_method_table() {
    let known = |code: i32| {
        crate::codes::TABLE.iter().any(|c| c.value == code)
            || v2im_wire::codes::text(code).is_some()
    };
    for m in METHODS {
        let path = format!("docs/methods/{}.md", m.name);
        let page = repo_file(&path);
        assert!(
            page.starts_with(&format!("# `{}`\n", m.name)),
            "{path}: the title is the method's name"
        );
        let runs = match m.run {
            Run::Local(_) => RUNS_LOCAL,
            Run::Network(_) => RUNS_NETWORK,
        };
        assert!(
            page.lines().any(|l| l == runs),
            "{path}: says how it runs, as: {runs}"
        );

        let params =
            section(&page, "## Parameters").unwrap_or_else(|| panic!("{path}: Parameters"));
        let rows = first_table(params).rows;
        let keys: BTreeSet<String> = rows.iter().map(|r| backticked(&r[0]).concat()).collect();
        assert_eq!(keys.len(), rows.len(), "{path}: a parameter listed twice");
        assert_eq!(keys, declared_keys(m), "{path}: the parameters table");
        if rows.is_empty() {
            assert_eq!(
                params.trim(),
                "None.",
                "{path}: no parameters is written \"None.\""
            );
        }
        for r in &rows {
            assert!(
                r.len() == 4 && (r[2] == "required" || r[2] == "optional") && !r[3].is_empty(),
                "{path}: row {r:?} is | key | type | required or optional | meaning |"
            );
        }

        let result = section(&page, "## Result").unwrap_or_else(|| panic!("{path}: Result"));
        assert!(
            result.contains("`data`"),
            "{path}: the Result says what `data` is"
        );

        let codes =
            first_table(section(&page, "## Codes").unwrap_or_else(|| panic!("{path}: Codes"))).rows;
        assert!(!codes.is_empty(), "{path}: a Codes table");
        for r in &codes {
            let code: i32 = r[0]
                .parse()
                .unwrap_or_else(|_| panic!("{path}: code {:?} is a number", r[0]));
            assert!(known(code), "{path}: code {code} is declared nowhere");
            assert!(
                r.len() == 2 && !r[1].is_empty(),
                "{path}: code {code} says when"
            );
        }
        if !(m.keys)().is_empty() {
            assert!(
                codes.iter().any(|r| r[0] == "6017"),
                "{path}: a method with parameters lists 6017"
            );
        }

        let example = section(&page, "## Example").unwrap_or_else(|| panic!("{path}: Example"));
        assert!(example.contains("```json"), "{path}: the example is JSON");
    }
}

#[test]
fn config_page_lists_every_key() {
    let page = repo_file("docs/config.md");
    let rows = first_table(&page).rows;
    let keys: BTreeSet<String> = rows.iter().map(|r| backticked(&r[0]).concat()).collect();
    let want: BTreeSet<String> = crate::config::keys()
        .iter()
        .map(|k| (*k).to_owned())
        .collect();
    assert_eq!(keys, want, "docs/config.md's table");
}

/// The events are named where they are emitted (`dispatch.event("onLog", ...)`): the names are
/// the `"on..."` literals of the library's non-test sources.
fn emitted_events() -> BTreeSet<String> {
    fn walk(dir: &Path, out: &mut BTreeSet<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let path = e.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                if name != "tests" {
                    walk(&path, out);
                }
                continue;
            }
            if !name.ends_with(".rs") || name == "tests.rs" || name.ends_with("_tests.rs") {
                continue;
            }
            let src = std::fs::read_to_string(&path).unwrap();
            let src = src.split("#[cfg(test)]\nmod tests").next().unwrap();
            for lit in src.split('"').skip(1).step_by(2) {
                let mut chars = lit.chars();
                let named = lit.starts_with("on")
                    && chars.nth(2).is_some_and(|c| c.is_ascii_uppercase())
                    && lit.chars().all(|c| c.is_ascii_alphanumeric());
                if named {
                    out.insert(lit.to_owned());
                }
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut out);
    out
}

#[test]
fn events_page_lists_every_event() {
    let page = repo_file("docs/events.md");
    let documented: BTreeSet<String> = first_table(&page)
        .rows
        .iter()
        .flat_map(|r| backticked(&r[0]))
        .collect();
    let emitted = emitted_events();
    assert!(
        emitted.contains("onRecvNewMessage") && emitted.len() >= 10,
        "{emitted:?}"
    );
    assert_eq!(documented, emitted, "docs/events.md's table");
}

/// GitHub's anchor for a heading: lower case, punctuation other than `-` and `_` dropped,
/// spaces to `-`.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

fn anchors(doc: &str) -> BTreeSet<String> {
    let mut fenced = false;
    doc.lines()
        .filter(|l| {
            if l.starts_with("```") {
                fenced = !fenced;
            }
            !fenced && l.starts_with('#')
        })
        .map(|l| anchor(l.trim_start_matches('#')))
        .collect()
}

/// Every markdown file of the repository (build trees, `target/` and hidden directories aside).
fn markdown_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let path = e.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            let skip = name.starts_with('.')
                || name.starts_with("build")
                || name == "target"
                || name == "corpus"
                || name == "artifacts";
            if !skip {
                markdown_files(&path, out);
            }
        } else if name.ends_with(".md") {
            out.push(path);
        }
    }
}

/// The repository stands on its own: each relative link of its markdown leads to a file in it,
/// and each `#anchor` to a heading of that file.
#[test]
fn markdown_links_resolve_inside_the_repository() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    markdown_files(root, &mut files);
    assert!(files.len() >= 10, "{files:?}");
    let mut broken = Vec::new();
    for file in &files {
        let doc = std::fs::read_to_string(file).unwrap();
        let mut fenced = false;
        for line in doc.lines() {
            if line.starts_with("```") {
                fenced = !fenced;
            }
            if fenced {
                continue;
            }
            for link in line.split("](").skip(1) {
                let Some(target) = link.split(')').next() else {
                    continue;
                };
                if target.contains("://") || target.starts_with("mailto:") {
                    continue;
                }
                let (path, fragment) = target.split_once('#').unwrap_or((target, ""));
                let to = if path.is_empty() {
                    file.clone()
                } else {
                    file.parent().unwrap().join(path)
                };
                let here = file.strip_prefix(root).unwrap().display();
                if !to.exists() || !to.canonicalize().unwrap().starts_with(root) {
                    broken.push(format!("{here}: {target} (no such file in the repository)"));
                } else if !fragment.is_empty() {
                    let target_doc = std::fs::read_to_string(&to).unwrap_or_default();
                    if !anchors(&target_doc).contains(fragment) {
                        broken.push(format!("{here}: {target} (no such heading)"));
                    }
                }
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}
