#!/usr/bin/env python3
"""Seed corpora for the fuzz targets, cut from the kernel-written fixtures.

blocks: every non-zero metadata block of A-default, B and C1 (one file each, first byte 3 = 4 KiB blocks).
volume: a few patch lists that touch the superblock, the system directory and the root.
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
# partition: (disk size in KiB u16, disk bytes): MBR with logical partitions and GPT, made by sfdisk and sgdisk.
import tempfile
with tempfile.TemporaryDirectory() as tmp:
    disk = os.path.join(tmp, "disk.img")
    for script in ("label: dos\nstart=4, size=8, type=83\nstart=16, size=48, type=5\nstart=18, size=8, type=83\nstart=40, size=8, type=8e\n",
                   "label: gpt\nstart=40, size=8, type=L, name=one\nstart=48, size=8, type=S\n"):
        with open(disk, "wb") as f:
            f.truncate(4 << 20)
        subprocess.run(["sfdisk", "-q", disk], input=script.encode(), check=True)
        with open(disk, "rb") as f:
            raw = f.read()
        # The tables and the first extended boot records (the rest is zeros).
        write("partition", (4096).to_bytes(2, "little") + raw[:64 * 512].rstrip(b"\0"))

# ewf: (length of segment 1 u16, segment 1, segment 2): ewfacquire output of a small pattern, zlib and raw.
with tempfile.TemporaryDirectory() as tmp:
    src = os.path.join(tmp, "media")
    with open(src, "wb") as f:
        f.write(bytes(i * 7 % 251 for i in range(40 << 10)))
    for comp in ("deflate:fast", "none"):
        target = os.path.join(tmp, comp.split(":")[0])
        subprocess.run(["ewfacquire", "-u", "-q", "-c", comp, "-S", "1MiB", "-t", target, src], check=True, capture_output=True)
        with open(target + ".E01", "rb") as f:
            seg = f.read()
        if len(seg) < 65536:
            write("ewf", len(seg).to_bytes(2, "little") + seg)
print("seeds written under", os.path.join(here, "corpus"), file=sys.stderr)
