//! The session front-ends: `-R COMMAND`, `-f CMDFILE` and the interactive shell
//! (`ocfs2-inspect IMAGE`, `ocfs2-inspect shell IMAGE`).
//!
//! A session opens its volume once. Each line is parsed by the same clap
//! definitions as the command line, with two changes made here: a command's
//! `IMAGE` argument becomes an option defaulting to the open device (so `stat
//! /x` needs no image), and a relative file spec is joined to the current
//! directory. The parsed command then runs through `crate::dispatch`, the one
//! path every front-end takes, so its output is the same as outside.
//!
//! Framing follows debugfs.ocfs2: `-f` echoes each non-empty line as
//! `debugfs: LINE` (not with `-n`), ignores lines starting with `#` after the
//! echo, runs every line whatever failed, and prints one empty line at the end;
//! the version goes to stderr first (not with `-n`). Exit status: debugfs.ocfs2
//! exits 0 after any `-R` and 1 after any `-f`; here both exit 0 when every
//! command worked and 1 when one failed, which scripts written for either
//! reading still accept.

use std::cell::RefCell;
use std::io::{BufRead, IsTerminal};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::rc::Rc;

use clap::{CommandFactory, FromArgMatches};
use ocfs2_format::fs::{find_paths, read_dir, resolve_spec};
use ocfs2_format::{OpenOptions, Volume};
use rustyline::completion::{Completer, Pair};
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::DefaultHistory;
use rustyline::validate::Validator;
use rustyline::{Context, Editor, Helper};

use crate::cmd::CmdError;
use crate::render::Out;
use crate::{Cli, Command};

/// What debugfs.ocfs2 prints before each line it runs from a file.
const ECHO: &str = "debugfs: ";
const PROMPT: &str = "ocfs2-inspect: ";
/// Commands the session itself answers (the rest are the inspector's).
const BUILTINS: &[&str] = &["open", "close", "curdev", "cd", "pwd", "lcd", "help", "?", "quit", "q"];

/// The volume a session has open.
struct Device {
    path: PathBuf,
    vol: Volume,
    opts: OpenOptions,
    /// Current directory: an absolute path (`/a/b`) or under `//`.
    cwd: String,
}

/// One session: global options and the open device, if any.
pub struct Session {
    json: bool,
    opts: OpenOptions,
    dev: Option<Device>,
}

/// What a line asked for besides its output.
#[derive(Debug, PartialEq)]
enum Flow {
    Continue,
    Quit,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session").field("device", &self.dev.as_ref().map(|d| &d.path)).finish()
    }
}

/// `spec` made absolute against `cwd`; `<blkno>`, `<lockname>`, `/path` and
/// `//sysfile` are already.
fn absolute(cwd: &str, spec: &str) -> String {
    if spec.starts_with('/') || spec.starts_with('<') {
        return spec.to_string();
    }
    let mut s = cwd.to_string();
    if !s.ends_with('/') {
        s.push('/');
    }
    s.push_str(spec);
    s
}

/// `/a/./b/../c` as `/a/c`, keeping a `//` (system directory) root; `..` at
/// the root stays there.
fn normalize(path: &str) -> String {
    let (root, rest) = match path.strip_prefix("//") {
        Some(r) => ("//", r),
        None => ("/", path.trim_start_matches('/')),
    };
    let mut parts: Vec<&str> = Vec::new();
    for c in rest.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    format!("{root}{}", parts.join("/"))
}

impl Session {
    pub fn new(json: bool, opts: OpenOptions) -> Self {
        Session { json, opts, dev: None }
    }

    fn open(&mut self, path: &Path, opts: OpenOptions) -> Result<(), CmdError> {
        self.dev = None;
        let vol = Volume::open_with(path, opts).map_err(|e| CmdError::at(path.display().to_string(), e))?;
        crate::cmd::notes_at_open(path, &vol);
        self.dev = Some(Device { path: path.to_path_buf(), vol, opts, cwd: "/".to_string() });
        Ok(())
    }

    /// Runs one line; `Err` when it failed (the message is already printed).
    fn run_line(&mut self, line: &str) -> Result<Flow, ()> {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            return Ok(Flow::Continue);
        }
        let Some(words) = shlex::split(line) else {
            eprintln!("{line}: unbalanced quotes");
            return Err(());
        };
        let name = words.first().cloned().unwrap_or_default();
        match self.run_words(words) {
            Ok(flow) => Ok(flow),
            Err(e) => {
                eprintln!("{name}: {e}");
                Err(())
            }
        }
    }

    fn run_words(&mut self, mut words: Vec<String>) -> Result<Flow, CmdError> {
        let args: Vec<&str> = words.iter().skip(1).map(String::as_str).collect();
        match (words[0].as_str(), args.as_slice()) {
            ("quit" | "q", _) => return Ok(Flow::Quit),
            ("help" | "?", _) => {
                let mut c = self.parser();
                crate::render::write_stdout(c.render_long_help().to_string().as_bytes())?;
                let builtins =
                    "\nSession commands:\n  open [-s BACKUP] IMAGE   open a volume (closing the one open)\n  \
                                close                    close it\n  curdev                   show the open device\n  \
                                cd [SPEC]                change directory (relative specs start there)\n  \
                                pwd                      show the current directory\n  \
                                lcd [DIR]                change or show the host's directory\n  \
                                quit, q                  leave\n";
                crate::render::write_stdout(builtins.as_bytes())?;
                return Ok(Flow::Continue);
            }
            ("open", a) => {
                let (backup, path) = match a {
                    [p] => (None, p),
                    ["-s", n, p] | [p, "-s", n] => {
                        (Some(n.parse().map_err(|_| CmdError::msg(format!("{n}: not a backup number")))?), p)
                    }
                    _ => return Err(CmdError::msg("usage: open [-s BACKUP] IMAGE".into())),
                };
                self.open(Path::new(path), OpenOptions { backup, ..self.opts })?;
                return Ok(Flow::Continue);
            }
            ("close", []) => {
                self.dev.take().ok_or_else(no_device)?;
                return Ok(Flow::Continue);
            }
            ("curdev", []) => {
                let text = self.dev.as_ref().map_or("No device".to_string(), |d| d.path.display().to_string());
                crate::render::write_stdout(format!("{text}\n").as_bytes())?;
                return Ok(Flow::Continue);
            }
            ("pwd", []) => {
                let d = self.dev.as_ref().ok_or_else(no_device)?;
                crate::render::write_stdout(format!("{}\n", d.cwd).as_bytes())?;
                return Ok(Flow::Continue);
            }
            ("cd", a) if a.len() <= 1 => {
                let d = self.dev.as_mut().ok_or_else(no_device)?;
                d.cwd = change_dir(d, a.first().copied().unwrap_or("/"))?;
                return Ok(Flow::Continue);
            }
            ("lcd", a) if a.len() <= 1 => {
                match a.first() {
                    Some(dir) => std::env::set_current_dir(dir).map_err(|e| CmdError::msg(format!("{dir}: {e}")))?,
                    None => {
                        let cwd = std::env::current_dir().map_err(|e| CmdError::msg(e.to_string()))?;
                        crate::render::write_stdout(format!("{}\n", cwd.display()).as_bytes())?;
                    }
                }
                return Ok(Flow::Continue);
            }
            (b, _) if BUILTINS.contains(&b) => return Err(CmdError::msg(format!("usage: see `help` for {b}"))),
            _ => {}
        }
        let mut parser = self.parser();
        let Some(sub) = parser.find_subcommand(&words[0]) else {
            return Err(CmdError::msg("command not found".into()));
        };
        if self.dev.is_none() && needs_device(sub) {
            return Err(no_device());
        }
        // quota names its image last, after an optional kind.
        if words[0] == "quota" {
            if let Some(d) = &self.dev {
                words.push(d.path.display().to_string());
            }
        }
        let matches = match parser.try_get_matches_from_mut(&words) {
            Ok(m) => m,
            Err(e) => {
                let text = e.render().to_string();
                if e.use_stderr() {
                    return Err(CmdError::msg(text.trim_end().trim_start_matches("error: ").to_string()));
                }
                crate::render::write_stdout(text.as_bytes())?;
                return Ok(Flow::Continue);
            }
        };
        let cli = Cli::from_arg_matches(&matches).map_err(|e| CmdError::msg(e.to_string()))?;
        let Some(command) = cli.command else {
            return Ok(Flow::Continue);
        };
        let out = Out::new(self.json || cli.json);
        if let Command::Admin(crate::cmd::admin::AdminCommand::Shell { .. }) = command {
            return Err(CmdError::msg("already in a shell".into()));
        }
        if let Command::Admin(a) = command {
            if a.image().is_none() {
                return crate::cmd::admin::run_without_volume(a, &out).map(|()| Flow::Continue);
            }
            return self.dispatch(Command::Admin(a), &out);
        }
        self.dispatch(command, &out)
    }

    fn dispatch(&self, command: Command, out: &Out) -> Result<Flow, CmdError> {
        let d = self.dev.as_ref().ok_or_else(no_device)?;
        let result = crate::dispatch(command, &d.vol, out, d.opts);
        crate::warn_ecc(&d.vol);
        result.map(|()| Flow::Continue)
    }

    /// The command-line parser adapted to this session (see the module doc).
    fn parser(&self) -> clap::Command {
        let dev = self.dev.as_ref().map_or(String::new(), |d| d.path.display().to_string());
        let cwd = self.dev.as_ref().map_or("/".to_string(), |d| d.cwd.clone());
        let mut c = Cli::command()
            .no_binary_name(true)
            .subcommand_required(true)
            .disable_version_flag(true)
            .override_usage("COMMAND [OPTIONS] [ARGS...]");
        let names: Vec<String> = c.get_subcommands().map(|s| s.get_name().to_string()).collect();
        for n in names {
            c = c.mut_subcommand(n, |sc| adapt(sc, &dev, &cwd));
        }
        c
    }
}

/// Whether a subcommand reads the open device (its image is not optional).
fn needs_device(sc: &clap::Command) -> bool {
    sc.get_arguments().any(|a| a.is_required_set() && (a.get_id() == "image" || sc.get_name() == "hb"))
        || sc.get_subcommands().any(needs_device)
}

fn no_device() -> CmdError {
    CmdError::msg("No device open".into())
}

/// The directory `spec` names, as the session's new current directory.
fn change_dir(d: &Device, spec: &str) -> Result<String, CmdError> {
    let target = absolute(&d.cwd, spec);
    let blkno = resolve_spec(&d.vol, &target).map_err(|e| CmdError::at(spec.to_string(), e))?;
    let inode = d.vol.inode(blkno).map_err(|e| CmdError::at(spec.to_string(), e))?;
    if !inode.header().is_dir() {
        return Err(CmdError::msg(format!("{spec}: not a directory")));
    }
    if target.starts_with('<') {
        // A block number or lock name: the directory's first path, if any.
        let paths = find_paths(&d.vol, blkno).map_err(|e| CmdError::at(spec.to_string(), e))?;
        let p = paths.into_iter().next().ok_or_else(|| CmdError::msg(format!("{spec}: no path names it")))?;
        return Ok(normalize(&p));
    }
    Ok(normalize(&target))
}

/// One subcommand adapted to the session: its image from the open device, its
/// relative specs from the current directory.
fn adapt(mut sc: clap::Command, dev: &str, cwd: &str) -> clap::Command {
    let name = sc.get_name().to_string();
    let order: Vec<String> = sc
        .get_arguments()
        .filter(|a| {
            let is_image = a.get_id() == "image" || (name == "hb" && a.get_id() == "spec");
            (dev.is_empty() || !is_image) && a.is_positional()
        })
        .map(|a| a.get_id().to_string())
        .collect();
    let args: Vec<(String, bool, bool)> = sc
        .get_arguments()
        .map(|a| (a.get_id().to_string(), a.is_positional(), !a.get_default_values().is_empty()))
        .collect();
    for (id, positional, has_default) in args {
        let is_image = id == "image" || (name == "hb" && id == "spec");
        if is_image && !dev.is_empty() {
            let dev = dev.to_string();
            sc = sc.mut_arg(id, move |a| a.long("image").required(false).default_value(dev).hide(true));
        } else if id == "spec" && positional && !is_image {
            let base = cwd.to_string();
            sc = sc.mut_arg(id, move |a| {
                let base2 = base.clone();
                let a = a.value_parser(move |s: &str| Ok::<String, String>(absolute(&base2, s)));
                if has_default {
                    a.default_value(base)
                } else {
                    a
                }
            });
        }
    }
    // mut_arg moves an argument to the end: pin the positionals' order.
    for (i, id) in order.into_iter().enumerate() {
        sc = sc.mut_arg(id, |a| a.index(i + 1));
    }
    let subs: Vec<String> = sc.get_subcommands().map(|s| s.get_name().to_string()).collect();
    for n in subs {
        sc = sc.mut_subcommand(n, |s| adapt(s, dev, cwd));
    }
    sc
}

/// Runs `ocfs2-inspect [IMAGE]` with `-R`, `-f` or neither (the shell).
pub fn main(cli: &Cli) -> ExitCode {
    let mut s = Session::new(cli.json, cli.open_options());
    let mut ok = true;
    if let Some(image) = &cli.image {
        if let Err(e) = s.open(image, cli.open_options()) {
            eprintln!("open: {e}");
            ok = false;
        }
    }
    if let Some(req) = &cli.request {
        ok &= s.run_line(req).is_ok();
        return status(ok);
    }
    if !cli.noprompt {
        eprintln!("ocfs2-inspect {}", env!("CARGO_PKG_VERSION"));
    }
    if let Some(file) = &cli.file {
        return match std::fs::File::open(file) {
            Ok(f) => status(ok & script(&mut s, std::io::BufReader::new(f), !cli.noprompt)),
            Err(e) => {
                eprintln!("ocfs2-inspect: {}: {e}", file.display());
                ExitCode::FAILURE
            }
        };
    }
    if !std::io::stdin().is_terminal() {
        return status(ok & script(&mut s, std::io::stdin().lock(), false));
    }
    status(ok & interactive(s, cli.noprompt))
}

fn status(ok: bool) -> ExitCode {
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Runs every line of `input`; true when none failed.
fn script(s: &mut Session, input: impl BufRead, echo: bool) -> bool {
    let mut ok = true;
    for line in input.lines() {
        let Ok(line) = line else {
            eprintln!("ocfs2-inspect: the command file is not text");
            return false;
        };
        let line = line.trim_start();
        if line.is_empty() {
            continue;
        }
        if echo {
            // What debugfs.ocfs2 does: one write, so the echo precedes the output.
            if crate::render::write_stdout(format!("{ECHO}{line}\n").as_bytes()).is_err() {
                return false;
            }
        }
        match s.run_line(line) {
            Ok(Flow::Quit) => return ok,
            Ok(Flow::Continue) => {}
            Err(()) => ok = false,
        }
    }
    if echo {
        let _ = crate::render::write_stdout(b"\n");
    }
    ok
}

/// Tab completion: command names first, then paths on the open volume.
struct Completion {
    session: Rc<RefCell<Session>>,
    commands: Vec<String>,
}

impl Completer for Completion {
    type Candidate = Pair;

    fn complete(&self, line: &str, pos: usize, _ctx: &Context<'_>) -> rustyline::Result<(usize, Vec<Pair>)> {
        let before = &line[..pos];
        let start = before.rfind(char::is_whitespace).map_or(0, |i| i + 1);
        let word = &before[start..];
        let pair = |s: String| Pair { display: s.clone(), replacement: s };
        if before[..start].trim().is_empty() {
            let found = self.commands.iter().filter(|c| c.starts_with(word)).cloned().map(pair).collect();
            return Ok((start, found));
        }
        let session = self.session.borrow();
        let Some(d) = &session.dev else { return Ok((start, Vec::new())) };
        let (dir, prefix) = match word.rfind('/') {
            Some(i) => (&word[..=i], &word[i + 1..]),
            None => ("", word),
        };
        let dir_spec = if dir.is_empty() { d.cwd.clone() } else { absolute(&d.cwd, dir) };
        let entries = resolve_spec(&d.vol, &dir_spec)
            .and_then(|b| d.vol.inode(b))
            .and_then(|inode| read_dir(&d.vol, &inode))
            .unwrap_or_default();
        let mut found: Vec<Pair> = entries
            .into_iter()
            .filter(|e| e.name.starts_with(prefix.as_bytes()) && e.name != b"." && e.name != b"..")
            .map(|e| {
                let mut s = format!("{dir}{}", String::from_utf8_lossy(&e.name));
                if e.file_type == ocfs2_format::layout::dir::file_type::DIR {
                    s.push('/');
                }
                pair(s)
            })
            .collect();
        found.sort_by(|a, b| a.display.cmp(&b.display));
        Ok((start, found))
    }
}

impl Hinter for Completion {
    type Hint = String;
}
impl Highlighter for Completion {}
impl Validator for Completion {}
impl Helper for Completion {}

/// Where the shell keeps its history between sessions.
fn history_file() -> Option<PathBuf> {
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".ocfs2_inspect_history"))
}

/// The interactive shell; true when the last command worked.
fn interactive(s: Session, noprompt: bool) -> bool {
    let commands = {
        let c = s.parser();
        let mut names: Vec<String> = c
            .get_subcommands()
            .flat_map(|sc| std::iter::once(sc.get_name().to_string()).chain(sc.get_all_aliases().map(String::from)))
            .chain(BUILTINS.iter().map(|b| b.to_string()))
            .collect();
        names.sort();
        names.dedup();
        names
    };
    let session = Rc::new(RefCell::new(s));
    let config = rustyline::Config::builder().completion_type(rustyline::CompletionType::List).build();
    let mut rl: Editor<Completion, DefaultHistory> = match Editor::with_config(config) {
        Ok(rl) => rl,
        Err(e) => {
            eprintln!("ocfs2-inspect: no line editor: {e}");
            return false;
        }
    };
    rl.set_helper(Some(Completion { session: Rc::clone(&session), commands }));
    let history = history_file();
    if let Some(h) = &history {
        let _ = rl.load_history(h); // none yet is fine
    }
    let prompt = if noprompt { "" } else { PROMPT };
    let mut ok = true;
    loop {
        match rl.readline(prompt) {
            Ok(line) => {
                if !line.trim().is_empty() {
                    let _ = rl.add_history_entry(line.trim());
                }
                match session.borrow_mut().run_line(&line) {
                    Ok(Flow::Quit) => break,
                    Ok(Flow::Continue) => ok = true,
                    Err(()) => ok = false,
                }
            }
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                eprintln!("ocfs2-inspect: {e}");
                ok = false;
                break;
            }
        }
    }
    if let Some(h) = &history {
        let _ = rl.save_history(h); // a read-only home loses history, not the session
    }
    ok
}

#[cfg(test)]
mod tests {
    use super::{absolute, normalize};

    #[test]
    fn relative_specs() {
        assert_eq!(absolute("/", "a"), "/a");
        assert_eq!(absolute("/d1", "a/b"), "/d1/a/b");
        assert_eq!(absolute("//", "global_bitmap"), "//global_bitmap");
        assert_eq!(absolute("/d1", "/x"), "/x");
        assert_eq!(absolute("/d1", "<12>"), "<12>");
    }

    #[test]
    fn normalized_dirs() {
        assert_eq!(normalize("/a/./b/../c/"), "/a/c");
        assert_eq!(normalize("/.."), "/");
        assert_eq!(normalize("//"), "//");
        assert_eq!(normalize("//orphan_dir:0000/"), "//orphan_dir:0000");
        assert_eq!(normalize("/d1/../.."), "/");
    }
}
