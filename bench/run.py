#!/usr/bin/env python3
"""Benchmark rni against DuckDB on the same synthetic returns.

    python3 bench/run.py [--sizes 100000,1000000,4000000] [--skip-duckdb] [--pairs 3] [--prepare-only]

For each size it synthesises returns with `rni synth` (about 40,000 young
people per authority, one quarter, every table), then times, each as its own
process with its peak resident memory:

- `rni prepare` on the young_people files alone (the head-to-head), and
  DuckDB doing the equivalent job on the same files, alternating, `--pairs`
  times each (the table keeps each one's median run; the ratio line gives the
  median ratio of the pairs and its spread): read the CSV,
  HMAC-SHA256 the identifiers, drop names, date of birth to month, postcode
  to district, replace the row's own names, phone numbers and postcodes in the
  notes by regular expressions, write zstd Parquet,
- `rni prepare` on the whole returns (every table),
- `rni build` (prepare, metrics, disclosure control, report, leak audit),
  then again with nothing changed, then from the packages `rni prepare` made,

and prints rows per second, MB per second and peak RSS per stage, and the
ratio of rni's rows per second to DuckDB's. rni is built in release mode
(`cargo build --release`); DuckDB comes from the Python environment this
runs in (`pip install duckdb==2.0.1 pyarrow`).
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", Path.home() / ".cache" / "rni-target"))
RNI = TARGET / "release" / "rni"
PER_AUTHORITY = 40_000

DUCKDB_JOB = r'''
import hashlib, hmac, sys, duckdb, pyarrow as pa
returns, out = sys.argv[1], sys.argv[2]
key = bytes(range(32))
subkey = hmac.new(key, b"rni/v1/person", hashlib.sha256).digest()

def pseudonym(authority: pa.Array, value: pa.Array) -> pa.Array:
    out = []
    for a, v in zip(authority.to_pylist(), value.to_pylist()):
        if v is None:
            out.append(None)
        else:
            n = (a + "\x1f" + " ".join(v.split()).upper()).encode()
            out.append(hmac.new(subkey, n, hashlib.sha256).hexdigest()[:32])
    return pa.array(out, pa.string())

con = duckdb.connect()
con.execute("set threads = 2")
con.create_function("pseudonym", pseudonym, ["VARCHAR", "VARCHAR"], "VARCHAR", type="arrow")
con.execute(f"""
copy (
    with src as (
        select *, regexp_extract(filename, '(E\\d{{8}})', 1) as authority_code
        from read_csv('{returns}/*/*/young_people.csv', header = true, all_varchar = true, filename = true)
    )
    select
        pseudonym(authority_code, child_id) as person_id,
        strftime(cast(date_of_birth as date), '%Y-%m') as birth_month,
        gender, ethnicity,
        regexp_extract(upper(postcode), '^([A-Z]{{1,2}}[0-9][A-Z0-9]?)', 1) as postcode_district,
        pseudonym(authority_code, school_name) as school_id,
        disability,
        regexp_replace(
          regexp_replace(
            regexp_replace(
              regexp_replace(notes, '\\b' || first_name || '\\b', '[NAME]', 'gi'),
              '\\b' || last_name || '\\b', '[NAME]', 'gi'),
            '(\\+44\\s?|\\b0)\\d{{2,4}}[\\s-]?\\d{{3,4}}[\\s-]?\\d{{3,4}}\\b', '[PHONE]', 'g'),
          '\\b[A-Z]{{1,2}}[0-9][A-Z0-9]?\\s*[0-9][A-Z]{{2}}\\b', '[POSTCODE]', 'gi') as notes,
        authority_code
    from src
) to '{out}' (format parquet, compression zstd)
""")
'''


def measure(cmd, env=None):
    """Runs a command; returns (seconds, peak RSS in MiB)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        sys.exit(f"{' '.join(map(str, cmd))} failed ({code}):\n{stderr[-2000:]}")
    return seconds, usage.ru_maxrss / 1024


def median_run(runs):
    """The run of median time among (seconds, peak MiB) runs."""
    return sorted(runs)[len(runs) // 2]


def rows_and_bytes(files):
    rows = 0
    size = 0
    for f in files:
        size += f.stat().st_size
        with open(f, "rb") as fh:
            rows += sum(1 for _ in fh) - 1  # one line per row: the benchmark returns have no line breaks in notes
    return rows, size


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100000,1000000,4000000")
    parser.add_argument("--skip-duckdb", action="store_true")
    parser.add_argument("--keep", help="keep the generated data in this folder")
    parser.add_argument("--pairs", type=int, default=3,
                        help="rni prepare and DuckDB on young_people, alternating, this many times each (default 3)")
    parser.add_argument("--prepare-only", action="store_true",
                        help="only the head-to-head on young_people, not prepare on every table or build")
    args = parser.parse_args()
    if not RNI.exists():
        sys.exit(f"no release binary at {RNI}: run `cargo build --release` first")
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="rni-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    key = work / "bench.key"
    key.write_text(bytes(range(32)).hex() + "\n")
    key.chmod(0o600)
    results = []
    pairs = []
    print(f"rni {RNI}; {os.cpu_count()} cores; data in {work}", flush=True)
    for size in [int(s) for s in args.sizes.split(",")]:
        authorities = max(1, round(size / PER_AUTHORITY))
        per = size // authorities
        data = work / f"n{size}"
        returns = data / "returns"
        if not returns.exists():
            t, rss = measure([RNI, "--quiet", "synth", "--out", returns, "--authorities", str(authorities),
                              "--young-people", str(per), "--periods", "2025Q1", "--seed", "7"])
            print(f"synth {size}: {t:.1f}s, peak {rss:.0f} MiB", flush=True)
        yp_files = sorted(returns.glob("*/*/young_people.csv"))
        rows, size_bytes = rows_and_bytes(yp_files)
        all_files = sorted(returns.glob("*/*/*.csv"))
        all_rows, all_bytes = rows_and_bytes(all_files)
        # Head to head: a copy of the returns holding only young_people.
        only = data / "young_people_only"
        if not only.exists():
            for f in yp_files:
                target = only / f.relative_to(returns)
                target.parent.mkdir(parents=True, exist_ok=True)
                os.link(f, target)
        for out in ["pkg-yp", "pkg-all", "warehouse", "warehouse.lock", "warehouse-pkg", "duck.parquet"]:
            p = data / out
            if p.is_dir():
                shutil.rmtree(p)
            elif p.exists():
                p.unlink()
        stages = []
        # The head-to-head, alternating so that both tools meet the machine in the same state;
        # the table keeps each tool's median run, the ratio line gives every pair.
        rni_runs, duck_runs = [], []
        for _ in range(max(1, args.pairs)):
            shutil.rmtree(data / "pkg-yp", ignore_errors=True)
            rni_runs.append(measure([RNI, "--quiet", "prepare", "--key-file", key, only, "--out", data / "pkg-yp"]))
            if not args.skip_duckdb:
                (data / "duck.parquet").unlink(missing_ok=True)
                duck_runs.append(measure([sys.executable, "-c", DUCKDB_JOB, str(only), str(data / "duck.parquet")]))
        t, rss = median_run(rni_runs)
        stages.append(("rni prepare (young_people)", rows, size_bytes, t, rss))
        if duck_runs:
            t, rss = median_run(duck_runs)
            stages.append(("duckdb equivalent (young_people)", rows, size_bytes, t, rss))
            ratios = sorted(d[0] / r[0] for r, d in zip(rni_runs, duck_runs))
            pairs.append((size, ratios, [r[0] for r in rni_runs], [d[0] for d in duck_runs],
                          max(r[1] for r in rni_runs)))
        if args.prepare_only:
            results.append((size, authorities, stages, None))
            continue
        t, rss = measure([RNI, "--quiet", "prepare", "--key-file", key, returns, "--out", data / "pkg-all"])
        stages.append(("rni prepare (every table)", all_rows, all_bytes, t, rss))
        t, rss = measure([RNI, "--quiet", "build", "--key-file", key, "--returns", returns, "--out", data / "warehouse"])
        stages.append(("rni build (every table)", all_rows, all_bytes, t, rss))
        manifest = (data / "warehouse" / "MANIFEST.json").read_text()
        t, rss = measure([RNI, "--quiet", "build", "--key-file", key, "--returns", returns, "--out", data / "warehouse"])
        stages.append(("rni build again, nothing changed", all_rows, all_bytes, t, rss))
        t, rss = measure([RNI, "--quiet", "build", "--key-file", key, "--packages", data / "pkg-all",
                          "--out", data / "warehouse-pkg"])
        stages.append(("rni build from the packages", all_rows, all_bytes, t, rss))
        shutil.rmtree(data / "warehouse-pkg", ignore_errors=True)
        results.append((size, authorities, stages, manifest))

    print()
    print(f"{'size':>9} {'stage':<34} {'rows':>10} {'MB':>8} {'seconds':>8} {'rows/s':>10} {'MB/s':>7} {'peak MiB':>9}")
    for size, authorities, stages, manifest in results:
        for name, rows, nbytes, t, rss in stages:
            print(f"{size:>9} {name:<34} {rows:>10} {nbytes / 1e6:>8.0f} {t:>8.2f} {rows / t:>10.0f} {nbytes / 1e6 / t:>7.1f} {rss:>9.0f}")
        for psize, ratios, rni_t, duck_t, peak in pairs:
            if psize != size:
                continue
            print(f"{size:>9} ratio rni/duckdb rows per second, median of {len(ratios)} pairs: "
                  f"{statistics.median(ratios):.2f}x (spread {ratios[0]:.2f}x to {ratios[-1]:.2f}x; "
                  f"rni {', '.join(f'{t:.2f}' for t in rni_t)} s, duckdb {', '.join(f'{t:.2f}' for t in duck_t)} s; "
                  f"rni peak {peak:.0f} MiB)")
        if manifest is None:
            continue
        timings = json.loads(manifest)["timings"]
        print(f"{size:>9} build stages (s): " + ", ".join(f"{k} {v:.2f}" for k, v in sorted(timings.items())))


if __name__ == "__main__":
    main()
