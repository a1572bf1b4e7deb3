//! Partition tables of whole-disk images: MBR (with extended and logical
//! partitions) and GPT, read through a [`BlockSource`].
//!
//! Our own parser rather than a crate's: the crates for these formats read
//! through `Read + Seek` handles and stop at the first inconsistency with an
//! error of their own, while an examiner's tool must name the entry and byte
//! offset that is wrong, bound every count it reads and never loop on a
//! cyclic chain of extended boot records.
//!
//! Partitions are numbered as Linux numbers them (and fdisk, gdisk, parted list
//! them): MBR primaries 1 to 4 by slot, logical partitions from 5 in chain
//! order; GPT entries by their index in the entry array plus one.

use std::collections::HashSet;

use super::BlockSource;
use crate::error::{Error, Result};

/// Which kind of partition table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableKind {
    /// The DOS/MBR table in sector 0, with extended boot records.
    Mbr,
    /// The GUID partition table (behind a protective MBR).
    Gpt,
}

impl TableKind {
    /// `"MBR"` or `"GPT"`.
    pub fn name(self) -> &'static str {
        match self {
            TableKind::Mbr => "MBR",
            TableKind::Gpt => "GPT",
        }
    }
}

/// A partition's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartitionType {
    /// An MBR system id.
    Mbr(u8),
    /// A GPT partition type GUID, in on-disk byte order.
    Gpt([u8; 16]),
}

/// MBR ids that open a chain of extended boot records.
const EXTENDED: [u8; 3] = [0x05, 0x0f, 0x85];
/// The MBR id of a protective (or hybrid) MBR's GPT entry.
const PROTECTIVE: u8 = 0xee;

const MBR_NAMES: &[(u8, &str)] = &[
    (0x01, "FAT12"),
    (0x04, "FAT16 <32M"),
    (0x05, "Extended"),
    (0x06, "FAT16"),
    (0x07, "HPFS/NTFS/exFAT"),
    (0x0b, "W95 FAT32"),
    (0x0c, "W95 FAT32 (LBA)"),
    (0x0e, "W95 FAT16 (LBA)"),
    (0x0f, "W95 Ext'd (LBA)"),
    (0x82, "Linux swap"),
    (0x83, "Linux"),
    (0x85, "Linux extended"),
    (0x8e, "Linux LVM"),
    (0xa5, "FreeBSD"),
    (0xee, "GPT"),
    (0xef, "EFI (FAT-12/16/32)"),
    (0xfd, "Linux raid autodetect"),
];

const GPT_NAMES: &[(&str, &str)] = &[
    ("0FC63DAF-8483-4772-8E79-3D69D8477DE4", "Linux filesystem"),
    ("0657FD6D-A4AB-43C4-84E5-0933C84B4F4F", "Linux swap"),
    ("E6D6D379-F507-44C2-A23C-238F2A3DF928", "Linux LVM"),
    ("A19D880F-05FC-4D3B-A006-743F0F84911E", "Linux RAID"),
    ("4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709", "Linux root (x86-64)"),
    ("933AC7E1-2EB4-4F13-B844-0E14E2AEF915", "Linux home"),
    ("C12A7328-F81F-11D2-BA4B-00A0C93EC93B", "EFI System"),
    ("21686148-6449-6E6F-744E-656564454649", "BIOS boot"),
    ("EBD0A0A2-B9E5-4433-87C0-68B6B72699C7", "Microsoft basic data"),
    ("E3C9E316-0B5C-4DB8-817D-F92DF00215AE", "Microsoft reserved"),
    ("DE94BBA4-06D1-4D40-A16A-BFD50179D6AC", "Windows recovery"),
    ("48465300-0000-11AA-AA11-00306543ECAC", "Apple HFS/HFS+"),
];

impl PartitionType {
    /// The type as partition tools show it: `0x83` or a GUID.
    pub fn id(&self) -> String {
        match self {
            PartitionType::Mbr(id) => format!("0x{id:02x}"),
            PartitionType::Gpt(g) => guid_string(g),
        }
    }

    /// A well-known type's name (`"Linux"`, `"Linux filesystem"`), if it is one.
    pub fn name(&self) -> Option<&'static str> {
        match self {
            PartitionType::Mbr(id) => MBR_NAMES.iter().find(|(i, _)| i == id).map(|(_, n)| *n),
            PartitionType::Gpt(g) => {
                let s = guid_string(g);
                GPT_NAMES.iter().find(|(i, _)| *i == s).map(|(_, n)| *n)
            }
        }
    }

    /// Whether this MBR entry is an extended partition (a container of
    /// logical ones, not a volume).
    pub fn is_extended(&self) -> bool {
        matches!(self, PartitionType::Mbr(id) if EXTENDED.contains(id))
    }
}

/// A GUID as text: the first three fields are little-endian on disk.
pub fn guid_string(g: &[u8; 16]) -> String {
    format!(
        "{:02X}{:02X}{:02X}{:02X}-{:02X}{:02X}-{:02X}{:02X}-{:02X}{:02X}-{}",
        g[3],
        g[2],
        g[1],
        g[0],
        g[5],
        g[4],
        g[7],
        g[6],
        g[8],
        g[9],
        g[10..].iter().map(|b| format!("{b:02X}")).collect::<String>()
    )
}

/// One partition of a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partition {
    /// Its number (1-based), as Linux and the partition tools number it.
    pub number: u32,
    /// First byte.
    pub start: u64,
    /// Length in bytes.
    pub size: u64,
    /// Type id.
    pub kind: PartitionType,
    /// The GPT partition name (empty for MBR).
    pub name: String,
    /// Byte offset of the table entry that describes it.
    pub entry_offset: u64,
}

/// A disk's partition table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionTable {
    /// MBR or GPT.
    pub kind: TableKind,
    /// The logical sector size the table counts in.
    pub sector_size: u32,
    /// The partitions in number order (an MBR extended partition is listed
    /// too, as fdisk lists it; its logical partitions follow the primaries).
    pub partitions: Vec<Partition>,
}

impl PartitionTable {
    /// Partition `number` (1-based).
    pub fn get(&self, number: u32) -> Option<&Partition> {
        self.partitions.iter().find(|p| p.number == number)
    }
}

/// Logical partitions beyond this many are refused (Linux handles 60 on an MBR
/// disk; a longer chain is damage or a loop).
const MAX_LOGICAL: usize = 256;
/// GPT entry arrays larger than this are refused (the usual array is 16 KiB).
const MAX_GPT_ARRAY: u64 = 1 << 20;

fn read_sector(src: &dyn BlockSource, kind: &'static str, offset: u64, len: usize) -> Result<Vec<u8>> {
    if offset.checked_add(len as u64).is_none_or(|end| end > src.size()) {
        return Err(Error::container(
            kind,
            None,
            offset,
            format!("{len} bytes here run past the end of the disk ({} bytes)", src.size()),
        ));
    }
    Ok(src.bytes(offset, len)?.into_owned())
}

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn le64(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap_or_else(|_| unreachable!("8 bytes")))
}

/// One 16-byte MBR/EBR entry: (type, first sector, sector count), or `None`
/// when the slot is empty.
fn mbr_entry(sector: &[u8], slot: usize) -> Option<(u8, u64, u64)> {
    let e = &sector[446 + 16 * slot..446 + 16 * (slot + 1)];
    let (kind, start, count) = (e[4], u64::from(le32(e, 8)), u64::from(le32(e, 12)));
    (kind != 0 && count != 0).then_some((kind, start, count))
}

/// Whether sector 0 looks like an MBR: the boot signature, and every entry's
/// status byte 0x00 or 0x80 (a filesystem's boot sector, which also ends in
/// 0x55AA, usually fails that), with at least one entry in use.
fn is_mbr(sector: &[u8]) -> bool {
    sector[510..512] == [0x55, 0xaa]
        && (0..4).all(|i| matches!(sector[446 + 16 * i], 0x00 | 0x80))
        && (0..4).any(|i| mbr_entry(sector, i).is_some())
}

/// Reads the partition table of `src`, or `None` when it has none. A GPT is
/// read when the MBR holds a protective entry (type 0xEE); an unreadable GPT
/// is an error, not a fallback to the protective MBR.
pub fn read_table(src: &dyn BlockSource) -> Result<Option<PartitionTable>> {
    if src.size() < 512 {
        return Ok(None);
    }
    let mbr = read_sector(src, "MBR", 0, 512)?;
    if !is_mbr(&mbr) {
        return Ok(None);
    }
    let table = if (0..4).any(|i| mbr_entry(&mbr, i).is_some_and(|e| e.0 == PROTECTIVE)) {
        read_gpt(src)?
    } else {
        read_mbr(src, &mbr)?
    };
    check_overlaps(&table)?;
    Ok(Some(table))
}

/// Checks that a partition lies inside the disk.
fn check_inside(src: &dyn BlockSource, kind: &'static str, p: &Partition) -> Result<()> {
    match p.start.checked_add(p.size) {
        Some(end) if end <= src.size() => Ok(()),
        _ => Err(Error::container(
            kind,
            None,
            p.entry_offset,
            format!(
                "partition {} ({} bytes at byte {}) runs past the end of the disk ({} bytes)",
                p.number,
                p.size,
                p.start,
                src.size()
            ),
        )),
    }
}

fn read_mbr(src: &dyn BlockSource, mbr: &[u8]) -> Result<PartitionTable> {
    const SS: u64 = 512;
    let mut parts = Vec::new();
    let mut extended = None;
    for slot in 0..4 {
        let Some((kind, start, count)) = mbr_entry(mbr, slot) else { continue };
        let p = Partition {
            number: slot as u32 + 1,
            start: start * SS,
            size: count * SS,
            kind: PartitionType::Mbr(kind),
            name: String::new(),
            entry_offset: 446 + 16 * slot as u64,
        };
        check_inside(src, "MBR", &p)?;
        if p.kind.is_extended() {
            if extended.is_some() {
                return Err(Error::container("MBR", None, p.entry_offset, "a second extended partition"));
            }
            extended = Some((p.start, p.size));
        }
        parts.push(p);
    }
    if let Some((ext_start, ext_size)) = extended {
        read_logicals(src, ext_start, ext_size, &mut parts)?;
    }
    Ok(PartitionTable { kind: TableKind::Mbr, sector_size: SS as u32, partitions: parts })
}

/// Follows the chain of extended boot records inside the extended partition
/// at `ext_start`: each holds one logical partition (relative to itself) and a
/// link to the next record (relative to the extended partition).
fn read_logicals(src: &dyn BlockSource, ext_start: u64, ext_size: u64, parts: &mut Vec<Partition>) -> Result<()> {
    const SS: u64 = 512;
    let ext_end = ext_start + ext_size;
    let mut ebr = ext_start;
    let mut seen = HashSet::new();
    let mut number = 5;
    loop {
        if !seen.insert(ebr) {
            return Err(Error::container("MBR", None, ebr, "the chain of extended boot records loops back here"));
        }
        if seen.len() > MAX_LOGICAL {
            return Err(Error::container("MBR", None, ebr, format!("more than {MAX_LOGICAL} logical partitions")));
        }
        let sector = read_sector(src, "MBR", ebr, 512)?;
        if sector[510..512] != [0x55, 0xaa] {
            return Err(Error::container("MBR", None, ebr + 510, "extended boot record without its 0x55AA signature"));
        }
        if let Some((kind, start, count)) = mbr_entry(&sector, 0) {
            let p = Partition {
                number,
                start: ebr + start * SS,
                size: count * SS,
                kind: PartitionType::Mbr(kind),
                name: String::new(),
                entry_offset: ebr + 446,
            };
            check_inside(src, "MBR", &p)?;
            if p.start < ext_start || p.start + p.size > ext_end {
                return Err(Error::container(
                    "MBR",
                    None,
                    p.entry_offset,
                    format!("logical partition {number} lies outside its extended partition"),
                ));
            }
            parts.push(p);
            number += 1;
        }
        match mbr_entry(&sector, 1) {
            Some((_, rel, _)) => {
                let next = ext_start + rel * SS;
                if next >= ext_end {
                    return Err(Error::container(
                        "MBR",
                        None,
                        ebr + 446 + 16,
                        format!("link to the next extended boot record (byte {next}) leaves the extended partition"),
                    ));
                }
                ebr = next;
            }
            None => return Ok(()),
        }
    }
}

fn read_gpt(src: &dyn BlockSource) -> Result<PartitionTable> {
    // The header sits in LBA 1; the sector size is whichever puts it there.
    let mut first_err = None;
    for ss in [512u64, 4096] {
        if src.size() < 2 * ss {
            continue;
        }
        match gpt_header(src, ss, ss) {
            Ok(Some(t)) => return Ok(t),
            Ok(None) => {}
            Err(e) => {
                // The primary is damaged: the backup header in the last sector
                // is what gdisk would use.
                match gpt_header(src, ss, src.size() / ss * ss - ss) {
                    Ok(Some(t)) => return Ok(t),
                    _ => {
                        first_err.get_or_insert(e);
                    }
                }
            }
        }
    }
    Err(first_err.unwrap_or_else(|| {
        Error::container(
            "GPT",
            None,
            512,
            "protective MBR but no \"EFI PART\" header at LBA 1 (512 or 4096-byte sectors)",
        )
    }))
}

/// Reads the GPT header at byte `at` (and its entry array): `None` when there
/// is no signature there.
fn gpt_header(src: &dyn BlockSource, ss: u64, at: u64) -> Result<Option<PartitionTable>> {
    let h = read_sector(src, "GPT", at, ss as usize)?;
    if &h[..8] != b"EFI PART" {
        return Ok(None);
    }
    let bad = |field_at: u64, what: String| Error::container("GPT", None, at + field_at, what);
    let hsize = le32(&h, 12) as usize;
    if !(92..=ss as usize).contains(&hsize) {
        return Err(bad(12, format!("header size {hsize} is not in 92..={ss}")));
    }
    let stored = le32(&h, 16);
    let mut copy = h[..hsize].to_vec();
    copy[16..20].fill(0);
    let crc = crc32fast::hash(&copy);
    if crc != stored {
        return Err(bad(16, format!("header CRC32 {stored:#010x}, computed {crc:#010x}")));
    }
    let sectors = src.size() / ss;
    let array_lba = le64(&h, 72);
    let count = u64::from(le32(&h, 80));
    let esize = u64::from(le32(&h, 84));
    if esize < 128 || esize % 128 != 0 || esize > ss {
        return Err(bad(84, format!("entry size {esize} is not a multiple of 128 up to the sector size")));
    }
    let array_len = count * esize;
    if array_len > MAX_GPT_ARRAY {
        return Err(bad(80, format!("{count} entries of {esize} bytes exceed {MAX_GPT_ARRAY} bytes")));
    }
    if array_lba.checked_mul(ss).is_none_or(|a| a.saturating_add(array_len) > src.size()) {
        return Err(bad(
            72,
            format!("entry array at LBA {array_lba} runs past the end of the disk ({sectors} sectors)"),
        ));
    }
    let array = read_sector(src, "GPT", array_lba * ss, array_len as usize)?;
    let stored = le32(&h, 88);
    let crc = crc32fast::hash(&array);
    if crc != stored {
        return Err(bad(88, format!("entry array CRC32 {stored:#010x}, computed {crc:#010x}")));
    }
    let mut parts = Vec::new();
    for (i, e) in array.chunks_exact(esize as usize).enumerate() {
        let kind: [u8; 16] = e[..16].try_into().unwrap_or_else(|_| unreachable!("16 bytes"));
        if kind == [0; 16] {
            continue;
        }
        let entry_offset = array_lba * ss + i as u64 * esize;
        let (first, last) = (le64(e, 32), le64(e, 40));
        if last < first {
            return Err(Error::container(
                "GPT",
                None,
                entry_offset + 32,
                format!("partition {} ends (LBA {last}) before it starts (LBA {first})", i + 1),
            ));
        }
        let units: Vec<u16> = e[56..128].chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
        let name = String::from_utf16_lossy(&units).trim_end_matches('\0').to_string();
        let (start, size) = (first.checked_mul(ss), (last - first + 1).checked_mul(ss));
        let (Some(start), Some(size)) = (start, size) else {
            return Err(Error::container("GPT", None, entry_offset + 32, "partition bounds overflow"));
        };
        let p = Partition { number: i as u32 + 1, start, size, kind: PartitionType::Gpt(kind), name, entry_offset };
        check_inside(src, "GPT", &p)?;
        parts.push(p);
    }
    Ok(Some(PartitionTable { kind: TableKind::Gpt, sector_size: ss as u32, partitions: parts }))
}

/// Two partitions sharing bytes are damage (or a crafted table): a volume read
/// through one would see the other's data. An extended partition contains its
/// logical ones by design and is left out.
fn check_overlaps(t: &PartitionTable) -> Result<()> {
    let mut v: Vec<&Partition> = t.partitions.iter().filter(|p| !p.kind.is_extended()).collect();
    v.sort_by_key(|p| p.start);
    for w in v.windows(2) {
        if w[0].start + w[0].size > w[1].start {
            return Err(Error::container(
                t.kind.name(),
                None,
                w[1].entry_offset,
                format!("partition {} overlaps partition {}", w[1].number, w[0].number),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::MemSource;

    fn put_entry(disk: &mut [u8], at: usize, slot: usize, kind: u8, start: u32, count: u32) {
        let e = at + 446 + 16 * slot;
        disk[e + 4] = kind;
        disk[e + 8..e + 12].copy_from_slice(&start.to_le_bytes());
        disk[e + 12..e + 16].copy_from_slice(&count.to_le_bytes());
        disk[at + 510] = 0x55;
        disk[at + 511] = 0xaa;
    }

    /// A 1 MiB disk: primary 1 at sector 8, extended 2 from sector 100 holding
    /// two logical partitions.
    fn mbr_disk() -> Vec<u8> {
        let mut d = vec![0u8; 1 << 20];
        put_entry(&mut d, 0, 0, 0x83, 8, 80);
        put_entry(&mut d, 0, 1, 0x05, 100, 1000);
        // First EBR at sector 100: logical at +2, next EBR at ext+500.
        put_entry(&mut d, 100 * 512, 0, 0x83, 2, 300);
        put_entry(&mut d, 100 * 512, 1, 0x05, 500, 400);
        put_entry(&mut d, 600 * 512, 0, 0x8e, 2, 100);
        d
    }

    fn err_at(r: Result<Option<PartitionTable>>) -> (&'static str, u64) {
        match r {
            Err(Error::Container { container, offset, .. }) => (container, offset),
            other => panic!("expected a container error, got {other:?}"),
        }
    }

    #[test]
    fn mbr_with_logical_partitions() {
        let t = read_table(&MemSource::from_bytes(&mbr_disk())).expect("read").expect("a table");
        assert_eq!(t.kind, TableKind::Mbr);
        let got: Vec<(u32, u64, u64, String)> =
            t.partitions.iter().map(|p| (p.number, p.start / 512, p.size / 512, p.kind.id())).collect();
        assert_eq!(
            got,
            [
                (1, 8, 80, "0x83".into()),
                (2, 100, 1000, "0x05".into()),
                (5, 102, 300, "0x83".into()),
                (6, 602, 100, "0x8e".into())
            ]
        );
    }

    #[test]
    fn mbr_damage_is_named() {
        let mut d = mbr_disk();
        put_entry(&mut d, 0, 0, 0x83, 8, 5000);
        assert_eq!(err_at(read_table(&MemSource::from_bytes(&d))), ("MBR", 446));
        let mut d = mbr_disk();
        put_entry(&mut d, 0, 2, 0x83, 200, 50); // inside logical 5
        assert_eq!(err_at(read_table(&MemSource::from_bytes(&d))), ("MBR", 446 + 32));
        let mut d = mbr_disk();
        put_entry(&mut d, 600 * 512, 1, 0x05, 0, 1); // links back to the first EBR
        assert_eq!(err_at(read_table(&MemSource::from_bytes(&d))), ("MBR", 100 * 512));
    }

    #[test]
    fn no_table_on_a_plain_volume() {
        assert_eq!(read_table(&MemSource::from_bytes(&[0u8; 4096])).expect("read"), None);
    }

    #[test]
    fn guid_text_is_mixed_endian() {
        let g = [0xaf, 0x3d, 0xc6, 0x0f, 0x83, 0x84, 0x72, 0x47, 0x8e, 0x79, 0x3d, 0x69, 0xd8, 0x47, 0x7d, 0xe4];
        assert_eq!(guid_string(&g), "0FC63DAF-8483-4772-8E79-3D69D8477DE4");
        assert_eq!(PartitionType::Gpt(g).name(), Some("Linux filesystem"));
    }
}
