//! The o2cb cluster configuration files: `/etc/ocfs2/cluster.conf` (stanzas of
//! `key = value` attributes) and `/etc/default/o2cb` (shell variables), parsed
//! without loss and linted with line numbers.
//!
//! ```
//! use ocfs2_format::config::{ClusterConf, Severity};
//!
//! let conf = ClusterConf::parse(
//!     "cluster:\n\tnode_count = 1\n\tname = web\n\nnode:\n\tnumber = 0  # the first\n\tname = a\n\
//!      \tip_address = 10.0.0.1\n\tip_port = 7777\n\tcluster = web\n",
//! );
//! let errors: Vec<_> = conf.lint().into_iter().filter(|d| d.severity == Severity::Error).collect();
//! assert_eq!(errors.len(), 1);
//! assert_eq!(errors[0].line, 6); // o2cb would read the node number as "0  # the first"
//! # Ok::<(), ocfs2_format::Error>(())
//! ```

use std::fmt;
use std::path::Path;

mod cluster_conf;
mod o2cb;

pub use cluster_conf::{Attr, Cluster, ClusterConf, HeartbeatRegion, Node, Stanza};
pub use o2cb::{O2cbDefaults, DEFAULT_IDLE_TIMEOUT_MS, DEFAULT_KEEPALIVE_DELAY_MS, DEFAULT_RECONNECT_DELAY_MS};

/// Where cluster.conf lives by default.
pub const CLUSTER_CONF_PATH: &str = "/etc/ocfs2/cluster.conf";
/// Where the o2cb settings live by default (Debian; Red Hat uses
/// `/etc/sysconfig/o2cb`).
pub const O2CB_PATHS: &[&str] = &["/etc/default/o2cb", "/etc/sysconfig/o2cb"];

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// What a value means (no action needed).
    Info,
    /// Likely a mistake, but the stack would accept it.
    Warning,
    /// The stack would misread or reject the file.
    Error,
}

impl Severity {
    /// `info`, `warning` or `error`.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One lint finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// 1-based line number (0: the file as a whole).
    pub line: usize,
    /// How bad it is.
    pub severity: Severity,
    /// What is wrong and why.
    pub message: String,
}

impl Diagnostic {
    pub(crate) fn new(line: usize, severity: Severity, message: impl Into<String>) -> Self {
        Diagnostic { line, severity, message: message.into() }
    }
}

/// Which configuration file a text is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// `cluster.conf`.
    ClusterConf,
    /// `/etc/default/o2cb`.
    O2cb,
}

impl FileKind {
    /// Guesses the kind from the file name (`cluster.conf`, `o2cb`), else from the
    /// content (`O2CB_...=` assignments make an o2cb file).
    pub fn detect(path: &Path, text: &str) -> FileKind {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if name.contains("cluster.conf") {
            return FileKind::ClusterConf;
        }
        if name == "o2cb" {
            return FileKind::O2cb;
        }
        let o2cb_like = text.lines().any(|l| {
            let l = l.trim_start().trim_start_matches("export ");
            l.starts_with("O2CB_") && l.contains('=')
        });
        if o2cb_like {
            FileKind::O2cb
        } else {
            FileKind::ClusterConf
        }
    }
}

/// Splits a value at an inline comment: the text before `#` (trimmed) and the
/// comment, if there is one.
pub(crate) fn split_comment(value: &str) -> (&str, Option<&str>) {
    match value.find('#') {
        Some(i) => (value[..i].trim_end(), Some(&value[i..])),
        None => (value, None),
    }
}

/// What a heartbeat dead threshold means, as the lint explains it.
pub fn explain_dead_threshold(threshold: u32) -> String {
    let dead_s = u64::from(threshold) * 2;
    let fence_s = u64::from(threshold.saturating_sub(1)) * 2;
    format!(
        "a heartbeat dead threshold of {threshold} means a node that stops writing is declared dead after \
         {threshold} missed 2 s beats = {dead_s} s (hb_dead_ms {}), and a node whose own writes stall fences \
         itself after ({threshold} - 1) x 2 s = {fence_s} s",
        u64::from(threshold) * 2000
    )
}
