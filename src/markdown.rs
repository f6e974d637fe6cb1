//! Reading the repository's markdown in tests: the reference pages under `docs/` are held
//! against the declarations they describe (methods, keys, codes, events).

use std::path::Path;

/// A file of the repository, by its path from the root.
pub(crate) fn repo_file(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The text under the heading line `heading` (e.g. `"## Parameters"`), up to the next heading of
/// the same or a higher level.
pub(crate) fn section<'a>(doc: &'a str, heading: &str) -> Option<&'a str> {
    let level = heading.chars().take_while(|&c| c == '#').count();
    let start = doc
        .match_indices(heading)
        .find(|(i, _)| {
            (*i == 0 || doc[..*i].ends_with('\n'))
                && doc[i + heading.len()..].starts_with(['\n', '\r'])
        })?
        .0
        + heading.len();
    let body = &doc[start..];
    let end = body
        .match_indices("\n#")
        .find(|(i, _)| {
            let hashes = body[i + 1..].chars().take_while(|&c| c == '#').count();
            hashes <= level && body[i + 1 + hashes..].starts_with(' ')
        })
        .map_or(body.len(), |(i, _)| i);
    Some(&body[..end])
}

/// A markdown table: its header cells and its body rows (the rule line left out).
pub(crate) struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// The cells of a table line, trimmed; an escaped `\|` (inside backticks, say) is kept.
fn cells(line: &str) -> Vec<String> {
    let inner = line.trim().trim_start_matches('|');
    let inner = inner.strip_suffix('|').unwrap_or(inner);
    inner
        .replace("\\|", "\u{0}")
        .split('|')
        .map(|c| c.trim().replace('\u{0}', "|"))
        .collect()
}

/// The first table of `text` (empty when it has none).
pub(crate) fn first_table(text: &str) -> Table {
    let mut lines = text
        .lines()
        .map(str::trim)
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'));
    let header = lines.next().map(cells).unwrap_or_default();
    Table {
        header,
        rows: lines.skip(1).map(cells).collect(),
    }
}

/// The backticked names of a cell (`` `a`, `b?` `` gives `a`, `b?`).
pub(crate) fn backticked(cell: &str) -> Vec<String> {
    cell.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

#[test]
fn sections_end_at_their_level() {
    let doc = "# T\nintro\n## A\na\n### A1\na1\n## B\nb\n";
    assert_eq!(section(doc, "## A"), Some("\na\n### A1\na1"));
    assert_eq!(section(doc, "### A1"), Some("\na1"));
    assert_eq!(section(doc, "## B"), Some("\nb\n"));
    assert_eq!(section(doc, "## C"), None);
    let table = "x\n| k | v |\n|---|---|\n| `a` | 1 |\n| `b \\| c` | 2 |\n\nafter | no\n";
    let t = first_table(table);
    assert_eq!(t.header, ["k", "v"]);
    assert_eq!(t.rows, [["`a`", "1"], ["`b | c`", "2"]]);
    assert!(first_table("no table").rows.is_empty());
    assert_eq!(backticked("`a`, `b?` (`c`)"), ["a", "b?", "c"]);
}
