#!/usr/bin/env python3
"""Seed corpora for the fuzz targets, cut from the kernel-written fixtures.

blocks: every non-zero metadata block of A-default, B and C1 (one file each, first byte 3 = 4 KiB blocks).
volume: a few patch lists that touch the superblock, the system directory and the root.
o2image: small packed images of C1's first blocks.
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
# o2image: packed images of the first blocks of C1 (superblock zone, system directory, root), whole and cut short.
raw = subprocess.run(["zstd", "-q", "-d", "-c", os.path.join(fixtures, "C1.img.zst")], check=True, capture_output=True).stdout
blocks = len(raw) // 4096
for held in (range(0, 8), range(0, 32)):
    bitmap = bytearray(((blocks - 1) // 32768 + 1) * 4096)
    for b in held:
        bitmap[b >> 3] |= 1 << (b & 7)
    hdr = bytearray(4096)
    hdr[0:4] = (0x72A3D45F).to_bytes(4, "little")
    hdr[8:20] = b"OCFS2 IMAGE\0"
    for i, v in enumerate([1, blocks, 4096, len(held), 4096, 0]):
        hdr[24 + 8 * i:32 + 8 * i] = v.to_bytes(8, "little")
    img = bytes(hdr) + b"".join(raw[b * 4096:(b + 1) * 4096] for b in held) + bytes(bitmap)
    write("o2image", img)
    write("o2image", img[:-100])

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

# locks: lock names and saved lock-state lines (formats of the kernel's debug files).
for seed in (
    b"M0000000000000000000005980f5f66",
    b"N000000000000000500002a18",
    b"S000000000000000000000200000000",
    b"0x3\tM000000000000000000000b980f5f66\t3\t0x41\t0x0\t0x0\t1\t0\t3\t-1\t" + b"0x0\t" * 64 + b"12\t0\t0\t0\t40\t0\t9\t0\t1\t\n",
    b"NAME:M0000000000000000000005980f5f66\nLRES:1,2,8,123,1,0,1,2,1,3,4\nRMAP:0 1\nLVBX:0\nLOCK:1,0,3,-1,0,0:11,0,0,0,0,0,0,0,0,2\n",
):
    write("locks", seed)
