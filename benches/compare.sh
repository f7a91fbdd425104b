# Shared by benches/ingest.sh and benches/invoice.sh (sourced from the repository root):
# builds mcr and the polars baseline, and `compare_with_baseline` runs the baseline and
# `mcr ingest` alternately and compares their best wall times.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/mcr/target}"
cargo build --release --quiet --bin mcr --example polars_baseline
MCR="$CARGO_TARGET_DIR/release/mcr"
BASE="$CARGO_TARGET_DIR/release/examples/polars_baseline"
FMT="%e %U %S %M"

#   compare_with_baseline WORKDIR REPS LABEL [INGEST OPTIONS…]
# Converts WORKDIR/csv with the baseline into WORKDIR/baseline and ingests it with
# `mcr ingest WORKDIR/csv [INGEST OPTIONS…]` into WORKDIR/lake, alternately REPS times;
# prints every run's wall time, CPU time and peak RSS (GNU time) and the best of each.
compare_with_baseline() {
    local w="$1" reps="$2" label="$3"
    shift 3
    : > "$w/base.times"; : > "$w/mcr.times"
    for _ in $(seq "$reps"); do
        rm -rf "$w/baseline" "$w/lake"
        /usr/bin/time -o "$w/t" -f "$FMT" "$BASE" "$w/csv" "$w/baseline" 2>/dev/null
        cat "$w/t" >> "$w/base.times"
        /usr/bin/time -o "$w/t" -f "$FMT" "$MCR" ingest "$w/csv" "$@" --lake "$w/lake" -q
        cat "$w/t" >> "$w/mcr.times"
    done
    show() { awk '{printf "  %6.2f s wall  %6.2f s CPU  %5d MB peak\n", $1, $2 + $3, $4 / 1024}' "$1"; }
    echo "polars baseline (CSV → Parquet, no validation), $reps runs:"; show "$w/base.times"
    echo "$label, $reps runs:"; show "$w/mcr.times"
    local b m
    b=$(cut -d' ' -f1 "$w/base.times" | sort -n | head -1)
    m=$(cut -d' ' -f1 "$w/mcr.times" | sort -n | head -1)
    awk -v b="$b" -v m="$m" 'BEGIN { printf "best of each: baseline %.2f s, mcr %.2f s → mcr at %.0f %% of the baseline throughput\n", b, m, 100 * b / m }'
}
