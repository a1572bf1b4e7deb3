"""The os-shaped surface: walk (top-down pruning, bottom-up, symlinks), scandir entries, bytes paths,
inode numbers, the context manager."""

from __future__ import annotations

import hashlib
import os

import pytest

import ocfs2
from conftest import FIXTURES


def test_walk_like_os_walk() -> None:
    with ocfs2.open(FIXTURES / "A-default.img.zst") as vol:
        top_down = list(vol.walk("/d1"))
        assert top_down == [
            ("/d1", ["d2", "d2b"], []),
            ("/d1/d2", ["d3"], []),
            ("/d1/d2/d3", [], ["deep.txt"]),
            ("/d1/d2b", [], ["sib.txt"]),
        ]
        assert list(vol.walk("/d1", topdown=False)) == [top_down[2], top_down[1], top_down[3], top_down[0]]
        pruned = []
        for top, dirs, _files in vol.walk("/d1"):
            pruned.append(top)
            dirs[:] = [d for d in dirs if d != "d2"]
        assert pruned == ["/d1", "/d1/d2b"]
        assert [t for t, _, _ in vol.walk(b"/d1")][0] == b"/d1"
        errors: list[Exception] = []
        assert list(vol.walk("/missing", onerror=errors.append)) == []
        assert isinstance(errors[0], FileNotFoundError)
        # Symlinks are files here (sym-hello points at a file, sym-long nowhere).
        (links,) = list(vol.walk("/links"))
        assert links == ("/links", [], ["sym-hello", "sym-long", "hard-pat1m"])


def test_scandir_entries() -> None:
    with ocfs2.open(FIXTURES / "A-default.img.zst") as vol:
        by_name = {str(e.name): e for e in vol.scandir("/links")}
        hello, long, hard = by_name["sym-hello"], by_name["sym-long"], by_name["hard-pat1m"]
        assert hello.is_symlink() and hello.is_file() and not hello.is_file(follow_symlinks=False)
        assert hello.stat().st_size == 34 and hello.stat(follow_symlinks=False).st_size == 18
        assert hello.stat(follow_symlinks=False).st_ino == hello.inode() == vol.lookup("/links/sym-hello")
        assert long.is_symlink() and not long.is_file() and not long.is_dir()  # dangling
        assert hard.is_file() and hard.inode() == vol.stat("/data/pat1m").st_ino
        assert os.fspath(hard) == hard.path == "/links/hard-pat1m"  # type: ignore[type-var]
        (b,) = [e for e in vol.scandir(b"/small") if e.name == b"hello.txt"]
        assert b.path == b"/small/hello.txt"
        root = list(vol.scandir())
        assert {str(e.name) for e in root} == set(map(str, vol.listdir()))
        assert all(e.is_dir() for e in root if e.name in ("d1", "small", "bigdir"))
        assert "global_bitmap" in vol.listdir("//")
        assert vol.stat("//global_bitmap").st_ino == vol.lookup("//global_bitmap")
        assert vol.listdir(vol.root_inode) == vol.listdir("/")
        assert vol.stat("/d1/d2/../d2b/./sib.txt").st_size == 8
        assert vol.readlink(vol.lookup("/links/sym-hello")) == "../small/hello.txt"


def test_an_entry_stands_for_its_path() -> None:
    """A `DirEntry` given where a path goes names what its path names: the inode its record holds, a
    symlink followed as the path's would be; an entry of another volume counts as its path."""
    image = FIXTURES / "A-default.img.zst"
    with ocfs2.open(image) as vol, ocfs2.open(image) as other:
        by_name = {str(e.name): e for e in vol.scandir("/links")}
        hello, long, hard = by_name["sym-hello"], by_name["sym-long"], by_name["hard-pat1m"]
        assert vol.read_bytes(hello) == vol.read_bytes("/small/hello.txt")
        assert (vol.stat(hello).st_size, vol.lstat(hello).st_size) == (34, 18)
        assert vol.stat(hello).st_ino == vol.lookup("/small/hello.txt")
        assert vol.lookup(hello) == vol.lstat(hello).st_ino == hello.inode()
        assert vol.readlink(hello) == "../small/hello.txt"
        assert not vol.exists(long) and vol.lstat(long).st_size == 3996
        with pytest.raises(FileNotFoundError):
            vol.open(long)
        with vol.open(hard) as f:
            assert f.read() == vol.read_bytes("/data/pat1m")
        raw = vol.open_raw(hard)
        assert raw.name == "/links/hard-pat1m" and raw.inode == vol.lookup("/data/pat1m")
        runs = [(x.kind, x.logical, x.physical, x.length) for x in vol.extent_map(hard)]
        assert runs and runs == [(x.kind, x.logical, x.physical, x.length) for x in vol.extent_map("/data/pat1m")]
        assert other.read_bytes(hard) == vol.read_bytes(hard) and other.stat(hello).st_size == 34
        (d1,) = [e for e in vol.scandir() if e.name == "d1"]
        assert vol.listdir(d1) == vol.listdir("/d1") and vol.stat(d1).st_ino == d1.inode()
        assert [(e.name, e.path, e.inode()) for e in vol.scandir(d1)] == [
            (e.name, e.path, e.inode()) for e in vol.scandir("/d1")
        ]
        (bd1,) = [e for e in vol.scandir(b"/") if e.name == b"d1"]
        assert [e.path for e in vol.scandir(bd1)] == [b"/d1/d2", b"/d1/d2b"] and vol.listdir(bd1) == [b"d2", b"d2b"]
        with pytest.raises(IsADirectoryError):
            vol.open(d1)
        with pytest.raises(TypeError):
            vol.scandir(vol.root_inode)  # type: ignore[arg-type]


def test_context_manager_and_close() -> None:
    vol = ocfs2.open(os.fspath(FIXTURES / "C1.img.zst"))
    f = vol.open("/node0/hello.txt", buffering=0)
    with vol as same:
        assert same is vol and not vol.closed
        assert repr(vol) == '<ocfs2.Volume "kfix-c1">'
    assert vol.closed
    # An open file keeps reading after its volume is closed, as a dup'd descriptor would.
    assert f.read().startswith(b"hello")


def test_replay_shows_what_the_kernels_recovery_shows() -> None:
    """R-4k was reset with its last transactions only in the journal: the home blocks hold the old tree,
    `replay=True` the one the kernel's own recovery listed (fixtures/R-4k.kernel-listing.txt)."""
    listing = (FIXTURES / "R-4k.kernel-listing.txt").read_text().splitlines()
    kernel = {ln.split()[3]: ln.split()[1] for ln in listing if ln.startswith("KFIX-SHA ")}
    image = FIXTURES / "R-4k.img.zst"
    before = (FIXTURES / "R-4k.img.zst").read_bytes()
    with ocfs2.open(image) as home:
        assert home.exists("/base/old-name.txt") and not home.exists("/base/new-name.txt")
        assert not home.exists("/deep/x/y/z.txt")
    with ocfs2.open(image, replay=True) as vol:
        assert not vol.exists("/base/old-name.txt")
        for path, sha in kernel.items():
            assert hashlib.sha256(vol.read_bytes("/" + path)).hexdigest() == sha, path
    assert (FIXTURES / "R-4k.img.zst").read_bytes() == before
