//! Damaged volumes give typed errors that name the block and field, and never a
//! panic. Every image is damaged in a copy in memory. (The CLI's side, errors on
//! stderr and exit codes: ocfs2-inspect/tests/corruption_cli.rs.)

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

mod common;

use common::damaged::{a_default, blkno_of, ecc_image, open};
use ocfs2_format::io::{BlockSource, MemSource};
use ocfs2_format::layout::dinode::Id2;
use ocfs2_format::{fs, CorruptionKind, Error, SystemFile, Value, Volume};

fn corruption(e: &Error) -> &ocfs2_format::Corruption {
    e.corruption().unwrap_or_else(|| panic!("expected a Corrupt error, got {e:?}"))
}

#[test]
fn wrong_signature_names_the_inode() {
    let ino = blkno_of("/small");
    let mut src = a_default();
    src.write_at(ino * 4096, b"INODE99\0").unwrap();
    let vol = open(src).unwrap();
    let e = fs::lookup(&vol, "/small/hello.txt").unwrap_err();
    let c = corruption(&e);
    assert_eq!((c.blkno, c.structure, c.field), (ino, "ocfs2_dinode", "signature"));
    assert_eq!(c.actual, Value::Bytes(b"INODE99\0".to_vec()), "{c}");
    assert_eq!(c.kind, CorruptionKind::Signature, "{c}");
}

#[test]
fn wrong_generation_names_the_inode() {
    let ino = blkno_of("/small/hello.txt");
    let mut src = a_default();
    src.write_at(ino * 4096 + 96, &0x1234_5678u32.to_le_bytes()).unwrap();
    let vol = open(src).unwrap();
    let e = vol.inode(ino).unwrap_err();
    let c = corruption(&e);
    assert_eq!((c.blkno, c.field), (ino, "fs_generation"));
    assert_eq!(c.actual, Value::Hex(0x1234_5678));
    assert_eq!(c.expected, Value::Hex(vol.fs_generation().into()));
    assert_eq!(c.kind, CorruptionKind::Value, "a wrong generation is not a wrong signature");
}

#[test]
fn inode_copied_to_the_wrong_block_is_caught() {
    let from = blkno_of("/small/hello.txt");
    let to = blkno_of("/small/one-byte");
    let mut src = a_default();
    let mut block = vec![0u8; 4096];
    src.read_at(from * 4096, &mut block).unwrap();
    src.write_at(to * 4096, &block).unwrap();
    let vol = open(src).unwrap();
    let c = corruption(&vol.inode(to).unwrap_err()).clone();
    assert_eq!((c.blkno, c.field, c.actual), (to, "blkno", Value::Int(from)));
}

#[test]
fn chain_cycle_is_detected() {
    let vol = open(a_default()).unwrap();
    let gb = vol.inode(vol.system_file(SystemFile::GLOBAL_BITMAP).unwrap()).unwrap();
    let Id2::Chain(cl) = gb.dinode().id2().unwrap() else { panic!("global_bitmap is a chain allocator") };
    let group = cl.recs[0].c_blkno.get();
    drop(gb);
    drop(vol);
    let mut src = a_default();
    src.write_at(group * 4096 + 24, &group.to_le_bytes()).unwrap(); // bg_next_group -> itself
    let vol = open(src).unwrap();
    let gb = vol.inode(vol.system_file(SystemFile::GLOBAL_BITMAP).unwrap()).unwrap();
    let e = ocfs2_format::alloc::chain_groups(&vol, &gb, 0).unwrap_err();
    let c = corruption(&e);
    assert_eq!((c.blkno, c.field), (group, "bg_next_group"));
}

#[test]
fn truncated_image_names_the_missing_block() {
    let full = a_default();
    // Keep the first 100 MiB: every inode, but not pat20m's data, which starts at block
    // 32529 (debugfs.ocfs2 -R "stat /data/pat20m").
    const CUT: u64 = 100 << 20;
    let mut short = MemSource::new(CUT);
    let mut buf = vec![0u8; CUT as usize];
    full.read_at(0, &mut buf).unwrap();
    short.write_at(0, &buf).unwrap();
    let vol = open(short).unwrap();
    let ino = vol.inode(fs::lookup(&vol, "/data/pat20m").unwrap()).unwrap();
    let mut r = fs::FileReader::new(&vol, &ino).unwrap();
    let mut sink = Vec::new();
    let e = std::io::Read::read_to_end(&mut r, &mut sink).unwrap_err();
    let inner = e.into_inner().expect("an inner error");
    let inner = inner.downcast::<Error>().unwrap_or_else(|e| panic!("not an ocfs2 error: {e:?}"));
    assert!(matches!(*inner, Error::Truncated { blkno: 32529, size } if size == CUT), "{inner:?}");
}

#[test]
fn missing_image_is_an_open_error_naming_the_path() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("no-such.img");
    let e = Volume::open(&path).unwrap_err();
    assert!(matches!(&e, Error::Open { path: p, .. } if *p == path), "{e:?}");
}

#[test]
fn single_bit_errors_are_corrected_and_reported() {
    for bs in [512u32, 4096] {
        let mut src = ecc_image(bs);
        let vol = open(ecc_image(bs)).unwrap();
        assert!(vol.has_meta_ecc());
        let root = vol.root_blkno();
        let want = fs::read_dir(&vol, &vol.inode(root).unwrap()).unwrap();
        // Flip bit 3 of i_size's first byte (byte 32 of the root inode).
        let off = root * u64::from(bs) + 32;
        let mut b = [0u8];
        src.read_at(off, &mut b).unwrap();
        src.write_at(off, &[b[0] ^ 0x08]).unwrap();
        let vol = open(src).unwrap();
        let got = fs::read_dir(&vol, &vol.inode(root).unwrap()).unwrap();
        assert_eq!(got, want, "bs {bs}: the corrected inode reads as the original");
        let fixes = vol.ecc_corrections();
        assert_eq!(fixes.len(), 1, "bs {bs}: {fixes:?}");
        assert_eq!((fixes[0].blkno, fixes[0].bit), (root, 32 * 8 + 3));
    }
}

#[test]
fn double_bit_errors_are_corrupt_with_block_and_field() {
    let mut src = ecc_image(1024);
    let vol = open(ecc_image(1024)).unwrap();
    let sysdir = vol.system_dir_blkno();
    let off = sysdir * 1024 + 40;
    let mut b = [0u8; 2];
    src.read_at(off, &mut b).unwrap();
    src.write_at(off, &[b[0] ^ 0x01, b[1] ^ 0x80]).unwrap();
    let vol = open(src).unwrap();
    let c = corruption(&vol.inode(sysdir).unwrap_err()).clone();
    assert_eq!((c.blkno, c.structure, c.field), (sysdir, "ocfs2_dinode", "bc_crc32e"));
    // The system files cannot be found either, and the error says why.
    let e = vol.system_file(SystemFile::GLOBAL_BITMAP).unwrap_err();
    assert_eq!(corruption(&e).blkno, sysdir);
}

#[test]
fn superblock_ecc_is_checked_too() {
    let mut src = ecc_image(4096);
    // Two flipped bits in the label.
    let off = 2 * 4096 + 192 + 80;
    src.write_at(off, b"\x01\x01").unwrap();
    let e = open(src).unwrap_err();
    let c = corruption(&e);
    assert_eq!((c.blkno, c.field), (2, "bc_crc32e"));
}

#[test]
fn unknown_incompat_feature_is_unsupported() {
    let mut src = a_default();
    let off = 2 * 4096 + 192 + 32; // s_feature_incompat
    let mut b = [0u8; 4];
    src.read_at(off, &mut b).unwrap();
    let v = u32::from_le_bytes(b) | 0x0001_0000;
    src.write_at(off, &v.to_le_bytes()).unwrap();
    let e = open(src).unwrap_err();
    assert!(matches!(e, Error::Unsupported { what: "incompat feature", bit: 0x10000 }), "{e:?}");
}

/// The library says how much of a truncated image is missing.
#[test]
fn truncated_image_says_how_much_is_missing() {
    let full = a_default();
    let total = full.size();
    assert_eq!(open(a_default()).unwrap().missing_bytes(), None);
    const CUT: u64 = 100 << 20;
    let mut buf = vec![0u8; CUT as usize];
    full.read_at(0, &mut buf).unwrap();
    let mut short = MemSource::new(CUT);
    short.write_at(0, &buf).unwrap();
    assert_eq!(open(short).unwrap().missing_bytes(), Some(total - CUT));
}
