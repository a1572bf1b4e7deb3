//! What one sample of a slot says on its own: how old its beat is, and whether
//! it is recent enough to belong to a running node. Liveness proper needs the
//! beat to move between samples ([`super::Liveness`]); one sample can only tell
//! a beat too old to be running from one that may be.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::layout::heartbeat::SlotReading;

use super::{DEFAULT_DEAD_THRESHOLD, REGION_TIMEOUT_MS};

/// Seconds since the Unix epoch now: the clock heartbeat stamps (`hb_seq`, the
/// writer's wall-clock seconds) are compared with.
pub fn now_secs() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Seconds from a beat stamped `seq` to `now` (negative: the writer's clock is
/// ahead of ours), saturating for absurd stamps.
pub fn beat_age(seq: u64, now: i64) -> i64 {
    now.saturating_sub(i64::try_from(seq).unwrap_or(i64::MAX))
}

/// One slot judged from a single sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BeatState {
    /// Never written (sequence 0 or an all-zero sector).
    Blank,
    /// The checksum does not match: nothing else in the slot can be trusted.
    BadCrc,
    /// The node stopped heartbeating cleanly (generation 0).
    Stopped,
    /// The beat is no older than the writer's own dead time: the node may be
    /// running (a second sample tells).
    Recent,
    /// The beat is older than the writer's dead time: no running node left it.
    Stale,
}

impl BeatState {
    /// The lower-case name (`blank`, `bad-crc`, `stopped`, `recent`, `stale`).
    pub fn name(self) -> &'static str {
        match self {
            BeatState::Blank => "blank",
            BeatState::BadCrc => "bad-crc",
            BeatState::Stopped => "stopped",
            BeatState::Recent => "recent",
            BeatState::Stale => "stale",
        }
    }
}

impl SlotReading {
    /// Seconds from this beat to `now` (see [`beat_age`]).
    pub fn age(&self, now: i64) -> i64 {
        beat_age(self.seq(), now)
    }

    /// Seconds after which the writer itself counts a silent node dead: its
    /// `hb_dead_ms` in whole seconds, or the kernel's default (31 samples of
    /// 2 s) when the slot does not say.
    pub fn dead_after_secs(&self) -> i64 {
        match self.dead_ms() {
            0 => i64::from(DEFAULT_DEAD_THRESHOLD * REGION_TIMEOUT_MS / 1000),
            ms => i64::from(ms / 1000),
        }
    }

    /// Whether the beat is older at `now` than [`SlotReading::dead_after_secs`]:
    /// a stamp no running node would have left.
    pub fn is_stale(&self, now: i64) -> bool {
        self.age(now) > self.dead_after_secs()
    }

    /// The slot judged from this one sample at `now`.
    pub fn state(&self, now: i64) -> BeatState {
        if !self.is_written() {
            BeatState::Blank
        } else if !self.crc_ok() {
            BeatState::BadCrc
        } else if self.generation() == 0 {
            BeatState::Stopped
        } else if self.is_stale(now) {
            BeatState::Stale
        } else {
            BeatState::Recent
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::heartbeat::encode_sector;
    use crate::layout::node::NodeNum;

    fn reading(seq: u64, generation: u64, dead_ms: u32) -> SlotReading {
        SlotReading::decode(NodeNum(3), &encode_sector(512, seq, NodeNum(3), generation, dead_ms).unwrap(), 0).unwrap()
    }

    #[test]
    fn ages() {
        assert_eq!(beat_age(100, 105), 5);
        assert_eq!(beat_age(105, 100), -5, "a writer clock ahead of ours");
        assert_eq!(beat_age(u64::MAX, 0), -i64::MAX);
        assert!(now_secs() > 1_600_000_000);
    }

    #[test]
    fn staleness_of_one_sample() {
        let r = reading(1000, 0x1111, 10_000);
        assert_eq!(r.dead_after_secs(), 10);
        assert_eq!((r.age(1010), r.is_stale(1010), r.state(1010)), (10, false, BeatState::Recent));
        assert_eq!((r.is_stale(1011), r.state(1011)), (true, BeatState::Stale));
        // A slot that does not say its dead time gets the kernel's default, 62 s.
        let r = reading(1000, 0x1111, 0);
        assert_eq!(r.dead_after_secs(), 62);
        assert_eq!(r.state(1062), BeatState::Recent);
        assert_eq!(r.state(1063), BeatState::Stale);
        assert_eq!(reading(1000, 0, 10_000).state(1000), BeatState::Stopped);
        let mut bad = encode_sector(512, 1000, NodeNum(3), 0x1111, 10_000).unwrap();
        bad[100] ^= 1;
        assert_eq!(SlotReading::decode(NodeNum(3), &bad, 0).unwrap().state(1000), BeatState::BadCrc);
        assert_eq!(SlotReading::decode(NodeNum(3), &[0; 512], 0).unwrap().state(1000), BeatState::Blank);
    }
}
