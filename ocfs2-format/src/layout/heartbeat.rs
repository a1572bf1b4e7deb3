//! One o2hb heartbeat slot (`o2hb_disk_heartbeat_block`) and its own checksum.
//!
//! The heartbeat region is an array of 255 slots, one per o2cb node number; each
//! slot is one logical sector of the device (512 bytes on most disks, 4096 on 4Kn),
//! never one filesystem block. The 32-byte structure sits at the start of the
//! sector; the writer zeroes the rest, and the checksum covers the whole sector.
//! See format.md §2.10.

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

use super::node::NodeNum;
use super::{assert_size, view_at, Le32, Le64};
use crate::error::{Error, InvalidKind, Result};

/// Number of heartbeat slots in a region (`O2NM_MAX_NODES`): slot `n` belongs to
/// node number `n`.
pub const MAX_NODES: usize = 255;

/// Byte offset of `hb_cksum` in the slot.
pub const CKSUM_OFFSET: usize = 12;

/// Smallest and largest slot (logical sector) size this crate accepts.
pub const SECTOR_SIZES: std::ops::RangeInclusive<u32> = 512..=4096;

/// `o2hb_disk_heartbeat_block` (28 bytes used, 32 with tail padding).
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Debug, Clone, Copy, PartialEq, Eq, Default)]
#[repr(C)]
pub struct HbSlot {
    /// The writer's wall-clock seconds at the write (never 0 for a written slot).
    pub hb_seq: Le64,
    /// The writer's node number; equals the slot index.
    pub hb_node: u8,
    /// Padding.
    pub hb_pad1: [u8; 3],
    /// crc32 (seed 0, no final inversion) of the whole sector with this field zeroed.
    pub hb_cksum: Le32,
    /// Random per heartbeat start; 0 when the node stopped cleanly.
    pub hb_generation: Le64,
    /// The writer's dead threshold in milliseconds (`threshold × 2000`).
    pub hb_dead_ms: Le32,
    /// Tail padding of the C structure (never written with data).
    pub hb_pad2: [u8; 4],
}
assert_size!(HbSlot, 32);

/// Checks that `sector_size` is a slot size this crate handles: a power of two in
/// [`SECTOR_SIZES`].
pub fn check_sector_size(sector_size: u32) -> Result<()> {
    if sector_size.is_power_of_two() && SECTOR_SIZES.contains(&sector_size) {
        Ok(())
    } else {
        Err(Error::invalid(
            InvalidKind::Argument,
            format!("heartbeat slot size {sector_size}: must be a power of two in 512..=4096"),
        ))
    }
}

/// The heartbeat checksum of one slot sector: `crc32_le` with seed 0 and no final
/// inversion over the whole sector, with `hb_cksum` taken as zero.
pub fn checksum(sector: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new_with_initial(0xFFFF_FFFF);
    let head = sector.len().min(CKSUM_OFFSET);
    h.update(&sector[..head]);
    if sector.len() > CKSUM_OFFSET {
        let end = sector.len().min(CKSUM_OFFSET + 4);
        h.update(&[0u8; 4][..end - CKSUM_OFFSET]);
        h.update(&sector[end..]);
    }
    // crc32fast inverts on the way in and out; undoing both gives the kernel's
    // raw crc32_le(0, ...).
    !h.finalize()
}

/// One decoded slot sector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlotReading {
    /// The node the slot belongs to (the slot's index).
    pub slot: NodeNum,
    /// The fields as stored.
    pub raw: HbSlot,
    /// The checksum computed over the sector.
    pub computed_cksum: u32,
    /// Whether every byte of the sector is zero (never written).
    pub blank: bool,
}

impl SlotReading {
    /// Decodes `slot`'s sector bytes (at least 32 bytes).
    pub fn decode(slot: NodeNum, sector: &[u8], at_blkno: u64) -> Result<Self> {
        let raw = view_at::<HbSlot>(sector, 0).copied().ok_or_else(|| {
            Error::corrupt(at_blkno, "o2hb_disk_heartbeat_block", "sector", ">= 32 bytes", sector.len())
        })?;
        Ok(SlotReading { slot, raw, computed_cksum: checksum(sector), blank: sector.iter().all(|&b| b == 0) })
    }
    /// `hb_seq`: the writer's wall-clock seconds.
    pub fn seq(&self) -> u64 {
        self.raw.hb_seq.get()
    }
    /// `hb_node`: the node that wrote the slot.
    pub fn node(&self) -> NodeNum {
        NodeNum::from(self.raw.hb_node)
    }
    /// `hb_generation` (0: the node stopped cleanly).
    pub fn generation(&self) -> u64 {
        self.raw.hb_generation.get()
    }
    /// `hb_dead_ms`.
    pub fn dead_ms(&self) -> u32 {
        self.raw.hb_dead_ms.get()
    }
    /// `hb_cksum` as stored.
    pub fn stored_cksum(&self) -> u32 {
        self.raw.hb_cksum.get()
    }
    /// Whether the stored checksum matches the sector.
    pub fn crc_ok(&self) -> bool {
        self.stored_cksum() == self.computed_cksum
    }
    /// Whether the slot holds a heartbeat at all (written: non-zero seq).
    pub fn is_written(&self) -> bool {
        !self.blank && self.seq() != 0
    }
    /// Whether `hb_node` names the slot's own node.
    pub fn node_matches(&self) -> bool {
        self.node() == self.slot
    }
}

/// Encodes one slot sector the way the kernel writes it: the fields, zeros to the
/// end of the sector, and the checksum. `node` must fit `hb_node`'s one byte.
pub fn encode_sector(sector_size: u32, seq: u64, node: NodeNum, generation: u64, dead_ms: u32) -> Result<Vec<u8>> {
    check_sector_size(sector_size)?;
    let hb_node = u8::try_from(node.get())
        .map_err(|_| Error::invalid(InvalidKind::Argument, format!("node {node}: hb_node holds one byte")))?;
    let mut buf = vec![0u8; sector_size as usize];
    let slot = HbSlot {
        hb_seq: Le64::new(seq),
        hb_node,
        hb_generation: Le64::new(generation),
        hb_dead_ms: Le32::new(dead_ms),
        ..HbSlot::default()
    };
    buf[..32].copy_from_slice(slot.as_bytes());
    let c = checksum(&buf);
    buf[CKSUM_OFFSET..CKSUM_OFFSET + 4].copy_from_slice(&c.to_le_bytes());
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::offset_of;

    #[test]
    fn offsets_match_reference_table() {
        // format.md §2.10, slot block table.
        assert_eq!(offset_of!(HbSlot, hb_seq), 0);
        assert_eq!(offset_of!(HbSlot, hb_node), 8);
        assert_eq!(offset_of!(HbSlot, hb_pad1), 9);
        assert_eq!(offset_of!(HbSlot, hb_cksum), 12);
        assert_eq!(offset_of!(HbSlot, hb_generation), 16);
        assert_eq!(offset_of!(HbSlot, hb_dead_ms), 24);
        assert_eq!(core::mem::size_of::<HbSlot>(), 32);
    }

    #[test]
    fn checksum_is_raw_crc32_le_seed_zero() {
        // Bitwise crc32_le (reflected poly 0xEDB88320), seed 0, no final xor.
        fn reference(buf: &[u8]) -> u32 {
            let mut crc = 0u32;
            for &b in buf {
                crc ^= u32::from(b);
                for _ in 0..8 {
                    crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
                }
            }
            crc
        }
        let mut sector: Vec<u8> = (0..512u32).map(|i| (i * 7 + 3) as u8).collect();
        let c = checksum(&sector);
        sector[12..16].fill(0);
        assert_eq!(c, reference(&sector));
        assert_eq!(checksum(&[0u8; 512]), 0, "seed 0 over zeros is 0");
    }

    #[test]
    fn encode_roundtrip() {
        for ss in [512u32, 4096] {
            let s = encode_sector(ss, 0x6b05_d71e, NodeNum(7), 0x2ac7_e339_c208_3605, 62_000).unwrap();
            assert_eq!(s.len(), ss as usize);
            let r = SlotReading::decode(NodeNum(7), &s, 0).unwrap();
            assert!(r.crc_ok() && r.is_written() && r.node_matches());
            assert_eq!(
                (r.seq(), r.node(), r.generation(), r.dead_ms()),
                (0x6b05_d71e, NodeNum(7), 0x2ac7_e339_c208_3605, 62_000)
            );
            let mut bad = s.clone();
            bad[ss as usize - 1] ^= 1; // the CRC covers the whole sector, padding too
            assert!(!SlotReading::decode(NodeNum(7), &bad, 0).unwrap().crc_ok());
        }
        assert!(encode_sector(1000, 1, NodeNum(1), 1, 1).is_err());
        assert!(encode_sector(512, 1, NodeNum(256), 1, 1).is_err());
        assert!(SlotReading::decode(NodeNum(0), &[0u8; 16], 0).is_err());
        let blank = SlotReading::decode(NodeNum(3), &[0u8; 512], 0).unwrap();
        assert!(blank.blank && !blank.is_written());
        assert!(!blank.node_matches());
    }
}
