#!/usr/bin/env bash
# The test suite, from a fresh machine: Rust tests, then the notebooks and the
# cross-engine check (DataFusion's Python package and DuckDB) against a demo warehouse, in a Python virtual environment
# this script makes (set RNI_VENV to put it elsewhere).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== Python environment for the notebooks and the local S3 server"
export RNI_VENV="${RNI_VENV:-$HOME/.cache/rni-venv}"
VENV="$RNI_VENV"
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install --quiet --disable-pip-version-check -r requirements-notebooks.txt

echo "== cargo test"
cargo test --locked

echo "== the distributed feature: Ballista against the local engine, warehouses on a local S3 server"
RNI_REQUIRE_S3=1 cargo test --locked --features distributed --test integration -- distributed:: object_store::

echo "== scrubbing recall, as measured on notes written outside the project"
cargo test --locked --quiet --test integration corpus -- --nocapture 2>&1 | grep -E "corpus: "
cargo test --locked --quiet --test integration scrubbing_recall -- --nocapture 2>&1 | grep -i "recall"

echo "== demo warehouse and case study for the notebooks"
cargo run --locked --quiet -- --quiet demo --out rni-demo

echo "== notebooks, the cross-engine check and the attacker's tests of published metrics"
RNI_BIN="${CARGO_TARGET_DIR:-$PWD/target}/debug/rni" \
RNI_WAREHOUSE="$PWD/rni-demo/warehouse" \
RNI_CASE_STUDY="$PWD/rni-demo/case-study" \
RNI_FIGURES="$PWD/rni-demo/figures" \
    "$VENV/bin/python" -m pytest -q -p no:cacheprovider --nbmake notebooks tests/python
