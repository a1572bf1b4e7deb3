//! Metadata ECC (`META_ECC`): the CRC32 and Hamming code guarding metadata blocks.
//!
//! With the `metaecc` feature every metadata block carries an 8-byte
//! [`BlockCheck`] at a structure-specific offset. It holds:
//!
//! * `crc32e`: the little-endian CRC32 (reflected polynomial 0xEDB88320), started
//!   at `!0` and, unlike zlib's CRC32, *not* inverted at the end;
//! * `ecc`: a Hamming code over every data bit, able to locate one flipped bit.
//!
//! Both are computed with the 8 check bytes zeroed. Data bit `i` (byte `i / 8`,
//! mask `1 << (i % 8)`) is given the code position `code_bit(i)`, the `(i + 1)`-th
//! positive integer that is not a power of two (3, 5, 6, 7, 9, ...); the Hamming
//! code is the XOR of the positions of all set bits. A single flipped data bit
//! changes it by exactly that bit's position, which therefore names the bit.
//!
//! Xattr buckets span several blocks with one check for all of them: the CRC is
//! chained block to block and the bit numbering continues across blocks; see
//! [`compute_multi`] and [`verify_multi`].
//!
//! Everything here is pure: it works on caller-owned buffers and does no I/O.

use std::fmt;

use zerocopy::little_endian::{U16, U32};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

use crate::error::{Error, InvalidKind, Result};

/// `struct ocfs2_block_check`: the on-disk check of one metadata block.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Debug, Clone, Copy, PartialEq, Eq, Default)]
#[repr(C)]
pub struct BlockCheck {
    /// `bc_crc32e`: CRC32 (little-endian, seed `!0`, no final inversion).
    pub crc32e: U32,
    /// `bc_ecc`: Hamming code of the data bits, truncated to 16 bits.
    pub ecc: U16,
    /// `bc_reserved1`: unused; zeroed for the computation like the rest.
    pub reserved1: U16,
}

const _: () = assert!(std::mem::size_of::<BlockCheck>() == BlockCheck::SIZE);

impl BlockCheck {
    /// On-disk size in bytes.
    pub const SIZE: usize = 8;

    /// Reads the check stored at `offset` of `block`, or `None` if it does not fit.
    pub fn read(block: &[u8], offset: usize) -> Option<Self> {
        let field = block.get(offset..offset.checked_add(Self::SIZE)?)?;
        Self::read_from_bytes(field).ok()
    }
}

/// Whether a block verified as is, or only after repairing one bit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckOutcome {
    /// The CRC matched.
    Clean,
    /// One data bit was wrong; it has been flipped back in the caller's buffer.
    Corrected {
        /// Index of the repaired bit: byte `bit / 8`, mask `1 << (bit % 8)`, counted
        /// from the start of the (first) block.
        bit: u64,
    },
}

/// A block whose CRC does not match and that one bit flip cannot repair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckFailure {
    /// The check as stored in the block (all zero if the field lies outside it).
    pub stored: BlockCheck,
    /// CRC of the block as it is (check field zeroed).
    pub computed_crc: u32,
    /// Hamming code of the block as it is (check field zeroed), truncated to 16 bits.
    pub computed_ecc: u16,
}

impl fmt::Display for CheckFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "metadata checksum mismatch: stored crc32e {:#010x} ecc {:#06x}, computed crc32e {:#010x} ecc {:#06x}",
            self.stored.crc32e.get(),
            self.stored.ecc.get(),
            self.computed_crc,
            self.computed_ecc
        )
    }
}

impl std::error::Error for CheckFailure {}

/// CRC32 of `data` as OCFS2 stores it: `crc32_le(!0, data)`, no final inversion.
pub fn crc32e(data: &[u8]) -> u32 {
    crc32e_chained(!0, data)
}

/// Continues a raw little-endian CRC32 from `seed` over `data`, with no inversion
/// on entry or exit; `crc32e_chained(crc32e(a), b) == crc32e(a ++ b)`.
pub fn crc32e_chained(seed: u32, data: &[u8]) -> u32 {
    // crc32fast keeps the finalised (inverted) value as its state and inverts around
    // each update, so a raw seed goes in inverted and the raw result comes out so.
    let mut hasher = crc32fast::Hasher::new_with_initial(!seed);
    hasher.update(data);
    !hasher.finalize()
}

/// Number of significant bits of `x` (0 for 0), i.e. how many powers of two are
/// `<= x`.
fn bit_len(x: u64) -> u64 {
    u64::from(u64::BITS - x.leading_zeros())
}

/// Hamming code position of data bit `i`: the `(i + 1)`-th positive integer that is
/// not a power of two.
///
/// The position `n` satisfies `n = i + 1 + (powers of two <= n)`. Starting from the
/// powers below `i + 1` undercounts by at most one, which the second step fixes.
fn code_bit(i: u64) -> u64 {
    let b = i.wrapping_add(1);
    let p = bit_len(b);
    let n = b.wrapping_add(p);
    if bit_len(n) > p {
        n.wrapping_add(1)
    } else {
        n
    }
}

/// The data bit whose code position is `syndrome`, if it is one (powers of two and
/// 0 are check-bit positions).
fn data_bit(syndrome: u64) -> Option<u64> {
    if syndrome == 0 || syndrome.is_power_of_two() {
        return None;
    }
    Some(syndrome - 1 - bit_len(syndrome))
}

/// Hamming code of all bits of `data` (16 bits suffice for blocks up to 4 KiB).
pub fn hamming(data: &[u8]) -> u16 {
    hamming_from(data, 0) as u16
}

/// Hamming code of `data` whose first bit is data bit `bit_offset` of a larger
/// unit. XOR-ing the results for consecutive pieces gives the code of the whole,
/// which is how multi-block buckets are covered.
pub fn hamming_from(data: &[u8], bit_offset: u64) -> u32 {
    let mut parity = 0u64;
    let words = data.chunks_exact(8);
    let tail = words.remainder();
    for (w, word) in words.enumerate() {
        let word = u64::from_le_bytes(word.try_into().unwrap_or([0; 8]));
        if word != 0 {
            parity ^= word_code(word, bit_offset.wrapping_add(w as u64 * 64));
        }
    }
    let base = bit_offset.wrapping_add((data.len() - tail.len()) as u64 * 8);
    for (k, &byte) in tail.iter().enumerate() {
        parity ^= bits_code(u64::from(byte), base.wrapping_add(k as u64 * 8));
    }
    parity as u32
}

/// XOR of the code positions of the set bits of `word`, whose bit 0 is data bit
/// `first`, one set bit at a time.
fn bits_code(mut word: u64, first: u64) -> u64 {
    let mut parity = 0;
    while word != 0 {
        parity ^= code_bit(first.wrapping_add(u64::from(word.trailing_zeros())));
        word &= word - 1;
    }
    parity
}

/// [`bits_code`] for a whole 64-bit word, in a dozen operations whatever its
/// bits. Unless a check-bit position (a power of two) falls among them, the
/// word's 64 code positions are consecutive, `c0 + j`: with `c0 = 64q + r`,
/// bit `j` sits at `64q + (r + j)` below the wrap and `64(q + 1) + (r + j - 64)`
/// from it on, so the XOR is the high parts by the parity of each side's count,
/// and the low six bits one by one: bit `b` of the low parts is the parity of
/// the set bits whose `(r + j) mod 64` has bit `b`, a rotated constant mask.
fn word_code(word: u64, first: u64) -> u64 {
    /// Bit `k` set in `LOW_BIT[b]` iff bit `b` of `k` is set.
    const LOW_BIT: [u64; 6] = [
        0xAAAA_AAAA_AAAA_AAAA,
        0xCCCC_CCCC_CCCC_CCCC,
        0xF0F0_F0F0_F0F0_F0F0,
        0xFF00_FF00_FF00_FF00,
        0xFFFF_0000_FFFF_0000,
        0xFFFF_FFFF_0000_0000,
    ];
    let c0 = code_bit(first);
    if code_bit(first.wrapping_add(63)).wrapping_sub(c0) != 63 {
        return bits_code(word, first); // a check bit falls inside: rare
    }
    let (q, r) = (c0 >> 6, (c0 & 63) as u32);
    let below_wrap = if r == 0 { u64::MAX } else { (1u64 << (64 - r)) - 1 };
    let odd = |m: u64| u64::from((word & m).count_ones() & 1);
    let mut x = (odd(below_wrap) * (q << 6)) ^ (odd(!below_wrap) * ((q + 1) << 6));
    for (b, &m) in LOW_BIT.iter().enumerate() {
        x ^= odd(m.rotate_right(r)) << b;
    }
    x
}

/// Range of the check field in the first block, if it fits.
fn field_range(blocks: &[&mut [u8]], check_offset: usize) -> Option<std::ops::Range<usize>> {
    let end = check_offset.checked_add(BlockCheck::SIZE)?;
    (end <= blocks.first()?.len()).then_some(check_offset..end)
}

/// CRC and full Hamming code of the blocks taken as one bit string.
fn checks_of(blocks: &[&mut [u8]]) -> (u32, u32) {
    (crc_of(blocks), ecc_of(blocks))
}

/// CRC of the blocks taken as one bit string.
fn crc_of(blocks: &[&mut [u8]]) -> u32 {
    blocks.iter().fold(!0, |crc, block| crc32e_chained(crc, block))
}

/// Full Hamming code of the blocks taken as one bit string.
fn ecc_of(blocks: &[&mut [u8]]) -> u32 {
    let mut ecc = 0;
    let mut bit = 0u64;
    for block in blocks {
        ecc ^= hamming_from(block, bit);
        bit += block.len() as u64 * 8;
    }
    ecc
}

/// Computes the check of one block, stores it at `check_offset` and returns it.
///
/// Fails with [`Error::Invalid`] if the 8-byte field does not fit in the block.
pub fn compute(block: &mut [u8], check_offset: usize) -> Result<BlockCheck> {
    compute_multi(&mut [block], check_offset)
}

/// Like [`compute`] for a unit of several blocks (an xattr bucket) whose check
/// field lies in the first block at `check_offset`.
pub fn compute_multi(blocks: &mut [&mut [u8]], check_offset: usize) -> Result<BlockCheck> {
    let range = field_range(blocks, check_offset).ok_or_else(|| {
        Error::invalid(
            InvalidKind::Argument,
            format!(
                "block check at offset {check_offset} does not fit in a {}-byte block",
                blocks.first().map_or(0, |b| b.len())
            ),
        )
    })?;
    let first = &mut blocks[0][range.clone()];
    first.fill(0);
    let (crc, ecc) = checks_of(blocks);
    let check = BlockCheck { crc32e: U32::new(crc), ecc: U16::new(ecc as u16), reserved1: U16::new(0) };
    blocks[0][range].copy_from_slice(check.as_bytes());
    Ok(check)
}

/// Verifies one block against the check stored at `check_offset`.
///
/// If the CRC does not match but the Hamming code names a single flipped data bit
/// whose repair makes the CRC match, the bit is repaired in `block` and the result
/// is [`CheckOutcome::Corrected`]. Otherwise `block` is left exactly as it was.
/// Errors in the check field itself (a wrong CRC with a consistent code) are not
/// repairable and are reported as failures. A field that does not fit in the block
/// is a failure with an all-zero `stored`.
pub fn verify(block: &mut [u8], check_offset: usize) -> Result<CheckOutcome, CheckFailure> {
    verify_multi(&mut [block], check_offset)
}

/// Like [`verify`] for a unit of several blocks (an xattr bucket) whose check field
/// lies in the first block; the corrected bit index counts across the blocks.
///
/// Only 16 bits of the Hamming code are stored, so in units larger than 8 KiB a
/// flipped bit far from the start may be located wrongly; the CRC re-check then
/// rejects the repair, which is undone.
pub fn verify_multi(blocks: &mut [&mut [u8]], check_offset: usize) -> Result<CheckOutcome, CheckFailure> {
    let Some(stored) = blocks.first().and_then(|b| BlockCheck::read(b, check_offset)) else {
        let (crc, ecc) = checks_of(blocks);
        return Err(CheckFailure { stored: BlockCheck::default(), computed_crc: crc, computed_ecc: ecc as u16 });
    };
    // `read` succeeded, so the field lies inside the first block.
    let range = check_offset..check_offset + BlockCheck::SIZE;
    blocks[0][range.clone()].fill(0);
    let outcome = check_and_repair(blocks, stored, &range);
    // Restoring the bytes as read keeps the block unchanged but for a repair.
    blocks[0][range].copy_from_slice(stored.as_bytes());
    outcome
}

/// The body of [`verify_multi`], run with the check field zeroed.
fn check_and_repair(
    blocks: &mut [&mut [u8]],
    stored: BlockCheck,
    field: &std::ops::Range<usize>,
) -> Result<CheckOutcome, CheckFailure> {
    // As the kernel does, the Hamming code is computed only when the CRC fails:
    // it costs several times the CRC, and nearly every block is clean.
    let crc = crc_of(blocks);
    let want = stored.crc32e.get();
    if crc == want {
        return Ok(CheckOutcome::Clean);
    }
    let ecc = ecc_of(blocks);
    let failure = CheckFailure { stored, computed_crc: crc, computed_ecc: ecc as u16 };
    let nbits: u64 = blocks.iter().map(|b| b.len() as u64 * 8).sum();
    let syndrome = u64::from(ecc as u16 ^ stored.ecc.get());
    let Some(bit) = data_bit(syndrome).filter(|&d| d < nbits) else {
        return Err(failure);
    };
    // The field's own bits are zero during computation and restored afterwards, so
    // "repairing" one of them would be lost; such a syndrome means a worse error.
    let in_field = bit / 8 >= field.start as u64 && bit / 8 < field.end as u64;
    if in_field || !flip(blocks, bit) {
        return Err(failure);
    }
    if crc_of(blocks) == want {
        return Ok(CheckOutcome::Corrected { bit });
    }
    flip(blocks, bit);
    Err(failure)
}

/// Flips data bit `bit` counted across `blocks`; false if it lies beyond them.
fn flip(blocks: &mut [&mut [u8]], mut bit: u64) -> bool {
    for block in blocks.iter_mut() {
        let len_bits = block.len() as u64 * 8;
        if bit < len_bits {
            if let Some(byte) = block.get_mut((bit / 8) as usize) {
                *byte ^= 1 << (bit % 8);
                return true;
            }
            return false;
        }
        bit -= len_bits;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The textbook definition: count up, skipping powers of two.
    fn code_bit_naive(i: u64) -> u64 {
        let mut b = i + 1;
        let mut p = 0;
        while (1u64 << p) < b + 1 {
            b += 1;
            p += 1;
        }
        b
    }

    /// Bitwise reflected CRC32 without inversions.
    fn crc32_le_naive(mut crc: u32, data: &[u8]) -> u32 {
        for &byte in data {
            crc ^= u32::from(byte);
            for _ in 0..8 {
                crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
            }
        }
        crc
    }

    fn hamming_naive(data: &[u8], offset: u64) -> u32 {
        let mut p = 0u64;
        for i in 0..data.len() as u64 * 8 {
            if data[(i / 8) as usize] & (1 << (i % 8)) != 0 {
                p ^= code_bit_naive(offset + i);
            }
        }
        p as u32
    }

    #[test]
    fn code_bits() {
        let first: Vec<u64> = (0..12).map(code_bit).collect();
        assert_eq!(first, [3, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15, 17]);
        let mut expected = 3u64;
        for i in 0..(1u64 << 21) {
            while expected.is_power_of_two() {
                expected += 1;
            }
            assert_eq!(code_bit(i), expected, "bit {i}");
            assert_eq!(data_bit(expected), Some(i));
            expected += 1;
        }
        for i in [0, 1, 2, 3, 4, 5, 100, 1000, 32767, 32768, 65535, 1 << 20] {
            assert_eq!(code_bit(i), code_bit_naive(i));
        }
        assert_eq!(data_bit(0), None);
        assert_eq!(data_bit(1), None);
        assert_eq!(data_bit(4096), None);
        // The last bit of a 4 KiB block still fits the 16-bit field.
        assert!(code_bit(4096 * 8 - 1) < 1 << 16);
        // No panic on absurd offsets.
        let _ = hamming_from(&[0xFF], u64::MAX - 3);
    }

    #[test]
    fn crc_matches_reference() {
        let data: Vec<u8> = (0..5000u32).map(|i| (i * 131 % 256) as u8).collect();
        assert_eq!(crc32e(&data), crc32_le_naive(!0, &data));
        assert_eq!(crc32e(&[]), !0);
        assert_eq!(crc32e(b"123456789"), !0xCBF4_3926);
        let (a, b) = data.split_at(1234);
        assert_eq!(crc32e_chained(crc32e(a), b), crc32e(&data));
        assert_eq!(crc32e_chained(0x1234_5678, b), crc32_le_naive(0x1234_5678, b));
    }

    #[test]
    fn hamming_matches_reference() {
        let data: Vec<u8> = (0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        assert_eq!(u32::from(hamming(&data)), hamming_naive(&data, 0));
        assert_eq!(hamming_from(&data[..700], 12345), hamming_naive(&data[..700], 12345));
        let (a, b) = data.split_at(1000);
        assert_eq!(hamming_from(a, 0) ^ hamming_from(b, 8000), hamming_from(&data, 0));
        assert_eq!(hamming(&[0b0000_0001]), 3);
        assert_eq!(hamming(&[0b0000_0011]), 3 ^ 5);
    }

    #[test]
    fn word_code_matches_bit_by_bit() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        // Every alignment, and offsets around powers of two where the fast path
        // must step aside.
        let mut firsts: Vec<u64> = (0..200).collect();
        for k in 1..20 {
            firsts.extend((1u64 << k).saturating_sub(70)..(1u64 << k) + 3);
        }
        for first in firsts {
            for _ in 0..8 {
                let word = next() & next();
                assert_eq!(word_code(word, first), bits_code(word, first), "word {word:#x} at {first}");
            }
        }
    }

    #[test]
    fn compute_and_verify_clean() {
        let mut block: Vec<u8> = (0..4096u32).map(|i| (i % 253) as u8).collect();
        let check = compute(&mut block, 128).unwrap();
        assert_eq!(BlockCheck::read(&block, 128), Some(check));
        assert_eq!(verify(&mut block, 128), Ok(CheckOutcome::Clean));
        // The field is excluded from its own computation.
        let mut zeroed = block.clone();
        zeroed[128..136].fill(0);
        assert_eq!(check.crc32e.get(), crc32e(&zeroed));
        assert_eq!(check.ecc.get(), hamming(&zeroed));
        // Bad offsets fail without panicking.
        assert!(compute(&mut block, 4090).is_err());
        assert!(compute(&mut block, usize::MAX).is_err());
        assert!(verify(&mut block, 4089).is_err());
        assert!(compute_multi(&mut [], 0).is_err());
        assert!(verify_multi(&mut [], 0).is_err());
    }

    #[test]
    fn check_field_errors() {
        let mut block = vec![0x5Au8; 1024];
        compute(&mut block, 48).unwrap();
        let orig = block.clone();
        // A wrong CRC cannot be repaired.
        block[49] ^= 0x10;
        let failure = verify(&mut block, 48).unwrap_err();
        // The failure carries the damaged check as stored and the intact data's own.
        let intact = BlockCheck::read(&orig, 48).unwrap();
        let expected = CheckFailure {
            stored: BlockCheck::read(&block, 48).unwrap(),
            computed_crc: intact.crc32e.get(),
            computed_ecc: intact.ecc.get(),
        };
        assert_eq!(failure, expected);
        assert_ne!(failure.stored.crc32e.get(), failure.computed_crc);
        block[49] ^= 0x10;
        // A wrong ECC or reserved field goes unnoticed: the CRC matches.
        block[52] ^= 1;
        block[55] ^= 0x80;
        assert_eq!(verify(&mut block, 48), Ok(CheckOutcome::Clean));
    }

    #[test]
    fn multi_block() {
        let mut a: Vec<u8> = (0..4096u32).map(|i| (i % 7) as u8).collect();
        let mut b: Vec<u8> = (0..4096u32).map(|i| (i % 11) as u8).collect();
        let check = compute_multi(&mut [&mut a, &mut b], 64).unwrap();
        let mut whole = [a.clone(), b.clone()].concat();
        whole[64..72].fill(0);
        assert_eq!(check.crc32e.get(), crc32e(&whole));
        assert_eq!(u32::from(check.ecc.get()), hamming_from(&whole, 0) & 0xFFFF);
        assert_eq!(verify_multi(&mut [&mut a, &mut b], 64), Ok(CheckOutcome::Clean));
        let (oa, ob) = (a.clone(), b.clone());
        // Within 16-bit code range: bits of the first 8 KiB - a bit of the second
        // block near its start is repaired.
        b[10] ^= 4;
        assert_eq!(verify_multi(&mut [&mut a, &mut b], 64), Ok(CheckOutcome::Corrected { bit: 4096 * 8 + 82 }));
        assert_eq!((&a, &b), (&oa, &ob));
    }

    proptest! {
        #[test]
        fn single_flip_is_corrected(
            size in prop::sample::select(vec![512usize, 1024, 2048, 4096]),
            seed in any::<u64>(),
            check_offset in 0usize..200,
            flip_at in any::<prop::sample::Index>(),
        ) {
            let mut state = seed | 1;
            let mut block: Vec<u8> = (0..size).map(|_| {
                state ^= state << 13; state ^= state >> 7; state ^= state << 17;
                state as u8
            }).collect();
            compute(&mut block, check_offset).unwrap();
            let orig = block.clone();
            // Any bit outside the 64 check bits.
            let mut bit = flip_at.index(size * 8 - 64) as u64;
            if bit >= check_offset as u64 * 8 {
                bit += 64;
            }
            block[(bit / 8) as usize] ^= 1 << (bit % 8);
            prop_assert_eq!(verify(&mut block, check_offset), Ok(CheckOutcome::Corrected { bit }));
            prop_assert_eq!(&block, &orig);
        }

        #[test]
        fn double_flip_fails_unchanged(
            seed in any::<u64>(),
            a in 0u64..4096 * 8 - 64,
            b in 0u64..4096 * 8 - 64,
        ) {
            prop_assume!(a != b);
            let mut state = seed | 1;
            let mut block: Vec<u8> = (0..4096).map(|_| {
                state ^= state << 13; state ^= state >> 7; state ^= state << 17;
                state as u8
            }).collect();
            compute(&mut block, 0).unwrap();
            for bit in [a + 64, b + 64] {
                block[(bit / 8) as usize] ^= 1 << (bit % 8);
            }
            let damaged = block.clone();
            prop_assert!(verify(&mut block, 0).is_err());
            prop_assert_eq!(&block, &damaged);
        }
    }

    mod mkfs {
        //! Checks against volumes formatted by the real `mkfs.ocfs2`.

        use super::*;
        use std::path::Path;
        use std::process::Command;

        /// Formats a 64 MiB sparse image with every feature, metaecc included.
        fn format(tool: &Path, dir: &Path, blocksize: usize) -> Vec<u8> {
            let path = dir.join(format!("ecc-{blocksize}.img"));
            std::fs::File::create(&path).unwrap().set_len(64 << 20).unwrap();
            // 512-byte blocks need an explicit journal: the default is under the
            // 1024-block minimum. -M local skips the cluster stack.
            let out = Command::new(tool)
                .args(["-q", "-F", "-b", &blocksize.to_string(), "-C", "4096", "-N", "2"])
                .args(["-J", "size=4M", "-M", "local"])
                .args(["--fs-feature-level=max-features", "--fs-features=metaecc"])
                .arg(&path)
                .output()
                .unwrap();
            assert!(out.status.success(), "mkfs.ocfs2 failed: {}", String::from_utf8_lossy(&out.stderr));
            std::fs::read(&path).unwrap()
        }

        #[test]
        fn real_volumes_verify() {
            let tool = crate::test_util::require_tool("mkfs.ocfs2");
            let dir = tempfile::tempdir().unwrap();
            for blocksize in [512usize, 1024, 4096] {
                let img = format(&tool, dir.path(), blocksize);
                let mut blocks: Vec<Vec<u8>> = img.chunks(blocksize).map(<[u8]>::to_vec).collect();

                let sb = &mut blocks[2];
                assert_eq!(&sb[..8], b"OCFSV2\0\0");
                // s_feature_incompat (superblock at i_id2 = 0xC0, +0x20) has META_ECC.
                let incompat = u32::from_le_bytes(sb[0xE0..0xE4].try_into().unwrap());
                assert_ne!(incompat & 0x800, 0, "META_ECC not set ({incompat:#x})");
                assert_eq!(verify(sb, 128), Ok(CheckOutcome::Clean), "superblock, bs {blocksize}");

                let (mut inodes, mut groups) = (0, 0);
                for (blkno, block) in blocks.iter_mut().enumerate() {
                    let offset = match &block[..8] {
                        b"INODE01\0" => 128,
                        b"GROUP01\0" => 48,
                        _ => continue,
                    };
                    let stored = BlockCheck::read(block, offset).unwrap();
                    assert_ne!(stored, BlockCheck::default());
                    assert_eq!(verify(block, offset), Ok(CheckOutcome::Clean), "block {blkno}, bs {blocksize}");
                    // Recomputing reproduces mkfs's bytes exactly.
                    let before = block.clone();
                    assert_eq!(compute(block, offset).unwrap(), stored);
                    assert_eq!(*block, before);
                    if offset == 128 {
                        inodes += 1
                    } else {
                        groups += 1
                    }
                }
                assert!(inodes >= 10 && groups >= 2, "bs {blocksize}: {inodes} inodes, {groups} groups");
            }
        }

        #[test]
        fn every_single_flip_of_a_real_inode_is_repaired() {
            let tool = crate::test_util::require_tool("mkfs.ocfs2");
            let dir = tempfile::tempdir().unwrap();
            let img = format(&tool, dir.path(), 4096);
            // The root directory's inode is a well-filled block: pick the inode with
            // the most set bits for a thorough test.
            let orig = img
                .chunks(4096)
                .filter(|b| b.starts_with(b"INODE01\0"))
                .max_by_key(|b| b.iter().map(|x| x.count_ones()).sum::<u32>())
                .unwrap()
                .to_vec();
            let mut block = orig.clone();
            assert_eq!(verify(&mut block, 128), Ok(CheckOutcome::Clean));
            for bit in 0..4096u64 * 8 {
                let byte = (bit / 8) as usize;
                block[byte] ^= 1 << (bit % 8);
                let got = verify(&mut block, 128);
                match byte {
                    128..=131 => {
                        assert!(got.is_err(), "crc bit {bit}");
                        block[byte] ^= 1 << (bit % 8);
                    }
                    132..=135 => {
                        assert_eq!(got, Ok(CheckOutcome::Clean), "ecc bit {bit}");
                        block[byte] ^= 1 << (bit % 8);
                    }
                    _ => assert_eq!(got, Ok(CheckOutcome::Corrected { bit }), "bit {bit}"),
                }
                assert!(block == orig, "bit {bit} left the block changed");
            }
            for (a, b) in [(0u64, 1u64), (7, 4000), (1100, 1101), (2000, 32767), (31000, 9)] {
                let mut damaged = orig.clone();
                for bit in [a, b] {
                    damaged[(bit / 8) as usize] ^= 1 << (bit % 8);
                }
                let copy = damaged.clone();
                let failure = verify(&mut damaged, 128).unwrap_err();
                assert_eq!(failure.stored, BlockCheck::read(&orig, 128).unwrap());
                assert_eq!(damaged, copy);
            }
        }
    }
}
