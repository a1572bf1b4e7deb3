//! Block group descriptors (`ocfs2_group_desc`): one per allocator group, with the
//! group's bitmap and, for discontiguous groups, an extent list of its pieces.

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

use super::blockcheck::BlockCheck;
use super::extent::ExtentListView;
use core::mem::offset_of;

use super::{assert_size, Le16, Le32, Le64};
use super::{MetaAt, MetaKind};
use crate::error::{Error, Result, Value};

/// Signature of a group descriptor.
pub const GROUP_SIGNATURE: &[u8; 8] = b"GROUP01\0";
/// Byte offset of the bitmap.
pub const BITMAP_OFFSET: usize = 64;
/// Byte offset of `bg_list` in a discontiguous group.
pub const DISCONTIG_LIST_OFFSET: usize = 320;
/// Largest bitmap of a discontiguous (suballocator) group.
pub const DISCONTIG_MAX_BITMAP: usize = 256;

/// `ocfs2_group_desc` header (64 bytes); the bitmap follows.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
#[allow(missing_docs)] // Field names are the on-disk names; see the format reference.
pub struct GroupDesc {
    pub bg_signature: [u8; 8],
    pub bg_size: Le16,
    pub bg_bits: Le16,
    pub bg_free_bits_count: Le16,
    pub bg_chain: Le16,
    pub bg_generation: Le32,
    /// Largest free run, or 0 for "unknown" (older writers leave it 0).
    pub bg_contig_free_bits: Le16,
    pub bg_reserved1: Le16,
    pub bg_next_group: Le64,
    pub bg_parent_dinode: Le64,
    pub bg_blkno: Le64,
    pub bg_check: BlockCheck,
    pub bg_reserved2: Le64,
}

impl GroupDesc {
    /// What `Volume::read_meta` checks in this block.
    pub const META: MetaKind = MetaKind {
        structure: "ocfs2_group_desc",
        signature: GROUP_SIGNATURE,
        sig_at: MetaAt::Head(offset_of!(GroupDesc, bg_signature)),
        check_at: MetaAt::Head(offset_of!(GroupDesc, bg_check)),
        blkno_at: MetaAt::Head(offset_of!(GroupDesc, bg_blkno)),
        generation_at: Some(MetaAt::Head(offset_of!(GroupDesc, bg_generation))),
    };
}
assert_size!(GroupDesc, 64);

/// Bitmap bytes a group descriptor can hold at block size `bs` (cluster allocator).
pub const fn bitmap_capacity(bs: usize) -> usize {
    bs - BITMAP_OFFSET
}

/// A group descriptor with its bitmap, bounds-checked against the block.
#[derive(Debug, Clone, Copy)]
pub struct GroupView<'a> {
    /// The header.
    pub desc: &'a GroupDesc,
    /// `bg_size` bytes of bitmap, LSB first.
    pub bitmap: &'a [u8],
    block: &'a [u8],
    blkno: u64,
}

impl<'a> GroupView<'a> {
    /// Parses a group descriptor block read from `blkno`, bounding `bg_size`
    /// and `bg_bits` by the block. A `bg_free_bits_count` past `bg_bits` bounds
    /// nothing read: the group still reads (as debugfs.ocfs2 shows it), and
    /// the checker names the count (GROUP_FREE_BITS) as fsck.ocfs2 does.
    pub fn parse(block: &'a [u8], blkno: u64) -> Result<Self> {
        let s = "ocfs2_group_desc";
        let (desc, _) = GroupDesc::ref_from_prefix(block)
            .map_err(|_| Error::corrupt(blkno, s, "bg_size", "a 64-byte header", block.len()))?;
        let cap = block.len() - BITMAP_OFFSET;
        let size = usize::from(desc.bg_size.get());
        if size > cap {
            return Err(Error::corrupt(blkno, s, "bg_size", Value::AtMost(cap as u64), size));
        }
        let bits = usize::from(desc.bg_bits.get());
        if bits > size * 8 {
            return Err(Error::corrupt(blkno, s, "bg_bits", format!("<= bg_size*8 = {}", size * 8), bits));
        }
        Ok(GroupView { desc, bitmap: &block[BITMAP_OFFSET..BITMAP_OFFSET + size], block, blkno })
    }

    /// Whether bit `n` is set (in use). Bits past `bg_bits` read as unset.
    pub fn bit(&self, n: usize) -> bool {
        n < usize::from(self.desc.bg_bits.get()) && bit_is_set(self.bitmap, n)
    }

    /// Set bits among the first `bg_bits`.
    pub fn used_bits(&self) -> u32 {
        count_set(self.bitmap, usize::from(self.desc.bg_bits.get()))
    }

    /// The longest run of clear bits among the first `bg_bits`.
    pub fn longest_free_run(&self) -> u32 {
        // A word at a time: `stat -t` and the free-space reports do this for every
        // group of a volume (8,322 groups of 32,256 bits at 1 TiB).
        let bits = usize::from(self.desc.bg_bits.get());
        let (mut best, mut run) = (0u32, 0u32);
        // Bit i of a little-endian word is bit first+i of the map: trailing zeros
        // extend the current run, leading zeros start the next one.
        let mut step = |word: u64| {
            if word == 0 {
                run += 64;
            } else {
                best = best.max(run + word.trailing_zeros()).max(longest_zero_run(word));
                run = word.leading_zeros();
            }
        };
        let full = bits / 64 * 8; // bytes of whole words
        for w in self.bitmap[..full].chunks_exact(8) {
            step(u64::from_le_bytes(w.try_into().unwrap_or([0xff; 8])));
        }
        if bits % 64 != 0 {
            // The last, partial word: bits past bg_bits end a run.
            let tail = &self.bitmap[full..bits.div_ceil(8)];
            let mut last = [0u8; 8];
            last[..tail.len()].copy_from_slice(tail);
            step(u64::from_le_bytes(last) | (u64::MAX << (bits % 64)));
        }
        best.max(run)
    }

    /// The extent list of a discontiguous group (`bg_list`). As in the kernel's and
    /// ocfs2-tools' `ocfs2_gd_is_discontig`, a group is discontiguous only when its
    /// bitmap ends exactly where `bg_list` begins (`bg_size` is 256) and the list
    /// has records; contiguous suballocator groups of DISCONTIG_BG volumes carry an
    /// empty list.
    pub fn discontig_list(&self) -> Result<Option<ExtentListView<'a>>> {
        if self.bitmap.len() != DISCONTIG_MAX_BITMAP || self.block.len() < DISCONTIG_LIST_OFFSET + 16 {
            return Ok(None);
        }
        let v = ExtentListView::parse(self.block, DISCONTIG_LIST_OFFSET, self.blkno, "ocfs2_group_desc.bg_list")?;
        Ok((v.list.l_next_free_rec.get() != 0).then_some(v))
    }
}

/// Set bits among the first `bits` of an LSB-first bitmap (`bits` at most
/// `map.len() * 8`). Shared by the readers of group descriptors and by mkfs,
/// which builds them.
pub fn count_set(map: &[u8], bits: usize) -> u32 {
    let full = bits / 8;
    // Eight bytes at a time: one popcnt per word instead of per byte.
    let words = map[..full].chunks_exact(8);
    let rest: u32 = words.remainder().iter().map(|b| b.count_ones()).sum();
    let mut n = rest + words.map(|w| u64::from_le_bytes(w.try_into().unwrap_or([0; 8])).count_ones()).sum::<u32>();
    if bits % 8 != 0 {
        n += (map[full] & ((1u8 << (bits % 8)) - 1)).count_ones();
    }
    n
}

/// Whether bit `n` of an LSB-first bitmap is set.
pub fn bit_is_set(map: &[u8], n: usize) -> bool {
    map[n / 8] & (1 << (n % 8)) != 0
}

/// Sets bits `a..b` of an LSB-first bitmap, whole bytes at a time where it can.
pub fn set_range(map: &mut [u8], a: usize, b: usize) {
    let mut i = a;
    while i < b && i % 8 != 0 {
        map[i / 8] |= 1 << (i % 8);
        i += 1;
    }
    let whole = (b.saturating_sub(i)) / 8;
    map[i / 8..i / 8 + whole].fill(0xff);
    i += whole * 8;
    while i < b {
        map[i / 8] |= 1 << (i % 8);
        i += 1;
    }
}

/// The maximal runs of set bits (clear bits, for `set` false) among the first
/// `bits` of an LSB-first bitmap (`bits` at most `map.len() * 8`), as
/// `start..end` bit ranges in order; a word at a time.
pub fn bit_runs(map: &[u8], bits: usize, set: bool) -> impl Iterator<Item = (u32, u32)> + '_ {
    bit_runs_from(map, bits, 0, set)
}

/// [`bit_runs`] from bit `from` on (a run it starts inside begins at `from`).
pub fn bit_runs_from(map: &[u8], bits: usize, from: usize, set: bool) -> impl Iterator<Item = (u32, u32)> + '_ {
    let mut i = next_bit(map, bits, from, set);
    std::iter::from_fn(move || {
        if i >= bits {
            return None;
        }
        let end = next_bit(map, bits, i, !set);
        let run = (i as u32, end as u32);
        i = next_bit(map, bits, end, set);
        Some(run)
    })
}

/// The runs of set bits (see [`bit_runs`]), or `None` when there are more than
/// `max_runs`. `check` keeps this summary of each global-bitmap group from its
/// chain walk, so that comparing the bitmap with the clusters' owners needs no
/// second read.
pub fn set_runs(map: &[u8], bits: usize, max_runs: usize) -> Option<Vec<(u32, u32)>> {
    let mut runs = Vec::new();
    for run in bit_runs(map, bits, true) {
        if runs.len() == max_runs {
            return None;
        }
        runs.push(run);
    }
    Some(runs)
}

/// The first bit at or after `from` that is set (or clear, for `set` false),
/// or `bits` when there is none; a word at a time.
fn next_bit(map: &[u8], bits: usize, from: usize, set: bool) -> usize {
    if from >= bits {
        return bits;
    }
    let flip = if set { 0 } else { u64::MAX };
    let mut w = from / 64;
    let mut word = (word_at(map, w) ^ flip) & (u64::MAX << (from % 64));
    while word == 0 {
        w += 1;
        if w * 64 >= bits {
            return bits;
        }
        word = word_at(map, w) ^ flip;
    }
    (w * 64 + word.trailing_zeros() as usize).min(bits)
}

/// Word `w` of a bitmap, little-endian, zero past its end.
fn word_at(map: &[u8], w: usize) -> u64 {
    let s = w * 8;
    if let Some(b) = map.get(s..s + 8) {
        return u64::from_le_bytes(b.try_into().unwrap_or([0; 8]));
    }
    let mut b = [0u8; 8];
    let tail = map.get(s..).unwrap_or(&[]);
    b[..tail.len()].copy_from_slice(tail);
    u64::from_le_bytes(b)
}

/// The longest run of clear bits inside one word.
fn longest_zero_run(word: u64) -> u32 {
    // Each step shortens every run of ones of `!word` by one.
    let (mut ones, mut n) = (!word, 0);
    while ones != 0 {
        ones &= ones >> 1;
        n += 1;
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::offset_of;

    #[test]
    fn offsets_match_reference_table() {
        assert_eq!(offset_of!(GroupDesc, bg_size), 8);
        assert_eq!(offset_of!(GroupDesc, bg_bits), 10);
        assert_eq!(offset_of!(GroupDesc, bg_free_bits_count), 12);
        assert_eq!(offset_of!(GroupDesc, bg_chain), 14);
        assert_eq!(offset_of!(GroupDesc, bg_generation), 16);
        assert_eq!(offset_of!(GroupDesc, bg_contig_free_bits), 20);
        assert_eq!(offset_of!(GroupDesc, bg_next_group), 24);
        assert_eq!(offset_of!(GroupDesc, bg_parent_dinode), 32);
        assert_eq!(offset_of!(GroupDesc, bg_blkno), 40);
        assert_eq!(offset_of!(GroupDesc, bg_check), 48);
        assert_eq!(offset_of!(GroupDesc, bg_reserved2), 56);
    }

    #[test]
    fn capacities_match_reference_table() {
        for (bs, cap) in [(512, 448), (1024, 960), (2048, 1984), (4096, 4032)] {
            assert_eq!(bitmap_capacity(bs), cap);
        }
    }

    #[test]
    fn bitmap_scans_match_a_bit_by_bit_count() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for case in 0..2000 {
            let size = 1 + (next() % 40) as usize;
            let bits = (next() as usize) % (size * 8 + 1);
            let mut block = vec![0u8; BITMAP_OFFSET + size];
            block[8..10].copy_from_slice(&(size as u16).to_le_bytes());
            block[10..12].copy_from_slice(&(bits as u16).to_le_bytes());
            // Sparse, dense and mixed maps, so long runs cross word boundaries.
            let density = case % 4;
            for b in &mut block[BITMAP_OFFSET..] {
                *b = match density {
                    0 => 0,
                    1 => 0xff,
                    2 => (next() & next() & next()) as u8,
                    _ => next() as u8,
                };
            }
            let g = GroupView::parse(&block, 0).unwrap();
            let (mut want, mut run) = (0u32, 0u32);
            for i in 0..bits {
                run = if g.bit(i) { 0 } else { run + 1 };
                want = want.max(run);
            }
            assert_eq!(g.longest_free_run(), want, "size {size} bits {bits} map {:02x?}", g.bitmap);
            let mut runs: Vec<(u32, u32)> = Vec::new();
            for i in (0..bits).filter(|&i| g.bit(i)) {
                match runs.last_mut() {
                    Some(r) if r.1 == i as u32 => r.1 += 1,
                    _ => runs.push((i as u32, i as u32 + 1)),
                }
            }
            assert_eq!(set_runs(g.bitmap, bits, usize::MAX).as_ref(), Some(&runs), "bits {bits} map {:02x?}", g.bitmap);
            if let Some(cap) = runs.len().checked_sub(1) {
                assert_eq!(set_runs(g.bitmap, bits, cap), None);
            }
            assert_eq!(set_runs(g.bitmap, bits, runs.len()), Some(runs));
            let mut free: Vec<(u32, u32)> = Vec::new();
            for i in (0..bits).filter(|&i| !g.bit(i)) {
                match free.last_mut() {
                    Some(r) if r.1 == i as u32 => r.1 += 1,
                    _ => free.push((i as u32, i as u32 + 1)),
                }
            }
            assert_eq!(bit_runs(g.bitmap, bits, false).collect::<Vec<_>>(), free, "bits {bits} map {:02x?}", g.bitmap);
            // From a bit on: the runs past it, the one it falls in cut to start there.
            let from = (next() as usize) % (bits + 1);
            let cut: Vec<(u32, u32)> =
                free.iter().filter(|r| r.1 as usize > from).map(|&(s, e)| (s.max(from as u32), e)).collect();
            assert_eq!(bit_runs_from(g.bitmap, bits, from, false).collect::<Vec<_>>(), cut, "from {from}");
            assert!((0..bits).all(|i| bit_is_set(g.bitmap, i) == g.bit(i)));
        }
    }

    #[test]
    fn set_range_sets_exactly_the_range() {
        for a in 0..40usize {
            for b in a..48usize {
                let mut map = [0u8; 6];
                set_range(&mut map, a, b);
                for i in 0..48usize {
                    let set = map[i / 8] & (1 << (i % 8)) != 0;
                    assert_eq!(set, (a..b).contains(&i), "range {a}..{b}, bit {i}");
                }
                assert_eq!(count_set(&map, 48), (b - a) as u32);
            }
        }
    }
}
