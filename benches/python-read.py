#!/usr/bin/env python3
"""Reading every file of the populated fixture through the `ocfs2` Python package against the inspector's
`rdump` of the same tree (benches/README.md, section "Python"). The issue's target: Python at most 1.5x the
CLI's time.

Both sides run as child processes (interpreter start-up, import and volume open included), alternating, on a
decompressed image (page cache warm after the first round). Python walks with `scandir` and copies each
regular file, opened by its entry as one would with `os.scandir`, with `shutil.copyfileobj` into a sink that
drops the bytes; rdump writes the tree into a fresh directory under
/dev/shm (memory). Wall and CPU (user + system) time of each child are reported: on a shared machine the CPU
time is the steadier measure.

    python3 benches/python-read.py [--image IMG] [--inspect target/release/ocfs2-inspect] [--runs 5]

Needs the `ocfs2` package in the running interpreter (`pip install ./ocfs2-py`) and a release build of the
inspector (`cargo build --release -p ocfs2-inspect`).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

def read_every_file(image: str) -> None:
    """What the harness times (`--child IMAGE`): every regular file copied into a sink that drops the bytes;
    prints the count of files and bytes."""
    import ocfs2

    class Null:
        def write(self, b: bytes) -> int:
            return len(b)

    files = size = 0
    with ocfs2.open(image) as vol:
        sink = Null()
        # Entries stand for their paths, as with os.scandir: nothing is looked up again.
        todo: list[str | ocfs2.DirEntry] = ["/"]
        while todo:
            for e in vol.scandir(todo.pop()):
                if e.is_dir(follow_symlinks=False):
                    todo.append(e)
                elif e.is_file(follow_symlinks=False):
                    with vol.open(e) as f:
                        shutil.copyfileobj(f, sink)
                    files += 1
                    size += e.stat(follow_symlinks=False).st_size
    print(files, size)


def timed(cmd: list[str]) -> tuple[float, float, str]:
    """Wall seconds, CPU seconds (user + system) of the child, and its stdout."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    wall = time.perf_counter() - t
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--image", type=Path, help="a raw image (default: fixtures/A-default.img.zst, decompressed)")
    ap.add_argument("--inspect", type=Path, default=ROOT / "target" / "release" / "ocfs2-inspect")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--child", metavar="IMAGE", help="only read every file of IMAGE and print the counts (timed side)")
    a = ap.parse_args()
    if a.child:
        read_every_file(a.child)
        return
    # rdump writes into memory when it can, so that the disk is not what is measured.
    out_root = "/dev/shm" if os.path.isdir("/dev/shm") else None
    with tempfile.TemporaryDirectory(prefix="ocfs2-pybench-") as tmp, tempfile.TemporaryDirectory(
        prefix="ocfs2-pybench-rdump-", dir=out_root
    ) as out_tmp:
        image = a.image
        if image is None:
            image = Path(tmp) / "A-default.img"
            subprocess.run(["zstd", "-q", "-d", str(ROOT / "fixtures/A-default.img.zst"), "-o", str(image)], check=True)
        py: list[tuple[float, float]] = []
        cli: list[tuple[float, float]] = []
        for run in range(a.runs + 1):  # round 0 warms the page cache and is not counted
            out_dir = Path(out_tmp) / f"rdump{run}"
            out_dir.mkdir()
            order = ["py", "cli"] if run % 2 else ["cli", "py"]
            for who in order:
                if who == "py":
                    wall, cpu, out = timed([sys.executable, __file__, "--child", str(image)])
                    if run == 0:
                        print(f"python read {out.strip()} (files, bytes)", file=sys.stderr)
                    else:
                        py.append((wall, cpu))
                else:
                    wall, cpu, _ = timed([str(a.inspect), "rdump", str(image), "/", str(out_dir)])
                    if run:
                        cli.append((wall, cpu))
            shutil.rmtree(out_dir)
    print(f"{'side':<40} {'wall s (median, min-max)':>28} {'cpu s (median)':>15}")
    for label, xs in (("python: copyfileobj every file", py), ("ocfs2-inspect rdump /", cli)):
        w = [x[0] for x in xs]
        print(f"{label:<40} {statistics.median(w):>10.3f} ({min(w):.3f}-{max(w):.3f}) {statistics.median(x[1] for x in xs):>15.3f}")
    for i, what in ((0, "wall"), (1, "cpu")):
        ratio = statistics.median(x[i] for x in py) / statistics.median(x[i] for x in cli)
        print(f"python / rdump, {what}: {ratio:.2f} (target: at most 1.5)")


if __name__ == "__main__":
    main()
