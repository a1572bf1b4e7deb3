//! The replay walk over an arbitrary journal region: the first byte picks the
//! block size (1, 2 or 4 KiB), the next two bound the volume (in 64-block
//! units), the rest is the log, block 0 its JBD2 superblock. The three passes
//! must end with a result and warnings, never a panic, a hang or memory beyond
//! the log's size.

use std::borrow::Cow;

use ocfs2_format::journal::replay::{replay_log, Log, LogParams};
use ocfs2_format::Result;

struct Region<'a> {
    blocks: Vec<&'a [u8]>,
}

impl Log for Region<'_> {
    fn read(&self, n: u32) -> Result<Cow<'_, [u8]>> {
        self.blocks.get(n as usize).map(|b| Cow::Borrowed(*b)).ok_or_else(|| {
            ocfs2_format::Error::invalid(
                ocfs2_format::InvalidKind::Argument,
                format!("log block {n} is past the region"),
            )
        })
    }
}

pub fn run(data: &[u8]) {
    let [sel, v0, v1, rest @ ..] = data else { return };
    let bs = 1024usize << (sel % 3);
    let blocks: Vec<&[u8]> = rest.chunks_exact(bs).collect();
    let Some(sb) = blocks.first() else { return };
    // The JBD2 superblock's fields, unchecked (big-endian, at their offsets).
    let be = |o: usize| u32::from_be_bytes([sb[o], sb[o + 1], sb[o + 2], sb[o + 3]]);
    let mut p = LogParams {
        slot: u16::from(*sel),
        block_size: bs,
        first: be(0x14),
        maxlen: be(0x10),
        start: be(0x1c),
        sequence: be(0x18),
        compat: be(0x24),
        incompat: be(0x28),
        volume_blocks: u64::from(u16::from_le_bytes([*v0, *v1])) * 64,
    };
    // The superblock may claim more blocks than the region holds: reads past it fail,
    // which the walk must survive; a selector bit makes the log exactly the region.
    if sel & 0x80 != 0 {
        p.maxlen = blocks.len() as u32;
    }
    let r = replay_log(&Region { blocks }, &p, sel & 0x40 != 0);
    assert!(r.blocks.len() as u64 <= u64::from(p.maxlen), "more winners than log blocks");
    for t in &r.transactions {
        assert!(t.written + t.revoked <= t.logged);
    }
}
