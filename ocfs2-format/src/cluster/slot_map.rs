//! The slot map read from a volume: which node holds which filesystem slot
//! (the on-disk formats are [`crate::layout::slot_map`]).

use crate::error::Result;
use crate::fs::FileReader;
use crate::layout::node::NodeNum;
use crate::layout::slot_map::{self, SlotMapFormat};
use crate::layout::superblock::incompat;
use crate::layout::system_file::SystemFile;
use crate::volume::{Inode, Volume};

/// The slot map of a volume.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotMap {
    /// The on-disk format.
    pub format: SlotMapFormat,
    /// Inode of the `slot_map` system file.
    pub inode: u64,
    /// Per filesystem slot (`0..s_max_slots`), the node holding it.
    pub nodes: Vec<Option<NodeNum>>,
}

impl SlotMap {
    /// Reads the `slot_map` system file: `s_max_slots` entries (at most 255,
    /// checked when the volume was opened) of the format the superblock selects,
    /// bounded by the file's size.
    pub fn read(vol: &Volume) -> Result<SlotMap> {
        let ino = vol.system_file(SystemFile::SLOT_MAP)?;
        Self::of_inode(vol, &vol.inode(ino)?)
    }

    /// Reads the slot map held by `inode` (the `slot_map` system file, found
    /// some other way), as [`SlotMap::read`] does.
    pub fn of_inode(vol: &Volume, inode: &Inode<'_>) -> Result<SlotMap> {
        let sb = vol.superblock();
        let max_slots = sb.s_max_slots.get();
        let format =
            if sb.has_incompat(incompat::EXTENDED_SLOT_MAP) { SlotMapFormat::Extended } else { SlotMapFormat::Normal };
        let reader = FileReader::new(vol, inode)?;
        let want = usize::from(max_slots) * format.entry_size();
        let mut buf = vec![0u8; usize::try_from(reader.size()).unwrap_or(usize::MAX).min(want)];
        let got = reader.read_full_at(0, &mut buf)?;
        buf.truncate(got);
        let nodes = slot_map::parse(&buf, max_slots, format, inode.blkno())?;
        Ok(SlotMap { format, inode: inode.blkno(), nodes })
    }

    /// The filesystem slot `node` holds, if any.
    pub fn slot_of(&self, node: NodeNum) -> Option<u16> {
        self.nodes.iter().position(|n| *n == Some(node)).map(|s| s as u16)
    }

    /// The (slot, node) pairs in use, by slot.
    pub fn used(&self) -> impl Iterator<Item = (u16, NodeNum)> + '_ {
        self.nodes.iter().enumerate().filter_map(|(s, n)| n.map(|n| (s as u16, n)))
    }
}
