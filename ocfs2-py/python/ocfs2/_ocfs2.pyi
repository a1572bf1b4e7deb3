"""Type stubs of the native module (``ocfs2._ocfs2``, built from ``ocfs2-py/src``)."""

import os
from types import TracebackType
from typing import IO, Iterator, List, Optional, Union, final

_FsPath = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]
_Path = Union[_FsPath, "DirEntry"]
_PathOrInode = Union[_Path, int]

class Error(Exception):
    """Base class of the errors about the volume's contents."""

class CorruptError(Error):
    """On-disk data violates the format."""

    block: int
    structure: str
    field: str
    expected: str
    actual: str

class NotOcfs2Error(Error):
    """No OCFS2 superblock at any probe offset."""

class UnsupportedError(Error):
    """The volume uses a feature this library does not support."""

    what: str
    bit: int

@final
class StatResult:
    """An inode's attributes, with the fields of ``os.stat_result``."""

    st_mode: int
    st_ino: int
    st_nlink: int
    st_uid: int
    st_gid: int
    st_size: int
    st_atime: float
    st_mtime: float
    st_ctime: float
    st_atime_ns: int
    st_mtime_ns: int
    st_ctime_ns: int
    st_blocks: int
    st_blksize: int
    st_rdev: int
    st_gen: int

@final
class AclEntry:
    """One POSIX ACL entry."""

    tag: str
    id: Optional[int]
    perm: int
    text: str

@final
class Xattr:
    """One extended attribute: full Linux name, value, decoded ACL."""

    name: str
    value: bytes
    acl: Optional[List[AclEntry]]

@final
class Extent:
    """A run of a file's bytes: ``kind`` is ``data``, ``unwritten`` or ``hole``."""

    kind: str
    logical: int
    physical: Optional[int]
    length: int
    refcounted: bool

@final
class DeletedEntry:
    """A deleted directory entry still readable in a directory's slack."""

    name: Union[str, bytes]
    inode: int
    file_type: int
    block: int
    offset: int

@final
class DeletedInode:
    """A freed (or orphaned) inode whose block still holds it."""

    inode: int
    allocated: bool
    flags: int
    mode: int
    uid: int
    size: int
    links: int
    dtime: int
    clusters: int

@final
class Finding:
    """One problem ``check()`` found."""

    code: Optional[str]
    severity: str
    block: int
    structure: str
    field: str
    expected: str
    actual: str
    message: str

@final
class JournalState:
    """One filesystem slot's journal."""

    slot: int
    inode: int
    flags: int
    dirty: bool
    recovery_generation: int

@final
class HeartbeatSlot:
    """One heartbeat slot, and whether its node is live (None from a single sample)."""

    slot: int
    node: int
    seq: int
    generation: int
    dead_ms: int
    crc_ok: bool
    live: Optional[bool]

@final
class DirEntry:
    """An entry of a directory, like ``os.DirEntry``. The volume's methods take it as a path, without a
    lookup."""

    @property
    def name(self) -> Union[str, bytes]: ...
    @property
    def path(self) -> Union[str, bytes]: ...
    def __fspath__(self) -> Union[str, bytes]: ...
    def inode(self) -> int: ...
    def is_dir(self, *, follow_symlinks: bool = True) -> bool: ...
    def is_file(self, *, follow_symlinks: bool = True) -> bool: ...
    def is_symlink(self) -> bool: ...
    def stat(self, *, follow_symlinks: bool = True) -> StatResult: ...

@final
class FileHandle:
    """The native handle under ``ocfs2.File``."""

    @property
    def size(self) -> int: ...
    @property
    def inode(self) -> int: ...
    def read_at(self, offset: int, size: int) -> bytes: ...

class Volume:
    """An open OCFS2 volume (read-only)."""

    def __init__(
        self,
        source: Union[_FsPath, IO[bytes]],
        *,
        offset: int = 0,
        backup: Optional[int] = None,
        direct: bool = False,
        replay: bool = False,
        partition: Optional[int] = None,
    ) -> None: ...
    def close(self) -> None: ...
    @property
    def closed(self) -> bool: ...
    def __enter__(self) -> "Volume": ...
    def __exit__(
        self,
        t: Optional[type[BaseException]],
        v: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> bool: ...
    @property
    def label(self) -> str: ...
    @property
    def uuid(self) -> str: ...
    @property
    def block_size(self) -> int: ...
    @property
    def cluster_size(self) -> int: ...
    @property
    def clusters(self) -> int: ...
    @property
    def blocks(self) -> int: ...
    @property
    def slots(self) -> int: ...
    @property
    def features(self) -> frozenset[str]: ...
    @property
    def compat_features(self) -> frozenset[str]: ...
    @property
    def incompat_features(self) -> frozenset[str]: ...
    @property
    def ro_compat_features(self) -> frozenset[str]: ...
    @property
    def root_inode(self) -> int: ...
    @property
    def system_dir_inode(self) -> int: ...
    def lookup(self, path: _PathOrInode) -> int: ...
    def stat(self, path: _PathOrInode, *, follow_symlinks: bool = True) -> StatResult: ...
    def lstat(self, path: _PathOrInode) -> StatResult: ...
    def exists(self, path: _PathOrInode) -> bool: ...
    def listdir(self, path: Optional[_PathOrInode] = None) -> List[Union[str, bytes]]: ...
    def scandir(self, path: Optional[_Path] = None) -> Iterator[DirEntry]: ...
    def readlink(self, path: _PathOrInode) -> Union[str, bytes]: ...
    def _open_handle(self, path: _PathOrInode) -> FileHandle: ...
    def xattrs(self, path: _PathOrInode, *, follow_symlinks: bool = True) -> List[Xattr]: ...
    def listxattr(self, path: _PathOrInode, *, follow_symlinks: bool = True) -> List[str]: ...
    def getxattr(
        self, path: _PathOrInode, attribute: Union[str, bytes], *, follow_symlinks: bool = True
    ) -> bytes: ...
    def acl(self, path: _PathOrInode, *, default: bool = False) -> Optional[List[AclEntry]]: ...
    def extent_map(self, path: _PathOrInode) -> List[Extent]: ...
    def deleted_entries(self, path: _PathOrInode) -> List[DeletedEntry]: ...
    def deleted_inodes(self) -> List[DeletedInode]: ...
    def check(self) -> List[Finding]: ...
    def slot_map(self) -> List[Optional[int]]: ...
    def journals(self) -> List[JournalState]: ...
    def heartbeat(
        self, *, samples: int = 1, interval: float = 2.0, dead_threshold: int = 31
    ) -> List[HeartbeatSlot]: ...
