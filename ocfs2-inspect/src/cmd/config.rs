//! `config lint`: checks cluster.conf and o2cb settings files, reporting each
//! finding with its line; fails when any is an error.

use std::path::{Path, PathBuf};

use ocfs2_format::config::{ClusterConf, Diagnostic, FileKind, O2cbDefaults, Severity, CLUSTER_CONF_PATH, O2CB_PATHS};
use serde::Serialize;

use super::CmdError;
use crate::render::Out;

#[derive(Debug, Serialize)]
struct DiagRow {
    /// The line it is about (1-based; 0 for the whole file).
    line: usize,
    /// `error`, `warning` or `info`.
    severity: &'static str,
    /// The diagnostic in words.
    message: String,
}

#[derive(Debug, Serialize)]
struct FileReport {
    /// The file as given (or the default path).
    path: String,
    /// `cluster.conf` or `o2cb`.
    kind: &'static str,
    /// Its diagnostics in line order.
    diagnostics: Vec<DiagRow>,
}

#[derive(Debug, Serialize)]
struct LintReport {
    /// Each file checked.
    files: Vec<FileReport>,
    /// Diagnostics of severity `error`, over all files.
    errors: usize,
    /// Diagnostics of severity `warning`, over all files.
    warnings: usize,
}

/// Runs `config lint`.
pub fn lint(files: &[PathBuf], out: &Out) -> Result<(), CmdError> {
    let files: Vec<PathBuf> = if files.is_empty() {
        let mut d = Vec::new();
        if Path::new(CLUSTER_CONF_PATH).exists() {
            d.push(PathBuf::from(CLUSTER_CONF_PATH));
        }
        d.extend(O2CB_PATHS.iter().map(PathBuf::from).find(|p| p.exists()));
        if d.is_empty() {
            return Err(CmdError::msg(format!(
                "no files given, and neither {CLUSTER_CONF_PATH} nor {} exists",
                O2CB_PATHS.join(" nor ")
            )));
        }
        d
    } else {
        files.to_vec()
    };
    let mut texts = Vec::new();
    for p in &files {
        let text = std::fs::read_to_string(p).map_err(|e| CmdError::msg(format!("{}: {e}", p.display())))?;
        let kind = FileKind::detect(p, &text);
        texts.push((p, kind, text));
    }
    // An o2cb file is checked against the cluster.conf linted with it.
    let conf = texts.iter().find(|(_, k, _)| *k == FileKind::ClusterConf).map(|(_, _, t)| ClusterConf::parse(t));
    let mut report = LintReport { files: Vec::new(), errors: 0, warnings: 0 };
    for (p, kind, text) in &texts {
        let diags: Vec<Diagnostic> = match kind {
            FileKind::ClusterConf => ClusterConf::parse(text).lint(),
            FileKind::O2cb => O2cbDefaults::parse(text).lint(conf.as_ref()),
        };
        report.errors += diags.iter().filter(|d| d.severity == Severity::Error).count();
        report.warnings += diags.iter().filter(|d| d.severity == Severity::Warning).count();
        report.files.push(FileReport {
            path: p.display().to_string(),
            kind: match kind {
                FileKind::ClusterConf => "cluster.conf",
                FileKind::O2cb => "o2cb",
            },
            diagnostics: diags
                .into_iter()
                .map(|d| DiagRow { line: d.line, severity: d.severity.name(), message: d.message })
                .collect(),
        });
    }
    out.emit(&report, |r| {
        let mut s = String::new();
        for f in &r.files {
            for d in &f.diagnostics {
                s.push_str(&format!("{}:{}: {}: {}\n", f.path, d.line, d.severity, d.message));
            }
        }
        s.push_str(&format!("{} file(s): {} error(s), {} warning(s)\n", r.files.len(), r.errors, r.warnings));
        s
    })?;
    if report.errors > 0 {
        return Err(CmdError::msg(format!("config lint: {} error(s)", report.errors)));
    }
    Ok(())
}
