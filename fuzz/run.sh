#!/usr/bin/env bash
# Runs every fuzz target for a bounded time (default 60 s each): bash fuzz/run.sh [SECONDS]
# Needs cargo-fuzz (`cargo install cargo-fuzz`) and a nightly toolchain, or a stable one
# with RUSTC_BOOTSTRAP=1 (used when no nightly is installed). A crash is saved under
# fuzz/artifacts/<target>/; turn it into a regression test before fixing it.
set -euo pipefail
cd "$(dirname "$0")"
SECONDS_EACH="${1:-60}"
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    FUZZ=(cargo +nightly fuzz)
else
    export RUSTC_BOOTSTRAP=1
    FUZZ=(cargo fuzz)
fi
for target in csv_reader xlsx_reader parse_date scrub; do
    echo "== $target for ${SECONDS_EACH}s"
    "${FUZZ[@]}" run "$target" "corpus/$target" -- -max_total_time="$SECONDS_EACH" -rss_limit_mb=4096 -max_len=65536
done
