//! Every block parser over arbitrary bytes: the first byte picks the block size,
//! the rest is the block. Each parser must return a value or a typed error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ocfs2_format::layout::{
    blockcheck, dinode::Dinode, dir, extent::ExtentBlockView, group::GroupView, heartbeat, jbd2, slot_map,
};

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else { return };
    let bs = 512usize << (sel & 3);
    let mut block = vec![0u8; bs];
    let n = rest.len().min(bs);
    block[..n].copy_from_slice(&rest[..n]);

    if let Ok(d) = Dinode::new(&block, 7) {
        let _ = d.id2();
    }
    if let Ok(eb) = ExtentBlockView::parse(&block, 7) {
        let _ = eb.list.depth();
    }
    if let Ok(g) = GroupView::parse(&block, 7) {
        let _ = (g.used_bits(), g.longest_free_run(), g.discontig_list());
    }
    for e in dir::DirEntries::new(&block, 7) {
        if e.is_err() {
            break;
        }
    }
    let _ = dir::trailer(&block);
    if let Ok(sb) = jbd2::Superblock::parse(&block, 7, bs as u32) {
        let _ = (sb.tag_size(), sb.unsupported_incompat());
    }
    let _ = jbd2::descriptor_tags(&block, if sel & 4 != 0 { 12 } else { 8 });
    let _ = jbd2::revoke_records(&block, 7, if sel & 4 != 0 { 8 } else { 4 });
    let _ = heartbeat::SlotReading::decode(sel, &block[..512], 7);
    for fmt in [slot_map::SlotMapFormat::Normal, slot_map::SlotMapFormat::Extended] {
        let _ = slot_map::parse(&block, u16::from(sel), fmt, 7);
    }
    let mut copy = block.clone();
    let _ = blockcheck::verify(&mut copy, usize::from(sel) * 8 % bs);
});
