//! The committed benchmark results are one whole run of `bench/run`, and the README shows that
//! run: `bench/results.json` has a row with a verdict for each performance target, that verdict
//! follows from its ratio and limit, and `bench/RESULTS.md`, `bench/results.svg` and the
//! README's table say the same. (The figures themselves come from `bench/run`: timing
//! assertions have no place in tests on a shared machine.)

use serde_json::Value;
use std::path::Path;

fn repo(path: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn results() -> Value {
    serde_json::from_str(&repo("bench/results.json")).expect("bench/results.json is JSON")
}

/// A row's id: the target's number and letter (`"2b"`).
fn id(row: &Value) -> String {
    let target = row["target"].as_str().expect("a target");
    target
        .split_once(". ")
        .expect("`<id>. <text>`")
        .0
        .to_owned()
}

/// The rows measuring the eight targets of the performance work (one conversation, many
/// conversations, the server, latency, the accept cost, memory, size), each with a limit.
const TARGET_ROWS: &[&str] = &[
    "1", "2", "2b", "2c", "2d", "2e", "3a", "4a", "4c", "5", "7a", "7b",
];

/// Rows without a target that show why the server's rows miss theirs: a sendmsg refused right
/// after parsing, which stores nothing, against `/healthz` at 4 and 16 connections.
const SERVER_CEILING_ROWS: &[&str] = &["2f", "2g"];

#[test]
fn the_server_rows_come_with_what_a_send_that_stores_nothing_reaches() {
    let r = results();
    let rows = r["rows"].as_array().expect("rows");
    for want in SERVER_CEILING_ROWS {
        let row = rows
            .iter()
            .find(|row| id(row) == *want)
            .unwrap_or_else(|| panic!("bench/results.json has no row {want}"));
        let ratio = row["ratio"].as_f64().expect("a ratio");
        assert!(ratio > 0.0, "row {want}: ratio {ratio}");
        assert!(row["limit"].is_null(), "row {want} has no target");
        assert!(
            row["measured"]
                .as_str()
                .is_some_and(|m| m.starts_with("refused sendmsg ")),
            "row {want}: {}",
            row["measured"]
        );
    }
    let notes = repo("bench/RESULTS.md");
    for conns in [4, 16] {
        assert!(
            notes.contains(&format!("- 2f–2g, {conns} connections: ")),
            "RESULTS.md has no note on the room for storing at {conns} connections"
        );
    }
}

#[test]
fn every_target_has_a_row_whose_verdict_follows_from_its_ratio() {
    let r = results();
    let rows = r["rows"].as_array().expect("rows");
    for want in TARGET_ROWS {
        assert!(
            rows.iter().any(|row| id(row) == *want),
            "bench/results.json has no row {want}"
        );
    }
    for row in rows {
        let (Some(ratio), Some(op), Some(limit)) = (
            row["ratio"].as_f64(),
            row["op"].as_str(),
            row["limit"].as_f64(),
        ) else {
            assert!(
                !TARGET_ROWS.contains(&id(row).as_str()),
                "row {} has no ratio or limit",
                id(row)
            );
            continue;
        };
        let pass = match op {
            "≥" => ratio >= limit,
            "≤" => ratio <= limit,
            other => panic!("row {}: op {other}", id(row)),
        };
        assert_eq!(row["pass"].as_bool(), Some(pass), "row {}", id(row));
        let result = if pass { "pass" } else { "FAIL" };
        assert_eq!(row["result"].as_str(), Some(result), "row {}", id(row));
    }
}

#[test]
fn results_md_the_chart_and_the_readme_show_the_same_run() {
    let r = results();
    let rows = r["rows"].as_array().expect("rows");
    let tree = r["tree"].as_str().expect("tree");
    let date = r["date"].as_str().expect("date");

    let md = repo("bench/RESULTS.md");
    assert!(
        md.contains(&format!("Tree measured: `{tree}`")),
        "RESULTS.md is of another tree"
    );
    let svg = repo("bench/results.svg");
    assert!(
        svg.contains(tree) && svg.contains(date),
        "results.svg is of another run"
    );
    let readme = repo("README.md");
    assert!(
        readme.contains(&format!("The last run ({date},")),
        "the README's table is not of the run of {date}"
    );
    for row in rows {
        let (target, measured) = (
            row["target"].as_str().unwrap(),
            row["measured"].as_str().unwrap(),
        );
        assert!(
            md.contains(&format!("| {target} | {measured} |")),
            "RESULTS.md lacks row {}",
            id(row)
        );
        let label: String = target.chars().take(56).collect();
        let label = label
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;");
        assert!(svg.contains(&label), "results.svg lacks row {}", id(row));

        // The README's row: `| <id>. <short text> | measured | baseline | ratio | result |`.
        let prefix = format!("| {}. ", id(row));
        let line = readme
            .lines()
            .find(|l| l.starts_with(&prefix))
            .unwrap_or_else(|| panic!("the README's table has no row {}", id(row)));
        let cells: Vec<&str> = line.trim_matches('|').split(" | ").map(str::trim).collect();
        assert_eq!(cells.len(), 5, "{line}");
        if let Some(ratio) = row["ratio"].as_f64() {
            assert!(
                cells[3].starts_with(&format!("{ratio:.2}")),
                "README row {}: ratio {} but the run has {ratio:.2}",
                id(row),
                cells[3]
            );
        }
        let result = match row["result"].as_str() {
            Some("pass") => "pass",
            Some("FAIL") => "**fail**",
            _ => "no target",
        };
        assert_eq!(cells[4], result, "README row {}", id(row));
    }
}
