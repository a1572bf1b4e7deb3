//! `check`: the read-only consistency check. Exit codes are fsck.ocfs2's:
//! 0 clean, 4 errors left uncorrected (this never corrects), 8 operational error.

use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;

use indicatif::{ProgressBar, ProgressStyle};
use ocfs2_format::check::{self, Outcome, Pass, Progress, Severity};
use ocfs2_format::{OpenOptions, Volume};
use serde::Serialize;

use crate::render::{table, Out};

/// fsck.ocfs2's exit code for "errors left uncorrected".
const EXIT_ERRORS: u8 = 4;
/// fsck.ocfs2's exit code for an operational error.
const EXIT_OPERATIONAL: u8 = 8;

#[derive(Debug, Serialize)]
struct FindingOut {
    /// fsck.ocfs2's problem code (`fsck.ocfs2.checks(8)`), null where it has none.
    code: Option<&'static str>,
    /// fsck.ocfs2's other codes for the same cause (see `check::Finding::also`).
    also: Vec<&'static str>,
    /// `error` or `info` (a note: fsck.ocfs2 would not fail on it).
    severity: &'static str,
    /// The block holding the damaged structure.
    blkno: u64,
    /// The on-disk structure (`ocfs2_dinode`, `ocfs2_group_desc`, ...).
    structure: &'static str,
    /// Its field.
    field: &'static str,
    /// What the field should hold, as text (exact, whatever its size).
    expected: String,
    /// What it holds, as text (exact, whatever its size).
    found: String,
    /// The finding in words.
    message: String,
}

#[derive(Debug, Serialize)]
struct Summary {
    /// No finding of severity `error`.
    clean: bool,
    /// Findings of severity `error`.
    errors: u64,
    /// Findings of severity `info`.
    infos: u64,
    /// Findings counted per code, else per `structure.field` (the library's
    /// `CodeCount`: `code`, `name`, `count`).
    by_code: Vec<check::CodeCount>,
    /// The library's `Counts`: `groups`, `inodes`, `extent_blocks`,
    /// `directories`, `entries` and `cluster_runs` checked.
    #[serde(flatten)]
    counts: check::Counts,
}

#[derive(Debug, Serialize)]
struct CheckOut {
    /// The image or device as given.
    image: String,
    /// Every finding, in the order the passes made them.
    findings: Vec<FindingOut>,
    /// The counts.
    summary: Summary,
    /// The exit status: 0 clean, 4 errors found (8, an operational error, prints no report).
    exit_code: u8,
}

fn build(image: &Path, r: &Outcome) -> CheckOut {
    let findings: Vec<FindingOut> = r
        .findings
        .iter()
        .map(|f| FindingOut {
            code: f.code,
            also: f.also.clone(),
            severity: f.severity.name(),
            blkno: f.at.blkno,
            structure: f.at.structure,
            field: f.at.field,
            expected: f.at.expected.to_string(),
            found: f.at.actual.to_string(),
            message: f.message.clone(),
        })
        .collect();
    let infos = r.findings.iter().filter(|f| f.severity == Severity::Info).count() as u64;
    CheckOut {
        image: image.display().to_string(),
        summary: Summary {
            clean: r.is_clean(),
            errors: r.errors(),
            infos,
            by_code: r.by_code.clone(),
            counts: r.counts,
        },
        findings,
        exit_code: if r.is_clean() { 0 } else { EXIT_ERRORS },
    }
}

fn render(c: &CheckOut) -> String {
    let mut s = String::new();
    if !c.findings.is_empty() {
        let rows = c
            .findings
            .iter()
            .map(|f| {
                vec![
                    f.severity.to_string(),
                    f.code.unwrap_or("-").to_string(),
                    f.blkno.to_string(),
                    format!("{}.{}", f.structure, f.field),
                    match f.also.as_slice() {
                        [] => format!("{} (expected {}, found {})", f.message, f.expected, f.found),
                        also => format!(
                            "{} (expected {}, found {}; fsck.ocfs2 also: {})",
                            f.message,
                            f.expected,
                            f.found,
                            also.join(", ")
                        ),
                    },
                ]
            })
            .collect();
        s.push_str(&table(&["SEVERITY", "CODE", "BLOCK", "FIELD", "PROBLEM"], rows, &[2]));
        s.push('\n');
    }
    let (m, n) = (&c.summary, &c.summary.counts);
    s.push_str(&format!(
        "{}: {} groups, {} inodes, {} extent blocks, {} directories ({} entries), {} cluster runs checked\n",
        c.image, n.groups, n.inodes, n.extent_blocks, n.directories, n.entries, n.cluster_runs
    ));
    if m.clean {
        s.push_str(&format!("clean ({} notes)\n", m.infos));
    } else {
        let codes: Vec<String> = m.by_code.iter().map(|b| format!("{} {}", b.name, b.count)).collect();
        s.push_str(&format!("{} errors, {} notes: {}\n", m.errors, m.infos, codes.join(", ")));
    }
    s
}

/// Runs `check IMAGE`; returns the process exit code.
pub fn main(image: &Path, out: &Out, opts: OpenOptions, progress: bool) -> ExitCode {
    let vol = match Volume::open_with(image, opts) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("ocfs2-inspect: {}: {e}", image.display());
            return ExitCode::from(EXIT_OPERATIONAL);
        }
    };
    super::notes_at_open(image, &vol);
    // Never beside a JSON document, which a script reads (often from a terminal).
    let bar = (progress && !out.json() && std::io::stderr().is_terminal()).then(|| {
        let b = ProgressBar::new(0);
        b.set_style(
            ProgressStyle::with_template("{prefix:>18} [{bar:40}] {pos}/{len} {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        b
    });
    let mut last: Option<Pass> = None;
    let mut on_progress = |p: Progress| {
        if let Some(b) = &bar {
            if last != Some(p.pass) {
                last = Some(p.pass);
                b.set_prefix(p.pass.name());
                b.set_position(0);
            }
            b.set_length(p.total);
            b.set_position(p.done);
        }
    };
    let result = check::check(&vol, &mut on_progress);
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let report = match result {
        Ok(r) => r,
        Err(e) => {
            eprintln!("ocfs2-inspect: {}: {e}", image.display());
            return ExitCode::from(EXIT_OPERATIONAL);
        }
    };
    let c = build(image, &report);
    let code = c.exit_code;
    if let Err(e) = out.emit(&c, render) {
        eprintln!("ocfs2-inspect: {e}");
        return ExitCode::from(EXIT_OPERATIONAL);
    }
    ExitCode::from(code)
}
