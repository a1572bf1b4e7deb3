//! Cluster state in one room: which node holds which filesystem slot
//! ([`SlotMap`]), whether each slot's journal awaits recovery
//! ([`JournalState`]), the disk heartbeat ([`heartbeat`]: one sample of a
//! slot with its [`age`](crate::layout::heartbeat::SlotReading::age) and
//! [staleness](crate::layout::heartbeat::SlotReading::is_stale), and
//! [`Liveness`] over samples), and the one test for a volume in use,
//! [`live_nodes`]. Every node is a [`NodeNum`]; every filesystem slot a `u16`.
//!
//! ```
//! use ocfs2_format::cluster::{JournalState, NodeNum, Region, SlotMap, DEFAULT_SECTOR_SIZE};
//! use ocfs2_format::Volume;
//!
//! // A volume the Linux kernel had mounted on node 0 when it was imaged.
//! let vol = Volume::open("../fixtures/C1.img.zst")?;
//! let map = SlotMap::read(&vol)?;
//! let slot = map.slot_of(NodeNum(0)).expect("node 0 holds a slot");
//! assert!(JournalState::read(&vol, slot)?.dirty, "mounted: its journal is in use");
//! let beat = &Region::locate(&vol, DEFAULT_SECTOR_SIZE)?.read_volume(&vol)?[0];
//! assert!(beat.is_stale(beat.seq() as i64 + 3600), "an hour later no running node left it");
//! # Ok::<(), ocfs2_format::Error>(())
//! ```

pub mod heartbeat;
mod slot_map;

pub use crate::io::interrupt::{catch_interrupts, interrupted};
pub use crate::journal::JournalState;
pub use crate::layout::heartbeat::SlotReading;
pub use crate::layout::node::NodeNum;
pub use heartbeat::{
    beat_age, live_nodes, medium_sector_size, now_secs, BeatState, Change, DeadReason, Liveness, Observation, Region,
    Sampler, SlotCounters, Transition, DEFAULT_SECTOR_SIZE,
};
pub use slot_map::SlotMap;
