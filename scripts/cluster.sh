#!/usr/bin/env bash
# A Ballista cluster on this machine: a scheduler and two executors on
# 127.0.0.1, a local S3-compatible server (moto), and a build whose returns and
# warehouse are on it and whose metrics run on the cluster. Not run in CI.
#
# Needs: cargo install --locked ballista-scheduler@55.0.0 ballista-executor@55.0.0
#        the test venv with moto (bash scripts/test.sh makes it)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/rni-target}"
VENV="${RNI_VENV:-$HOME/.cache/rni-venv}"
WORK="$(mktemp -d -t rni-cluster-XXXXXX)"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

for tool in ballista-scheduler ballista-executor; do
    command -v "$tool" >/dev/null || { echo "$tool is not installed (cargo install --locked $tool@55.0.0)"; exit 2; }
done

cargo build --locked --quiet --features distributed
RNI="$CARGO_TARGET_DIR/debug/rni"

export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1
export AWS_ENDPOINT=http://127.0.0.1:5055 AWS_ALLOW_HTTP=true
"$VENV/bin/python" -m moto.server -H 127.0.0.1 -p 5055 >"$WORK/moto.log" 2>&1 & PIDS+=($!)
ballista-scheduler --bind-host 127.0.0.1 --bind-port 50050 >"$WORK/scheduler.log" 2>&1 & PIDS+=($!)
sleep 3
for port in 50051 50052; do
    ballista-executor --bind-host 127.0.0.1 --bind-port "$port" --bind-grpc-port $((port + 100)) --bind-health-port $((port + 200)) \
        --scheduler-host 127.0.0.1 --scheduler-port 50050 --work-dir "$WORK/executor-$port" \
        >"$WORK/executor-$port.log" 2>&1 & PIDS+=($!)
done
sleep 3
"$VENV/bin/python" - <<'PY'
import boto3
boto3.client("s3", endpoint_url="http://127.0.0.1:5055").create_bucket(Bucket="rni")
PY

"$RNI" --quiet synth --out "$WORK/returns" --authorities 4 --young-people 400 --seed 3
"$VENV/bin/python" - "$WORK/returns" <<'PY'
import os, sys, boto3
s3, root = boto3.client("s3", endpoint_url="http://127.0.0.1:5055"), sys.argv[1]
for d, _, files in os.walk(root):
    for f in files:
        p = os.path.join(d, f)
        s3.upload_file(p, "rni", "returns/" + os.path.relpath(p, root))
PY
"$RNI" keygen --out "$WORK/project.key"
time "$RNI" build --key-file "$WORK/project.key" --returns s3://rni/returns --out s3://rni/warehouse \
    --scheduler df://127.0.0.1:50050
"$RNI" query s3://rni/warehouse "select metric, count(*) as rows from metric_values group by 1 order by 1" \
    --scheduler df://127.0.0.1:50050
