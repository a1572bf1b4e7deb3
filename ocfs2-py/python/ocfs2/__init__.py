"""Read OCFS2 cluster filesystem volumes: images, ``.zst`` images, block devices, or any Python file object.

>>> import ocfs2
>>> with ocfs2.open("fixtures/A-default.img.zst") as vol:          # doctest: +SKIP
...     print(vol.label, sorted(vol.listdir("/small")))
...     with vol.open("/small/hello.txt") as f:
...         print(f.read())

Everything is read-only: nothing here ever writes to the source. Paths inside the volume are absolute
(``/a/b``), ``str`` or ``bytes`` (names come back in the same type); ``//name`` reaches a system file.
Methods that take a path also take an inode number.
"""

from __future__ import annotations

import io
import os
from typing import IO, Callable, Iterator, List, Optional, Set, Tuple, Union

from ._ocfs2 import (
    AclEntry,
    CorruptError,
    DeletedEntry,
    DeletedInode,
    DirEntry,
    Error,
    Extent,
    FileHandle,
    Finding,
    HeartbeatSlot,
    JournalState,
    NotOcfs2Error,
    StatResult,
    UnsupportedError,
    Xattr,
)
from ._ocfs2 import Volume as _NativeVolume

__all__ = [
    "AclEntry",
    "CorruptError",
    "DeletedEntry",
    "DeletedInode",
    "DirEntry",
    "Error",
    "Extent",
    "File",
    "Finding",
    "HeartbeatSlot",
    "JournalState",
    "NotOcfs2Error",
    "StatResult",
    "UnsupportedError",
    "Volume",
    "Xattr",
    "open",
]

StrOrBytesPath = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]
PathOrInode = Union[str, bytes, int]
Source = Union[StrOrBytesPath, IO[bytes]]


class File(io.RawIOBase):
    """A file of the volume, open for reading: an ``io.RawIOBase`` (``read``, ``readinto``, ``seek``,
    ``tell``), so ``io.BufferedReader`` and ``shutil.copyfileobj`` take it. Holes and unwritten extents
    read as zeros. Each thread should open its own ``File``; they may share one ``Volume``."""

    def __init__(self, handle: FileHandle, name: Union[str, bytes, int]) -> None:
        super().__init__()
        self._handle = handle
        self._pos = 0
        self.name = name

    @property
    def size(self) -> int:
        """The file size in bytes."""
        return self._handle.size

    @property
    def inode(self) -> int:
        """The inode number."""
        return self._handle.inode

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def read(self, size: Optional[int] = -1) -> bytes:
        self._checkClosed()
        if size is None or size < 0:
            return self.readall()
        data = self._handle.read_at(self._pos, size)
        self._pos += len(data)
        return data

    def readall(self) -> bytes:
        return self.read(max(0, self._handle.size - self._pos))

    def readinto(self, buffer: "bytearray | memoryview") -> int:  # type: ignore[override]
        self._checkClosed()
        view = memoryview(buffer).cast("B")
        data = self._handle.read_at(self._pos, len(view))
        n = len(data)
        view[:n] = data
        self._pos += n
        return n

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        self._checkClosed()
        if whence == io.SEEK_SET:
            pos = offset
        elif whence == io.SEEK_CUR:
            pos = self._pos + offset
        elif whence == io.SEEK_END:
            pos = self._handle.size + offset
        else:
            raise ValueError(f"invalid whence ({whence})")
        if pos < 0:
            raise OSError(22, "negative seek position")
        self._pos = pos
        return pos

    def tell(self) -> int:
        self._checkClosed()
        return self._pos

    def __repr__(self) -> str:
        return f"<ocfs2.File name={self.name!r} inode={self._handle.inode}>"


def _join(top: Union[str, bytes], name: Union[str, bytes]) -> Union[str, bytes]:
    if isinstance(top, bytes):
        assert isinstance(name, bytes)
        return top + name if top.endswith(b"/") else top + b"/" + name
    assert isinstance(name, str)
    return top + name if top.endswith("/") else top + "/" + name


class Volume(_NativeVolume):
    __doc__ = _NativeVolume.__doc__

    def __enter__(self) -> "Volume":
        return self

    def open(self, path: PathOrInode, mode: str = "rb", buffering: int = -1) -> Union[File, io.BufferedReader]:
        """Opens a file (a path, following symlinks, or an inode number) for reading. ``mode`` is ``"rb"``;
        ``buffering=0`` returns the raw ``File``, otherwise an ``io.BufferedReader`` over it."""
        if mode not in ("r", "rb"):
            raise ValueError(f"ocfs2 volumes are read-only: mode {mode!r} is not 'rb'")
        raw = File(self._open_handle(path), path)
        if buffering == 0:
            return raw
        return io.BufferedReader(raw, buffering if buffering > 1 else io.DEFAULT_BUFFER_SIZE)

    def open_raw(self, path: PathOrInode) -> File:
        """``open(path, buffering=0)``, typed as a ``File``."""
        return File(self._open_handle(path), path)

    def read_bytes(self, path: PathOrInode) -> bytes:
        """The whole contents of a file."""
        return self.open_raw(path).readall()

    def walk(
        self,
        top: Union[str, bytes] = "/",
        topdown: bool = True,
        onerror: Optional[Callable[[Exception], object]] = None,
        followlinks: bool = False,
    ) -> Iterator[Tuple[Union[str, bytes], List[Union[str, bytes]], List[Union[str, bytes]]]]:
        """Like ``os.walk``: ``(dirpath, dirnames, filenames)`` for every directory under ``top``.
        A directory reached a second time (a hard-linked directory or a symlink loop on a damaged or
        followed tree) is not walked again."""
        seen: Set[int] = set()
        yield from self._walk(top, topdown, onerror, followlinks, seen)

    def _walk(
        self,
        top: Union[str, bytes],
        topdown: bool,
        onerror: Optional[Callable[[Exception], object]],
        followlinks: bool,
        seen: Set[int],
    ) -> Iterator[Tuple[Union[str, bytes], List[Union[str, bytes]], List[Union[str, bytes]]]]:
        try:
            ino = self.stat(top).st_ino
            entries = list(self.scandir(top))
        except (OSError, Error) as e:
            if onerror is not None:
                onerror(e)
            return
        if ino in seen:
            return
        seen.add(ino)
        dirs: List[Union[str, bytes]] = []
        files: List[Union[str, bytes]] = []
        walk_into: Set[Union[str, bytes]] = set()
        for entry in entries:
            try:
                is_dir = entry.is_dir()
            except (OSError, Error):
                is_dir = False
            if is_dir:
                dirs.append(entry.name)
                if followlinks or not entry.is_symlink():
                    walk_into.add(entry.name)
            else:
                files.append(entry.name)
        if topdown:
            yield top, dirs, files
            # The caller may prune `dirs`, as with os.walk.
            for name in dirs:
                if name in walk_into:
                    yield from self._walk(_join(top, name), topdown, onerror, followlinks, seen)
        else:
            for name in dirs:
                if name in walk_into:
                    yield from self._walk(_join(top, name), topdown, onerror, followlinks, seen)
            yield top, dirs, files


def open(
    source: Source,
    *,
    offset: int = 0,
    backup: Optional[int] = None,
    direct: bool = False,
) -> Volume:
    """Opens an OCFS2 volume, read-only. ``source`` is a path (an image, a ``.zst`` image or a block
    device) or a file object with ``seek`` and ``read`` (or ``readinto``), such as ``io.BytesIO`` or a
    dfVFS file object. ``offset``: byte offset of the volume inside the source; ``backup``: read backup
    superblock N (1-based) instead of the primary; ``direct``: read a path with O_DIRECT."""
    return Volume(source, offset=offset, backup=backup, direct=direct)
