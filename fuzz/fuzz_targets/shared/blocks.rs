//! The body of the `blocks` fuzz target, shared with the test that replays
//! `fuzz/regressions/blocks/` (ocfs2-format/tests/fuzz_regressions.rs).

use ocfs2_format::layout::{
    blockcheck, dinode::Dinode, dir, dx, extent::ExtentBlockView, group::GroupView, heartbeat, jbd2, quota, refcount,
    slot_map, xattr,
};

/// Runs one input: the first byte picks the block size, the rest is the block.
pub fn run(data: &[u8]) {
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
    let _ = jbd2::descriptor_tags(&block, jbd2::TagLayout::plain(sel & 4 != 0));
    let _ = jbd2::revoke_records(&block, 7, if sel & 4 != 0 { 8 } else { 4 });
    let _ = heartbeat::SlotReading::decode(sel.into(), &block[..512], 7);
    for fmt in [slot_map::SlotMapFormat::Normal, slot_map::SlotMapFormat::Extended] {
        let _ = slot_map::parse(&block, u16::from(sel), fmt, 7);
    }
    if let Ok(r) = dx::DxRootView::parse(&block, 7) {
        std::hint::black_box((r.is_inline(), &r.body));
    }
    if let Ok(l) = dx::DxLeafView::parse(&block, 7) {
        std::hint::black_box(l.entries.entries.len());
    }
    if let Ok(x) = xattr::XattrBlockView::parse(&block, 7) {
        if let xattr::XattrBlockBody::Header(h) = x.body {
            for i in 0..h.entries.len() {
                let _ = h.item(i);
            }
        }
    }
    // A bucket: the whole block is one header region.
    if let Ok(h) = xattr::XattrHeaderView::parse(&block, 7, "ocfs2_xattr_bucket") {
        for i in 0..h.entries.len() {
            if let Ok(item) = h.item(i) {
                if let xattr::XattrValue::Local(v) = item.value {
                    let _ = xattr::decode_acl(v);
                }
            }
        }
    }
    let _ = xattr::decode_acl(&block[..n]);
    let _ = ocfs2_format::files::acl_to_linux(&block[..n]);
    if let Ok(r) = refcount::RefcountBlockView::parse(&block, 7) {
        std::hint::black_box(&r.body);
    }
    let _ = quota::bitmap_bit(&block, usize::from(sel) * 131);
    let mut copy = block.clone();
    let _ = blockcheck::verify(&mut copy, usize::from(sel) * 8 % bs);
}
