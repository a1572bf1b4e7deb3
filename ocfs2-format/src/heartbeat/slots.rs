//! The slot map read from a volume, and the state of each slot's journal: which
//! node holds which filesystem slot, and whether that slot awaits recovery.

use crate::error::{Error, Result};
use crate::fs::FileReader;
use crate::layout::dinode::JOURNAL_DIRTY;
use crate::layout::slot_map::{self, SlotMapFormat};
use crate::layout::superblock::incompat;
use crate::volume::{slot_file_name, Volume};

/// The slot map of a volume.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotMap {
    /// The on-disk format.
    pub format: SlotMapFormat,
    /// Inode of the `slot_map` system file.
    pub inode: u64,
    /// Per filesystem slot (`0..s_max_slots`), the node number holding it.
    pub nodes: Vec<Option<u32>>,
}

impl SlotMap {
    /// Reads the `slot_map` system file: `s_max_slots` entries (at most 255,
    /// checked when the volume was opened) of the format the superblock selects,
    /// bounded by the file's size.
    pub fn read(vol: &Volume) -> Result<SlotMap> {
        let sb = vol.superblock();
        let max_slots = sb.s_max_slots.get();
        let format =
            if sb.has_incompat(incompat::EXTENDED_SLOT_MAP) { SlotMapFormat::Extended } else { SlotMapFormat::Normal };
        let ino = vol.system_file("slot_map")?;
        let inode = vol.inode(ino)?;
        let reader = FileReader::new(vol, &inode)?;
        let want = usize::from(max_slots) * format.entry_size();
        let have = usize::try_from(reader.size()).unwrap_or(usize::MAX).min(want);
        let mut buf = vec![0u8; have];
        let mut got = 0;
        while got < have {
            let n = reader.read_at(got as u64, &mut buf[got..])?;
            if n == 0 {
                break;
            }
            got += n;
        }
        buf.truncate(got);
        let nodes = slot_map::parse(&buf, max_slots, format, ino)?;
        Ok(SlotMap { format, inode: ino, nodes })
    }

    /// The filesystem slot `node` holds, if any.
    pub fn slot_of(&self, node: u32) -> Option<u16> {
        self.nodes.iter().position(|n| *n == Some(node)).map(|s| s as u16)
    }

    /// The (slot, node) pairs in use, by slot.
    pub fn used(&self) -> impl Iterator<Item = (u16, u32)> + '_ {
        self.nodes.iter().enumerate().filter_map(|(s, n)| n.map(|n| (s as u16, n)))
    }
}

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
        let max = vol.superblock().s_max_slots.get();
        if slot >= max {
            return Err(Error::Invalid(format!("slot {slot}: the volume has {max} slots")));
        }
        let ino = vol.system_file(&slot_file_name("journal", slot))?;
        let inode = vol.inode(ino)?;
        let j = inode.header().journal1();
        let flags = j.ij_flags.get();
        Ok(JournalState {
            slot,
            inode: ino,
            flags,
            dirty: flags & JOURNAL_DIRTY != 0,
            recovery_generation: j.ij_recovery_generation.get(),
        })
    }

    /// Reads the journal state of every slot of the volume.
    pub fn read_all(vol: &Volume) -> Result<Vec<JournalState>> {
        (0..vol.superblock().s_max_slots.get()).map(|s| JournalState::read(vol, s)).collect()
    }
}
