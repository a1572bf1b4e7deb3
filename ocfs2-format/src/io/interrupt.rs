//! Stopping cleanly on Ctrl-C: a heartbeat writer must write its final
//! generation-0 block and a watcher finish its line, so SIGINT and SIGTERM set a
//! flag the loop reads instead of killing the process. For programs (the
//! inspector's `hb --watch`, `ocfs2-hbsim`): the handlers are process-wide.

use std::sync::atomic::{AtomicBool, Ordering};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    INTERRUPTED.store(true, Ordering::SeqCst);
}

/// Makes SIGINT and SIGTERM set the flag [`interrupted`] reads instead of
/// killing the process.
#[allow(unsafe_code)] // libc: a signal handler
pub fn catch_interrupts() {
    let handler = on_signal as extern "C" fn(libc::c_int);
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe;
    // `signal` is given a valid function pointer of the right type.
    unsafe {
        libc::signal(libc::SIGINT, handler as libc::sighandler_t);
        libc::signal(libc::SIGTERM, handler as libc::sighandler_t);
    }
}

/// Whether SIGINT or SIGTERM arrived since [`catch_interrupts`].
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(unsafe_code)] // libc: raise
    fn sigterm_sets_the_flag_and_the_process_lives() {
        catch_interrupts();
        // SAFETY: raise(2) with a valid signal number; the handler is installed.
        assert_eq!(unsafe { libc::raise(libc::SIGTERM) }, 0);
        assert!(interrupted());
    }
}
