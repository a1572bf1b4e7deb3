//! The kernel's liveness rules (format.md §2.10) as a pure state machine: feed it
//! one sample of each slot at a time, get back the transitions.
//!
//! Per slot it keeps the kernel's two counters, `changed` and `equal`:
//! - a sample whose `hb_seq` differs from the previous one is "changed", else
//!   "equal"; a slot with a bad checksum counts as "equal" when its node is live
//!   and is ignored otherwise (its other fields may be junk);
//! - a generation change resets `equal` but keeps `changed`;
//! - a dead node becomes live once `changed ≥ 2` (changes may be spread over any
//!   time while it is dead); `equal` is then reset;
//! - a live node becomes dead when `equal ≥ dead_threshold` or its generation
//!   changed (a new generation of 0 means it stopped cleanly); `changed` is reset
//!   unless the generation changed, so a restarted node comes back after one more
//!   changed sample;
//! - otherwise, while live, a sample after which `changed` is non-zero resets both
//!   counters, so `equal` counts consecutive unchanged samples. Like the kernel,
//!   the sample that made the node live leaves `changed` set, so the first
//!   unchanged sample after it is absorbed by this reset.

use std::time::Duration;

use crate::error::{Error, InvalidKind, Result};
use crate::layout::heartbeat::{SlotReading, MAX_NODES};
use crate::layout::node::NodeNum;

use super::{Sampler, DEFAULT_DEAD_THRESHOLD, LIVE_THRESHOLD, MIN_DEAD_THRESHOLD, REGION_TIMEOUT_MS};

/// What the state machine needs from one slot sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Observation {
    /// Whether the slot's checksum is valid.
    pub crc_ok: bool,
    /// `hb_seq`.
    pub seq: u64,
    /// `hb_generation`.
    pub generation: u64,
}

impl From<&SlotReading> for Observation {
    fn from(r: &SlotReading) -> Self {
        Observation { crc_ok: r.crc_ok(), seq: r.seq(), generation: r.generation() }
    }
}

/// Why a live node was declared dead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeadReason {
    /// `equal` reached the dead threshold: this many unchanged samples.
    Silent {
        /// The `equal` counter at the transition.
        samples: u32,
    },
    /// The generation changed (the node restarted its heartbeat).
    GenerationChanged {
        /// The generation it had while live.
        from: u64,
        /// The new generation.
        to: u64,
    },
    /// The generation became 0: the node stopped heartbeating cleanly.
    LeftCleanly {
        /// The generation it had while live.
        from: u64,
    },
}

/// A change of one node's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// The node became live.
    Live {
        /// Its generation.
        generation: u64,
        /// Its `hb_seq` at the transition.
        seq: u64,
    },
    /// The node became dead.
    Dead {
        /// Why.
        reason: DeadReason,
    },
}

/// A transition of one node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    /// The node (its heartbeat slot's index).
    pub node: NodeNum,
    /// What happened.
    pub change: Change,
}

/// The state kept for one slot (the kernel's `o2hb_disk_slot` counters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SlotCounters {
    /// Whether the node is live.
    pub live: bool,
    /// Changed samples counted.
    pub changed: u32,
    /// Equal (missed) samples counted.
    pub equal: u32,
    /// `hb_seq` of the last good sample.
    pub last_seq: u64,
    /// `hb_generation` of the last good sample.
    pub last_generation: u64,
    /// Good (valid checksum) samples seen.
    pub good_samples: u64,
}

/// Liveness of the 255 heartbeat slots of one region.
#[derive(Debug, Clone)]
pub struct Liveness {
    dead_threshold: u32,
    slots: Vec<SlotCounters>,
}

impl Liveness {
    /// A state machine declaring a node dead after `dead_threshold` unchanged
    /// samples (at least 2, the kernel's minimum). Every node starts dead.
    pub fn new(dead_threshold: u32) -> Result<Self> {
        if dead_threshold < MIN_DEAD_THRESHOLD {
            return Err(Error::invalid(
                InvalidKind::Argument,
                format!("dead threshold {dead_threshold}: the kernel's minimum is {MIN_DEAD_THRESHOLD}"),
            ));
        }
        Ok(Liveness { dead_threshold, slots: vec![SlotCounters::default(); MAX_NODES] })
    }

    /// The dead threshold in samples.
    pub fn dead_threshold(&self) -> u32 {
        self.dead_threshold
    }

    /// Applies one sample of `node`'s slot; returns the transition it causes,
    /// if any. Node numbers without a heartbeat slot (past 254) are ignored.
    pub fn observe(&mut self, node: NodeNum, obs: Observation) -> Option<Transition> {
        let threshold = self.dead_threshold;
        let s = self.slots.get_mut(node.heartbeat_slot()?)?;
        let mut generation_change = None;
        if obs.crc_ok {
            s.good_samples += 1;
            if obs.seq != s.last_seq {
                s.changed = s.changed.saturating_add(1);
            } else {
                s.equal = s.equal.saturating_add(1);
            }
            s.last_seq = obs.seq;
            if obs.generation != s.last_generation {
                generation_change = Some((s.last_generation, obs.generation));
                s.equal = 0;
            }
            s.last_generation = obs.generation;
        } else if s.live {
            s.equal = s.equal.saturating_add(1); // a transient miss
        } else {
            return None; // junk in a dead node's slot (or a fresh one) is ignored
        }

        if !s.live {
            if s.changed >= LIVE_THRESHOLD {
                s.live = true;
                s.equal = 0;
                return Some(Transition {
                    node,
                    change: Change::Live { generation: s.last_generation, seq: s.last_seq },
                });
            }
            return None;
        }
        if s.equal >= threshold || generation_change.is_some() {
            s.live = false;
            let reason = match generation_change {
                Some((from, 0)) => DeadReason::LeftCleanly { from },
                Some((from, to)) => DeadReason::GenerationChanged { from, to },
                None => DeadReason::Silent { samples: s.equal },
            };
            if generation_change.is_none() {
                s.changed = 0;
            }
            return Some(Transition { node, change: Change::Dead { reason } });
        }
        if s.changed > 0 {
            s.changed = 0;
            s.equal = 0;
        }
        None
    }

    /// Applies one sample of every slot in `readings` (as [`Region::read`]
    /// returns them); returns the transitions in slot order.
    ///
    /// [`Region::read`]: super::Region::read
    pub fn feed(&mut self, readings: &[SlotReading]) -> Vec<Transition> {
        readings.iter().filter_map(|r| self.observe(r.slot, Observation::from(r))).collect()
    }

    /// Takes `samples` samples (at least one) `interval` apart with `sample`,
    /// feeding each; returns the last one. The first is taken at once.
    pub fn watch(
        &mut self,
        samples: u32,
        interval: Duration,
        mut sample: impl FnMut() -> Result<Vec<SlotReading>>,
    ) -> Result<Vec<SlotReading>> {
        let mut readings = sample()?;
        self.feed(&readings);
        for _ in 1..samples {
            std::thread::sleep(interval);
            readings = sample()?;
            self.feed(&readings);
        }
        Ok(readings)
    }

    /// Whether `node` is live.
    pub fn is_live(&self, node: NodeNum) -> bool {
        self.counters(node).is_some_and(|s| s.live)
    }

    /// The live nodes, ascending.
    pub fn live_nodes(&self) -> Vec<NodeNum> {
        NodeNum::all_heartbeat().filter(|&n| self.is_live(n)).collect()
    }

    /// The counters of `node`'s slot.
    pub fn counters(&self, node: NodeNum) -> Option<&SlotCounters> {
        self.slots.get(node.heartbeat_slot()?)
    }
}

impl SlotCounters {
    /// Seconds from the last good beat to `now` (see [`super::beat_age`]).
    pub fn age(&self, now: i64) -> i64 {
        super::beat_age(self.last_seq, now)
    }
}

/// Whether a slot may belong to a running node: written, valid, and not
/// stopped cleanly. Only such a slot can turn live in the next sample.
fn may_be_running(r: &SlotReading) -> bool {
    r.crc_ok() && r.is_written() && r.generation() != 0
}

/// The nodes heartbeating in `sampler`'s region now, by the kernel's rules: a
/// node is live once its beat has moved between samples, so this takes two
/// samples one heartbeat period ([`REGION_TIMEOUT_MS`]) apart, and does not
/// count a node whose last beat was a clean stop. When the first sample holds
/// no slot that may be running, it returns at once without the second.
pub fn live_nodes(sampler: &Sampler) -> Result<Vec<NodeNum>> {
    let first = sampler.sample()?;
    if !first.iter().any(may_be_running) {
        return Ok(Vec::new());
    }
    let mut live = Liveness::new(DEFAULT_DEAD_THRESHOLD)?;
    live.feed(&first);
    std::thread::sleep(Duration::from_millis(u64::from(REGION_TIMEOUT_MS)));
    let second = sampler.sample()?;
    live.feed(&second);
    Ok(second.iter().filter(|r| live.is_live(r.slot) && may_be_running(r)).map(|r| r.slot).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const N4: NodeNum = NodeNum(4);
    const G1: u64 = 0x1111;
    const G2: u64 = 0x2222;

    fn ok(seq: u64, generation: u64) -> Observation {
        Observation { crc_ok: true, seq, generation }
    }
    fn bad() -> Observation {
        Observation { crc_ok: false, seq: 0xdead, generation: 0xbeef }
    }
    fn live(g: u64, seq: u64) -> Option<Change> {
        Some(Change::Live { generation: g, seq })
    }
    fn run(l: &mut Liveness, obs: &[Observation]) -> Vec<Option<Change>> {
        obs.iter().map(|o| l.observe(N4, *o).map(|t| t.change)).collect()
    }

    #[test]
    fn threshold_is_bounded() {
        assert!(Liveness::new(1).is_err());
        assert_eq!(Liveness::new(2).unwrap().dead_threshold(), 2);
    }

    #[test]
    fn live_after_two_changed_samples() {
        let mut l = Liveness::new(31).unwrap();
        // The first sample of a beating node already differs from the initial 0.
        assert_eq!(run(&mut l, &[ok(100, G1), ok(101, G1)]), vec![None, live(G1, 101)]);
        assert!(l.is_live(N4));
        assert_eq!(l.live_nodes(), vec![N4]);
    }

    #[test]
    fn stale_slot_never_becomes_live() {
        let mut l = Liveness::new(3).unwrap();
        let got = run(&mut l, &[ok(100, G1); 50]);
        assert!(got.iter().all(Option::is_none));
        assert!(!l.is_live(N4));
        // A blank (never written) slot has seq 0 and a valid CRC: never live either.
        let got = (0..10).map(|_| l.observe(NodeNum(5), ok(0, 0))).collect::<Vec<_>>();
        assert!(got.iter().all(Option::is_none));
    }

    #[test]
    fn dead_node_accumulates_changes_over_any_time() {
        let mut l = Liveness::new(3).unwrap();
        let mut obs = vec![ok(100, G1)];
        obs.extend([ok(100, G1); 20]);
        obs.push(ok(200, G1));
        let got = run(&mut l, &obs);
        assert_eq!(got.last().copied().flatten(), live(G1, 200));
        assert!(got[..got.len() - 1].iter().all(Option::is_none));
    }

    #[test]
    fn dead_after_threshold_unchanged_samples() {
        let mut l = Liveness::new(3).unwrap();
        run(&mut l, &[ok(1, G1), ok(2, G1), ok(3, G1)]); // live at 2; 3 resets the counters
        let got = run(&mut l, &[ok(3, G1), ok(3, G1), ok(3, G1)]);
        assert_eq!(got, vec![None, None, Some(Change::Dead { reason: DeadReason::Silent { samples: 3 } })]);
        assert_eq!(l.counters(N4).unwrap().changed, 0, "changed is cleared on a silent death");
        // Back to life takes two fresh changes.
        assert_eq!(run(&mut l, &[ok(4, G1), ok(5, G1)]), vec![None, live(G1, 5)]);
    }

    #[test]
    fn first_unchanged_sample_after_going_live_is_absorbed() {
        // The kernel leaves `changed` at 2 when a node goes live; the next sample's
        // reset clears the equal it just counted.
        let mut l = Liveness::new(3).unwrap();
        let got = run(&mut l, &[ok(1, G1), ok(2, G1), ok(2, G1), ok(2, G1), ok(2, G1), ok(2, G1)]);
        assert_eq!(
            got,
            vec![None, live(G1, 2), None, None, None, Some(Change::Dead { reason: DeadReason::Silent { samples: 3 } })]
        );
    }

    #[test]
    fn a_change_while_live_restarts_the_count() {
        let mut l = Liveness::new(3).unwrap();
        run(&mut l, &[ok(1, G1), ok(2, G1), ok(3, G1)]);
        let got = run(&mut l, &[ok(3, G1), ok(3, G1), ok(4, G1), ok(4, G1), ok(4, G1)]);
        assert!(got.iter().all(Option::is_none), "{got:?}");
        assert!(l.is_live(N4));
        assert_eq!(l.counters(N4).unwrap().equal, 2);
        assert!(matches!(l.observe(N4, ok(4, G1)), Some(Transition { node: N4, change: Change::Dead { .. } })));
    }

    #[test]
    fn generation_change_kills_at_once_and_keeps_changed() {
        let mut l = Liveness::new(31).unwrap();
        run(&mut l, &[ok(1, G1), ok(2, G1), ok(3, G1)]);
        let got = run(&mut l, &[ok(4, G2)]);
        assert_eq!(got, vec![Some(Change::Dead { reason: DeadReason::GenerationChanged { from: G1, to: G2 } })]);
        assert_eq!(l.counters(N4).unwrap().changed, 1, "changed survives a generation change");
        // One more change brings the restarted node back, with its new generation.
        assert_eq!(run(&mut l, &[ok(5, G2)]), vec![live(G2, 5)]);
    }

    #[test]
    fn generation_zero_means_left_cleanly() {
        let mut l = Liveness::new(31).unwrap();
        run(&mut l, &[ok(1, G1), ok(2, G1), ok(3, G1)]);
        assert_eq!(run(&mut l, &[ok(4, 0)]), vec![Some(Change::Dead { reason: DeadReason::LeftCleanly { from: G1 } })]);
        // The final block stays: no more changes, so the node stays dead.
        assert!(run(&mut l, &[ok(4, 0); 40]).iter().all(Option::is_none));
    }

    #[test]
    fn generation_change_while_dead_resets_equal_only() {
        let mut l = Liveness::new(3).unwrap();
        run(&mut l, &[ok(7, G1), ok(7, G1), ok(7, G1)]);
        assert_eq!(
            *l.counters(N4).unwrap(),
            SlotCounters { changed: 1, equal: 2, last_seq: 7, last_generation: G1, good_samples: 3, live: false }
        );
        run(&mut l, &[ok(7, G2)]);
        let c = l.counters(N4).unwrap();
        assert_eq!((c.changed, c.equal, c.live), (1, 0, false));
    }

    #[test]
    fn bad_crc_counts_as_unchanged_for_a_live_node() {
        let mut l = Liveness::new(3).unwrap();
        run(&mut l, &[ok(1, G1), ok(2, G1), ok(3, G1)]);
        let got = run(&mut l, &[bad(), bad(), bad()]);
        assert_eq!(got, vec![None, None, Some(Change::Dead { reason: DeadReason::Silent { samples: 3 } })]);
        // Junk fields of the bad samples were not taken: seq and generation are the last good ones.
        let c = l.counters(N4).unwrap();
        assert_eq!((c.last_seq, c.last_generation), (3, G1));
    }

    #[test]
    fn bad_crc_mixed_with_good_unchanged_samples() {
        let mut l = Liveness::new(4).unwrap();
        run(&mut l, &[ok(1, G1), ok(2, G1), ok(3, G1)]);
        let got = run(&mut l, &[ok(3, G1), bad(), ok(3, G1), bad()]);
        assert_eq!(got.last().copied().flatten(), Some(Change::Dead { reason: DeadReason::Silent { samples: 4 } }));
    }

    #[test]
    fn bad_crc_is_ignored_for_a_dead_node() {
        let mut l = Liveness::new(3).unwrap();
        assert_eq!(run(&mut l, &[ok(1, G1), bad(), bad(), bad(), bad()]), vec![None; 5]);
        assert_eq!(l.counters(N4).unwrap().equal, 0);
        assert_eq!(l.counters(N4).unwrap().changed, 1);
        assert_eq!(run(&mut l, &[ok(2, G1)]), vec![live(G1, 2)]);
    }

    #[test]
    fn feed_reports_in_slot_order() {
        use crate::layout::heartbeat::encode_sector;
        let mut l = Liveness::new(5).unwrap();
        let sample = |seq: u64| -> Vec<SlotReading> {
            NodeNum::all_heartbeat()
                .map(|n| {
                    let s = if n == NodeNum(3) || n == NodeNum(9) {
                        encode_sector(512, seq, n, G1, 10_000).unwrap()
                    } else {
                        vec![0; 512]
                    };
                    SlotReading::decode(n, &s, 0).unwrap()
                })
                .collect()
        };
        assert!(l.feed(&sample(10)).is_empty());
        let t = l.feed(&sample(11));
        assert_eq!(t.iter().map(|t| t.node).collect::<Vec<_>>(), vec![NodeNum(3), NodeNum(9)]);
        assert_eq!(l.live_nodes(), vec![NodeNum(3), NodeNum(9)]);
        assert!(l.observe(NodeNum(255), ok(1, 1)).is_none());
    }
}
