"""Read OCFS2 cluster filesystem volumes: images, ``.zst`` images, block devices, or any Python file object.

>>> import ocfs2
>>> with ocfs2.open("fixtures/A-default.img.zst") as vol:          # doctest: +SKIP
...     print(vol.label, sorted(vol.listdir("/small")))
...     with vol.open("/small/hello.txt") as f:
...         print(f.read())

Everything is read-only: nothing here ever writes to the source. Paths inside the volume are absolute
(``/a/b``), ``str`` or ``bytes`` (names come back in the same type); ``//name`` reaches a system file.
Methods that take a path also take an inode number, or a ``DirEntry`` from ``scandir``: a walk that opens
what it lists need not look each path up again.

>>> for entry in vol.scandir("/small"):                             # doctest: +SKIP
...     if entry.is_file():
...         with vol.open(entry) as f:
...             data = f.read()
"""

from __future__ import annotations

import io
import os

# Only the type checker reads `typing` here (the annotations are never evaluated): importing it, and the
# `re` and `enum` it pulls in, would double an interpreter's start-up (10 ms of CPU on 11).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import IO, Callable, Dict, Iterator, List, Optional, Set, Tuple, Union

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

if TYPE_CHECKING:
    StrOrBytesPath = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]
    PathOrInode = Union[str, bytes, int, DirEntry]
    Source = Union[StrOrBytesPath, IO[bytes]]


class File(io.RawIOBase):
    """A file of the volume, open for reading: an ``io.RawIOBase`` (``read``, ``readinto``, ``seek``,
    ``tell``), so ``io.BufferedReader`` and ``shutil.copyfileobj`` take it. Holes and unwritten extents
    read as zeros. Each thread should open its own ``File``; they may share one ``Volume``."""

    def __init__(self, handle: FileHandle, name: Union[str, bytes, int]) -> None:
        super().__init__()
        self._handle = handle
        self._size = handle.size  # fixed: the volume is read-only
        self._pos = 0
        self.name = name

    @property
    def size(self) -> int:
        """The file size in bytes."""
        return self._size

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
        if self._pos >= self._size:
            return b""
        data = self._handle.read_at(self._pos, size)
        self._pos += len(data)
        return data

    def readall(self) -> bytes:
        return self.read(max(0, self._size - self._pos))

    def readinto(self, buffer: "bytearray | memoryview") -> int:  # type: ignore[override]
        self._checkClosed()
        if self._pos >= self._size:
            return 0  # what every read ends with, and all of an empty file's reads
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
            pos = self._size + offset
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


class Volume(_NativeVolume):
    __doc__ = _NativeVolume.__doc__

    def __enter__(self) -> "Volume":
        return self

    def open(self, path: PathOrInode, mode: str = "rb", buffering: int = -1) -> Union[File, io.BufferedReader]:
        """Opens a file (a path, following symlinks, an inode number or a ``DirEntry``) for reading. ``mode``
        is ``"rb"``; ``buffering=0`` returns the raw ``File``, otherwise an ``io.BufferedReader`` over it."""
        if mode not in ("r", "rb"):
            raise ValueError(f"ocfs2 volumes are read-only: mode {mode!r} is not 'rb'")
        raw = self.open_raw(path)
        if buffering == 0:
            return raw
        return io.BufferedReader(raw, buffering if buffering > 1 else io.DEFAULT_BUFFER_SIZE)

    def open_raw(self, path: PathOrInode) -> File:
        """``open(path, buffering=0)``, typed as a ``File``."""
        # Named as the built-in open names a file opened from an os.DirEntry: by its path.
        return File(self._open_handle(path), path.path if isinstance(path, DirEntry) else path)

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
        at: Union[str, bytes, DirEntry],
        topdown: bool,
        onerror: Optional[Callable[[Exception], object]],
        followlinks: bool,
        seen: Set[int],
    ) -> Iterator[Tuple[Union[str, bytes], List[Union[str, bytes]], List[Union[str, bytes]]]]:
        # Below `top`, a directory is reached by its entry: no path looked up again.
        top = at.path if isinstance(at, DirEntry) else at
        try:
            ino = self.stat(at).st_ino
            entries = list(self.scandir(at))
        except (OSError, Error) as e:
            if onerror is not None:
                onerror(e)
            return
        if ino in seen:
            return
        seen.add(ino)
        dirs: List[Union[str, bytes]] = []
        files: List[Union[str, bytes]] = []
        walk_into: Dict[Union[str, bytes], DirEntry] = {}
        for entry in entries:
            try:
                is_dir = entry.is_dir()
            except (OSError, Error):
                is_dir = False
            if is_dir:
                dirs.append(entry.name)
                if followlinks or not entry.is_symlink():
                    walk_into[entry.name] = entry
            else:
                files.append(entry.name)
        if topdown:
            yield top, dirs, files
            # The caller may prune `dirs`, as with os.walk.
            for name in dirs:
                if name in walk_into:
                    yield from self._walk(walk_into[name], topdown, onerror, followlinks, seen)
        else:
            for name in dirs:
                if name in walk_into:
                    yield from self._walk(walk_into[name], topdown, onerror, followlinks, seen)
            yield top, dirs, files


def open(
    source: Source,
    *,
    offset: int = 0,
    backup: Optional[int] = None,
    direct: bool = False,
    replay: bool = False,
    partition: Optional[int] = None,
) -> Volume:
    """Opens an OCFS2 volume, read-only. ``source`` is a path (an image, a ``.zst`` image or a block
    device) or a file object with ``seek`` and ``read`` (or ``readinto``), such as ``io.BytesIO`` or a
    dfVFS file object. ``offset``: byte offset of the volume inside the source; ``backup``: read backup
    superblock N (1-based) instead of the primary; ``direct``: read a path with O_DIRECT; ``replay``: show
    the volume as journal recovery would leave it (dirty journals replayed in memory; the source is never
    written); ``partition``: partition N (1-based) of a disk image (a disk whose only OCFS2 volume is in a
    partition opens it without this)."""
    return Volume(source, offset=offset, backup=backup, direct=direct, replay=replay, partition=partition)
