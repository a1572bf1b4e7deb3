//! A heartbeat writer in the kernel's format, for tests and simulators. It writes
//! one node's slot of a region through a file the caller opened for writing; the
//! read-only inspector never builds one.

use std::fs::File;
use std::io::Read;
use std::os::unix::fs::FileExt;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::{Error, InvalidKind, Result};
use crate::io::BlockSource;
use crate::layout::heartbeat::{encode_sector, SlotReading, MAX_NODES};
use crate::layout::node::NodeNum;

use super::Region;

/// What a node finds wrong when it reads its own slot back (the kernel's three
/// own-slot checks, in the kernel's order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnSlotProblem {
    /// `hb_node` differs: another node is heartbeating in this slot.
    AnotherNode {
        /// The node found.
        found: NodeNum,
    },
    /// The generation differs from the one last written.
    GenerationMismatch {
        /// The generation found.
        found: u64,
    },
    /// The sequence differs from the one last written.
    SequenceMismatch {
        /// The sequence found.
        found: u64,
    },
}

/// Writes one node's heartbeat slot.
#[derive(Debug)]
pub struct Writer {
    file: File,
    region: Region,
    node: NodeNum,
    generation: u64,
    dead_ms: u32,
    last_seq: u64,
}

impl Writer {
    /// A writer for `node` (0..=254) in `region`, through `file` (opened for
    /// writing on the same medium), with a non-zero `generation` and the
    /// `dead_ms` to advertise (`threshold × 2000`).
    pub fn new(file: File, region: Region, node: NodeNum, generation: u64, dead_ms: u32) -> Result<Self> {
        if node.heartbeat_slot().is_none() {
            return Err(Error::invalid(
                InvalidKind::Argument,
                format!("node {node}: node numbers are 0..={}", MAX_NODES - 1),
            ));
        }
        if generation == 0 {
            return Err(Error::invalid(
                InvalidKind::Argument,
                "heartbeat generation 0 means a clean stop; pick a non-zero one",
            ));
        }
        Ok(Writer { file, region, node, generation, dead_ms, last_seq: 0 })
    }

    /// The node.
    pub fn node(&self) -> NodeNum {
        self.node
    }

    /// The generation written while running.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The sequence last written (0 before the first beat).
    pub fn last_seq(&self) -> u64 {
        self.last_seq
    }

    /// Writes one beat with sequence `seq` (non-zero).
    pub fn beat_with(&mut self, seq: u64) -> Result<()> {
        if seq == 0 {
            return Err(Error::invalid(InvalidKind::Argument, "heartbeat sequence 0 is never written"));
        }
        self.write(seq, self.generation)
    }

    /// Writes one beat stamped with the wall clock in seconds, as the kernel
    /// does, but never repeating or going back: when beats come faster than once
    /// a second (a simulator's short intervals), the sequence runs ahead of the
    /// clock so that every beat is a change. Returns the sequence written.
    pub fn beat(&mut self) -> Result<u64> {
        let seq = now_secs().max(self.last_seq + 1);
        self.beat_with(seq)?;
        Ok(seq)
    }

    /// The final write of a clean stop: generation 0, a fresh sequence.
    pub fn stop(&mut self) -> Result<()> {
        let seq = now_secs().max(self.last_seq + 1);
        self.write(seq, 0)
    }

    fn write(&mut self, seq: u64, generation: u64) -> Result<()> {
        let sector = encode_sector(self.region.sector_size, seq, self.node, generation, self.dead_ms)?;
        let off = self.region.slot_offset(self.node);
        self.file.write_all_at(&sector, off).map_err(|source| Error::Io { offset: off, source })?;
        self.last_seq = seq;
        Ok(())
    }

    /// Reads the node's own slot back from `src` and checks that it still holds
    /// what was last written (node, then generation, then sequence).
    pub fn check_own_slot(&self, src: &dyn BlockSource) -> Result<Option<OwnSlotProblem>> {
        let off = self.region.slot_offset(self.node);
        let bytes = src.bytes(off, self.region.sector_size as usize)?;
        let r = SlotReading::decode(self.node, &bytes, self.region.blkno)?;
        Ok(if r.node() != self.node {
            Some(OwnSlotProblem::AnotherNode { found: r.node() })
        } else if r.generation() != self.generation {
            Some(OwnSlotProblem::GenerationMismatch { found: r.generation() })
        } else if r.seq() != self.last_seq {
            Some(OwnSlotProblem::SequenceMismatch { found: r.seq() })
        } else {
            None
        })
    }
}

/// A random non-zero generation from the system's entropy source.
pub fn random_generation() -> Result<u64> {
    let mut f = File::open("/dev/urandom").map_err(|source| Error::Io { offset: 0, source })?;
    loop {
        let mut b = [0u8; 8];
        f.read_exact(&mut b).map_err(|source| Error::Io { offset: 0, source })?;
        let g = u64::from_le_bytes(b);
        if g != 0 {
            return Ok(g);
        }
    }
}

fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(1).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::{Liveness, Region};
    use crate::io::DirectSource;

    #[test]
    fn writes_decode_and_drive_liveness() {
        let tmp = tempfile::NamedTempFile::new().unwrap();
        let region = Region { start: 8192, sector_size: 4096, inode: 0, blkno: 2, extent_bytes: 255 * 4096 };
        tmp.as_file().set_len(8192 + region.len()).unwrap();
        let file = std::fs::OpenOptions::new().write(true).open(tmp.path()).unwrap();
        let g = random_generation().unwrap();
        let mut w = Writer::new(file, region, NodeNum(7), g, 10_000).unwrap();
        let src = DirectSource::open(tmp.path()).unwrap();
        let mut live = Liveness::new(5).unwrap();
        let mut transitions = Vec::new();
        for _ in 0..3 {
            w.beat().unwrap();
            assert_eq!(w.check_own_slot(&src).unwrap(), None);
            transitions.extend(live.feed(&region.read(&src).unwrap()));
        }
        let slots = region.read(&src).unwrap();
        assert!(slots[7].crc_ok() && slots[7].generation() == g && slots[7].dead_ms() == 10_000);
        assert!(slots.iter().filter(|s| s.slot != NodeNum(7)).all(|s| s.blank));
        assert_eq!(transitions.len(), 1);
        assert_eq!(live.live_nodes(), vec![NodeNum(7)]);

        // Someone else writes into node 7's slot.
        let other = encode_sector(4096, 5, NodeNum(8), g, 10_000).unwrap();
        std::fs::OpenOptions::new()
            .write(true)
            .open(tmp.path())
            .unwrap()
            .write_all_at(&other, region.slot_offset(NodeNum(7)))
            .unwrap();
        assert_eq!(w.check_own_slot(&src).unwrap(), Some(OwnSlotProblem::AnotherNode { found: NodeNum(8) }));

        w.stop().unwrap();
        let t = live.feed(&region.read(&src).unwrap());
        assert!(matches!(
            t[..],
            [crate::cluster::Transition { node: NodeNum(7), change: crate::cluster::Change::Dead { .. } }]
        ));
        assert!(Writer::new(tempfile::tempfile().unwrap(), region, NodeNum(255), 1, 0).is_err());
        assert!(Writer::new(tempfile::tempfile().unwrap(), region, NodeNum(1), 0, 0).is_err());
    }

    /// `live_nodes` (the test mkfs runs): a node beating while it samples is
    /// live; a node that crashed (written, still) or stopped cleanly is not.
    #[test]
    fn live_nodes_sees_a_beating_node_only() {
        let tmp = tempfile::NamedTempFile::new().unwrap();
        let region = Region { start: 0, sector_size: 512, inode: 0, blkno: 0, extent_bytes: 255 * 512 };
        tmp.as_file().set_len(region.len()).unwrap();
        let open = || std::fs::OpenOptions::new().write(true).open(tmp.path()).unwrap();
        let sampler = super::super::Sampler::new(Box::new(DirectSource::open(tmp.path()).unwrap()), region);
        assert_eq!(crate::cluster::live_nodes(&sampler).unwrap(), vec![], "a blank region");

        let mut crashed = Writer::new(open(), region, NodeNum(2), 0x22, 10_000).unwrap();
        crashed.beat().unwrap();
        let mut stopped = Writer::new(open(), region, NodeNum(5), 0x55, 10_000).unwrap();
        stopped.beat().unwrap();
        stopped.stop().unwrap();
        let stop = std::sync::atomic::AtomicBool::new(false);
        // The first sample must already see node 9's first beat, however late
        // its thread starts on a loaded machine.
        let first_beat = std::sync::Barrier::new(2);
        let live = std::thread::scope(|s| {
            s.spawn(|| {
                let mut w = Writer::new(open(), region, NodeNum(9), 0x99, 10_000).unwrap();
                w.beat().unwrap();
                first_beat.wait();
                while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                    std::thread::sleep(std::time::Duration::from_millis(50));
                    w.beat().unwrap();
                }
            });
            first_beat.wait();
            let live = crate::cluster::live_nodes(&sampler);
            stop.store(true, std::sync::atomic::Ordering::SeqCst);
            live
        });
        assert_eq!(live.unwrap(), vec![NodeNum(9)]);
    }
}
