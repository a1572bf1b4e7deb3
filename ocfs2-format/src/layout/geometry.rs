//! The sizes a volume is built from: pure arithmetic, here so that mkfs (which
//! computes them) and `Volume` (which reads them) share one type without mkfs
//! importing `volume`.

/// Sizes that every other computation derives from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Geometry {
    /// Bytes per block (512..4096).
    pub block_size: u32,
    /// log2 of the block size.
    pub block_bits: u32,
    /// Bytes per cluster (4 KiB..1 MiB).
    pub cluster_size: u32,
    /// log2 of the cluster size.
    pub cluster_bits: u32,
    /// Clusters in the volume (the superblock inode's `i_clusters`).
    pub clusters: u32,
    /// Blocks in the volume.
    pub blocks: u64,
    /// Block the superblock was read from (2, or a backup's block).
    pub sb_blkno: u64,
}

impl Geometry {
    /// Blocks per cluster.
    pub fn blocks_per_cluster(&self) -> u64 {
        1 << (self.cluster_bits - self.block_bits)
    }
    /// First block of cluster `c`.
    pub fn cluster_to_block(&self, c: u64) -> u64 {
        c << (self.cluster_bits - self.block_bits)
    }
    /// Cluster holding block `b`.
    pub fn block_to_cluster(&self, b: u64) -> u64 {
        b >> (self.cluster_bits - self.block_bits)
    }
    /// Byte offset of block `b`.
    pub fn block_offset(&self, b: u64) -> u64 {
        b << self.block_bits
    }
}
