//! The printed report: a Markdown table per measurement and a verdict per target of the issue.
//! Verdicts are informative; the bench exits 0 whenever it managed to measure.

use std::fmt;
use std::time::Duration;

/// The targets.
const MIN_VERSUS_BARE: f64 = 0.9;
const MAX_P99_MS: f64 = 2.0;
const MAX_RSS_MB: f64 = 30.0;
const MAX_HEALTHY: Duration = Duration::from_millis(100);
/// "Flat" memory: RSS may grow by less than this after the first sample.
const FLAT_TOLERANCE_MB: f64 = 1.0;

/// One measured target.
#[derive(Clone, Debug)]
pub struct Row {
    pub target: String,
    /// Bare rows are the baseline: they get no verdicts.
    pub is_mock: bool,
    pub requests_per_sec: f64,
    /// `requests_per_sec` over that of the bare handler answering the same bytes.
    pub versus_bare: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
    /// Server CPU (user + system) per 2xx answer: the fair cost measure while the generator
    /// competes for the same cores.
    pub cpu_us_per_request: f64,
    pub rss_mb_after: f64,
    pub errors: u64,
}

/// RSS of the mock sampled while it serves a fixed number of requests.
#[derive(Clone, Debug)]
pub struct Flatness {
    pub label: String,
    pub samples: Vec<Sample>,
}

/// RSS after one stretch of the flatness run.
#[derive(Clone, Debug)]
pub struct Sample {
    /// Requests served so far.
    pub requests: u64,
    pub rss_mb: f64,
    /// Rate of the stretch that ended here.
    pub requests_per_sec: f64,
    /// Errors in that stretch.
    pub errors: u64,
}

impl Flatness {
    /// RSS growth from the first sample to the last.
    pub fn growth_mb(&self) -> f64 {
        match (self.samples.first(), self.samples.last()) {
            (Some(first), Some(last)) => last.rss_mb - first.rss_mb,
            _ => 0.0,
        }
    }
}

/// Everything the bench prints.
#[derive(Clone, Debug)]
pub struct Report {
    /// One line saying how the load was shaped.
    pub setup: String,
    pub rows: Vec<Row>,
    /// From spawning the mock to its first 200 on `/__admin/health`.
    pub healthy_after: Duration,
    /// RSS of the mock right after it became healthy.
    pub idle_rss_mb: f64,
    pub flatness: Option<Flatness>,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}\n", self.setup)?;
        writeln!(f, "{}", rows_table(&self.rows))?;
        writeln!(f, "healthy after {:.1} ms", millis(self.healthy_after))?;
        writeln!(f, "idle RSS {:.1} MB", self.idle_rss_mb)?;
        if let Some(flatness) = &self.flatness {
            writeln!(f, "\n{}", flatness.label)?;
            writeln!(f, "{}", flatness_table(flatness))?;
            writeln!(f, "RSS growth after the first sample: {:+.1} MB", flatness.growth_mb())?;
        }
        writeln!(f)?;
        for line in self.verdicts() {
            writeln!(f, "{line}")?;
        }
        Ok(())
    }
}

impl Report {
    fn verdicts(&self) -> Vec<String> {
        let healthy_ms = millis(self.healthy_after);
        let mut lines = vec![format!(
            "verdict mock start: {}",
            check(
                &format!("healthy < {} ms", MAX_HEALTHY.as_millis()),
                self.healthy_after < MAX_HEALTHY,
                format!("{healthy_ms:.1} ms")
            )
        )];
        for row in self.rows.iter().filter(|row| row.is_mock) {
            let checks = [
                check(
                    &format!("≥{MIN_VERSUS_BARE}× bare"),
                    row.versus_bare >= MIN_VERSUS_BARE,
                    format!("{:.2}×", row.versus_bare),
                ),
                check(
                    &format!("p99 < {MAX_P99_MS} ms"),
                    row.p99_ms < MAX_P99_MS,
                    format!("{:.2} ms", row.p99_ms),
                ),
                check(
                    &format!("RSS < {MAX_RSS_MB} MB"),
                    row.rss_mb_after < MAX_RSS_MB,
                    format!("{:.1} MB", row.rss_mb_after),
                ),
            ];
            lines.push(format!("verdict {}: {}", row.target, checks.join(" · ")));
        }
        if let Some(flatness) = &self.flatness {
            let growth = flatness.growth_mb();
            let peak = flatness.samples.iter().map(|sample| sample.rss_mb).fold(0.0, f64::max);
            let checks = [
                check(
                    &format!("growth < {FLAT_TOLERANCE_MB} MB"),
                    growth < FLAT_TOLERANCE_MB,
                    format!("{growth:+.1} MB"),
                ),
                check(
                    &format!("peak < {MAX_RSS_MB} MB"),
                    peak < MAX_RSS_MB,
                    format!("{peak:.1} MB"),
                ),
            ];
            lines.push(format!("verdict mock RSS over the run: {}", checks.join(" · ")));
        }
        lines
    }
}

/// `"p99 < 2 ms PASS (1.10 ms)"`.
fn check(target: &str, ok: bool, actual: String) -> String {
    format!("{target} {} ({actual})", pass(ok))
}

fn pass(ok: bool) -> &'static str {
    if ok { "PASS" } else { "FAIL" }
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn rows_table(rows: &[Row]) -> String {
    let header = [
        "target",
        "req/s",
        "× bare",
        "p50 ms",
        "p99 ms",
        "p99.9 ms",
        "max ms",
        "server CPU µs/req",
        "RSS MB after",
        "errors",
    ];
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            vec![
                row.target.clone(),
                format!("{:.0}", row.requests_per_sec),
                format!("{:.2}", row.versus_bare),
                format!("{:.2}", row.p50_ms),
                format!("{:.2}", row.p99_ms),
                format!("{:.2}", row.p999_ms),
                format!("{:.2}", row.max_ms),
                format!("{:.1}", row.cpu_us_per_request),
                format!("{:.1}", row.rss_mb_after),
                row.errors.to_string(),
            ]
        })
        .collect();
    markdown_table(&header, &cells)
}

fn flatness_table(flatness: &Flatness) -> String {
    let cells: Vec<Vec<String>> = flatness
        .samples
        .iter()
        .map(|sample| {
            vec![
                sample.requests.to_string(),
                format!("{:.1}", sample.rss_mb),
                format!("{:.0}", sample.requests_per_sec),
                sample.errors.to_string(),
            ]
        })
        .collect();
    markdown_table(&["requests", "RSS MB", "req/s", "errors"], &cells)
}

/// A Markdown table with every column padded to its widest cell, so it reads as well in a
/// terminal as rendered. Widths count characters, not bytes, for the Cyrillic names.
pub fn markdown_table(header: &[&str], rows: &[Vec<String>]) -> String {
    let width = |column: usize| {
        rows.iter()
            .filter_map(|row| row.get(column))
            .map(|cell| cell.chars().count())
            .chain(std::iter::once(header[column].chars().count()))
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = (0..header.len()).map(width).collect();
    let line = |cells: &mut dyn Iterator<Item = &str>| {
        let padded: Vec<String> = cells
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        format!("| {} |\n", padded.join(" | "))
    };
    let mut table = line(&mut header.iter().copied());
    let rule: Vec<String> = widths.iter().map(|width| "-".repeat(*width)).collect();
    table.push_str(&line(&mut rule.iter().map(String::as_str)));
    for row in rows {
        table.push_str(&line(&mut row.iter().map(String::as_str)));
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_pad_by_characters_not_bytes() {
        let rows = vec![
            vec!["mock ЕКТРУ".to_owned(), "9".to_owned()],
            vec!["bare".to_owned(), "10".to_owned()],
        ];

        let table = markdown_table(&["target", "n"], &rows);

        assert_eq!(
            table,
            "| target     | n  |\n\
             | ---------- | -- |\n\
             | mock ЕКТРУ | 9  |\n\
             | bare       | 10 |\n"
        );
    }

    #[test]
    fn verdicts_judge_mock_rows_only() {
        let bare = Row {
            target: "bare".to_owned(),
            is_mock: false,
            requests_per_sec: 1000.0,
            versus_bare: 1.0,
            p50_ms: 0.5,
            p99_ms: 1.0,
            p999_ms: 1.5,
            max_ms: 3.0,
            cpu_us_per_request: 20.0,
            rss_mb_after: 5.0,
            errors: 0,
        };
        let mock = Row {
            target: "mock".to_owned(),
            is_mock: true,
            versus_bare: 0.8,
            p99_ms: 2.5,
            ..bare.clone()
        };
        let report = Report {
            setup: String::new(),
            rows: vec![bare, mock],
            healthy_after: Duration::from_millis(40),
            idle_rss_mb: 5.0,
            flatness: None,
        };

        let verdicts = report.verdicts();

        assert_eq!(
            verdicts,
            [
                "verdict mock start: healthy < 100 ms PASS (40.0 ms)",
                "verdict mock: ≥0.9× bare FAIL (0.80×) · p99 < 2 ms FAIL (2.50 ms) · RSS < 30 MB PASS (5.0 MB)",
            ]
        );
    }
}
