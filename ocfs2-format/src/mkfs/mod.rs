//! Making a volume, like mkfs.ocfs2 1.8.7 and block for block the same.
//!
//! Three steps, one direction: [`plan()`] turns options and the target size into
//! geometry (pure), [`place()`] places every structure the way mkfs.ocfs2 and
//! libocfs2 allocate them (pure), and [`write()`] puts the blocks on a
//! [`BlockSink`](crate::io::BlockSink), superblock last.
//!
//! ```
//! use ocfs2_format::io::MemSource;
//! use ocfs2_format::mkfs::{place, plan, write, MkfsOptions, Randomness, Target};
//!
//! let size = 64 << 20;
//! let p = plan(&MkfsOptions { slots: Some(1), ..Default::default() }, &Target { size, sector_size: 512 })?;
//! let placed = place(&p)?;
//! let mut img = MemSource::new(size);
//! write(&placed, &Randomness::from_seed(1, [7; 16], 0), &mut img, &mut |_, _| {})?;
//! let vol = ocfs2_format::Volume::from_source(Box::new(img), Default::default())?;
//! assert_eq!(vol.superblock().s_max_slots.get(), 1);
//! # Ok::<(), ocfs2_format::Error>(())
//! ```

mod features;
mod place;
mod plan;
mod write;

pub use features::{FeatureLevel, FeatureRequest, Features};
pub use place::{
    chain_recs_per_inode, place, Body, ClusterBitmap, DxDir, Extent, InodeRec, Placement, QuotaFile, SubGroup,
};
pub use plan::{
    parse_c_uint, parse_size, plan, suballoc_cpg, valid_size, ClusterStack, FsType, MkfsOptions, Plan, Target,
    BLOCK_SIZES, CLUSTER_SIZES, MAX_CLUSTERS, MAX_CLUSTER_NAME_LEN, MAX_LABEL_LEN, MIN_JOURNAL_SIZE,
};
pub use write::{uuid_hash, write, Progress, Randomness};
