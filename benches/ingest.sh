#!/usr/bin/env bash
# Ingest throughput and memory at scale, against a bare polars CSV → Parquet conversion.
#   benches/ingest.sh [ACCOUNTS] [WORKDIR]     (default 200000 accounts, /tmp/mcr-bench)
#   REPS=3 (default): the baseline and mcr ingest run alternately REPS times; the best wall
#   time of each is compared (this machine's timings vary by ±20 % between runs).
# Prints wall time, CPU time and peak RSS (GNU time) of: generate, polars baseline, mcr ingest,
# mcr analyze. Reuses WORKDIR/csv when it holds the same number of accounts.
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-200000}"
W="${2:-/tmp/mcr-bench}"
REPS="${REPS:-3}"
source benches/compare.sh
mkdir -p "$W"
if [ "$(cat "$W/accounts" 2>/dev/null)" != "$N" ]; then
    rm -rf "$W/csv"
    echo "generate $N accounts:"
    /usr/bin/time -f "  %e s wall, %M KB peak" "$MCR" generate --accounts "$N" --out "$W/csv" -q
    echo "$N" > "$W/accounts"
fi
du -sh "$W/csv"
sync
compare_with_baseline "$W" "$REPS" "mcr ingest (validated lake)"
echo "mcr analyze:"
/usr/bin/time -f "  %e s wall, %M KB peak" "$MCR" analyze --lake "$W/lake" -q >/dev/null
du -sh "$W/lake"
