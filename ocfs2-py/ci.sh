#!/usr/bin/env bash
# Builds the `ocfs2` wheel with maturin, installs it into a fresh virtual environment, type-checks the package
# and the tests with mypy, and runs pytest. Called by .ci/run; runnable alone from anywhere.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
target="${CARGO_TARGET_DIR:-$root/target}"
venv="$target/py-venv"
rm -rf "$venv" "$target/wheels"
python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check -r "$here/requirements-dev.txt"
"$venv/bin/maturin" build -q --release -m "$here/Cargo.toml" -o "$target/wheels"
"$venv/bin/pip" install -q --disable-pip-version-check "$target"/wheels/ocfs2-*.whl
# The installed package and its stubs, as a user's mypy sees them; then the tests.
(cd "$here/tests" && "$venv/bin/mypy" --strict -p ocfs2 && "$venv/bin/mypy" --config-file "$here/pyproject.toml" .)
cd "$here/tests" && "$venv/bin/pytest" -q -p no:cacheprovider "$@"
