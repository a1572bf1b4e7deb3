//! What a slot's journal inode says of the slot: whether it awaits recovery.
//! Read from the inode alone, so it is known even when the log itself is
//! damaged; [`super::Journal::state`] gives the same for an opened journal.

use crate::error::{Error, InvalidKind, Result};
use crate::layout::dinode::JOURNAL_DIRTY;
use crate::layout::system_file::SystemFile;
use crate::volume::{Inode, Volume};

/// The state of one slot's journal (`journal:NNNN`, `id1.journal1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JournalState {
    /// The filesystem slot.
    pub slot: u16,
    /// The journal's inode.
    pub inode: u64,
    /// `ij_flags` as stored.
    pub flags: u32,
    /// Whether the slot needs recovery (`ij_flags` DIRTY).
    pub dirty: bool,
    /// `ij_recovery_generation`, bumped after each recovery.
    pub recovery_generation: u32,
}

impl JournalState {
    /// Reads the journal inode of `slot`.
    pub fn read(vol: &Volume, slot: u16) -> Result<JournalState> {
        let (ino, inode) = journal_inode(vol, slot)?;
        Ok(Self::of_inode(slot, ino, &inode))
    }

    /// Reads the journal state of every slot of the volume.
    pub fn read_all(vol: &Volume) -> Result<Vec<JournalState>> {
        (0..vol.superblock().s_max_slots.get()).map(|s| JournalState::read(vol, s)).collect()
    }

    /// The state recorded in `slot`'s journal inode `ino`.
    pub(super) fn of_inode(slot: u16, ino: u64, inode: &Inode<'_>) -> JournalState {
        let j = inode.header().journal1();
        let flags = j.ij_flags.get();
        JournalState {
            slot,
            inode: ino,
            flags,
            dirty: flags & JOURNAL_DIRTY != 0,
            recovery_generation: j.ij_recovery_generation.get(),
        }
    }
}

/// The block number and inode of `journal:SLOT`, for a slot the volume has.
pub(super) fn journal_inode(vol: &Volume, slot: u16) -> Result<(u64, Inode<'_>)> {
    let max = vol.superblock().s_max_slots.get();
    if slot >= max {
        return Err(Error::invalid(InvalidKind::Argument, format!("slot {slot}: the volume has {max} slots")));
    }
    let ino = vol.system_file(SystemFile::journal(slot))?;
    Ok((ino, vol.inode(ino)?))
}
