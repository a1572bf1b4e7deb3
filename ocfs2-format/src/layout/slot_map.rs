//! The slot map (`slot_map` system file): which cluster node holds each
//! filesystem slot. Two formats, chosen by the EXTENDED_SLOT_MAP incompat bit
//! (format.md §2.9): the normal one stores one `le16` node number per slot
//! (0xFFFF: empty), the extended one an 8-byte [`ExtendedSlot`] per slot.

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

use super::node::NodeNum;
use super::{assert_size, slice_at, Le16, Le32};
use crate::error::{Error, Result};

/// A normal-format entry meaning "no node" (`OCFS2_INVALID_SLOT`, −1 as le16).
pub const INVALID_SLOT: u16 = 0xFFFF;

/// `ocfs2_extended_slot` (8 bytes).
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Debug, Clone, Copy, PartialEq, Eq, Default)]
#[repr(C)]
pub struct ExtendedSlot {
    /// Non-zero when the slot is in use.
    pub es_valid: u8,
    /// Reserved.
    pub es_reserved1: [u8; 3],
    /// The node number holding the slot.
    pub es_node_num: Le32,
}
assert_size!(ExtendedSlot, 8);

/// Which of the two on-disk formats a slot map uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotMapFormat {
    /// One `le16` per slot.
    Normal,
    /// One [`ExtendedSlot`] per slot (EXTENDED_SLOT_MAP).
    Extended,
}

impl SlotMapFormat {
    /// Bytes per entry.
    pub fn entry_size(self) -> usize {
        match self {
            SlotMapFormat::Normal => 2,
            SlotMapFormat::Extended => core::mem::size_of::<ExtendedSlot>(),
        }
    }
    /// The lower-case name (`normal`, `extended`).
    pub fn name(self) -> &'static str {
        match self {
            SlotMapFormat::Normal => "normal",
            SlotMapFormat::Extended => "extended",
        }
    }
}

/// Decodes `max_slots` entries from the start of the slot map file's bytes.
/// Returns, per slot, the node number holding it, if any. `blkno` (the file's
/// inode) names the structure in errors.
pub fn parse(bytes: &[u8], max_slots: u16, format: SlotMapFormat, blkno: u64) -> Result<Vec<Option<NodeNum>>> {
    let n = usize::from(max_slots);
    let need = n * format.entry_size();
    if bytes.len() < need {
        return Err(Error::corrupt(
            blkno,
            "slot_map",
            "i_size",
            format!(">= {need} bytes ({max_slots} {} entries)", format.name()),
            bytes.len(),
        ));
    }
    let slots = match format {
        SlotMapFormat::Normal => slice_at::<Le16>(bytes, 0, n)
            .unwrap_or_else(|| unreachable!("length checked"))
            .iter()
            .map(|e| (e.get() != INVALID_SLOT).then(|| NodeNum::from(e.get())))
            .collect(),
        SlotMapFormat::Extended => slice_at::<ExtendedSlot>(bytes, 0, n)
            .unwrap_or_else(|| unreachable!("length checked"))
            .iter()
            .map(|e| (e.es_valid != 0).then(|| NodeNum(e.es_node_num.get())))
            .collect(),
    };
    Ok(slots)
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::offset_of;

    #[test]
    fn offsets_match_reference_table() {
        // format.md §2.5, ocfs2_extended_slot.
        assert_eq!(offset_of!(ExtendedSlot, es_valid), 0);
        assert_eq!(offset_of!(ExtendedSlot, es_reserved1), 1);
        assert_eq!(offset_of!(ExtendedSlot, es_node_num), 4);
    }

    #[test]
    fn both_formats() {
        let normal = [0x03, 0x00, 0xFF, 0xFF, 0x00, 0x00, 0xAA, 0xAA];
        assert_eq!(
            parse(&normal, 3, SlotMapFormat::Normal, 9).unwrap(),
            vec![Some(NodeNum(3)), None, Some(NodeNum(0))]
        );
        let mut ext = vec![0u8; 24];
        ext[0] = 1;
        ext[4] = 7;
        ext[16] = 1; // slot 2, node 0
        ext[12] = 9; // slot 1 has a node number but is not valid
        assert_eq!(parse(&ext, 3, SlotMapFormat::Extended, 9).unwrap(), vec![Some(NodeNum(7)), None, Some(NodeNum(0))]);
        let e = parse(&ext, 4, SlotMapFormat::Extended, 9).unwrap_err();
        assert_eq!(e.corruption().unwrap().field, "i_size");
        assert!(parse(&[], 0, SlotMapFormat::Normal, 9).unwrap().is_empty());
    }
}
