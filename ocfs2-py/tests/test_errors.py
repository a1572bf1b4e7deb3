"""Errors: the typed hierarchy, OSError with errno, and damaged images (the corruption sweep's kinds of
blocks, damaged at their header fields) that raise only those and never crash the interpreter."""

from __future__ import annotations

import errno
import io
import random
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

import pytest

import ocfs2
from conftest import FIXTURES

SIGNATURES = {
    b"INODE01\0": "inode",
    b"EXBLK01\0": "extent block",
    b"GROUP01\0": "group",
    b"DXDIR01\0": "dx root",
    b"DXLEAF1\0": "dx leaf",
    b"XATTR01\0": "xattr block",
    b"REFCNT1\0": "refcount block",
}
# Where each kind's header fields start (ocfs2_fs.h, as ocfs2-format's layout types place them): the
# dinode's fields and the extent list in its id2, the other blocks' headers.
INODE_FIELDS = [0, 8, 12, 14, 16, 18, 20, 24, 32, 40, 42, 44, 72, 80, 88, 96, 116, 118, 120, 136, 144, 152,
                192, 194, 196, 208, 212, 215, 216, 256]
HEADER_FIELDS = [0, 8, 10, 12, 16, 24, 32, 36, 40, 44, 48, 56, 64, 66, 68, 72, 80, 84, 88, 96]
DIR_TRAILER = 64  # the DIRTRL1 trailer closes a directory block


def mutate(block: bytearray, off: int, variant: int) -> None:
    """The sweep's damages: huge, zero and off-by-one values."""
    v = variant % 5
    if v == 0:
        block[off] ^= 0xFF
    elif v == 1:
        block[off] = 0
    elif v == 2:
        block[off] ^= 0x01
    elif v == 3:
        block[off] = 0x80
    else:
        block[off : off + 4] = b"\xff" * len(block[off : off + 4])


class Overlay:
    """A read-only file object: `base` with one block replaced (no copy of the image per case)."""

    def __init__(self, base: bytes, at: int, patch: bytes) -> None:
        self.base, self.at, self.patch, self.pos = base, at, patch, 0

    def seek(self, off: int, whence: int = 0) -> int:
        self.pos = off if whence == 0 else len(self.base) + off if whence == 2 else self.pos + off
        return self.pos

    def read(self, n: int) -> bytes:
        start, end = self.pos, min(self.pos + n, len(self.base))
        data = self.base[start:end]
        if start < self.at + len(self.patch) and end > self.at:
            b = bytearray(data)
            lo, hi = max(start, self.at), min(end, self.at + len(self.patch))
            b[lo - start : hi - start] = self.patch[lo - self.at : hi - self.at]
            data = bytes(b)
        self.pos = end
        return data


def exercise(vol: ocfs2.Volume) -> None:
    """What a user does: walk everything, stat, read the ends of every file, xattrs, extents, check."""
    for top, dirs, files in vol.walk("/", onerror=lambda e: None):
        # bigdir's 5000 empty files all look alike: a few stand for them (its blocks are listed whole).
        for n in dirs + files[:20]:
            assert isinstance(top, str) and isinstance(n, str)
            p = top.rstrip("/") + "/" + n
            calls: List[Callable[[], object]] = [
                lambda: vol.lstat(p),
                lambda: vol.xattrs(p, follow_symlinks=False),
                lambda: vol.readlink(p) if vol.lstat(p).st_mode & 0o170000 == 0o120000 else None,
                lambda: read_ends(vol, p),
            ]
            for call in calls:
                try:
                    call()
                except (ocfs2.Error, OSError):
                    pass
    whole: List[Callable[[], object]] = [vol.check, vol.deleted_inodes, vol.journals, vol.slot_map]
    for call in whole:
        try:
            call()
        except (ocfs2.Error, OSError):
            pass


def read_ends(vol: ocfs2.Volume, p: str) -> None:
    if vol.lstat(p).st_mode & 0o170000 != 0o100000:
        return
    vol.extent_map(p)
    with vol.open(p, buffering=0) as f:
        f.read(65536)
        f.seek(-4096, io.SEEK_END)
        f.read()


def sample_blocks(img: bytes, bs: int, per_kind: int, seed: int) -> List[Tuple[str, int]]:
    by_kind: Dict[str, List[int]] = {}
    for blk in range(len(img) // bs):
        sig = img[blk * bs : blk * bs + 8]
        kind = SIGNATURES.get(sig)
        trailer = (blk + 1) * bs - DIR_TRAILER + 16  # db_signature
        if kind is None and img[trailer : trailer + 8] == b"DIRTRL1\0":
            kind = "dir block"
        if kind:
            by_kind.setdefault(kind, []).append(blk)
    rng = random.Random(seed)
    out = []
    for kind, blocks in sorted(by_kind.items()):
        out += [(kind, b) for b in sorted(rng.sample(blocks, min(per_kind, len(blocks))))]
    return out


@pytest.mark.parametrize("name,per_kind", [("A-default", 3), ("X-max", 2)])
def test_damaged_blocks_raise_typed_errors(name: str, per_kind: int, raw_image: Any) -> None:
    img = Path(raw_image(name)).read_bytes()
    bs = ocfs2.open(io.BytesIO(img)).block_size
    blocks = sample_blocks(img, bs, per_kind, seed=18)
    kinds = {k for k, _ in blocks}
    assert {"inode", "group", "dir block", "dx root", "dx leaf"} <= kinds, kinds
    named_block = 0
    cases = 0
    for kind, blk in blocks:
        fields = INODE_FIELDS if kind == "inode" else (
            [0, 4, 6, 7, 12, 16, 18] + [bs - DIR_TRAILER + o for o in (0, 8, 10, 14, 16, 32, 40, 48, 56)]
            if kind == "dir block" else HEADER_FIELDS)
        for i, off in enumerate(fields):
            block = bytearray(img[blk * bs : (blk + 1) * bs])
            mutate(block, off, i + blk)
            cases += 1
            caught: Optional[BaseException] = None
            try:
                with ocfs2.open(Overlay(img, blk * bs, bytes(block))) as vol:  # type: ignore[arg-type]
                    exercise(vol)
                    try:
                        vol.stat(blk)
                        vol.open(blk, buffering=0).read(4096)
                    except (ocfs2.Error, OSError) as e:
                        caught = e
            except (ocfs2.Error, OSError) as e:
                caught = e
            except BaseException as e:  # a panic surfaces as pyo3's PanicException (a BaseException)
                pytest.fail(f"{name} {kind} block {blk} offset {off}: {type(e).__name__}: {e}")
            if isinstance(caught, ocfs2.CorruptError) and caught.block == blk:
                named_block += 1
    assert cases > 100
    # The damage is found and reported where it is, not only survived.
    assert named_block > cases // 10, (named_block, cases)


def test_corrupt_error_carries_the_place(raw_image: Any) -> None:
    img = Path(raw_image("A-default")).read_bytes()
    with ocfs2.open(io.BytesIO(img)) as vol:
        root = vol.root_inode
        bs = vol.block_size
    block = bytearray(img[root * bs : (root + 1) * bs])
    block[0:8] = b"XNODE01\0"
    with ocfs2.open(Overlay(img, root * bs, bytes(block))) as vol:  # type: ignore[arg-type]
        with pytest.raises(ocfs2.CorruptError) as e:
            vol.listdir("/")
    err = e.value
    assert isinstance(err, ocfs2.Error)
    assert (err.block, err.structure, err.field) == (root, "ocfs2_dinode", "signature")
    assert "INODE01" in err.expected and "XNODE01" in err.actual


def test_an_entry_needs_no_lookup(raw_image: Any) -> None:
    """With bigdir's index root damaged, looking a name up in it fails, naming the block; listing its
    blocks does not, and an entry so listed opens by the inode it holds, without a lookup."""
    img = Path(raw_image("A-default")).read_bytes()
    with ocfs2.open(io.BytesIO(img)) as vol:
        bigdir, bs = vol.lookup("/bigdir"), vol.block_size
    # The index root names its directory (`dr_dir_blkno`, offset 48) and itself (`dr_blkno`, 24).
    (root,) = [
        b
        for b in range(len(img) // bs)
        if img[b * bs : b * bs + 8] == b"DXDIR01\0"
        and int.from_bytes(img[b * bs + 48 : b * bs + 56], "little") == bigdir
        and int.from_bytes(img[b * bs + 24 : b * bs + 32], "little") == b
    ]
    block = bytearray(img[root * bs : (root + 1) * bs])
    block[0:8] = b"XXDIR01\0"
    with ocfs2.open(Overlay(img, root * bs, bytes(block))) as vol:  # type: ignore[arg-type]
        entries = list(vol.scandir("/bigdir"))
        assert len(entries) == 5000
        entry = entries[-1]
        with pytest.raises(ocfs2.CorruptError) as e:
            vol.open(entry.path)
        assert e.value.block == root
        with vol.open(entry) as f:
            assert f.read() == b""
        assert vol.stat(entry).st_ino == entry.inode() and vol.lstat(entry).st_size == 0


def test_error_hierarchy_and_errno(tmp_path: Path) -> None:
    with pytest.raises(ocfs2.NotOcfs2Error):
        ocfs2.open(io.BytesIO(bytes(1 << 20)))
    assert issubclass(ocfs2.NotOcfs2Error, ocfs2.Error) and issubclass(ocfs2.UnsupportedError, ocfs2.Error)
    with pytest.raises(FileNotFoundError) as nf:
        ocfs2.open(tmp_path / "missing.img")
    assert nf.value.errno == errno.ENOENT and nf.value.filename == str(tmp_path / "missing.img")
    with pytest.raises(TypeError):
        ocfs2.open(3.5)  # type: ignore[arg-type]
    with ocfs2.open(FIXTURES / "A-default.img.zst") as vol:
        for call, exc, code in (
            (lambda: vol.stat("/no/such"), FileNotFoundError, errno.ENOENT),
            (lambda: vol.listdir("/small/hello.txt"), NotADirectoryError, errno.ENOTDIR),
            (lambda: vol.stat("/small/hello.txt/x"), NotADirectoryError, errno.ENOTDIR),
            (lambda: vol.open("/d1"), IsADirectoryError, errno.EISDIR),
            (lambda: vol.readlink("/small/hello.txt"), OSError, errno.EINVAL),
            (lambda: vol.stat(vol.blocks + 5), FileNotFoundError, errno.ENOENT),
        ):
            with pytest.raises(exc) as e:
                call()
            assert e.value.errno == code
        assert vol.exists("/small") and not vol.exists("/small/nope") and not vol.exists("/small/hello.txt/x")
        assert not vol.exists("/links/sym-long")  # a dangling symlink, as os.path.exists
        assert vol.exists(vol.root_inode) and not vol.exists(vol.blocks + 5)
        assert vol.lstat("/links/sym-long").st_size == 3996
    assert vol.closed
    with pytest.raises(ValueError):
        vol.listdir("/")


def test_a_truncated_image_is_corrupt(raw_image: Any) -> None:
    img = Path(raw_image("A-default")).read_bytes()
    with ocfs2.open(io.BytesIO(img[: 32 << 20])) as vol:
        with pytest.raises(ocfs2.CorruptError):
            vol.read_bytes("/data/pat20m")


def test_a_file_objects_own_exception_comes_back(raw_image: Any) -> None:
    """Whatever the Python file object raises while the volume reads it is raised again as it was
    (KeyboardInterrupt included); a read that returns no bytes is a TypeError; never a crash."""
    img = Path(raw_image("A-default")).read_bytes()

    class Flaky(io.BytesIO):
        fail: Optional[BaseException] = None
        wrong = False

        def read(self, n: Optional[int] = -1) -> Any:
            if self.fail is not None:
                raise self.fail
            if self.wrong:
                return "not bytes"
            return super().read(n)

    src = Flaky(img)
    with ocfs2.open(src) as vol:
        for exc in (ValueError("boom"), PermissionError(errno.EACCES, "denied"), KeyboardInterrupt()):
            src.fail = exc
            with pytest.raises(type(exc)) as e:
                vol.read_bytes("/data/pat1m")
            assert e.value is exc
        src.fail, src.wrong = None, True
        with pytest.raises(TypeError):
            vol.stat("/small/pat5000")
        src.wrong = False
        assert len(vol.read_bytes("/data/pat20m")) == 20 << 20
