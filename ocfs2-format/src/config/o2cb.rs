//! `/etc/default/o2cb` (or `/etc/sysconfig/o2cb`): shell assignments the o2cb
//! init script sources (`O2CB_ENABLED=true`, `O2CB_HEARTBEAT_THRESHOLD=31`, ...).

use super::{explain_dead_threshold, split_comment, ClusterConf, Diagnostic, Severity};
use crate::cluster::heartbeat::{DEFAULT_DEAD_THRESHOLD, MIN_DEAD_THRESHOLD};

/// The network idle timeout when the file does not set one.
pub const DEFAULT_IDLE_TIMEOUT_MS: u32 = 30_000;
/// The network keepalive delay when the file does not set one.
pub const DEFAULT_KEEPALIVE_DELAY_MS: u32 = 2_000;
/// The network reconnect delay when the file does not set one.
pub const DEFAULT_RECONNECT_DELAY_MS: u32 = 2_000;

const KNOWN: &[&str] = &[
    "O2CB_ENABLED",
    "O2CB_STACK",
    "O2CB_BOOTCLUSTER",
    "O2CB_HEARTBEAT_THRESHOLD",
    "O2CB_IDLE_TIMEOUT_MS",
    "O2CB_KEEPALIVE_DELAY_MS",
    "O2CB_RECONNECT_DELAY_MS",
    "O2CB_HEARTBEAT_MODE",
];

/// One `KEY=value` line.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Assign {
    line: usize,
    key: String,
    value: String,
    comment: Option<String>,
}

/// A parsed o2cb settings file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct O2cbDefaults {
    assigns: Vec<Assign>,
    syntax: Vec<Diagnostic>,
}

impl O2cbDefaults {
    /// Parses the text as the shell would for simple assignments: `KEY=value`,
    /// optionally quoted, optionally after `export`; `#` lines are comments.
    pub fn parse(text: &str) -> O2cbDefaults {
        let mut out = O2cbDefaults::default();
        for (i, line) in text.lines().enumerate() {
            let n = i + 1;
            let t = line.trim();
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            let t = t.strip_prefix("export ").unwrap_or(t).trim_start();
            let Some((key, rest)) = t.split_once('=') else {
                out.syntax.push(Diagnostic::new(n, Severity::Error, format!("not a KEY=value assignment: {t:?}")));
                continue;
            };
            if key.is_empty() || key.contains(char::is_whitespace) {
                out.syntax.push(Diagnostic::new(
                    n,
                    Severity::Error,
                    format!("{key:?} is not a shell variable name (no spaces around `=` in shell)"),
                ));
                continue;
            }
            let (value, comment) = shell_value(rest);
            out.assigns.push(Assign { line: n, key: key.to_string(), value, comment });
        }
        out
    }

    fn get(&self, key: &str) -> Option<&Assign> {
        // The shell keeps the last assignment.
        self.assigns.iter().rev().find(|a| a.key == key)
    }

    /// The value of `key`, as the shell would leave it.
    pub fn value(&self, key: &str) -> Option<&str> {
        self.get(key).map(|a| a.value.as_str())
    }

    fn number(&self, key: &str) -> Option<u32> {
        self.value(key).and_then(|v| v.parse().ok())
    }

    /// `O2CB_ENABLED`.
    pub fn enabled(&self) -> Option<bool> {
        self.value("O2CB_ENABLED").map(|v| v == "true")
    }

    /// `O2CB_BOOTCLUSTER`.
    pub fn bootcluster(&self) -> Option<&str> {
        self.value("O2CB_BOOTCLUSTER")
    }

    /// `O2CB_HEARTBEAT_THRESHOLD`, when set and numeric.
    pub fn heartbeat_threshold(&self) -> Option<u32> {
        self.number("O2CB_HEARTBEAT_THRESHOLD")
    }

    /// The dead threshold in effect: the file's, else the kernel default (31).
    pub fn dead_threshold(&self) -> u32 {
        self.heartbeat_threshold().unwrap_or(DEFAULT_DEAD_THRESHOLD)
    }

    /// `O2CB_IDLE_TIMEOUT_MS`, else the default.
    pub fn idle_timeout_ms(&self) -> u32 {
        self.number("O2CB_IDLE_TIMEOUT_MS").unwrap_or(DEFAULT_IDLE_TIMEOUT_MS)
    }

    /// `O2CB_KEEPALIVE_DELAY_MS`, else the default.
    pub fn keepalive_delay_ms(&self) -> u32 {
        self.number("O2CB_KEEPALIVE_DELAY_MS").unwrap_or(DEFAULT_KEEPALIVE_DELAY_MS)
    }

    /// `O2CB_RECONNECT_DELAY_MS`, else the default.
    pub fn reconnect_delay_ms(&self) -> u32 {
        self.number("O2CB_RECONNECT_DELAY_MS").unwrap_or(DEFAULT_RECONNECT_DELAY_MS)
    }

    /// `O2CB_HEARTBEAT_MODE` (`local` or `global`).
    pub fn heartbeat_mode(&self) -> Option<&str> {
        self.value("O2CB_HEARTBEAT_MODE")
    }

    /// Lints the file, and checks it against `conf` (the cluster.conf it goes
    /// with) when given: known keys, numbers, booleans, the threshold's minimum
    /// and meaning, keepalive below idle timeout, the boot cluster and heartbeat
    /// mode matching cluster.conf. Sorted by line.
    pub fn lint(&self, conf: Option<&ClusterConf>) -> Vec<Diagnostic> {
        let mut out = self.syntax.clone();
        let mut push = |line, sev, msg: String| out.push(Diagnostic::new(line, sev, msg));
        for a in &self.assigns {
            if let Some(c) = &a.comment {
                push(
                    a.line,
                    Severity::Warning,
                    format!(
                        "inline comment {c:?} after {}: the init script's shell drops it, but o2cb configure \
                         rewrites the file and tools that read it without a shell take it as part of the value",
                        a.key
                    ),
                );
            }
            if !KNOWN.contains(&a.key.as_str()) {
                push(a.line, Severity::Warning, format!("unknown setting {}", a.key));
            }
            let numeric = a.key.ends_with("_MS") || a.key == "O2CB_HEARTBEAT_THRESHOLD";
            if numeric && a.value.parse::<u32>().is_err() {
                push(a.line, Severity::Error, format!("{}={:?} is not a number", a.key, a.value));
            }
            if a.key == "O2CB_ENABLED" && a.value != "true" && a.value != "false" {
                push(a.line, Severity::Error, format!("O2CB_ENABLED={:?}: expected true or false", a.value));
            }
            if a.key == "O2CB_HEARTBEAT_MODE" && a.value != "local" && a.value != "global" {
                push(a.line, Severity::Error, format!("O2CB_HEARTBEAT_MODE={:?}: expected local or global", a.value));
            }
        }
        let line_of = |key: &str| self.get(key).map_or(0, |a| a.line);
        match self.heartbeat_threshold() {
            Some(t) if t < MIN_DEAD_THRESHOLD => push(
                line_of("O2CB_HEARTBEAT_THRESHOLD"),
                Severity::Error,
                format!("O2CB_HEARTBEAT_THRESHOLD={t}: the kernel's minimum is {MIN_DEAD_THRESHOLD}"),
            ),
            Some(t) => push(line_of("O2CB_HEARTBEAT_THRESHOLD"), Severity::Info, explain_dead_threshold(t)),
            None => push(0, Severity::Info, format!("no O2CB_HEARTBEAT_THRESHOLD: {}", explain_dead_threshold(31))),
        }
        let (idle, keepalive) = (self.idle_timeout_ms(), self.keepalive_delay_ms());
        if keepalive >= idle {
            let line = match self.get("O2CB_KEEPALIVE_DELAY_MS") {
                Some(a) => a.line,
                None => line_of("O2CB_IDLE_TIMEOUT_MS"),
            };
            push(
                line,
                Severity::Error,
                format!(
                    "O2CB_KEEPALIVE_DELAY_MS ({keepalive}) must be below O2CB_IDLE_TIMEOUT_MS ({idle}): the \
                     kernel refuses it, and connections would time out between keepalives"
                ),
            );
        }
        if let Some(conf) = conf {
            let clusters = conf.clusters();
            if let Some(a) = self.get("O2CB_BOOTCLUSTER") {
                if !a.value.is_empty() && !clusters.iter().any(|c| c.name == a.value) {
                    push(
                        a.line,
                        Severity::Error,
                        format!("O2CB_BOOTCLUSTER={} names no cluster in cluster.conf", a.value),
                    );
                }
            }
            if let (Some(a), Some(boot)) = (self.get("O2CB_HEARTBEAT_MODE"), self.bootcluster()) {
                if let Some(c) = clusters.iter().find(|c| c.name == boot) {
                    if c.heartbeat_mode != a.value {
                        push(
                            a.line,
                            Severity::Warning,
                            format!(
                                "O2CB_HEARTBEAT_MODE={} but cluster.conf gives cluster {boot} heartbeat_mode {}",
                                a.value, c.heartbeat_mode
                            ),
                        );
                    }
                }
            }
        }
        out.sort_by_key(|d| (d.line, std::cmp::Reverse(d.severity)));
        out
    }
}

/// The value of a shell assignment's right-hand side for the simple forms o2cb
/// files use: `word`, `"double quoted"`, `'single quoted'`, then an optional
/// ` # comment`. Returns the value and the comment.
fn shell_value(rest: &str) -> (String, Option<String>) {
    let rest = rest.trim_end();
    let (value, tail) = match rest.chars().next() {
        Some(q @ ('"' | '\'')) => match rest[1..].find(q) {
            Some(end) => (rest[1..1 + end].to_string(), &rest[2 + end..]),
            None => (rest[1..].to_string(), ""),
        },
        _ => {
            // Unquoted: the word ends at whitespace; `#` only starts a comment
            // after whitespace.
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            (rest[..end].to_string(), &rest[end..])
        }
    };
    let tail = tail.trim();
    let comment = split_comment(tail).1.map(str::to_string);
    (value, comment)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "\
# O2CB_ENABLED: 'true' means to load the driver on boot.
O2CB_ENABLED=true

# O2CB_STACK: The name of the cluster stack backing O2CB.
O2CB_STACK=o2cb

O2CB_BOOTCLUSTER=ocfs2
O2CB_HEARTBEAT_THRESHOLD=61
O2CB_IDLE_TIMEOUT_MS=30000
O2CB_KEEPALIVE_DELAY_MS=2000
O2CB_RECONNECT_DELAY_MS=2000
";

    #[test]
    fn parses_values() {
        let f = O2cbDefaults::parse(FILE);
        assert_eq!(f.enabled(), Some(true));
        assert_eq!(f.bootcluster(), Some("ocfs2"));
        assert_eq!(f.dead_threshold(), 61);
        assert_eq!((f.idle_timeout_ms(), f.keepalive_delay_ms(), f.reconnect_delay_ms()), (30_000, 2_000, 2_000));
        assert_eq!(O2cbDefaults::parse("").dead_threshold(), 31);
        let q = O2cbDefaults::parse("O2CB_BOOTCLUSTER=\"my cluster\" # c\nexport O2CB_STACK='o2cb'\n");
        assert_eq!(q.bootcluster(), Some("my cluster"));
        assert_eq!(q.value("O2CB_STACK"), Some("o2cb"));
    }

    #[test]
    fn lint_rules() {
        let conf = ClusterConf::parse("cluster:\n\tnode_count = 0\n\tname = ocfs2\n");
        let d = O2cbDefaults::parse(FILE).lint(Some(&conf));
        assert!(d.iter().all(|d| d.severity == Severity::Info), "{d:?}");
        assert!(d.iter().any(|d| d.line == 8 && d.message.contains("122 s")), "{d:?}");

        let bad = FILE
            .replace("KEEPALIVE_DELAY_MS=2000", "KEEPALIVE_DELAY_MS=30000")
            .replace("THRESHOLD=61", "THRESHOLD=1")
            .replace("BOOTCLUSTER=ocfs2", "BOOTCLUSTER=other # boot")
            .replace("O2CB_ENABLED=true", "O2CB_ENABLED=yes\nO2CB_TYPO=1");
        let d = O2cbDefaults::parse(&bad).lint(Some(&conf));
        let has = |line: usize, sev: Severity, text: &str| {
            d.iter().any(|x| x.line == line && x.severity == sev && x.message.contains(text))
        };
        assert!(has(2, Severity::Error, "expected true or false"), "{d:?}");
        assert!(has(3, Severity::Warning, "unknown setting O2CB_TYPO"), "{d:?}");
        assert!(has(8, Severity::Warning, "inline comment"), "{d:?}");
        assert!(has(8, Severity::Error, "names no cluster"), "{d:?}");
        assert!(has(9, Severity::Error, "minimum is 2"), "{d:?}");
        assert!(has(11, Severity::Error, "must be below"), "{d:?}");
        let d = O2cbDefaults::parse("O2CB_IDLE_TIMEOUT_MS=abc\nO2CB IDLE=3\nnonsense\n").lint(None);
        assert_eq!(
            d.iter().filter(|d| d.severity == Severity::Error).map(|d| d.line).collect::<Vec<_>>(),
            vec![1, 2, 3]
        );
    }
}
