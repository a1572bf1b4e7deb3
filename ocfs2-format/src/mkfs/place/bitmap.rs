//! The global bitmap as mkfs.ocfs2 fills it, with both allocators it uses:
//! mkfs's own (first the system directory area, the heartbeat region) and
//! libocfs2's range allocator (journals, groups, everything after).
//!
//! Memory stays flat as the volume grows: only the groups that something is
//! allocated in are held as bitmaps (a handful); the others are known to hold
//! just their descriptor.

use std::collections::BTreeMap;

use crate::error::{Error, InvalidKind, Result};
use crate::layout::group::{bit_is_set, bit_runs_from, set_range};

/// The global bitmap: clusters in groups of `cpg`, group `g`'s descriptor in the
/// first block of cluster `g * cpg` (group 0's at `s_first_cluster_group`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterBitmap {
    /// Clusters per group.
    pub cpg: u32,
    /// Total clusters.
    pub clusters: u32,
    /// Groups that hold more than their descriptor bit, by index.
    touched: BTreeMap<u32, Touched>,
    /// For a request of at least `min` bits, the first group that may still
    /// have that many free: free counts only fall while mkfs lays out, so a
    /// group once too full stays too full, and a 4 PiB volume's million
    /// suballocator groups do not each rescan the filled groups before them.
    cursor: BTreeMap<u32, u32>,
}

/// A group's bitmap once something beyond its descriptor is allocated, with its
/// count of set bits kept current: the allocators ask every group they pass
/// how full it is, and at 15 TiB there are 125,000 groups.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Touched {
    map: Vec<u8>,
    used: u32,
    /// Every bit below this is set: groups fill from the front, so searches
    /// start here instead of rescanning the full part on every allocation.
    low: u32,
}

impl ClusterBitmap {
    pub(super) fn new(cpg: u32, clusters: u32) -> Self {
        ClusterBitmap { cpg, clusters, touched: BTreeMap::new(), cursor: BTreeMap::new() }
    }

    /// Number of groups.
    pub fn groups(&self) -> u32 {
        self.clusters.div_ceil(self.cpg)
    }

    /// Bits in group `g`.
    pub fn group_bits(&self, g: u32) -> u32 {
        (self.clusters - g * self.cpg).min(self.cpg)
    }

    /// The bitmap of group `g` (`bytes` long), materialised on demand.
    pub fn group_bitmap(&self, g: u32, bytes: usize) -> Vec<u8> {
        let mut v = vec![0u8; bytes];
        match self.touched.get(&g) {
            Some(t) => v[..t.map.len()].copy_from_slice(&t.map),
            None => v[0] = 1,
        }
        v
    }

    /// Bits in use in group `g`.
    pub fn group_used(&self, g: u32) -> u32 {
        self.touched.get(&g).map_or(1, |t| t.used)
    }

    /// Bits in use in the whole bitmap.
    pub fn used(&self) -> u64 {
        u64::from(self.groups()) + self.touched.values().map(|t| u64::from(t.used) - 1).sum::<u64>()
    }

    /// (free, total) bits of chain `chain` when groups are dealt round robin
    /// onto `recs` chains.
    pub(super) fn chain_counts(&self, chain: u32, recs: u32) -> (u32, u32) {
        // Untouched groups hold one used bit; count them arithmetically.
        let n = (self.groups() - chain).div_ceil(recs);
        let last = chain + (n - 1) * recs;
        let total = (n - 1) * self.cpg + self.group_bits(last);
        let mut free = total - n;
        for (&g, _) in self.touched.iter().filter(|(&g, _)| g % recs == chain) {
            free -= self.group_used(g) - 1;
        }
        (free, total)
    }

    fn touch(&mut self, g: u32) -> &mut Touched {
        let bits = self.group_bits(g);
        self.touched.entry(g).or_insert_with(|| {
            let mut map = vec![0u8; bits.div_ceil(8) as usize];
            map[0] = 1;
            Touched { map, used: 1, low: 1 }
        })
    }

    pub(super) fn is_set(&self, cluster: u32) -> bool {
        let (g, bit) = (cluster / self.cpg, cluster % self.cpg);
        self.touched.get(&g).map_or(bit == 0, |t| bit_is_set(&t.map, bit as usize))
    }

    /// Marks `n` clusters from `cluster` in use (they are all clear).
    pub(super) fn set(&mut self, cluster: u32, n: u32) {
        let mut c = cluster;
        while c < cluster + n {
            let (g, bit) = (c / self.cpg, c % self.cpg);
            let take = (self.cpg - bit).min(cluster + n - c);
            let bits = self.group_bits(g);
            let t = self.touch(g);
            set_range(&mut t.map, bit as usize, (bit + take) as usize);
            t.used += take;
            t.low = bit_runs_from(&t.map, bits as usize, t.low as usize, false).next().map_or(bits, |(s, _)| s);
            c += take;
        }
    }

    /// The clear runs of group `g` in bit order, as `(start, len)`.
    fn free_runs(&self, g: u32) -> Vec<(u32, u32)> {
        let bits = self.group_bits(g);
        let Some(t) = self.touched.get(&g) else { return vec![(1, bits - 1)] };
        bit_runs_from(&t.map, bits as usize, t.low as usize, false).map(|(s, e)| (s, e - s)).collect()
    }

    /// mkfs.ocfs2's own allocator: the first group (in chain order) with enough
    /// free bits, then the first run of `n` clear bits in it.
    pub(super) fn alloc_mkfs(&mut self, n: u32, recs_per_inode: u32) -> Result<u32> {
        let groups = self.groups();
        for chain in 0..recs_per_inode.min(groups) {
            let mut g = chain;
            while g < groups {
                let bits = self.group_bits(g);
                if bits - self.group_used(g) >= n {
                    let (start, _) =
                        self.free_runs(g).into_iter().find(|&(_, len)| len >= n).ok_or_else(|| no_space(n))?;
                    let c = g * self.cpg + start;
                    self.set(c, n);
                    return Ok(c);
                }
                g += recs_per_inode;
            }
        }
        Err(no_space(n))
    }

    /// libocfs2's range allocator: groups in order; in the first group with at
    /// least `min` free bits, the first run of `len` clear bits, else the first
    /// longest run if it has at least `min`. Returns (first cluster, count).
    pub(super) fn alloc_range(&mut self, min: u32, len: u32) -> Result<(u32, u32)> {
        let first = self.cursor.get(&min).copied().unwrap_or(0);
        for g in first..self.groups() {
            if self.group_bits(g) - self.group_used(g) < min {
                self.cursor.insert(min, g + 1);
                continue;
            }
            let runs = self.free_runs(g);
            let base = g * self.cpg;
            if let Some(&(s, _)) = runs.iter().find(|&&(_, l)| l >= len) {
                self.set(base + s, len);
                return Ok((base + s, len));
            }
            // The first of the longest runs.
            let best = runs.iter().fold(None::<(u32, u32)>, |b, &r| match b {
                Some(b) if b.1 >= r.1 => Some(b),
                _ => Some(r),
            });
            if let Some((s, l)) = best.filter(|&(_, l)| l >= min) {
                self.set(base + s, l);
                return Ok((base + s, l));
            }
        }
        Err(no_space(min))
    }
}

fn no_space(n: u32) -> Error {
    Error::invalid(InvalidKind::TooSmall, format!("the volume is too small: no room for {n} more contiguous clusters"))
}
