//! Cluster node numbers: the one type for the node a heartbeat slot belongs to,
//! the node a slot map entry names, and a node of cluster.conf.

use std::fmt;

use super::heartbeat::MAX_NODES;

/// A cluster node number. The o2cb stack numbers nodes `0..=254`, one heartbeat
/// slot each; the extended slot map stores 32 bits because userspace stacks
/// (pcmk, cman) use larger node ids, so the type holds any `u32`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct NodeNum(pub u32);

impl NodeNum {
    /// The number.
    pub const fn get(self) -> u32 {
        self.0
    }

    /// The index of this node's heartbeat slot, or `None` for a node number
    /// past the region's 255 slots.
    pub fn heartbeat_slot(self) -> Option<usize> {
        usize::try_from(self.0).ok().filter(|&n| n < MAX_NODES)
    }

    /// The node numbers of the 255 heartbeat slots, in slot order.
    pub fn all_heartbeat() -> impl Iterator<Item = NodeNum> {
        (0..MAX_NODES as u32).map(NodeNum)
    }
}

impl From<u8> for NodeNum {
    fn from(n: u8) -> Self {
        NodeNum(u32::from(n))
    }
}

impl From<u16> for NodeNum {
    fn from(n: u16) -> Self {
        NodeNum(u32::from(n))
    }
}

impl fmt::Display for NodeNum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heartbeat_slots_stop_at_254() {
        assert_eq!(NodeNum(254).heartbeat_slot(), Some(254));
        assert_eq!(NodeNum(255).heartbeat_slot(), None);
        assert_eq!(NodeNum(u32::MAX).heartbeat_slot(), None);
        assert_eq!(NodeNum::all_heartbeat().count(), MAX_NODES);
        assert_eq!(NodeNum::from(7u8).to_string(), "7");
    }
}
