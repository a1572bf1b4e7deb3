//! Lock names and saved lock-state files: arbitrary text through
//! `LockName::parse` (and back through `Display`), `parse_fs_locks` and
//! `parse_dlm_locks`. Each must return a value or a typed error.

use ocfs2_format::layout::lockname::LockName;
use ocfs2_format::locks::{parse_dlm_locks, parse_fs_locks};

pub fn run(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(l) = LockName::parse(&text) {
        // A parsed name prints back to one that parses the same way.
        let again = LockName::parse(&l.to_string()).expect("a printed name parses");
        assert_eq!(again.kind, l.kind);
    }
    let _ = parse_fs_locks(&text);
    let _ = parse_dlm_locks(&text);
}
