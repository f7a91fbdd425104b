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
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/mcr/target}"
cargo build --release --quiet --bin mcr --example polars_baseline
MCR="$CARGO_TARGET_DIR/release/mcr"
BASE="$CARGO_TARGET_DIR/release/examples/polars_baseline"
FMT="%e %U %S %M"
mkdir -p "$W"
if [ "$(cat "$W/accounts" 2>/dev/null)" != "$N" ]; then
    rm -rf "$W/csv"
    echo "generate $N accounts:"
    /usr/bin/time -f "  %e s wall, %M KB peak" "$MCR" generate --accounts "$N" --out "$W/csv" -q
    echo "$N" > "$W/accounts"
fi
du -sh "$W/csv"
sync
best() { sort -n | head -1; }
: > "$W/base.times"; : > "$W/mcr.times"
for i in $(seq "$REPS"); do
    rm -rf "$W/baseline" "$W/lake"
    /usr/bin/time -o "$W/t" -f "$FMT" "$BASE" "$W/csv" "$W/baseline" 2>/dev/null
    cat "$W/t" >> "$W/base.times"
    /usr/bin/time -o "$W/t" -f "$FMT" "$MCR" ingest "$W/csv" --lake "$W/lake" -q
    cat "$W/t" >> "$W/mcr.times"
done
show() { awk '{printf "  %6.2f s wall  %6.2f s CPU  %5d MB peak\n", $1, $2 + $3, $4 / 1024}' "$1"; }
echo "polars baseline (CSV → Parquet, no validation), $REPS runs:"; show "$W/base.times"
echo "mcr ingest (validated lake), $REPS runs:";                     show "$W/mcr.times"
b=$(cut -d' ' -f1 "$W/base.times" | best); m=$(cut -d' ' -f1 "$W/mcr.times" | best)
awk -v b="$b" -v m="$m" 'BEGIN { printf "best of each: baseline %.2f s, mcr %.2f s → mcr at %.0f %% of the baseline throughput\n", b, m, 100 * b / m }'
echo "mcr analyze:"
/usr/bin/time -f "  %e s wall, %M KB peak" "$MCR" analyze --lake "$W/lake" -q >/dev/null
du -sh "$W/lake"
