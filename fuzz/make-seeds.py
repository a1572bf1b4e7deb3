#!/usr/bin/env python3
"""Seed corpora for the fuzz targets, cut from the kernel-written fixtures.

blocks: every non-zero metadata block of A-default, B and C1 (one file each, first byte 3 = 4 KiB blocks).
volume: a few patch lists that touch the superblock, the system directory and the root.
replay: the journal region of every dirty fixture (B, C1, R-4k, R-1k): selector, volume size, the JBD2
superblock pointed at log block 1, then up to 64 log blocks from its s_start (the journals are contiguous).
"""
import hashlib, os, subprocess, sys

here = os.path.dirname(os.path.abspath(__file__))
fixtures = os.path.join(here, "..", "fixtures")
SIGS = [b"INODE01\0", b"EXBLK01\0", b"GROUP01\0", b"DXDIR01\0", b"DXLEAF1\0", b"XATTR01\0", b"REFCNT1\0", b"OCFSV2\0\0"]


def write(corpus, data):
    d = os.path.join(here, "corpus", corpus)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)


for name in ("A-default", "B", "C1"):
    raw = subprocess.run(["zstd", "-q", "-d", "-c", os.path.join(fixtures, name + ".img.zst")], check=True, capture_output=True).stdout
    kinds = {}
    for off in range(0, len(raw), 4096):
        blk = raw[off:off + 4096]
        sig = blk[:8]
        jbd2 = blk[:4] == b"\xc0\x3b\x39\x98"
        trailer = blk[4096 - 48:4096 - 40] == b"DIRTRL1\0"
        key = sig if sig in SIGS else (b"jbd2" + blk[4:8] if jbd2 else (b"dir" if trailer else None))
        if key is None:
            continue
        # Keep a handful of each kind per fixture: the corpus stays small.
        if kinds.get(key, 0) >= 8:
            continue
        kinds[key] = kinds.get(key, 0) + 1
        write("blocks", b"\x03" + blk)

# volume: (block u16, offset u16, len u8, bytes)
for blk, off, data in [(2, 192 + 32, b"\xff\xff"), (6, 0, b"XNODE01"), (5, 232, b"\x00\x00\x10\x00"), (273 % 2048, 0, b"\x01" * 32)]:
    write("volume", blk.to_bytes(2, "little") + off.to_bytes(2, "little") + bytes([len(data)]) + data)
# replay: (block-size selector, volume size in 64-block units u16, superblock, log blocks)
for name in ("B", "C1", "R-4k", "R-1k"):
    raw = subprocess.run(["zstd", "-q", "-d", "-c", os.path.join(fixtures, name + ".img.zst")], check=True, capture_output=True).stdout
    bs = 4096 if raw[2 * 4096:2 * 4096 + 6] == b"OCFSV2" else 1024
    with open(os.path.join(here, "corpus", "seed.img"), "wb") as f:
        f.write(raw)
    out = subprocess.run(["debugfs.ocfs2", "-R", "bmap //journal:0000 0", os.path.join(here, "corpus", "seed.img")], capture_output=True, text=True).stdout
    os.unlink(os.path.join(here, "corpus", "seed.img"))
    j = int(out.split()[-1]) * bs
    sb = bytearray(raw[j:j + bs])
    start = int.from_bytes(sb[0x1c:0x20], "big")
    sb[0x1c:0x20] = (1).to_bytes(4, "big")
    sel = {1024: 0, 2048: 1, 4096: 2}[bs] | 0x80
    units = (len(raw) // bs) // 64
    log = raw[j + start * bs:j + (start + 64) * bs]
    write("replay", bytes([sel]) + units.to_bytes(2, "little") + bytes(sb) + log)
print("seeds written under", os.path.join(here, "corpus"), file=sys.stderr)
