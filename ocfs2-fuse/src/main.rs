//! `ocfs2-fuse IMAGE MOUNTPOINT [-f] [-o OPTIONS]`: mounts an OCFS2 image or device read-only
//! through FUSE, with no kernel module and no cluster stack.
#![deny(unsafe_code)]

mod mount;

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use clap::Parser;
use fuser::{Config, MountOption, Session, SessionACL};
use ocfs2_format::io::Access;
use ocfs2_format::{OpenOptions, Volume};

use mount::{Ocfs2Fs, Settings, DEFAULT_TTL};

/// Mount an OCFS2 image or device read-only (FUSE).
#[derive(Debug, Parser)]
#[command(name = "ocfs2-fuse", version, about)]
struct Cli {
    /// Image (`.img`, `.img.zst`) or block device.
    image: PathBuf,
    /// Directory to mount on.
    mountpoint: PathBuf,
    /// Stay in the foreground (default: detach once mounted and log to syslog).
    #[arg(short, long)]
    foreground: bool,
    /// Mount options, comma-separated: allow_other, allow_root, uid=N, gid=N, ttl=SECONDS,
    /// threads=N, partition=N, offset=BYTES, direct, replay, ro, and the flags nodev, nosuid, noexec,
    /// noatime, dev, suid, exec.
    #[arg(short = 'o', value_delimiter = ',')]
    options: Vec<String>,
    /// Byte offset of the volume inside the image or device (inside the partition, with
    /// `--partition`).
    #[arg(long, default_value_t = 0)]
    offset: u64,
    /// Partition N (1-based, as fdisk numbers them) of a disk image or whole-disk device. Without
    /// it, a disk whose only OCFS2 volume is in a partition mounts that one.
    #[arg(long, value_name = "N")]
    partition: Option<u32>,
    /// Read a regular file with O_DIRECT too (block devices always are).
    #[arg(long)]
    direct: bool,
    /// Show the volume as journal recovery would leave it: dirty slots' committed transactions
    /// replayed in memory (the image is never written).
    #[arg(long)]
    replay: bool,
}

/// What the `-o` list asks for.
#[derive(Debug)]
struct MountOpts {
    settings: Settings,
    acl: SessionACL,
    threads: usize,
    offset: Option<u64>,
    partition: Option<u32>,
    direct: bool,
    replay: bool,
    flags: Vec<MountOption>,
}

fn parse_options(list: &[String]) -> Result<MountOpts, String> {
    let mut o = MountOpts {
        settings: Settings { uid: None, gid: None, ttl: DEFAULT_TTL },
        acl: SessionACL::Owner,
        threads: std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 8)),
        offset: None,
        partition: None,
        direct: false,
        replay: false,
        flags: Vec::new(),
    };
    let num = |k: &str, v: &str| v.parse::<u64>().map_err(|_| format!("-o {k}={v}: not a number"));
    for opt in list.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        match opt.split_once('=') {
            Some(("uid", v)) => o.settings.uid = Some(num("uid", v)? as u32),
            Some(("gid", v)) => o.settings.gid = Some(num("gid", v)? as u32),
            Some(("ttl", v)) => o.settings.ttl = Duration::from_secs(num("ttl", v)?),
            Some(("threads", v)) => o.threads = num("threads", v)?.clamp(1, 64) as usize,
            Some(("offset", v)) => o.offset = Some(num("offset", v)?),
            Some(("partition", v)) => {
                o.partition = Some(u32::try_from(num("partition", v)?).map_err(|_| format!("-o {opt}: too large"))?)
            }
            Some(("fsname" | "subtype", _)) => {}
            Some((k, _)) => return Err(format!("-o {opt}: unknown option {k}")),
            None => match opt {
                "allow_other" => o.acl = SessionACL::All,
                "allow_root" => o.acl = SessionACL::RootAndOwner,
                "direct" => o.direct = true,
                "replay" => o.replay = true,
                // Always so, or fstab's words that mount.fuse3 may pass on.
                "ro" | "default_permissions" | "defaults" | "auto" | "noauto" | "nofail" | "_netdev" => {}
                "rw" => return Err("-o rw: the mount is read-only".into()),
                "nodev" => o.flags.push(MountOption::NoDev),
                "nosuid" => o.flags.push(MountOption::NoSuid),
                "noexec" => o.flags.push(MountOption::NoExec),
                "noatime" => o.flags.push(MountOption::NoAtime),
                "dev" => o.flags.push(MountOption::Dev),
                "suid" => o.flags.push(MountOption::Suid),
                "exec" => o.flags.push(MountOption::Exec),
                other => return Err(format!("-o {other}: unknown option")),
            },
        }
    }
    Ok(o)
}

/// Log lines go to stderr in the foreground and to syslog once detached.
#[derive(Debug)]
struct Logger {
    syslog: AtomicBool,
}

static LOGGER: Logger = Logger { syslog: AtomicBool::new(false) };

impl log::Log for Logger {
    fn enabled(&self, m: &log::Metadata<'_>) -> bool {
        // fuser's own warnings are about requests left unanswered (ioctl, locks): ENOSYS is right.
        m.level() <= log::Level::Warn && m.target().starts_with("ocfs2_fuse") || m.level() <= log::Level::Error
    }
    #[allow(unsafe_code)] // libc: syslog, signals, fork, umount
    fn log(&self, r: &log::Record<'_>) {
        if !self.enabled(r.metadata()) {
            return;
        }
        let line = format!("ocfs2-fuse: {}", r.args());
        if self.syslog.load(Ordering::Relaxed) {
            let prio = if r.level() <= log::Level::Error { libc::LOG_ERR } else { libc::LOG_WARNING };
            if let Ok(c) = CString::new(line) {
                // SAFETY: both strings are NUL-terminated and outlive the call.
                unsafe { libc::syslog(prio | libc::LOG_DAEMON, c"%s".as_ptr(), c.as_ptr()) };
            }
        } else {
            eprintln!("{line}");
        }
    }
    fn flush(&self) {}
}

/// The signals that unmount, blocked in every thread so that one thread can wait for them.
#[allow(unsafe_code)] // libc: syslog, signals, fork, umount
fn stop_signals() -> libc::sigset_t {
    // SAFETY: sigset_t is plain data, initialised by sigemptyset before use.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for s in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
            libc::sigaddset(&mut set, s);
        }
        set
    }
}

/// Detaches from the terminal once the mount is up: the parent exits 0, the child runs the
/// session. Called before any thread is started, as fork requires.
#[allow(unsafe_code)] // libc: syslog, signals, fork, umount
fn daemonize() -> std::io::Result<()> {
    // Only the forking thread lives on in the child, and a lock another one held stays held:
    // refuse rather than run a daemon that may hang (the library starts threads only for long
    // reads, which opening and mounting do not make).
    let threads = std::fs::read_dir("/proc/self/task").map_or(1, |d| d.count());
    if threads > 1 {
        return Err(std::io::Error::other(format!("{threads} threads are running; mount with --foreground")));
    }
    // SAFETY: the process has one thread here; the parent leaves with _exit so that nothing it
    // holds (the mount among them) is dropped twice.
    unsafe {
        match libc::fork() {
            -1 => return Err(std::io::Error::last_os_error()),
            0 => {}
            _ => libc::_exit(0),
        }
        libc::setsid();
        let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
        if null >= 0 {
            for fd in 0..3 {
                libc::dup2(null, fd);
            }
            if null > 2 {
                libc::close(null);
            }
        }
        libc::chdir(c"/".as_ptr());
    }
    Ok(())
}

#[allow(unsafe_code)] // libc: syslog, signals, fork, umount
fn main() -> ExitCode {
    if let Some(code) = ocfs2_docs::intercept(<Cli as clap::CommandFactory>::command) {
        return code;
    }
    let cli = Cli::parse();
    log::set_logger(&LOGGER).map(|()| log::set_max_level(log::LevelFilter::Warn)).ok();
    let opts = match parse_options(&cli.options) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("ocfs2-fuse: {e}");
            return ExitCode::from(2);
        }
    };
    let access = if cli.direct || opts.direct { Access::Direct } else { Access::Auto };
    let open = OpenOptions {
        access,
        offset: opts.offset.unwrap_or(cli.offset),
        partition: opts.partition.or(cli.partition),
        replay: cli.replay || opts.replay,
        ..OpenOptions::default()
    };
    let vol = match Volume::open_with(&cli.image, open) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("ocfs2-fuse: {}: {e}", cli.image.display());
            return ExitCode::FAILURE;
        }
    };
    if let Some(p) = vol.partition().filter(|p| p.automatic) {
        eprintln!(
            "ocfs2-fuse: note: mounting {} partition {} (the disk's only OCFS2 volume, at byte {}; -o partition=N picks another)",
            p.table.name(),
            p.partition.number,
            p.partition.start
        );
    }
    let vol = std::sync::Arc::new(vol);

    let mut config = Config::default();
    config.mount_options = vec![
        MountOption::RO,
        MountOption::FSName(cli.image.display().to_string()),
        MountOption::Subtype("ocfs2".into()),
        // The kernel checks modes, owners and ACL-less permissions as for any filesystem.
        MountOption::DefaultPermissions,
    ];
    config.mount_options.extend(opts.flags.iter().cloned());
    config.acl = opts.acl;
    config.n_threads = Some(opts.threads);
    config.clone_fd = true;

    let sigs = stop_signals();
    // SAFETY: sets this thread's mask; every thread started later inherits it.
    unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &sigs, std::ptr::null_mut()) };

    let fs = Ocfs2Fs::new(vol, opts.settings);
    let mut session = match Session::new(fs, &cli.mountpoint, &config) {
        Ok(s) => s,
        Err(e) => {
            let hint = match std::fs::OpenOptions::new().read(true).write(true).open("/dev/fuse") {
                Err(fe) => format!(" (/dev/fuse: {fe}; install fuse3 and load the fuse module)"),
                Ok(_) => String::new(),
            };
            eprintln!("ocfs2-fuse: cannot mount on {}: {e}{hint}", cli.mountpoint.display());
            return ExitCode::FAILURE;
        }
    };
    let mountpoint = cli.mountpoint.canonicalize().ok();
    if !cli.foreground {
        if let Err(e) = daemonize() {
            eprintln!("ocfs2-fuse: cannot detach: {e}");
            return ExitCode::FAILURE;
        }
        LOGGER.syslog.store(true, Ordering::Relaxed);
    }

    let mut unmounter = session.unmount_callable();
    // Absolute: a detached daemon runs in `/`.
    let mountpoint = mountpoint.and_then(|p| CString::new(p.as_os_str().as_bytes()).ok());
    let waiter = std::thread::spawn(move || {
        let mut sig = 0;
        // SAFETY: `sigs` is initialised; sigwait writes one int.
        if unsafe { libc::sigwait(&sigs, &mut sig) } != 0 {
            return;
        }
        log::warn!("signal {sig}: unmounting");
        if let Err(e) = unmounter.unmount() {
            // Busy (open files, a shell inside): detach it now, it goes when the last user does.
            log::warn!("unmount: {e}; detaching lazily");
            if let Some(mp) = &mountpoint {
                // SAFETY: a NUL-terminated path.
                unsafe { libc::umount2(mp.as_ptr(), libc::MNT_DETACH) };
            }
        }
    });
    drop(waiter); // it ends the session, or the process ends with the session
    match session.run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            log::error!("session ended: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn opts(list: &[&str]) -> Result<MountOpts, String> {
        parse_options(&list.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn mount_options() {
        let o = opts(&[
            "uid=1000",
            "gid=100",
            "ttl=0",
            "threads=3",
            "offset=1048576",
            "partition=6",
            "allow_other",
            "nodev",
        ])
        .unwrap();
        assert_eq!((o.settings.uid, o.settings.gid, o.settings.ttl), (Some(1000), Some(100), Duration::ZERO));
        assert_eq!((o.threads, o.offset, o.partition, o.acl), (3, Some(1 << 20), Some(6), SessionACL::All));
        assert_eq!(o.flags, [MountOption::NoDev]);
        let d = opts(&["ro", "defaults", ""]).unwrap();
        assert_eq!((d.settings.uid, d.settings.ttl, d.acl), (None, DEFAULT_TTL, SessionACL::Owner));
        for bad in ["rw", "uid=x", "bogus", "color=red", "partition=4294967296", "partition=-1"] {
            assert!(opts(&[bad]).is_err(), "{bad}");
        }
    }
}
