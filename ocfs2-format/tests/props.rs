//! Property tests over the on-disk encodings: every zerocopy structure
//! round-trips, metadata ECC corrects every single flip and refuses double flips
//! at every block size, heartbeat sectors and JBD2 descriptor tags round-trip, and
//! path lookup agrees with directory listings on the kernel-written fixtures.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use std::path::Path;
use std::sync::OnceLock;

use ocfs2_format::io::{open_zst, MemSource};
use ocfs2_format::layout::node::NodeNum;
use ocfs2_format::layout::{self, blockcheck, heartbeat, jbd2};
use ocfs2_format::{fs, OpenOptions, Volume};
use proptest::prelude::*;
use zerocopy::{FromBytes, IntoBytes};

/// Bytes → structure → bytes, and through a write into a larger buffer at an
/// arbitrary (unaligned) offset and back.
fn round_trip<T>(bytes: &[u8], pad: usize) -> Result<(), TestCaseError>
where
    T: FromBytes + IntoBytes + zerocopy::Immutable + zerocopy::KnownLayout + PartialEq + std::fmt::Debug,
{
    let n = std::mem::size_of::<T>();
    let v = T::read_from_bytes(&bytes[..n]).map_err(|_| TestCaseError::fail("read_from_bytes"))?;
    prop_assert_eq!(v.as_bytes(), &bytes[..n]);
    let mut buf = vec![0xa5u8; pad + n + 7];
    v.write_to(&mut buf[pad..pad + n]).map_err(|_| TestCaseError::fail("write_to"))?;
    let back = T::read_from_prefix(&buf[pad..]).map_err(|_| TestCaseError::fail("read_from_prefix"))?.0;
    prop_assert_eq!(&back, &v);
    prop_assert!(buf[..pad].iter().chain(&buf[pad + n..]).all(|&b| b == 0xa5), "wrote outside its bytes");
    Ok(())
}

macro_rules! round_trips {
    ($bytes:expr, $pad:expr; $($m:ident::$t:ident),+ $(,)?) => {
        $( round_trip::<layout::$m::$t>($bytes, $pad)
            .map_err(|e| TestCaseError::fail(format!("{}: {e}", stringify!($m::$t))))?; )+
    };
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn every_zerocopy_structure_round_trips(bytes in prop::collection::vec(any::<u8>(), 1024), pad in 0usize..16) {
        round_trips!(&bytes, pad;
            blockcheck::BlockCheck, chain::ChainList, chain::ChainRec, dinode::DinodeHeader, dinode::Bitmap1,
            dinode::Journal1, dir::DirEntryHeader, dir::DirTrailer, dx::DxEntry, dx::DxEntryList, dx::DxRootBlock,
            dx::DxLeaf, extent::ExtentList, extent::ExtentRec, extent::ExtentBlock, group::GroupDesc,
            heartbeat::HbSlot, inline_data::InlineData, jbd2::Header, jbd2::Superblock, jbd2::CommitHeader,
            jbd2::RevokeHeader, local_alloc::LocalAlloc, quota::DiskDqHeader, quota::GlobalDiskDqInfo,
            quota::QtDiskDqdbHeader, quota::GlobalDiskDqBlk, quota::LocalDiskDqInfo, quota::LocalDiskChunk,
            quota::LocalDiskDqBlk, quota::DiskDqTrailer, refcount::RefcountBlock, refcount::RefcountList,
            refcount::RefcountRec, slot_map::ExtendedSlot, superblock::ClusterInfo, superblock::SuperBlock,
            truncate_log::TruncateLog, truncate_log::TruncateRec, xattr::XattrHeader, xattr::XattrEntry,
            xattr::XattrBlock, xattr::XattrTreeRoot, xattr::XattrValueRoot,
        );
    }
}

/// A pseudo-random block (xorshift), so cases stay cheap to shrink.
fn random_block(size: usize, seed: u64) -> Vec<u8> {
    let mut s = seed | 1;
    (0..size)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s as u8
        })
        .collect()
}

/// Bit `i` of the block, skipping the 64 bits of the check record itself.
fn data_bit(i: u64, check_offset: usize) -> u64 {
    if i >= check_offset as u64 * 8 {
        i + 64
    } else {
        i
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn ecc_corrects_any_single_flip_at_any_block_size(
        size in prop::sample::select(vec![512usize, 1024, 2048, 4096]),
        seed in any::<u64>(),
        check_offset in 0usize..256,
        at in any::<prop::sample::Index>(),
    ) {
        let mut block = random_block(size, seed);
        blockcheck::compute(&mut block, check_offset).unwrap();
        let clean = block.clone();
        prop_assert_eq!(blockcheck::verify(&mut block.clone(), check_offset), Ok(blockcheck::CheckOutcome::Clean));
        let bit = data_bit(at.index(size * 8 - 64) as u64, check_offset);
        block[(bit / 8) as usize] ^= 1 << (bit % 8);
        prop_assert_eq!(blockcheck::verify(&mut block, check_offset), Ok(blockcheck::CheckOutcome::Corrected { bit }));
        prop_assert_eq!(&block, &clean);
    }

    #[test]
    fn ecc_rejects_any_double_flip_at_any_block_size(
        size in prop::sample::select(vec![512usize, 1024, 2048, 4096]),
        seed in any::<u64>(),
        check_offset in 0usize..256,
        a in any::<prop::sample::Index>(),
        b in any::<prop::sample::Index>(),
    ) {
        let (a, b) = (a.index(size * 8 - 64) as u64, b.index(size * 8 - 64) as u64);
        prop_assume!(a != b);
        let mut block = random_block(size, seed);
        blockcheck::compute(&mut block, check_offset).unwrap();
        for bit in [data_bit(a, check_offset), data_bit(b, check_offset)] {
            block[(bit / 8) as usize] ^= 1 << (bit % 8);
        }
        let damaged = block.clone();
        prop_assert!(blockcheck::verify(&mut block, check_offset).is_err());
        prop_assert_eq!(&block, &damaged, "a failed verify must leave the block as it was");
    }

    #[test]
    fn heartbeat_sector_round_trips(
        shift in 0u32..4,
        seq in any::<u64>(),
        node in any::<u8>(),
        generation in any::<u64>(),
        dead_ms in any::<u32>(),
        flip in any::<prop::sample::Index>(),
    ) {
        let size = 512u32 << shift;
        let node = NodeNum::from(node);
        let sector = heartbeat::encode_sector(size, seq, node, generation, dead_ms).unwrap();
        prop_assert_eq!(sector.len(), size as usize);
        let r = heartbeat::SlotReading::decode(node, &sector, 0).unwrap();
        prop_assert_eq!((r.seq(), r.node(), r.generation(), r.dead_ms()), (seq, node, generation, dead_ms));
        prop_assert!(r.crc_ok() && r.node_matches());
        prop_assert_eq!(r.stored_cksum(), heartbeat::checksum(&sector));
        // Any single flipped bit outside the checksum field breaks the CRC.
        let mut bad = sector.clone();
        let bit = flip.index(size as usize * 8);
        let cksum_bits = heartbeat::CKSUM_OFFSET * 8..(heartbeat::CKSUM_OFFSET + 4) * 8;
        prop_assume!(!cksum_bits.contains(&bit));
        bad[bit / 8] ^= 1 << (bit % 8);
        prop_assert!(!heartbeat::SlotReading::decode(node, &bad, 0).unwrap().crc_ok());
    }

    #[test]
    fn jbd2_descriptor_tags_round_trip(
        tag_size in prop::sample::select(vec![8usize, 12]),
        block_size in prop::sample::select(vec![1024usize, 4096]),
        tags in prop::collection::vec((any::<u64>(), any::<bool>(), any::<[u8; 16]>(), 0u32..4), 1..40),
    ) {
        // Encode the way the kernel does: header, then tags, each followed by a
        // UUID unless SAME_UUID; LAST_TAG on the last one that fits.
        let mut block = vec![0u8; block_size];
        block[..4].copy_from_slice(&jbd2::MAGIC.to_be_bytes());
        block[4..8].copy_from_slice(&jbd2::block_type::DESCRIPTOR.to_be_bytes());
        let mut at = 12;
        let mut want = Vec::new();
        for (i, &(nr, same, uuid, extra)) in tags.iter().enumerate() {
            let need = tag_size + if same { 0 } else { 16 };
            if at + need > block_size {
                break;
            }
            let nr = if tag_size == 12 { nr } else { nr & 0xffff_ffff };
            let mut flags = ((extra & 1) * jbd2::tag_flags::ESCAPE) | ((extra & 2) / 2 * jbd2::tag_flags::DELETED);
            if same {
                flags |= jbd2::tag_flags::SAME_UUID;
            }
            let last = i + 1 == tags.len() || at + need + tag_size + 16 > block_size;
            if last {
                flags |= jbd2::tag_flags::LAST_TAG;
            }
            block[at..at + 4].copy_from_slice(&(nr as u32).to_be_bytes());
            block[at + 4..at + 8].copy_from_slice(&flags.to_be_bytes());
            if tag_size == 12 {
                block[at + 8..at + 12].copy_from_slice(&((nr >> 32) as u32).to_be_bytes());
            }
            at += tag_size;
            if !same {
                block[at..at + 16].copy_from_slice(&uuid);
                at += 16;
            }
            want.push(jbd2::Tag { blocknr: nr, flags, uuid: (!same).then_some(uuid) });
            if last {
                break;
            }
        }
        prop_assert_eq!(jbd2::descriptor_tags(&block, jbd2::TagLayout::plain(tag_size == 12)), want);
    }
}

// ---------------------------------------------------------------------------
// Path resolution on the fixtures' trees.

fn fixture(name: &str) -> &'static Volume {
    static A: OnceLock<Volume> = OnceLock::new();
    static X: OnceLock<Volume> = OnceLock::new();
    let cell = if name == "A-default" { &A } else { &X };
    cell.get_or_init(|| {
        let p = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../fixtures/{name}.img.zst"));
        let src: MemSource = open_zst(&p).unwrap();
        Volume::from_source(Box::new(src), OpenOptions::default()).unwrap()
    })
}

/// Every (path, inode, is a directory) below the root, found by `read_dir` alone.
type Tree = Vec<(String, u64, bool)>;

fn tree(vol: &Volume) -> Tree {
    let mut out = Vec::new();
    let mut stack = vec![(String::new(), vol.root_blkno())];
    while let Some((path, ino)) = stack.pop() {
        let dir = vol.inode(ino).unwrap();
        for e in fs::read_dir(vol, &dir).unwrap() {
            if e.name == b"." || e.name == b".." {
                continue;
            }
            let p = format!("{path}/{}", String::from_utf8_lossy(&e.name));
            let is_dir = vol.inode(e.inode).unwrap().header().is_dir();
            out.push((p.clone(), e.inode, is_dir));
            if is_dir {
                stack.push((p, e.inode));
            }
        }
    }
    out
}

fn trees() -> &'static [(&'static str, Tree)] {
    static T: OnceLock<Vec<(&'static str, Tree)>> = OnceLock::new();
    T.get_or_init(|| ["A-default", "X-max"].map(|n| (n, tree(fixture(n)))).into_iter().collect())
}

#[test]
fn lookup_agrees_with_read_dir_everywhere() {
    for (name, t) in trees() {
        let vol = fixture(name);
        assert!(t.len() > 10, "{name}: a tree of {} entries", t.len());
        for (p, ino, _) in t {
            if p.as_bytes().iter().all(|&b| b.is_ascii_graphic() || b == b' ') {
                assert_eq!(fs::lookup(vol, p).unwrap(), *ino, "{name}: {p}");
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Random walks through the real trees: `.`/`..`, doubled slashes and a
    /// trailing slash on directories resolve like the plain path; a generated
    /// name that no listing holds does not resolve.
    #[test]
    fn generated_paths_resolve_like_the_listing(
        which in 0usize..2,
        pick in any::<prop::sample::Index>(),
        via in any::<prop::sample::Index>(),
        bogus in "[a-z0-9._-]{1,40}",
    ) {
        let (name, t) = &trees()[which];
        let vol = fixture(name);
        let (p, ino, is_dir) = &t[pick.index(t.len())];
        prop_assume!(p.bytes().all(|b| b.is_ascii_graphic()));
        prop_assert_eq!(fs::lookup(vol, p).unwrap(), *ino);
        // (A leading `//` names the system directory, so only inner slashes double.)
        prop_assert_eq!(fs::lookup(vol, &format!("/{}", p[1..].replace('/', "//"))).unwrap(), *ino);
        // Through any directory and back up: /a/b/../b/c == /a/b/c.
        let dirs: Vec<&(String, u64, bool)> = t.iter().filter(|d| d.2).collect();
        if !dirs.is_empty() {
            let (d, _, _) = dirs[via.index(dirs.len())];
            if d.bytes().all(|b| b.is_ascii_graphic()) {
                let mut around = format!("{d}/./..");
                let depth = d.matches('/').count();
                for _ in 1..depth {
                    around.push_str("/..");
                }
                prop_assert_eq!(fs::lookup(vol, &format!("{around}{p}")).unwrap(), *ino, "{}{}", around, p);
            }
        }
        if *is_dir {
            prop_assert_eq!(fs::lookup(vol, &format!("{p}/")).unwrap(), *ino);
            let child = format!("{p}/{bogus}");
            let listed = t.iter().any(|(q, _, _)| *q == child);
            if !listed && bogus != "." && bogus != ".." {
                prop_assert!(fs::lookup(vol, &child).is_err(), "{} resolved", child);
            }
        }
    }
}
