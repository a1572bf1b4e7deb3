"""Metadata against the inspector CLI (`ocfs2-inspect --json`, itself tested against debugfs.ocfs2 and
fsck.ocfs2): stat fields, xattrs and ACLs, deleted entries and inodes, check findings, slot map and journals,
the superblock; the 5,000-entry indexed directory."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, List

import pytest

import ocfs2
from conftest import EXPECT

TYPE_BITS = {
    "Regular": 0o100000,
    "Directory": 0o040000,
    "Symbolic Link": 0o120000,
    "Char Device": 0o020000,
    "Block Device": 0o060000,
    "FIFO": 0o010000,
    "Socket": 0o140000,
}


def every_path(vol: ocfs2.Volume) -> List[str]:
    """Every name under / (bigdir's 5000 empty files but its first 20), and the system files."""
    out = ["/"]
    for top, dirs, files in vol.walk("/"):
        assert isinstance(top, str)
        names = sorted(str(n) for n in dirs + files)
        if top == "/bigdir":
            names = names[:20]
        out += [top.rstrip("/") + "/" + n for n in names]
    out += ["//" + str(n) for n in vol.listdir("//")]
    return out


@pytest.mark.parametrize("name", ["A-default", "X-max", "E-extents"])
def test_stat_equals_cli(name: str, raw_image: Any, cli: Any) -> None:
    image = str(raw_image(name))
    with ocfs2.open(image) as vol:
        paths = every_path(vol)
        assert len(paths) > 30
        for p in paths:
            st = vol.lstat(p)
            j = cli("stat", "-T", image, p)
            assert st.st_ino == j["inode"], p
            assert st.st_mode == TYPE_BITS[j["file_type"]] | j["mode"], p
            assert (st.st_nlink, st.st_uid, st.st_gid, st.st_size) == (j["links"], j["uid"], j["gid"], j["size"]), p
            assert st.st_blocks == j["clusters"] * vol.cluster_size // 512, p
            assert st.st_gen == j["generation"], p
            for t in ("atime", "mtime", "ctime"):
                sec, nsec = j[t]["sec"], j[t]["nsec"]
                assert getattr(st, f"st_{t}_ns") == sec * 10**9 + nsec, (p, t)
                assert getattr(st, f"st_{t}") == pytest.approx(sec + nsec / 1e9), (p, t)
            assert st.st_blksize == vol.cluster_size


def test_superblock_equals_cli(raw_image: Any, cli: Any) -> None:
    for name in ("A-default", "X-max", "M-max-1k"):
        image = str(raw_image(name))
        j = cli("volinfo", image)
        with ocfs2.open(image) as vol:
            assert vol.label == j["label"]
            assert vol.uuid.replace("-", "").upper() == j["uuid"]
            assert (vol.block_size, vol.cluster_size, vol.slots) == (j["block_size"], j["cluster_size"], j["node_slots"])
            assert (vol.clusters, vol.blocks) == (j["clusters"], j["blocks"])
            assert vol.features == frozenset(j["features"])
            assert vol.compat_features | vol.incompat_features | vol.ro_compat_features == vol.features
            assert "metaecc" in vol.features if name != "A-default" else "metaecc" not in vol.features


def test_indexed_directory_lists_completely(raw_image: Any, cli: Any) -> None:
    count, sha, path = EXPECT["A-default"].dirs[0]
    image = str(raw_image("A-default"))
    with ocfs2.open(image) as vol:
        names = vol.listdir("/" + path)
        entries = list(vol.scandir("/" + path))
        assert len(names) == len(entries) == count == 5000
        assert hashlib.sha256("".join(f"{n}\n" for n in sorted(map(str, names))).encode()).hexdigest() == sha
        cli_entries = {e["name"]: e["inode"] for e in cli("ls", image, "/" + path)["entries"] if e["name"] not in (".", "..")}
        assert {str(e.name): e.inode() for e in entries} == cli_entries
        assert all(e.is_file() and not e.is_dir() and e.path == "/" + path + "/" + str(e.name) for e in entries)
        # Lookups go through the dx index.
        for n in ("e00000", "e02500", "e04999"):
            assert vol.lookup(f"/{path}/{n}") == cli_entries[n]
        assert not vol.exists(f"/{path}/e05000")
        assert [str(n) for n in vol.listdir(vol.lookup("/" + path))] == [str(n) for n in names]
        assert vol.listdir(b"/" + path.encode())[0] == str(names[0]).encode()


@pytest.mark.parametrize(
    "name,paths",
    [
        ("A-default", ["/xattr/file", "/xattr/dir"]),
        ("X-max", ["/xattr/file", "/xattr/dir", "/extra/many", "/extra/acl/file", "/extra/acl"]),
    ],
)
def test_xattrs_and_acls_equal_cli(name: str, paths: List[str], raw_image: Any, cli: Any) -> None:
    image = str(raw_image(name))
    with ocfs2.open(image) as vol:
        for p in paths:
            j = cli("xattr", image, p)
            got = vol.xattrs(p)
            assert [x.name for x in got] == [a["name"] for a in j["attrs"]], p
            assert vol.listxattr(p) == [a["name"] for a in j["attrs"]]
            assert len(got) == j["total"]
            for x, a in zip(got, j["attrs"]):
                stored = bytes.fromhex(a["value_hex"])
                if a.get("acl") is not None:
                    assert x.acl is not None and [e.text for e in x.acl] == a["acl"], (p, x.name)
                    # Linux's xattr form: version 2, then the entries OCFS2 stores bare.
                    assert x.value == (2).to_bytes(4, "little") + stored
                else:
                    assert x.acl is None and x.value == stored, (p, x.name)
                assert vol.getxattr(p, x.name) == x.value
            with pytest.raises(OSError) as e:
                vol.getxattr(p, "user.no-such-attribute")
            assert e.value.errno == 61  # ENODATA
    if name == "X-max":
        with ocfs2.open(image) as vol:
            acl = vol.acl("/extra/acl/file")
            assert acl is not None
            assert [(e.tag, e.id, e.perm) for e in acl] == [
                ("user", None, 6),
                ("user", 1000, 4),
                ("group", None, 4),
                ("mask", None, 6),
                ("other", None, 4),
            ]
            assert vol.acl("/extra/acl/file", default=True) is None
            default = vol.acl("/extra/acl", default=True)
            assert default is not None and [e.text for e in default] == ["user::rwx", "group::r-x", "other::r-x"]
            assert len(vol.listxattr("/extra/many")) == 150


def test_deleted_entries_and_inodes_equal_cli(raw_image: Any, cli: Any) -> None:
    image = str(raw_image("X-max"))
    with ocfs2.open(image) as vol:
        got = [(str(d.name), d.inode, d.block, d.offset) for d in vol.deleted_entries("/extra/deldir")]
    want = [
        (e["name"], e["inode"], e["deleted"]["blkno"], e["deleted"]["offset"])
        for e in cli("ls", "-d", image, "/extra/deldir")["entries"]
        if "deleted" in e
    ]
    assert got == want
    assert sorted(n for n, *_ in got) == [f"file-{i:03}" for i in range(10, 20)]
    image = str(raw_image("B"))
    with ocfs2.open(image) as vol:
        got_inodes = [(d.inode, d.allocated, d.size, d.links, d.dtime) for d in vol.deleted_inodes()]
        orphan = vol.deleted_inodes()[0].inode
        # Its data is still mapped: the README's pattern-77 hash.
        _, sha, size = EXPECT["B"].orphans[0]
        assert hashlib.sha256(vol.read_bytes(orphan)).hexdigest() == sha
        assert vol.stat(orphan).st_size == size
    want_inodes = [(d["inode"], d["allocated"], d["size"], d["links"], d["dtime"]) for d in cli("lsdel", image)["inodes"]]
    assert got_inodes == want_inodes


def test_check_slots_journals_equal_cli(raw_image: Any, cli: Any) -> None:
    for name in ("A-default", "B", "C1"):
        image = str(raw_image(name))
        j = cli("check", image)
        s = cli("slotmap", "--all", image)
        with ocfs2.open(image) as vol:
            got = [(f.code, f.severity, f.block, f.structure, f.field, f.expected, f.actual, f.message) for f in vol.check()]
            slots = vol.slot_map()
            journals = vol.journals()
        want = [
            (f["code"], f["severity"], f["blkno"], f["structure"], f["field"], f["expected"], f["found"], f["message"])
            for f in j["findings"]
        ]
        assert got == want, name
        assert [(i, n) for i, n in enumerate(slots) if n is not None] == [
            (r["slot"], r["node"]) for r in s["slots"] if r["node"] is not None
        ]
        assert [(x.slot, x.inode, x.dirty) for x in journals] == [
            (r["slot"], r["journal_inode"], r["journal_dirty"]) for r in s["slots"]
        ]
    assert [f[0] for f in got] == [None]  # C1: only its dirty journal


def test_heartbeat_equals_cli(raw_image: Any, cli: Any) -> None:
    image = str(raw_image("C1"))
    j = cli("hb", image)
    with ocfs2.open(Path(image)) as vol:
        one = vol.heartbeat()
        two = vol.heartbeat(samples=2, interval=0.01)
    # The CLI prints 64-bit values as decimal strings (README, "JSON output").
    assert [(h.slot, h.node, h.seq, h.generation, h.dead_ms, h.crc_ok) for h in one] == [
        (r["slot"], r["node"], int(r["seq"]), int(r["generation"]), r["dead_ms"], r["crc_ok"]) for r in j["slots"]
    ]
    assert one[0].generation == 0x2AC7_E339_C208_3605 and one[0].live is None
    # The image does not change between samples: by the kernel's rules the node is not live.
    assert [h.live for h in two] == [False]
    with pytest.raises(ValueError):
        vol.heartbeat()  # closed
