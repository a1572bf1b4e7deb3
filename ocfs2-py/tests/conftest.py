"""Shared set-up: the repository's kernel-written fixtures (decompressed once per session), their expected
contents from fixtures/README.md, and the inspector CLI as the oracle."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"


@dataclass
class Expect:
    """One fixture's `kfix-expect` records."""

    raw: Tuple[int, str] = (0, "")
    files: List[Tuple[str, int, str]] = field(default_factory=list)  # sha, size, path
    symlinks: List[Tuple[str, int, str]] = field(default_factory=list)
    hardlinks: List[Tuple[str, str]] = field(default_factory=list)
    dirs: List[Tuple[int, str, str]] = field(default_factory=list)  # count, sha, path
    orphans: List[Tuple[int, str, int]] = field(default_factory=list)  # slot, sha, size


def parse_expectations() -> Dict[str, Expect]:
    text = (FIXTURES / "README.md").read_text()
    block = re.search(r"```kfix-expect\n(.*?)```", text, re.S)
    assert block, "fixtures/README.md has no kfix-expect block"
    out: Dict[str, Expect] = {}
    cur = Expect()
    for line in block.group(1).splitlines():
        f = line.split()
        if not f:
            continue
        if f[0] == "fixture":
            cur = out.setdefault(f[1], Expect())
        elif f[0] == "raw":
            cur.raw = (int(f[1]), f[2])
        elif f[0] == "file":
            cur.files.append((f[1], int(f[2]), f[3]))
        elif f[0] == "symlink":
            cur.symlinks.append((f[1], int(f[2]), f[3]))
        elif f[0] == "hardlink":
            cur.hardlinks.append((f[1], f[2]))
        elif f[0] == "dir":
            cur.dirs.append((int(f[1]), f[2], f[3]))
        elif f[0] == "orphan":
            cur.orphans.append((int(f[1]), f[2], int(f[3])))
        else:
            raise AssertionError(f"unknown kfix-expect record {line!r}")
    return out


EXPECT = parse_expectations()


def require_tool(name: str) -> str:
    """The path of a tool the tests need (also looked for in sbin, which a non-root PATH
    often lacks). Missing, the test fails naming it: it never passes or skips silently."""
    path = shutil.which(name) or shutil.which(name, path="/usr/local/sbin:/usr/sbin:/sbin")
    if path is None:
        pytest.fail(f"needs {name} (bash .ci/run installs every tool the tests use)")
    return path


@pytest.fixture(scope="session")
def raw_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("raw")


@pytest.fixture(scope="session")
def raw_image(raw_dir: Path) -> Iterator[Any]:
    """`raw_image("A-default")`: the decompressed fixture (sparse), made once per session."""
    zstd = require_tool("zstd")

    def get(name: str) -> Path:
        out = raw_dir / f"{name}.img"
        if not out.exists():
            subprocess.run([zstd, "-q", "-d", str(FIXTURES / f"{name}.img.zst"), "-o", str(out)], check=True)
        return out

    yield get


@pytest.fixture(scope="session")
def inspect_bin() -> Path:
    """The ocfs2-inspect CLI: $OCFS2_INSPECT, or built here with cargo (the workspace's debug binary)."""
    env = os.environ.get("OCFS2_INSPECT")
    if env:
        return Path(env)
    cargo = require_tool("cargo")
    subprocess.run([cargo, "build", "-q", "-p", "ocfs2-inspect"], cwd=ROOT, check=True)
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    return target / "debug" / "ocfs2-inspect"


@pytest.fixture(scope="session")
def cli(inspect_bin: Path) -> Any:
    """`cli("stat", image, path)`: the inspector's `--json` output, parsed."""

    def run(*args: str) -> Any:
        out = subprocess.run([str(inspect_bin), "--json", *args], capture_output=True, check=False)
        assert out.returncode in (0, 4), f"ocfs2-inspect {args}: {out.stderr.decode()}"
        return json.loads(out.stdout)

    return run
