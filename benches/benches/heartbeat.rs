//! Decoding a whole o2hb heartbeat region (255 slots): what `hb --watch` does on
//! every sample, so it bounds the sampling interval the watch can keep up with.
//!
//! Three regions: the kernel-written one of fixture `C1` (one live node, 254
//! blank slots, 512-byte sectors), and a synthetic region in which all 255 nodes
//! beat, with 512-byte and with 4 KiB (4Kn disk) sectors. The checksum covers the
//! whole sector, so the cost grows with the sector size.

mod common;

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ocfs2_format::cluster::{Region, DEFAULT_SECTOR_SIZE};
use ocfs2_format::io::BlockSource;
use ocfs2_format::layout::heartbeat::{checksum, HbSlot, CKSUM_OFFSET, MAX_NODES};
use ocfs2_format::layout::{Le32, Le64};
use zerocopy::IntoBytes;

/// A region of `sector_size` slots in which every node has written a heartbeat.
fn busy_region(sector_size: u32) -> Vec<u8> {
    let ss = sector_size as usize;
    let mut rng = common::Rng(7);
    let mut bytes = vec![0u8; MAX_NODES * ss];
    for (node, sector) in bytes.chunks_exact_mut(ss).enumerate() {
        let slot = HbSlot {
            hb_seq: Le64::new(1_700_000_000 + node as u64),
            hb_node: node as u8,
            hb_generation: Le64::new(rng.next_u64()),
            hb_dead_ms: Le32::new(62_000),
            ..Default::default()
        };
        sector[..size_of::<HbSlot>()].copy_from_slice(slot.as_bytes());
        let crc = checksum(sector);
        sector[CKSUM_OFFSET..CKSUM_OFFSET + 4].copy_from_slice(&crc.to_le_bytes());
    }
    bytes
}

fn bench(c: &mut Criterion) {
    let src = common::fixture_source("C1");
    let vol = common::open(src.clone());
    let c1 = Region::locate(&vol, DEFAULT_SECTOR_SIZE).expect("C1 heartbeat region");
    let c1_bytes = src.bytes(c1.start, c1.len() as usize).expect("C1 region bytes").into_owned();
    let regions = [
        ("C1_512", c1, c1_bytes),
        ("busy_512", c1, busy_region(512)),
        ("busy_4096", Region { sector_size: 4096, ..c1 }, busy_region(4096)),
    ];

    let mut g = c.benchmark_group("heartbeat");
    for (name, region, bytes) in &regions {
        let slots = region.decode(bytes).expect("decode");
        let live = if name.starts_with("busy") { MAX_NODES } else { 1 };
        assert_eq!(slots.iter().filter(|s| s.is_written() && s.crc_ok()).count(), live, "{name}: live slots");
        g.throughput(Throughput::Bytes(region.len()));
        g.bench_function(format!("decode/{name}"), |b| b.iter(|| region.decode(black_box(bytes)).expect("decode")));
    }
    // The same region read from the (in-memory) medium and decoded: `hb`'s one-shot path.
    g.throughput(Throughput::Bytes(c1.len()));
    g.bench_function("read/C1_512", |b| b.iter(|| c1.read(black_box(&src)).expect("read region")));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
