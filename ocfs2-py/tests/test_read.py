"""Contents: every fixture's files byte-exact against fixtures/README.md, through paths, inodes, file
objects and threads; the image is never written."""

from __future__ import annotations

import hashlib
import io
import shutil
import threading
from pathlib import Path
from typing import Any, Dict, List, Union

import pytest

import ocfs2
from conftest import EXPECT, FIXTURES


class Sha:
    """A write-only sink that hashes (shutil.copyfileobj's destination)."""

    def __init__(self) -> None:
        self.h = hashlib.sha256()
        self.n = 0

    def write(self, b: Union[bytes, bytearray, memoryview]) -> int:
        self.h.update(b)
        self.n += len(b)
        return len(b)


def sha_of(f: Any) -> tuple[str, int]:
    sink = Sha()
    shutil.copyfileobj(f, sink)
    return sink.h.hexdigest(), sink.n


def regular_files(vol: ocfs2.Volume) -> List[str]:
    """Every regular file outside lost+found/ and bigdir/, as the README's lists hold them."""
    out = []
    for top, dirs, files in vol.walk("/"):
        assert isinstance(top, str)
        if top == "/":
            dirs[:] = [d for d in dirs if d not in ("lost+found", "bigdir")]
        for name in files:
            assert isinstance(name, str)
            p = top.rstrip("/") + "/" + name
            if vol.lstat(p).st_mode & 0o170000 == 0o100000:
                out.append(p[1:])
    return sorted(out)


@pytest.mark.parametrize("name", sorted(EXPECT))
def test_every_file_byte_exact(name: str) -> None:
    exp = EXPECT[name]
    with ocfs2.open(FIXTURES / f"{name}.img.zst") as vol:
        for sha, size, path in exp.files:
            with vol.open("/" + path) as f:
                assert sha_of(f) == (sha, size), path
            assert vol.stat("/" + path).st_size == size
        if name in ("A-default", "B"):
            # The lists are complete for these trees.
            assert regular_files(vol) == sorted(p for _, _, p in exp.files)
        for sha, length, path in exp.symlinks:
            target = vol.readlink("/" + path)
            assert isinstance(target, str)
            raw = target.encode()
            assert (hashlib.sha256(raw).hexdigest(), len(raw)) == (sha, length), path
            assert vol.readlink(("/" + path).encode()) == raw
        for a, b in exp.hardlinks:
            assert vol.stat("/" + a).st_ino == vol.stat("/" + b).st_ino
            assert vol.stat("/" + a).st_nlink == 2
        for count, sha, path in exp.dirs:
            names = vol.listdir("/" + path)
            assert len(names) == count
            listing = "".join(f"{n}\n" for n in sorted(str(n) for n in names))
            assert hashlib.sha256(listing.encode()).hexdigest() == sha
        for slot, sha, size in exp.orphans:
            orphan_dir = f"//orphan_dir:{slot:04}"
            (entry,) = list(vol.scandir(orphan_dir))
            # By inode number too: an orphan has no other name.
            with vol.open(entry.inode()) as f:
                assert sha_of(f) == (sha, size)


def test_raw_io_semantics() -> None:
    """`open` gives an io.RawIOBase under a BufferedReader; seek/tell/readinto/read behave like a file;
    holes and unwritten extents read as zeros."""
    with ocfs2.open(FIXTURES / "A-default.img.zst") as vol:
        raw = vol.open("/sparse/holey", buffering=0)
        assert isinstance(raw, io.RawIOBase) and isinstance(raw, ocfs2.File)
        assert raw.readable() and raw.seekable() and not raw.writable()
        assert raw.size == 16 << 20
        # Pattern 30's block 0 at 0, a hole, pattern 31's block 0 at 8 MiB (fixtures/README.md).
        assert raw.read(30) == b"kfix seed=0030 blk=0000000000\n"
        assert raw.seek(4096) == 4096 and raw.read(8) == b"\0" * 8 and raw.tell() == 4104
        raw.seek(8 << 20)
        buf = bytearray(30)
        assert raw.readinto(buf) == 30 and bytes(buf) == b"kfix seed=0031 blk=0000000000\n"
        assert raw.seek(-10, io.SEEK_END) == (16 << 20) - 10
        assert raw.read() == b"\0" * 10 and raw.read(5) == b""
        raw.close()
        with pytest.raises(ValueError):
            raw.read(1)
        buffered = vol.open("/data/prealloc")
        assert isinstance(buffered, io.BufferedReader)
        assert buffered.read(1 << 20) == b"\0" * (1 << 20)
        with pytest.raises(IsADirectoryError):
            vol.open("/small")
        with pytest.raises(ValueError):
            vol.open("/small/hello.txt", "wb")


def test_bytesio_of_a_decompressed_fixture(raw_image: Any) -> None:
    data = Path(raw_image("B")).read_bytes()
    exp = EXPECT["B"]
    with ocfs2.open(io.BytesIO(data)) as vol:
        assert vol.label == "kfix-dirty"
        for sha, size, path in exp.files:
            assert hashlib.sha256(vol.read_bytes("/" + path)).hexdigest() == sha, path
    # An object with only seek() and readinto() (no read) works too, and at an offset.

    class ReadInto:
        def __init__(self, b: bytes) -> None:
            self.f = io.BytesIO(b)

        def seek(self, off: int, whence: int = 0) -> int:
            return self.f.seek(off, whence)

        def readinto(self, b: bytearray) -> int:
            return self.f.readinto(b)

    class DfvfsLike:
        """dfVFS's FileIO shape: get_size(), a seek() that returns nothing, read()."""

        def __init__(self, b: bytes) -> None:
            self.f = io.BytesIO(b)

        def get_size(self) -> int:
            return len(self.f.getbuffer())

        def seek(self, off: int, whence: int = 0) -> None:
            self.f.seek(off, whence)

        def read(self, n: int) -> bytes:
            return self.f.read(n)

    with ocfs2.open(DfvfsLike(data)) as vol:  # type: ignore[arg-type]
        assert hashlib.sha256(vol.read_bytes("/data/pat1m")).hexdigest() == dict(
            (p, sha) for sha, _, p in exp.files
        )["data/pat1m"]

    padded = b"\xa5" * 65536 + data[: 64 << 20]  # the volume's first 64 MiB hold this file's blocks
    with ocfs2.open(ReadInto(padded), offset=65536) as vol:  # type: ignore[arg-type]
        assert vol.read_bytes("/small/hello.txt") == b"hello ocfs2 from the linux kernel\n"


def test_eight_threads_one_volume(raw_image: Any) -> None:
    """Eight threads reading different files through one shared Volume (from a path, then from a
    BytesIO whose seek+read pairs the source must keep together) each get the right bytes."""
    by_size = sorted(EXPECT["A-default"].files, key=lambda r: -r[1])[:8]
    want: Dict[str, str] = {p: sha for sha, _, p in by_size}
    paths = sorted(want)
    assert len(paths) == 8
    raw = Path(raw_image("A-default"))
    for source in (raw, io.BytesIO(raw.read_bytes())):
        with ocfs2.open(source) as vol:
            got: Dict[str, str] = {}
            errors: List[BaseException] = []

            def work(p: str) -> None:
                try:
                    for _ in range(2):
                        with vol.open("/" + p) as f:
                            got[p] = sha_of(f)[0]
                except BaseException as e:  # noqa: BLE001 - reported below
                    errors.append(e)

            threads = [threading.Thread(target=work, args=(p,)) for p in paths]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert not errors
            assert got == {p: want[p] for p in paths}


def test_the_image_is_never_written(raw_image: Any) -> None:
    """Everything the package can do, on a raw image; its sha256 stays the README's."""
    path = Path(raw_image("A-default"))
    size, sha = EXPECT["A-default"].raw
    with ocfs2.open(path) as vol:
        for top, _dirs, files in vol.walk("/"):
            assert isinstance(top, str)
            for n in files:
                p = top.rstrip("/") + "/" + str(n)
                vol.stat(p, follow_symlinks=False)
                vol.xattrs(p, follow_symlinks=False)
                if vol.lstat(p).st_mode & 0o170000 == 0o100000:
                    with vol.open(p) as f:
                        sha_of(f)
                    vol.extent_map(p)
        vol.check()
        vol.deleted_inodes()
        vol.journals()
        vol.slot_map()
    assert path.stat().st_size == size
    assert hashlib.sha256(path.read_bytes()).hexdigest() == sha


def test_reads_release_the_gil() -> None:
    """While one native call reads 20 MiB, a pure-Python thread keeps running: it could not if the call
    held the GIL (a thread blocked on the GIL waits until the call returns)."""
    with ocfs2.open(FIXTURES / "A-default.img.zst") as vol:
        f = vol.open_raw("/data/pat20m")
        counter = [0]
        stop = threading.Event()

        def spin() -> None:
            while not stop.is_set():
                counter[0] += 1

        t = threading.Thread(target=spin)
        t.start()
        try:
            advanced = []
            for _ in range(3):
                before = counter[0]
                data = f._handle.read_at(0, 20 << 20)  # one native call
                advanced.append(counter[0] - before)
                assert len(data) == 20 << 20
        finally:
            stop.set()
            t.join()
        assert max(advanced) > 1000, advanced
