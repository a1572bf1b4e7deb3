//! debugfs.ocfs2 as the oracle, many commands in one process.

use std::path::Path;
use std::process::Command;

use super::require_tool;

/// Runs many debugfs.ocfs2 commands in one process (`-f`) and returns each one's
/// stdout, in order. Fails on anything debugfs prints on stderr besides its banner
/// (command errors go there).
pub fn debugfs_batch(image: &Path, cmds: &[String]) -> Vec<String> {
    if cmds.is_empty() {
        return Vec::new();
    }
    let script = tempfile::NamedTempFile::new().expect("a temporary file");
    std::fs::write(script.path(), cmds.join("\n") + "\n").expect("write the debugfs script");
    let out = Command::new(require_tool("debugfs.ocfs2"))
        .arg("-f")
        .arg(script.path())
        .arg(image)
        .output()
        .expect("run debugfs.ocfs2");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let errors: Vec<&str> =
        stderr.lines().map(|l| l.trim_start_matches("debugfs.ocfs2 1.8.7")).filter(|l| !l.is_empty()).collect();
    // debugfs.ocfs2 -f exits with 1 even when every command worked: judge by stderr.
    assert!(out.status.code().is_some() && errors.is_empty(), "debugfs.ocfs2 -f: {errors:?}");
    let sections = debugfs_sections(&String::from_utf8(out.stdout).expect("debugfs output is UTF-8 here"));
    let echoed: Vec<&str> = sections.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(echoed, cmds.iter().map(String::as_str).collect::<Vec<_>>(), "debugfs.ocfs2 -f echo");
    sections.into_iter().map(|(_, t)| t).collect()
}

/// `-f` output (debugfs.ocfs2's, or the inspector's own `-f`, which echoes the same way) cut at
/// its `debugfs: ` echo lines: (command, output) pairs.
pub fn debugfs_sections(stdout: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in stdout.split_inclusive('\n') {
        if let Some(cmd) = line.strip_prefix("debugfs: ") {
            out.push((cmd.trim_end().to_string(), String::new()));
        } else if let Some((_, text)) = out.last_mut() {
            text.push_str(line);
        }
    }
    out
}
