//! Directory entries (`ocfs2_dir_entry`) and the directory block trailer
//! (`ocfs2_dir_block_trailer`).

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

use super::blockcheck::BlockCheck;
use core::mem::offset_of;

use super::{assert_size, Le16, Le64};
use super::{MetaAt, MetaKind};
use crate::error::{Error, Result};

/// Signature of a directory block trailer (at trailer offset 16).
pub const TRAILER_SIGNATURE: &[u8; 8] = b"DIRTRL1\0";
/// Size of the trailer at the end of each block of a non-inline directory.
pub const TRAILER_SIZE: usize = 64;
/// Size of the fixed part of a directory entry.
pub const ENTRY_HEADER_SIZE: usize = 12;
/// Longest name.
pub const MAX_NAME_LEN: usize = 255;

/// Directory entry file types (`file_type`).
pub mod file_type {
    /// Unknown.
    pub const UNKNOWN: u8 = 0;
    /// Regular file.
    pub const REG: u8 = 1;
    /// Directory.
    pub const DIR: u8 = 2;
    /// Character device.
    pub const CHR: u8 = 3;
    /// Block device.
    pub const BLK: u8 = 4;
    /// FIFO.
    pub const FIFO: u8 = 5;
    /// Socket.
    pub const SOCK: u8 = 6;
    /// Symbolic link.
    pub const SYMLINK: u8 = 7;
}

/// Space an entry with a name of `name_len` bytes needs (`OCFS2_DIR_REC_LEN`).
pub const fn rec_len(name_len: usize) -> usize {
    (name_len + ENTRY_HEADER_SIZE + 3) & !3
}

/// The fixed 12-byte part of `ocfs2_dir_entry`; the name follows.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
#[allow(missing_docs)] // Field names are the on-disk names; see the format reference.
pub struct DirEntryHeader {
    pub inode: Le64,
    pub rec_len: Le16,
    pub name_len: u8,
    pub file_type: u8,
}
assert_size!(DirEntryHeader, 12);

/// `ocfs2_dir_block_trailer` (the last 64 bytes of a directory block).
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
#[allow(missing_docs)] // Field names are the on-disk names; see the format reference.
pub struct DirTrailer {
    pub db_compat_inode: Le64,
    pub db_compat_rec_len: Le16,
    pub db_compat_name_len: u8,
    pub db_reserved0: u8,
    pub db_reserved1: Le16,
    pub db_free_rec_len: Le16,
    pub db_signature: [u8; 8],
    pub db_reserved2: Le64,
    pub db_free_next: Le64,
    pub db_blkno: Le64,
    pub db_parent_dinode: Le64,
    pub db_check: BlockCheck,
}

impl DirTrailer {
    /// What `Volume::read_meta` checks in this block.
    pub const META: MetaKind = MetaKind {
        structure: "ocfs2_dir_block_trailer",
        signature: TRAILER_SIGNATURE,
        sig_at: MetaAt::Tail(offset_of!(DirTrailer, db_signature)),
        check_at: MetaAt::Tail(offset_of!(DirTrailer, db_check)),
        blkno_at: MetaAt::Tail(offset_of!(DirTrailer, db_blkno)),
        generation_at: None,
    };
}
assert_size!(DirTrailer, 64);

/// One directory entry, borrowed from its block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DirEntry<'a> {
    /// Inode (block number) the entry names; 0 for an empty slot.
    pub inode: u64,
    /// Bytes from this entry to the next.
    pub rec_len: u16,
    /// One of [`file_type`].
    pub file_type: u8,
    /// The name (`name_len` bytes).
    pub name: &'a [u8],
    /// Byte offset of the entry within the area it was parsed from.
    pub offset: usize,
}

/// Iterates the entries of one directory area (a block less its trailer, or the
/// inline data of an inode), validating each `rec_len` and `name_len` so that a bad
/// entry is an error, never a loop or an out-of-bounds read. Empty slots
/// (`inode == 0`) are yielded too; callers skip them.
#[derive(Debug, Clone)]
pub struct DirEntries<'a> {
    area: &'a [u8],
    pos: usize,
    blkno: u64,
    failed: bool,
}

impl<'a> DirEntries<'a> {
    /// Entries of `area`; `blkno` names the block in errors.
    pub fn new(area: &'a [u8], blkno: u64) -> Self {
        DirEntries { area, pos: 0, blkno, failed: false }
    }
}

impl<'a> Iterator for DirEntries<'a> {
    type Item = Result<DirEntry<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.pos + ENTRY_HEADER_SIZE > self.area.len() {
            return None;
        }
        let s = "ocfs2_dir_entry";
        let at = self.pos;
        let rest = &self.area[at..];
        let (h, _) = DirEntryHeader::ref_from_prefix(rest).ok()?;
        let rl = usize::from(h.rec_len.get());
        let nl = usize::from(h.name_len);
        let err = if rl < ENTRY_HEADER_SIZE || rl % 4 != 0 {
            Some(Error::corrupt(self.blkno, s, "rec_len", format!("a multiple of 4, >= 12 (entry at byte {at})"), rl))
        } else if rl > rest.len() {
            Some(Error::corrupt(
                self.blkno,
                s,
                "rec_len",
                format!("<= {} left in the block (entry at byte {at})", rest.len()),
                rl,
            ))
        } else if rec_len(nl) > rl {
            Some(Error::corrupt(self.blkno, s, "name_len", format!("fits rec_len {rl} (entry at byte {at})"), nl))
        } else {
            None
        };
        if let Some(e) = err {
            self.failed = true;
            return Some(Err(e));
        }
        self.pos += rl;
        Some(Ok(DirEntry {
            inode: h.inode.get(),
            rec_len: h.rec_len.get(),
            file_type: h.file_type,
            name: &rest[ENTRY_HEADER_SIZE..ENTRY_HEADER_SIZE + nl],
            offset: at,
        }))
    }
}

/// The trailer of a directory block, if the block ends in one.
pub fn trailer(block: &[u8]) -> Option<&DirTrailer> {
    let at = block.len().checked_sub(TRAILER_SIZE)?;
    let t = DirTrailer::ref_from_bytes(&block[at..]).ok()?;
    (&t.db_signature == TRAILER_SIGNATURE).then_some(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::offset_of;

    #[test]
    fn offsets_match_reference_table() {
        assert_eq!(offset_of!(DirEntryHeader, rec_len), 8);
        assert_eq!(offset_of!(DirEntryHeader, name_len), 10);
        assert_eq!(offset_of!(DirEntryHeader, file_type), 11);
        assert_eq!(offset_of!(DirTrailer, db_free_rec_len), 14);
        assert_eq!(offset_of!(DirTrailer, db_signature), 16);
        assert_eq!(offset_of!(DirTrailer, db_free_next), 32);
        assert_eq!(offset_of!(DirTrailer, db_blkno), 40);
        assert_eq!(offset_of!(DirTrailer, db_parent_dinode), 48);
        assert_eq!(offset_of!(DirTrailer, db_check), 56);
    }

    fn entry(buf: &mut Vec<u8>, ino: u64, rl: u16, name: &[u8]) {
        buf.extend_from_slice(&ino.to_le_bytes());
        buf.extend_from_slice(&rl.to_le_bytes());
        buf.push(name.len() as u8);
        buf.push(file_type::REG);
        buf.extend_from_slice(name);
        buf.resize(buf.len() + usize::from(rl) - 12 - name.len(), 0);
    }

    #[test]
    fn walks_entries_and_rejects_bad_rec_len() {
        let mut b = Vec::new();
        entry(&mut b, 5, 16, b".");
        entry(&mut b, 6, 16, b"abc");
        let names: Vec<_> = DirEntries::new(&b, 1).map(|e| e.unwrap().name.to_vec()).collect();
        assert_eq!(names, vec![b".".to_vec(), b"abc".to_vec()]);
        b[8] = 0; // rec_len 0 would loop forever if trusted
        let r: Vec<_> = DirEntries::new(&b, 77).collect();
        assert_eq!(r.len(), 1);
        let c = r[0].as_ref().unwrap_err().corruption().unwrap().clone();
        assert_eq!((c.blkno, c.field), (77, "rec_len"));
    }
}
