#!/usr/bin/env bash
# Ingest throughput and memory at scale, against a bare polars CSV → Parquet conversion.
#   benches/ingest.sh [ACCOUNTS] [WORKDIR]     (default 200000 accounts, /tmp/mcr-bench)
# Prints wall time and peak RSS (GNU time) of: generate, polars baseline, mcr ingest, mcr analyze.
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-200000}"
W="${2:-/tmp/mcr-bench}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/mcr/target}"
cargo build --release --quiet --bin mcr --example polars_baseline
MCR="$CARGO_TARGET_DIR/release/mcr"
BASE="$CARGO_TARGET_DIR/release/examples/polars_baseline"
T="/usr/bin/time -f %e_s_%M_KB"
rm -rf "$W" && mkdir -p "$W"
echo "generate $N accounts:";  $T "$MCR" generate --accounts "$N" --out "$W/csv" -q
du -sh "$W/csv"
sync
echo "polars baseline (CSV → Parquet, no validation):"; $T "$BASE" "$W/csv" "$W/baseline"
echo "mcr ingest (validated lake):";                     $T "$MCR" ingest "$W/csv" --lake "$W/lake" -q
echo "mcr analyze:";                                      $T "$MCR" analyze --lake "$W/lake" -q
du -sh "$W/lake"
