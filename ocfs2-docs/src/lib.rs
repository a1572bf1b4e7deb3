//! Manual pages and shell completions for the ocfs2-rs binaries, made from
//! each binary's own clap definition (so they list exactly the options it
//! parses). Every binary calls [`intercept`] first thing in `main`:
//!
//! ```text
//! ocfs2-inspect --generate-man DIR          # DIR/ocfs2-inspect.1, DIR/ocfs2-inspect-stat.1, ...
//! ocfs2-inspect --generate-completions bash # the script on stdout (bash, zsh, fish, elvish, powershell)
//! ```
//!
//! The two options are looked for before the binary's own parsing (whose
//! required arguments they must not need) and are not part of its interface.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Command, ValueEnum};
use clap_complete::Shell;

/// What the command line asked for, if it asked for manuals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocRequest {
    /// `--generate-man DIR`.
    Man(PathBuf),
    /// `--generate-completions SHELL`.
    Completions(Shell),
}

/// Reads `--generate-man DIR` or `--generate-completions SHELL` when they are
/// the whole command line (`args` without the program name).
pub fn request(args: &[String]) -> Result<Option<DocRequest>, String> {
    match args {
        [flag, dir] if flag == "--generate-man" => Ok(Some(DocRequest::Man(PathBuf::from(dir)))),
        [flag, shell] if flag == "--generate-completions" => Shell::from_str(shell, true)
            .map(|s| Some(DocRequest::Completions(s)))
            .map_err(|_| format!("{shell}: not one of bash, zsh, fish, elvish, powershell")),
        _ => Ok(None),
    }
}

/// Handles a manuals request on the process's command line: `None` when there
/// is none (the binary goes on), else the exit code.
pub fn intercept(cmd: impl FnOnce() -> Command) -> Option<ExitCode> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let req = match request(&args) {
        Ok(r) => r?,
        Err(e) => {
            eprintln!("{e}");
            return Some(ExitCode::from(2));
        }
    };
    let cmd = cmd();
    let name = cmd.get_name().to_string();
    let result = match req {
        DocRequest::Man(dir) => write_man_pages(cmd, &dir).map(|_| ()),
        DocRequest::Completions(shell) => {
            let mut script = Vec::new();
            completions(cmd, shell, &mut script);
            match io::stdout().lock().write_all(&script) {
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
                r => r,
            }
        }
    };
    Some(match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{name}: {e}");
            ExitCode::FAILURE
        }
    })
}

/// The completion script of `cmd` for `shell`.
pub fn completions(cmd: Command, shell: Shell, out: &mut Vec<u8>) {
    let mut cmd = cmd;
    let name = cmd.get_name().to_string();
    clap_complete::generate(shell, &mut cmd, name, out);
}

/// Writes `NAME.1` for `cmd` and `NAME-SUB.1` (recursively) for each visible
/// subcommand into `dir`; returns the files written.
pub fn write_man_pages(cmd: Command, dir: &Path) -> io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut cmd = cmd;
    cmd.build();
    let mut written = Vec::new();
    page(&cmd, cmd.get_name().to_string(), dir, &mut written)?;
    Ok(written)
}

fn page(cmd: &Command, name: String, dir: &Path, written: &mut Vec<PathBuf>) -> io::Result<()> {
    let path = dir.join(format!("{name}.1"));
    let mut buf = Vec::new();
    clap_mangen::Man::new(cmd.clone().name(name.clone())).render(&mut buf)?;
    std::fs::write(&path, buf)?;
    written.push(path);
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set() && s.get_name() != "help") {
        page(sub, format!("{name}-{}", sub.get_name()), dir, written)?;
    }
    Ok(())
}

/// Checks the pages `bin --generate-man` writes against what `bin --help`
/// (and `bin SUB --help`, recursively) lists: one page per command, naming
/// every option, and no page more. Used by each binary's tests; the error says
/// what is missing.
pub fn verify_pages(bin: &Path, dir: &Path) -> Result<usize, String> {
    let run = |args: &[&str]| -> Result<String, String> {
        let out = std::process::Command::new(bin).args(args).output().map_err(|e| format!("{}: {e}", bin.display()))?;
        if !out.status.success() {
            return Err(format!("{} {args:?}: {}", bin.display(), String::from_utf8_lossy(&out.stderr)));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    };
    run(&["--generate-man", dir.to_str().ok_or("the directory is not UTF-8")?])?;
    let name = bin.file_name().and_then(|n| n.to_str()).ok_or("no binary name")?.to_string();
    let mut pages = 0;
    let mut todo: Vec<(Vec<String>, String)> = vec![(Vec::new(), name)];
    while let Some((path, page)) = todo.pop() {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let help = run(&args)?;
        let file = dir.join(format!("{page}.1"));
        let text = std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        pages += 1;
        let mut in_commands = false;
        for line in help.lines() {
            let t = line.trim_start();
            if line.ends_with(':') && !line.starts_with(' ') {
                in_commands = line == "Commands:";
                continue;
            }
            if in_commands {
                if let Some(sub) = t.split_whitespace().next().filter(|s| *s != "help" && line.starts_with("  ")) {
                    let mut p = path.clone();
                    p.push(sub.to_string());
                    todo.push((p, format!("{page}-{sub}")));
                }
                continue;
            }
            if !t.starts_with('-') || !line.starts_with(' ') {
                continue;
            }
            for word in t.split_whitespace().take(2) {
                let flag = word.trim_end_matches(',');
                let flag = flag.split(['=', '[', '<']).next().unwrap_or(flag);
                if !flag.starts_with('-') || flag.len() < 2 {
                    continue;
                }
                let escaped = flag.replace('-', "\\-");
                if !text.contains(&escaped) {
                    return Err(format!("{}: does not name {flag}", file.display()));
                }
            }
        }
    }
    let written = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?.count();
    if written != pages {
        return Err(format!("{written} pages written, {pages} commands and subcommands"));
    }
    Ok(pages)
}

/// Checks that `bin --generate-completions SHELL` writes a script for bash,
/// zsh and fish that names the binary as each shell expects.
pub fn verify_completions(bin: &Path) -> Result<(), String> {
    let name = bin.file_name().and_then(|n| n.to_str()).ok_or("no binary name")?;
    let markers = [
        ("bash", "complete -F".to_string()),
        ("zsh", format!("#compdef {name}")),
        ("fish", format!("complete -c {name}")),
    ];
    for (shell, marker) in markers {
        let out = std::process::Command::new(bin)
            .args(["--generate-completions", shell])
            .output()
            .map_err(|e| format!("{}: {e}", bin.display()))?;
        if !out.status.success() || !String::from_utf8_lossy(&out.stdout).contains(&marker) {
            return Err(format!("{name} --generate-completions {shell}: no {marker:?} (status {})", out.status));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests() {
        let v = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(request(&v(&["--generate-man", "d"])), Ok(Some(DocRequest::Man("d".into()))));
        assert_eq!(request(&v(&["--generate-completions", "zsh"])), Ok(Some(DocRequest::Completions(Shell::Zsh))));
        assert!(request(&v(&["--generate-completions", "tcsh"])).is_err());
        assert_eq!(request(&v(&["stat", "--generate-man", "d"])), Ok(None));
    }
}
