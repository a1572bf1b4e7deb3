"""The README's Python example runs as written (from the repository root, where its paths point)."""

from __future__ import annotations

import os
import re

from conftest import ROOT


def test_readme_example_runs() -> None:
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Python: `import ocfs2`") :]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert blocks, "README has no Python example"
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        exec(compile(blocks[0], "README.md", "exec"), {"__name__": "readme"})
    finally:
        os.chdir(cwd)
