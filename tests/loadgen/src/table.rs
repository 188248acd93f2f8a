//! The Markdown rendering: one row per metric with a column per target and the ratio
//! Confab ÷ bare where both are numbers; ramp steps and first errors below it.

use std::fmt::Write;

use crate::config::TargetKind;
use crate::report::{Outcome, Report};
use crate::rows::{Cell, Rows, rows};

fn num(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 || a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 0.1 {
        format!("{v:.2}")
    } else {
        format!("{v:.4}")
    }
}

fn show(c: Option<&Cell>) -> String {
    match c {
        Some(Cell::Num(v)) => num(*v),
        Some(Cell::Int(v)) => v.to_string(),
        Some(Cell::Text(t)) => t.replace('|', "\\|"),
        Some(Cell::None) | None => "–".into(),
    }
}

/// The whole report as Markdown.
pub fn markdown(report: &Report) -> String {
    let by_kind = |k: TargetKind| report.target(k).map(|t| rows(&t.outcome));
    let (bare, confab) = (by_kind(TargetKind::Bare), by_kind(TargetKind::Confab));
    let metrics: Vec<String> = bare
        .iter()
        .chain(confab.iter())
        .flatten()
        .map(|(m, _)| m.clone())
        .fold(Vec::new(), |mut all, m| {
            if !all.contains(&m) {
                all.push(m);
            }
            all
        });
    let find = |rows: &Option<Rows>, m: &str| -> Option<f64> {
        match rows.as_ref()?.iter().find(|(k, _)| k == m)? {
            (_, Cell::Num(v)) => Some(*v),
            (_, Cell::Int(v)) => Some(*v as f64),
            _ => None,
        }
    };
    let cell = |rows: &Option<Rows>, m: &str| {
        show(
            rows.as_ref()
                .and_then(|r| r.iter().find(|(k, _)| k == m).map(|(_, c)| c)),
        )
    };
    let mut out = String::new();
    let _ = writeln!(out, "| scenario | metric | bare | confab | confab ÷ bare |");
    let _ = writeln!(out, "|---|---|---:|---:|---:|");
    for m in &metrics {
        let ratio = match (find(&bare, m), find(&confab, m)) {
            (Some(b), Some(c)) if b != 0.0 => format!("{:.2}", c / b),
            _ => "–".into(),
        };
        let _ = writeln!(
            out,
            "| {} | {m} | {} | {} | {ratio} |",
            report.scenario,
            cell(&bare, m),
            cell(&confab, m)
        );
    }
    for t in &report.targets {
        if let Outcome::Ramp(p) = &t.outcome {
            let _ = writeln!(out, "\n{} ramp steps:\n", t.target.name());
            let _ = writeln!(
                out,
                "| rate (msg/s) | sent | errors | deliveries/s | lost | p50 (ms) | p99 (ms) | max (ms) | CPU/delivery (µs) | good |"
            );
            let _ = writeln!(out, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
            for s in &p.steps {
                let l = &s.delivery.latency;
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                    num(s.rate),
                    s.sends.ok,
                    s.sends.errors + s.sends.unsent,
                    num(s.delivery.per_sec),
                    s.delivery.lost,
                    num(l.p50_ms),
                    num(l.p99_ms),
                    num(l.max_ms),
                    s.server_us_per_delivery.map_or("–".into(), num),
                    if s.good { "yes" } else { "no" }
                );
            }
        }
    }
    let notes = errors(report);
    if !notes.is_empty() {
        let _ = writeln!(out, "\n{notes}");
    }
    out
}

fn errors(report: &Report) -> String {
    let mut out = String::new();
    for t in &report.targets {
        let (streams, sends) = match &t.outcome {
            Outcome::Idle(i) => (&i.streams, None),
            Outcome::Fanout(f) => (&f.streams, Some(&f.sends)),
            Outcome::Dms(d) => (&d.streams, Some(&d.sends)),
            Outcome::Ramp(p) => (
                &p.streams,
                p.steps
                    .iter()
                    .map(|s| &s.sends)
                    .find(|s| s.first_error.is_some()),
            ),
        };
        if let Some(e) = &streams.first_error {
            let _ = writeln!(out, "- {} stream error (first seen): {e}", t.target.name());
        }
        if let Some(e) = sends.and_then(|s| s.first_error.as_ref()) {
            let _ = writeln!(out, "- {} send error (first seen): {e}", t.target.name());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{FanoutResult, TargetReport};

    fn fanout(kind: TargetKind, delivered: u64) -> TargetReport {
        let mut f = FanoutResult::default();
        f.delivery.delivered = delivered;
        TargetReport {
            target: kind,
            url: String::new(),
            server_pid: None,
            outcome: Outcome::Fanout(f),
        }
    }

    #[test]
    fn rows_pair_the_targets_with_the_ratio() {
        let report = Report {
            scenario: "fanout".into(),
            targets: vec![
                fanout(TargetKind::Bare, 100),
                fanout(TargetKind::Confab, 50),
            ],
        };
        let md = markdown(&report);
        assert!(
            md.contains("| fanout | deliveries | 100 | 50 | 0.50 |"),
            "{md}"
        );
        assert!(md.contains("| fanout | lost | 0 | 0 | – |"), "{md}");
    }

    #[test]
    fn a_missing_target_leaves_its_column_empty() {
        let report = Report {
            scenario: "fanout".into(),
            targets: vec![fanout(TargetKind::Confab, 7)],
        };
        assert!(markdown(&report).contains("| fanout | deliveries | – | 7 | – |"));
    }
}
