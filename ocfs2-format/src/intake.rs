//! From what an examiner is handed down to the volume: the container (a split
//! raw image or an EWF/E01 image, opened by [`crate::io::open_with`]), then a
//! partition of the disk it holds, then a byte offset. Each layer is a
//! [`BlockSource`] over the one below.

use std::sync::Arc;

use crate::error::{Error, InvalidKind, Result};
use crate::io::partition::{read_table, Partition, PartitionTable, TableKind};
use crate::io::{BlockSource, RangeSource};
use crate::volume::{probe_superblock, OpenOptions};

/// The partition a volume was opened from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChosenPartition {
    /// The table it is in.
    pub table: TableKind,
    /// The partition.
    pub partition: Partition,
    /// Chosen by the library, because it is the disk's only OCFS2 partition
    /// (not named in [`OpenOptions::partition`]). Front-ends say so.
    pub automatic: bool,
}

/// What an OCFS2 superblock at the start of a partition says about its volume.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeId {
    /// The label (raw bytes, without NUL padding).
    pub label: Vec<u8>,
    /// The UUID as 32 upper-case hex digits, as debugfs.ocfs2 prints it.
    pub uuid: String,
}

/// One partition of a disk and whether it holds an OCFS2 volume.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionReport {
    /// The partition.
    pub partition: Partition,
    /// The volume's identity when the partition starts with an OCFS2
    /// superblock (`None` for other contents and extended partitions).
    pub ocfs2: Option<VolumeId>,
}

/// The partition table of `src` with each partition probed for OCFS2, or
/// `None` when `src` has no partition table.
pub fn partitions(src: Arc<dyn BlockSource>) -> Result<Option<(PartitionTable, Vec<PartitionReport>)>> {
    let Some(table) = read_table(src.as_ref())? else { return Ok(None) };
    let mut out = Vec::with_capacity(table.partitions.len());
    for p in &table.partitions {
        let ocfs2 = if p.kind.is_extended() { None } else { probe(&src, p)? };
        out.push(PartitionReport { partition: p.clone(), ocfs2 });
    }
    Ok(Some((table, out)))
}

fn window(src: &Arc<dyn BlockSource>, p: &Partition) -> Result<RangeSource<Arc<dyn BlockSource>>> {
    RangeSource::new(Arc::clone(src), p.start, p.size)
}

fn probe(src: &Arc<dyn BlockSource>, p: &Partition) -> Result<Option<VolumeId>> {
    probe_superblock(&window(src, p)?)
}

/// Applies the partition and offset of `opts` to `src`: the partition named
/// by [`OpenOptions::partition`], or, when neither a partition nor an offset is
/// given and `src` itself does not start with an OCFS2 volume, the only OCFS2
/// partition of its table. The offset counts from the partition's start.
/// [`crate::Volume::open_with`] does this; a front-end holding a source of its
/// own calls it before [`crate::Volume::from_source`].
pub fn select(
    src: Box<dyn BlockSource>,
    opts: &OpenOptions,
) -> Result<(Box<dyn BlockSource>, Option<ChosenPartition>)> {
    let src: Arc<dyn BlockSource> = Arc::from(src);
    let chosen = match opts.partition {
        Some(n) => {
            let Some(table) = read_table(src.as_ref())? else {
                return Err(Error::invalid(
                    InvalidKind::Argument,
                    format!("partition {n}: the source has no partition table"),
                ));
            };
            let Some(p) = table.get(n) else {
                let have: Vec<String> = table.partitions.iter().map(|p| p.number.to_string()).collect();
                return Err(Error::NotFound(format!(
                    "partition {n} (the {} table has {})",
                    table.kind.name(),
                    if have.is_empty() { "none".to_string() } else { have.join(", ") }
                )));
            };
            if p.kind.is_extended() {
                return Err(Error::invalid(
                    InvalidKind::Argument,
                    format!("partition {n} is an extended partition (a container of logical ones)"),
                ));
            }
            Some(ChosenPartition { table: table.kind, partition: p.clone(), automatic: false })
        }
        None if opts.offset == 0 && probe_superblock(src.as_ref())?.is_none() => auto(&src)?,
        None => None,
    };
    let base: Box<dyn BlockSource> = match &chosen {
        Some(c) => Box::new(window(&src, &c.partition)?),
        None => Box::new(src),
    };
    if opts.offset == 0 {
        return Ok((base, chosen));
    }
    Ok((Box::new(RangeSource::from_offset(base, opts.offset)?), chosen))
}

/// The only OCFS2 partition of the disk, if there is exactly one.
fn auto(src: &Arc<dyn BlockSource>) -> Result<Option<ChosenPartition>> {
    let Some((table, reports)) = partitions(Arc::clone(src))? else { return Ok(None) };
    let found: Vec<&PartitionReport> = reports.iter().filter(|r| r.ocfs2.is_some()).collect();
    match found.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(ChosenPartition { table: table.kind, partition: one.partition.clone(), automatic: true })),
        many => Err(Error::ChoosePartition { candidates: many.iter().map(|r| r.partition.number).collect() }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::MemSource;
    use crate::mkfs::{place, plan, write, MkfsOptions, Randomness, Target};
    use crate::volume::Volume;

    const MIB: u64 = 1 << 20;

    /// A 32 MiB volume made by the library's mkfs, with `label`.
    fn volume(label: &str) -> MemSource {
        let size = 32 * MIB;
        let opts = MkfsOptions { slots: Some(1), label: label.into(), ..Default::default() };
        let p = plan(&opts, &Target { size, sector_size: 512 }).expect("plan");
        let mut img = MemSource::new(size);
        write(&place(&p).expect("place"), &Randomness::from_seed(1, [7; 16], 0), &mut img, &mut |_, _| {})
            .expect("mkfs");
        img
    }

    /// A 128 MiB MBR disk: partitions 1 (sectors 2048..), 2 and 3 of 36 MiB
    /// each; `vols` puts a volume at (partition, byte offset inside it).
    fn disk(vols: &[(u32, u64, &str)]) -> Box<dyn BlockSource> {
        let mut d = MemSource::new(128 * MIB);
        let mut mbr = vec![0u8; 512];
        for slot in 0..3u32 {
            let e = 446 + 16 * slot as usize;
            mbr[e + 4] = 0x83;
            mbr[e + 8..e + 12].copy_from_slice(&(2048 + slot * 36 * 2048).to_le_bytes());
            mbr[e + 12..e + 16].copy_from_slice(&(36 * 2048u32).to_le_bytes());
        }
        mbr[510..].copy_from_slice(&[0x55, 0xaa]);
        d.write_at(0, &mbr).expect("mbr");
        for &(part, at, label) in vols {
            let v = volume(label);
            let base = MIB + u64::from(part - 1) * 36 * MIB + at;
            let mut block = vec![0u8; 4096];
            for off in (0..v.size()).step_by(4096) {
                v.read_at(off, &mut block).expect("read");
                if block.iter().any(|&b| b != 0) {
                    d.write_at(base + off, &block).expect("write");
                }
            }
        }
        Box::new(d)
    }

    fn open(
        src: Box<dyn BlockSource>,
        partition: Option<u32>,
        offset: u64,
    ) -> Result<(Volume, Option<ChosenPartition>)> {
        let opts = OpenOptions { partition, offset, ..Default::default() };
        let (src, chosen) = select(src, &opts)?;
        Ok((Volume::from_source(src, opts)?, chosen))
    }

    #[test]
    fn the_only_ocfs2_partition_is_chosen_and_said_so() {
        // Partition 2's volume starts 4 MiB in: not found by the probe.
        let (vol, chosen) = open(disk(&[(3, 0, "three"), (2, 4 * MIB, "two")]), None, 0).expect("open");
        let c = chosen.expect("a partition");
        assert_eq!((c.partition.number, c.automatic, c.table), (3, true, TableKind::Mbr));
        assert_eq!(vol.superblock().label(), b"three");
        // The offset counts from the start of the named partition.
        let (vol, chosen) = open(disk(&[(2, 4 * MIB, "two")]), Some(2), 4 * MIB).expect("open");
        assert_eq!((vol.superblock().label(), chosen.map(|c| c.automatic)), (&b"two"[..], Some(false)));
        assert!(matches!(open(disk(&[(2, 4 * MIB, "two")]), Some(2), 0), Err(Error::NotOcfs2)));
    }

    #[test]
    fn several_ocfs2_partitions_need_a_choice() {
        let two = || disk(&[(1, 0, "one"), (3, 0, "three")]);
        match open(two(), None, 0) {
            Err(Error::ChoosePartition { candidates }) => assert_eq!(candidates, [1, 3]),
            other => panic!("expected ChoosePartition, got {other:?}"),
        }
        let (vol, _) = open(two(), Some(1), 0).expect("partition 1");
        assert_eq!(vol.superblock().label(), b"one");
        let listed = partitions(Arc::from(two())).expect("list").expect("a table").1;
        let labels: Vec<Option<Vec<u8>>> = listed.iter().map(|r| r.ocfs2.as_ref().map(|v| v.label.clone())).collect();
        assert_eq!(labels, [Some(b"one".to_vec()), None, Some(b"three".to_vec())]);
        assert!(matches!(open(two(), Some(4), 0), Err(Error::NotFound(_))));
    }
}
