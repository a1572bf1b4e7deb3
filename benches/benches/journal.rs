//! A slot's JBD2 log, 256 MiB (65,536 blocks of 4 KiB) full of committed
//! transactions: the linear scan (`logdump --raw`, debugfs' view: every block
//! classified) and the replay walk from `s_start` (what recovery would apply).
//! 256 MiB is the largest journal mkfs picks by default, so this is the worst case
//! of `logdump` and of the journal pass of `check`.
//!
//! No fixture has a full journal, so one is built in memory: the library's mkfs
//! formats a volume with one 256 MiB journal, then the log is filled, as jbd2
//! would, with transactions of (every fourth) a revoke block, a descriptor block,
//! the logged blocks (inodes, group descriptors, extent blocks, plain data) and a
//! commit block, with increasing sequence numbers from `s_start`. The `recovery`
//! group sets recovery (the three passes and a read of every copy they keep)
//! beside one sequential read of the same journal.

mod common;

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ocfs2_format::fs::{ExtentMap, FileReader, Mapping};
use ocfs2_format::io::MemSource;
use ocfs2_format::journal::replay::{replay_log, unescape, LogParams};
use ocfs2_format::journal::{BlockKind, Journal, LogEnd};
use ocfs2_format::layout::jbd2::{block_type, tag_flags, CommitHeader, Header, RevokeHeader, Superblock, MAGIC};
use ocfs2_format::mkfs::MkfsOptions;
use ocfs2_format::Volume;
use zerocopy::big_endian::{U32 as Be32, U64 as Be64};
use zerocopy::{FromZeros, IntoBytes};

const JOURNAL_BYTES: u64 = 256 << 20;
/// Room for the journal and the rest of a one-slot volume.
const VOLUME_BYTES: u64 = 1 << 30;
/// The most blocks one transaction logs here: kernel OCFS2 transactions are small
/// (an inode, a group, a few directory or extent blocks).
const MAX_TAGS: u64 = 48;
/// Signatures of the logged blocks, in rotation; `None` is plain data.
const LOGGED: [Option<&[u8; 8]>; 4] = [Some(b"INODE01\0"), Some(b"GROUP01\0"), None, Some(b"EXBLK01\0")];

/// Where the log's blocks live and what the mkfs-written JBD2 superblock says.
struct Log {
    /// Byte offset on the medium of each log block.
    offsets: Vec<u64>,
    sb: Superblock,
    bs: usize,
}

fn locate(src: &MemSource) -> Log {
    let vol = common::open(src.clone());
    let j = Journal::open(&vol, 0).expect("open journal:0000");
    let inode = vol.inode(j.inode()).expect("journal inode");
    let map = ExtentMap::load(&vol, &inode).expect("journal extents");
    let sb = *j.superblock();
    let offsets = (0..u64::from(sb.s_maxlen.get()))
        .map(|n| match map.map(&vol, n) {
            Mapping::Block { blkno, .. } => vol.geometry().block_offset(blkno),
            Mapping::Hole => panic!("journal log block {n} is a hole"),
        })
        .collect();
    Log { offsets, sb, bs: vol.block_size() }
}

fn header(kind: u32, seq: u32) -> Header {
    Header { h_magic: Be32::new(MAGIC), h_blocktype: Be32::new(kind), h_sequence: Be32::new(seq) }
}

/// Fills the log from `s_first` with whole transactions and points `s_start` at
/// the first; returns how many transactions were written.
fn fill(src: &mut MemSource, log: &Log) -> u32 {
    let bs = log.bs;
    let tag_size = log.sb.tag_size();
    let first_seq = 1000u32;
    let mut rng = common::Rng(2);
    let mut write = |n: u32, bytes: &[u8]| src.write_at(log.offsets[n as usize], bytes).expect("write log block");
    // Logged block contents: random bytes, with a signature where one applies.
    let mut logged: Vec<Vec<u8>> = LOGGED
        .iter()
        .map(|sig| {
            let mut b = vec![0u8; bs];
            rng.fill(&mut b);
            match sig {
                Some(s) => b[..8].copy_from_slice(*s),
                None => b[..4].fill(0), // never the JBD2 magic: no escaping needed
            }
            b
        })
        .collect();

    let (maxlen, mut pos, mut seq) = (log.sb.s_maxlen.get(), log.sb.s_first.get(), first_seq);
    loop {
        let tags = 1 + rng.next_u64() % MAX_TAGS;
        let revoke = seq % 4 == 0;
        let need = u64::from(revoke) + 1 + tags + 1;
        if u64::from(pos) + need > u64::from(maxlen) {
            break;
        }
        if revoke {
            let mut b = vec![0u8; bs];
            let records: Vec<u8> = (0..8u32).flat_map(|r| (5000 + r).to_be_bytes()).collect();
            let rh = RevokeHeader {
                r_header: header(block_type::REVOKE, seq),
                r_count: Be32::new(16 + records.len() as u32),
            };
            b[..16].copy_from_slice(rh.as_bytes());
            b[16..16 + records.len()].copy_from_slice(&records);
            write(pos, &b);
            pos += 1;
        }
        let mut desc = vec![0u8; bs];
        desc[..12].copy_from_slice(header(block_type::DESCRIPTOR, seq).as_bytes());
        let mut at = 12;
        for t in 0..tags {
            let mut flags = if t == 0 { 0 } else { tag_flags::SAME_UUID };
            if t + 1 == tags {
                flags |= tag_flags::LAST_TAG;
            }
            let home = 10_000 + rng.next_u64() % 100_000;
            desc[at..at + 4].copy_from_slice(&(home as u32).to_be_bytes());
            desc[at + 4..at + 8].copy_from_slice(&flags.to_be_bytes());
            at += tag_size;
            if t == 0 {
                desc[at..at + 16].copy_from_slice(&log.sb.s_uuid);
                at += 16;
            }
        }
        write(pos, &desc);
        pos += 1;
        for t in 0..tags {
            let b = &mut logged[(t % LOGGED.len() as u64) as usize];
            // Stamp the position so no two logged blocks are alike.
            b[8..12].copy_from_slice(&pos.to_le_bytes());
            write(pos, b);
            pos += 1;
        }
        let mut commit = CommitHeader::new_zeroed();
        commit.h_header = header(block_type::COMMIT, seq);
        commit.h_commit_sec = Be64::new(1_700_000_000 + u64::from(seq));
        let mut b = vec![0u8; bs];
        b[..size_of::<CommitHeader>()].copy_from_slice(commit.as_bytes());
        write(pos, &b);
        pos += 1;
        seq += 1;
    }
    let mut sb = log.sb;
    sb.s_start = sb.s_first;
    sb.s_sequence = Be32::new(first_seq);
    src.write_at(log.offsets[0], sb.as_bytes()).expect("write JBD2 superblock");
    seq - first_seq
}

/// The one-slot volume with its journal full; returns it and the transaction count.
fn full_journal() -> (Volume, u32) {
    let opts = MkfsOptions { slots: Some(1), journal_size: Some(JOURNAL_BYTES), ..Default::default() };
    let mut src = common::mkfs(VOLUME_BYTES, &opts);
    let log = locate(&src);
    assert_eq!(log.offsets.len() as u64 * log.bs as u64, JOURNAL_BYTES, "mkfs made a 256 MiB journal");
    let txs = fill(&mut src, &log);
    eprintln!("journal: {txs} transactions, {} MiB resident", src.resident_bytes() >> 20);
    (common::open(src), txs)
}

fn bench(c: &mut Criterion) {
    let (vol, txs) = full_journal();
    let j = Journal::open(&vol, 0).expect("open journal:0000");
    // Check once, untimed, that the walks see the whole log.
    let replay = j.replay().expect("replay");
    assert_eq!(replay.transactions.len() as u32, txs);
    assert!(replay.transactions.iter().all(|t| t.commit.is_some()));
    assert!(matches!(replay.end, LogEnd::NoMagic { .. } | LogEnd::Sequence { .. }), "{:?}", replay.end);
    let scan = j.scan().expect("scan");
    let commits = scan.iter().filter(|e| matches!(e.kind, BlockKind::Commit { .. })).count();
    assert_eq!(commits, txs as usize, "the linear scan's commit blocks");

    let mut g = c.benchmark_group("journal");
    // One pass reads 256 MiB: a few tenths of a second, so the fewest samples.
    g.sample_size(10);
    g.throughput(Throughput::Bytes(JOURNAL_BYTES));
    g.bench_function("scan_256MiB", |b| b.iter(|| black_box(&j).scan().expect("scan")));
    // The replay walk reads only descriptor, revoke and commit blocks and steps
    // over the logged ones, so its rate is in transactions, not bytes.
    g.throughput(Throughput::Elements(u64::from(txs)));
    g.bench_function("replay_256MiB", |b| b.iter(|| black_box(&j).replay().expect("replay")));
    g.finish();

    // Recovery against its floor, side by side: JBD2's three passes plus a read of
    // every winning copy (what applying the log costs, in memory), and one
    // sequential read of the journal file.
    let params = LogParams::new(0, j.superblock(), vol.geometry().blocks);
    let inode = vol.inode(j.inode()).expect("journal inode");
    let bs = vol.block_size();
    let recovered = replay_log(&j, &params, false);
    assert_eq!(recovered.transactions.len() as u32, txs, "recovery sees every transaction");
    assert!(recovered.warnings.is_empty(), "{:?}", recovered.warnings);
    let mut g = c.benchmark_group("recovery");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(JOURNAL_BYTES));
    g.bench_function("sequential_read_256MiB", |b| {
        let reader = FileReader::new(&vol, &inode).expect("journal reader");
        let mut buf = vec![0u8; 1 << 20];
        b.iter(|| {
            let mut off = 0;
            while off < JOURNAL_BYTES {
                off += reader.read_full_at(off, &mut buf).expect("read") as u64;
            }
            black_box(&buf);
        })
    });
    g.bench_function("replay_passes_256MiB", |b| b.iter(|| replay_log(black_box(&j), &params, false).blocks.len()));
    g.bench_function("replay_applied_256MiB", |b| {
        let mut buf = vec![0u8; bs];
        b.iter(|| {
            let r = replay_log(black_box(&j), &params, false);
            // In log order: the copies are read front to back, as recovery writes them.
            let mut order: Vec<_> = r.blocks.values().collect();
            order.sort_unstable_by_key(|w| w.log_block);
            for w in order {
                let at = j.log_block_location(w.log_block).expect("mapped");
                buf.copy_from_slice(&vol.read_block(at).expect("logged copy"));
                if w.escaped {
                    unescape(&mut buf);
                }
                black_box(&buf);
            }
            r.blocks.len()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
