//! Reading, validating and parsing one block of each on-disk type, the unit of
//! work every command repeats: `Volume::read_meta` (signature, metadata ECC, self
//! block number, fs generation) and then the typed layout view. Per fixture:
//! `X-max` has META_ECC, so its numbers include an ECC verify per block;
//! `A-default` has default features, no ECC: the difference is the cost of ECC.
//!
//! Blocks are found by walking each volume through the public API, never by
//! hard-coded block numbers. No kernel-written fixture has an extent block (every
//! extent list fits in its inode), so one is made: a full leaf written into a free
//! slot of `extent_alloc:0000` with the volume's generation and, on META_ECC
//! volumes, a correct check.

mod common;

use std::hint::black_box;
use std::mem::offset_of;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use ocfs2_format::cluster::{NodeNum, Region, DEFAULT_SECTOR_SIZE};
use ocfs2_format::fs::{self, DxRoot, ExtentMap, Mapping};
use ocfs2_format::io::{BlockSource, MemSource};
use ocfs2_format::layout::blockcheck::{self, BlockCheck};
use ocfs2_format::layout::dinode::dyn_features;
use ocfs2_format::layout::dir::{DirEntries, TRAILER_SIZE};
use ocfs2_format::layout::dx::{DxLeafView, DxRootView};
use ocfs2_format::layout::extent::{
    block_extent_capacity, ExtentBlock, ExtentBlockView, ExtentList, ExtentRec, EXTENT_BLOCK_LIST_OFFSET,
    EXTENT_BLOCK_SIGNATURE,
};
use ocfs2_format::layout::group::GroupView;
use ocfs2_format::layout::heartbeat::SlotReading;
use ocfs2_format::layout::jbd2;
use ocfs2_format::layout::refcount::RefcountBlockView;
use ocfs2_format::layout::slot_map::{self, SlotMapFormat};
use ocfs2_format::layout::superblock::incompat;
use ocfs2_format::layout::xattr::XattrBlockView;
use ocfs2_format::layout::{Le16, Le32, Le64};
use ocfs2_format::{alloc, Inode, MetaKind, Result, SystemFile, Volume};
use zerocopy::IntoBytes;

/// The block types, each parsed the way the library's walks parse it.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Dinode,
    ExtentBlock,
    Group,
    DirBlock,
    DxRoot,
    DxLeaf,
    XattrBlock,
    RefcountBlock,
    SlotMap,
    HeartbeatSector,
    Jbd2Superblock,
}

/// Reads block `blkno` as `kind`, validates and parses it.
fn parse(vol: &Volume, kind: Kind, blkno: u64) -> Result<()> {
    let meta = |k: MetaKind| vol.read_meta(blkno, k);
    match kind {
        Kind::Dinode => {
            black_box(vol.inode(blkno)?.dinode().id2()?);
        }
        Kind::ExtentBlock => {
            black_box(ExtentBlockView::parse(&meta(MetaKind::EXTENT_BLOCK)?, blkno)?);
        }
        Kind::Group => {
            black_box(GroupView::parse(&meta(MetaKind::GROUP)?, blkno)?);
        }
        Kind::DirBlock => {
            let b = meta(MetaKind::DIR_BLOCK)?;
            for e in DirEntries::new(&b[..b.len() - TRAILER_SIZE], blkno) {
                black_box(e?);
            }
        }
        Kind::DxRoot => {
            black_box(DxRootView::parse(&meta(MetaKind::DX_ROOT)?, blkno)?);
        }
        Kind::DxLeaf => {
            black_box(DxLeafView::parse(&meta(MetaKind::DX_LEAF)?, blkno)?);
        }
        Kind::XattrBlock => {
            black_box(XattrBlockView::parse(&meta(MetaKind::XATTR_BLOCK)?, blkno)?);
        }
        Kind::RefcountBlock => {
            black_box(RefcountBlockView::parse(&meta(MetaKind::REFCOUNT_BLOCK)?, blkno)?);
        }
        // Plain data blocks of system files: no signature or check to validate,
        // only the bounds their parsers apply.
        Kind::SlotMap => {
            let sb = vol.superblock();
            let format = if sb.s_feature_incompat.get() & incompat::EXTENDED_SLOT_MAP != 0 {
                SlotMapFormat::Extended
            } else {
                SlotMapFormat::Normal
            };
            black_box(slot_map::parse(&vol.read_block(blkno)?, sb.s_max_slots.get(), format, blkno)?);
        }
        // Slot 0 of the region. Both fixtures are local mounts whose heartbeat was
        // never written; a blank sector costs at least what a live one does (the
        // whole-sector checksum, and a blank test a live sector fails at once).
        Kind::HeartbeatSector => {
            let b = vol.read_block(blkno)?;
            black_box(SlotReading::decode(NodeNum(0), &b[..DEFAULT_SECTOR_SIZE as usize], blkno)?.crc_ok());
        }
        Kind::Jbd2Superblock => {
            black_box(jbd2::Superblock::parse(&vol.read_block(blkno)?, blkno, vol.geometry().block_size)?);
        }
    }
    Ok(())
}

/// The first block of `inode`'s data.
fn first_block(vol: &Volume, inode: &Inode<'_>) -> u64 {
    let map = ExtentMap::load(vol, inode).expect("extent map");
    match map.map(vol, 0) {
        Mapping::Block { blkno, .. } => blkno,
        Mapping::Hole => panic!("inode {} starts with a hole", inode.blkno()),
    }
}

/// Finds one block of each kind.
fn find(vol: &Volume, extent_block: u64) -> Vec<(Kind, u64)> {
    let sys = |file: SystemFile| vol.inode(vol.system_file(file).expect("system file")).expect("system inode");
    let bitmap = sys(SystemFile::GLOBAL_BITMAP);
    let group = alloc::chain_list(&bitmap).expect("chain list").recs[0].c_blkno.get();
    let (largest, _) = common::largest_file(vol);
    let bigdir = common::inode_at(vol, "/bigdir");
    let dx_root = DxRoot::of_dir(vol, &bigdir).expect("dx root").expect("bigdir is indexed");
    let dx_leaf = dx_root.leaf_blocks(vol).expect("dx leaves")[0];
    let xattr = common::first_inode(vol, "an xattr block", |i| i.header().i_xattr_loc.get() != 0);
    let refcount = common::first_inode(vol, "a refcount tree", |i| i.header().has_dyn(dyn_features::HAS_REFCOUNT));
    let heartbeat = Region::locate(vol, DEFAULT_SECTOR_SIZE).expect("heartbeat region");
    vec![
        (Kind::Dinode, fs::lookup(vol, &largest).expect("largest file")),
        (Kind::ExtentBlock, extent_block),
        (Kind::Group, group),
        (Kind::DirBlock, first_block(vol, &bigdir)),
        (Kind::DxRoot, dx_root.blkno()),
        (Kind::DxLeaf, dx_leaf),
        (Kind::XattrBlock, xattr.header().i_xattr_loc.get()),
        (Kind::RefcountBlock, refcount.header().i_refcount_loc.get()),
        (Kind::SlotMap, first_block(vol, &sys(SystemFile::SLOT_MAP))),
        (Kind::HeartbeatSector, heartbeat.blkno),
        (Kind::Jbd2Superblock, first_block(vol, &sys(SystemFile::journal(0)))),
    ]
}

/// An extent block as the kernel would write it into the first free slot of
/// `extent_alloc:0000`: a full leaf (an extent list has to overflow the inode
/// before one is needed). Returns its block number and bytes.
fn make_extent_block(vol: &Volume) -> (u64, Vec<u8>) {
    let alloc_inode = vol.inode(vol.system_file(SystemFile::extent_alloc(0)).expect("extent_alloc")).expect("inode");
    let group = alloc::chain_groups(vol, &alloc_inode, 0).expect("chain 0").into_iter().find(|g| g.free > 0);
    let group = group.expect("a group with a free bit").blkno;
    let gblock = vol.read_meta(group, MetaKind::GROUP).expect("group");
    let g = GroupView::parse(&gblock, group).expect("group view");
    let bit = (0..usize::from(g.desc.bg_bits.get())).find(|&b| !g.bit(b)).expect("free bit");
    let runs = alloc::group_block_runs(vol.geometry(), group, &g).expect("group runs");
    let blkno = alloc::bit_to_block(&runs, bit as u64).expect("bit inside the group");

    let bs = vol.block_size();
    let count = block_extent_capacity(bs) as u16;
    let header = ExtentBlock {
        h_signature: *EXTENT_BLOCK_SIGNATURE,
        h_check: BlockCheck::default(),
        h_suballoc_slot: Le16::new(0),
        h_suballoc_bit: Le16::new(bit as u16),
        h_fs_generation: Le32::new(vol.fs_generation()),
        h_blkno: Le64::new(blkno),
        h_suballoc_loc: Le64::new(group),
        h_next_leaf_blk: Le64::new(0),
        h_list: ExtentList {
            l_tree_depth: Le16::new(0),
            l_count: Le16::new(count),
            l_next_free_rec: Le16::new(count),
            l_reserved1: Le16::new(0),
            l_reserved2: Le64::new(0),
        },
    };
    let mut block = vec![0u8; bs];
    block[..size_of::<ExtentBlock>()].copy_from_slice(header.as_bytes());
    // One-cluster extents every other cluster: a fragmented file.
    for (i, rec) in block[EXTENT_BLOCK_LIST_OFFSET + 16..].chunks_exact_mut(16).take(count.into()).enumerate() {
        let r = ExtentRec {
            e_cpos: Le32::new(2 * i as u32),
            e_leaf_clusters: Le16::new(1),
            e_reserved1: 0,
            e_flags: 0,
            e_blkno: Le64::new(vol.geometry().cluster_to_block(1000 + 2 * i as u64)),
        };
        rec.copy_from_slice(r.as_bytes());
    }
    if vol.has_meta_ecc() {
        blockcheck::compute(&mut block, offset_of!(ExtentBlock, h_check)).expect("check fits");
    }
    (blkno, block)
}

/// Opens the fixture with the extent block added; returns it, the image's first
/// three 4 KiB blocks (what the superblock probe reads) and the samples.
fn prepare(name: &str) -> (Volume, MemSource, Vec<(Kind, u64)>) {
    let mut src = common::fixture_source(name);
    let head = MemSource::from_bytes(&src.bytes(0, 3 << 12).expect("image head"));
    let (extent_block, block) = make_extent_block(&common::open(src.clone()));
    let bs = block.len() as u64;
    src.write_at(extent_block * bs, &block).expect("write extent block");
    let vol = common::open(src);
    let samples = find(&vol, extent_block);
    for &(kind, blkno) in &samples {
        parse(&vol, kind, blkno).unwrap_or_else(|e| panic!("{name}: {kind:?} at {blkno}: {e}"));
    }
    (vol, head, samples)
}

fn bench(c: &mut Criterion) {
    for name in ["X-max", "A-default"] {
        let (vol, head, samples) = prepare(name);
        let mut g = c.benchmark_group(format!("blocks/{name}"));
        // The superblock is validated when a volume is opened: probe for the block
        // size, check signature, ECC, features and geometry.
        g.bench_function("Superblock", |b| {
            b.iter_batched(
                || head.clone(),
                |src| Volume::from_source(Box::new(src), Default::default()).expect("superblock"),
                BatchSize::SmallInput,
            )
        });
        for (kind, blkno) in samples {
            g.bench_function(format!("{kind:?}"), |b| b.iter(|| parse(&vol, kind, black_box(blkno)).expect("parse")));
        }
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
