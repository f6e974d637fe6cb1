//! The run's rows as `bench/results.json` (for tools) and `bench/results.svg` (for the README):
//! each target's ratio against its limit.

use crate::{verdict, Check, Row};
use serde_json::json;
use std::fmt::Write as _;

/// What the run was.
pub(crate) struct Meta {
    pub tree: String,
    pub date: String,
    pub nproc: usize,
    pub conns: usize,
    pub rounds: usize,
    pub secs: u64,
}

/// `{"tree", "date", ..., "rows": [{"target", "measured", "baseline", "ratio", "limit", "op",
/// "pass"}]}`; `ratio`, `limit`, `op` and `pass` are null where a row has none.
pub(crate) fn json(meta: &Meta, rows: &[Row]) -> String {
    let rows: Vec<_> = rows
        .iter()
        .map(|r| {
            let limit = r.check.limit();
            json!({
                "target": r.target,
                "measured": r.measured,
                "baseline": r.baseline,
                "ratio": r.check.ratio().filter(|v| v.is_finite()),
                "op": limit.map(|(op, _)| op),
                "limit": limit.map(|(_, l)| l),
                "pass": r.check.pass(),
                "result": verdict(r.check.pass()).trim_matches('*'),
            })
        })
        .collect();
    let doc = json!({
        "tree": meta.tree,
        "date": meta.date,
        "nproc": meta.nproc,
        "connections": meta.conns,
        "rounds": meta.rounds,
        "wrk_seconds": meta.secs,
        "rows": rows,
    });
    serde_json::to_string_pretty(&doc).expect("JSON of strings and numbers") + "\n"
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A bar per target with a limit: its headroom (how far the ratio is from failing: the ratio
/// over the limit for an at-least target, the limit over the ratio for an at-most one), on a
/// scale from 0 to 2 where the limit is the line at 1. Green passes, red fails; a row without
/// a target is listed with its ratio and no bar.
pub(crate) fn svg(meta: &Meta, rows: &[Row]) -> String {
    const LABEL_W: f64 = 420.0;
    const BAR_W: f64 = 300.0;
    const ROW_H: f64 = 22.0;
    const TOP: f64 = 46.0;
    let width = LABEL_W + BAR_W + 150.0;
    let height = TOP + ROW_H * rows.len() as f64 + 30.0;
    let x_of = |h: f64| LABEL_W + BAR_W * (h.clamp(0.0, 2.0) / 2.0);
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(
        s,
        r##"<rect width="100%" height="100%" fill="#ffffff"/>
<text x="8" y="18" font-size="14" font-weight="bold">v2im benchmark: each target's ratio against its limit</text>
<text x="8" y="36" fill="#555555">{} · {} · {} cores · {} connections · medians of {} rounds · bar = headroom, the line = the limit</text>"##,
        escape(&meta.tree),
        escape(&meta.date),
        meta.nproc,
        meta.conns,
        meta.rounds
    );
    let (x0, x1, x2) = (x_of(0.0), x_of(1.0), x_of(2.0));
    let bottom = TOP + ROW_H * rows.len() as f64;
    for (i, r) in rows.iter().enumerate() {
        let y = TOP + ROW_H * i as f64;
        if i % 2 == 0 {
            let _ = writeln!(
                s,
                r##"<rect x="0" y="{y}" width="{width}" height="{ROW_H}" fill="#f4f4f4"/>"##
            );
        }
        // The target's number and the start of its text.
        let mut label: String = r.target.chars().take(56).collect();
        if r.target.chars().count() > 56 {
            label.push('…');
        }
        let _ = writeln!(
            s,
            r#"<text x="8" y="{}">{}</text>"#,
            y + 15.0,
            escape(&label)
        );
        let text = r.check.text();
        match r.check.headroom() {
            Some(h) => {
                let colour = if r.check.pass() == Some(true) {
                    "#2e7d32"
                } else {
                    "#c62828"
                };
                let w = (x_of(h) - x0).max(1.0);
                let _ = writeln!(
                    s,
                    r#"<rect x="{x0}" y="{}" width="{w:.1}" height="{}" fill="{colour}"/>"#,
                    y + 4.0,
                    ROW_H - 8.0
                );
                let more = if h > 2.0 { " ▸" } else { "" };
                let _ = writeln!(
                    s,
                    r#"<text x="{}" y="{}">{}{more}</text>"#,
                    x2 + 8.0,
                    y + 15.0,
                    escape(&text)
                );
            }
            None => {
                let what = match r.check {
                    Check::Unmeasured => "not measured".to_owned(),
                    _ => format!("{text}, no target"),
                };
                let _ = writeln!(
                    s,
                    r##"<text x="{}" y="{}" fill="#555555">{}</text>"##,
                    x0 + 4.0,
                    y + 15.0,
                    escape(&what)
                );
            }
        }
    }
    let _ = writeln!(
        s,
        r##"<line x1="{x1}" y1="{}" x2="{x1}" y2="{}" stroke="#000000" stroke-dasharray="4 3"/>
<text x="{x0}" y="{}" fill="#555555">0</text>
<text x="{}" y="{}" fill="#555555">limit</text>
<text x="{}" y="{}" fill="#555555">2 × headroom</text>
</svg>"##,
        TOP - 4.0,
        bottom + 4.0,
        bottom + 18.0,
        x1 - 12.0,
        bottom + 18.0,
        x2 - 60.0,
        bottom + 18.0
    );
    s
}
