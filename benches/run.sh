#!/usr/bin/env bash
# The whole benchmark in one table: mcr's job (ingest, analyze, report) against a bare polars
# CSV → Parquet conversion and against DuckDB doing the same job from the same CSV exports.
#
#   benches/run.sh [ACCOUNTS]          (default 200000)
#
# Environment:
#   WORKDIR  working folder (default /tmp/mcr-run-$ACCOUNTS); everything is written under it
#   REPS     timed repetitions of every step (default 2); the steps alternate within a repetition
#   MCR      mcr binary (default $CARGO_TARGET_DIR/release/mcr)
#   BASE     polars baseline binary (default $CARGO_TARGET_DIR/release/examples/polars_baseline)
#            CARGO_TARGET_DIR defaults to $HOME/.cache/mcr/target. This script never builds:
#            cargo build --release --bin mcr --example polars_baseline
#   VENV     Python venv with duckdb (default $HOME/.cache/mcr/duckdb-venv; created on first use
#            with `pip install duckdb` — benchmark tooling only, not a product dependency)
#
# What it does:
#   1. `mcr generate --accounts ACCOUNTS --out WORKDIR/csv -q`, unless WORKDIR/csv already holds
#      that many accounts (marker file WORKDIR/accounts); reads the CSVs once (page cache warm);
#   2. REPS times, in this order, each under /usr/bin/time (wall s, peak RSS):
#        a. polars baseline   BASE WORKDIR/csv WORKDIR/baseline (no validation)
#        b. mcr ingest        WORKDIR/csv → WORKDIR/lake (a fresh lake every repetition)
#        c. mcr analyze       evidence off (run from WORKDIR/cfg-evidence-off, whose mcr.toml
#                             sets [metrics.evidence] backtest = false, bootstrap_draws = 0: the
#                             work metrics.sql does); its metrics folder is then copied (untimed)
#                             to WORKDIR/metrics-evidence-off for the compare
#        d. mcr analyze       defaults (run from the empty WORKDIR/cfg-defaults; overwrites c's
#                             metrics folder)
#        e. mcr report        WORKDIR/lake → WORKDIR/reports (defaults: every audience)
#        f. DuckDB whole job  benches/duckdb/run.py --csv: CSV → Parquet (WORKDIR/duck-parquet,
#                             removed every repetition) + metrics.sql → WORKDIR/duck
#      and prints every run's time as it goes;
#   3. checks DuckDB's output against mcr's evidence-off metrics with benches/duckdb/compare.py
#      and exits 1 when they differ (a timing of different work is meaningless);
#   4. prints one markdown table of the best (min) wall time of each step with the peak RSS of
#      that run, plus the two mcr jobs (ingest + analyze) and ratios, and writes it to
#      WORKDIR/table.md. Logs of every step: WORKDIR/logs/.
set -euo pipefail

if [[ $# -gt 1 || "${1:-}" == -h || "${1:-}" == --help ]]; then
    sed -n '2,38p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
fi
HERE="$(cd "$(dirname "$0")" && pwd)"
N="${1:-200000}"
[[ "$N" =~ ^[1-9][0-9]*$ ]] || { echo "error: ACCOUNTS must be a positive integer, not '$N'" >&2; exit 2; }
W="${WORKDIR:-/tmp/mcr-run-$N}"
REPS="${REPS:-2}"
[[ "$REPS" =~ ^[1-9][0-9]*$ ]] || { echo "error: REPS must be a positive integer, not '$REPS'" >&2; exit 2; }
CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/mcr/target}"
MCR="${MCR:-$CARGO_TARGET_DIR/release/mcr}"
BASE="${BASE:-$CARGO_TARGET_DIR/release/examples/polars_baseline}"
TIME=/usr/bin/time

for bin in "$MCR" "$BASE"; do
    [[ -x "$bin" ]] || { echo "error: no binary at $bin; build it with" \
        "\`cargo build --release --bin mcr --example polars_baseline\` (or set MCR / BASE)" >&2; exit 1; }
done
[[ -x "$TIME" ]] || { echo "error: $TIME is missing (apt-get install time)" >&2; exit 1; }

# DuckDB in its own venv (created once, reused): sets PY.
source "$HERE/duckdb/venv.sh"

mkdir -p "$W"
W="$(cd "$W" && pwd)"
LOGS="$W/logs" TIMES="$W/times"
mkdir -p "$LOGS" "$TIMES"

# 1. Data: generated once per ACCOUNTS, reused while the marker matches.
if [[ "$(cat "$W/accounts" 2>/dev/null)" != "$N" || ! -d "$W/csv" ]]; then
    rm -rf "$W/csv" "$W/accounts"
    echo "generate $N accounts → $W/csv"
    "$TIME" -o "$TIMES/generate" -f "%e %M" "$MCR" generate --accounts "$N" --out "$W/csv" -q
    awk '{ printf "  %.2f s wall, %.2f GB peak\n", $1, $2 / 1048576 }' "$TIMES/generate"
    echo "$N" > "$W/accounts"
fi

# Folders mcr runs from: mcr reads ./mcr.toml, so the defaults run from an empty folder and the
# evidence-off runs from one whose mcr.toml only turns the evidence off.
CFG_DEF="$W/cfg-defaults" CFG_OFF="$W/cfg-evidence-off"
mkdir -p "$CFG_DEF" "$CFG_OFF"
rm -f "$CFG_DEF/mcr.toml"
cat > "$CFG_OFF/mcr.toml" <<'TOML'
[metrics.evidence]
backtest = false
bootstrap_draws = 0
TOML

# Warm the page cache for the CSVs once, for every tool alike.
cat "$W/csv"/*.csv > /dev/null

# The steps (a–f), their labels in the table, in run order.
STEPS=(base ingest analyze_off analyze_def report duck)
declare -A LABEL=(
    [base]="polars baseline (CSV → Parquet, no validation)"
    [ingest]="mcr ingest (validated lake)"
    [analyze_off]="mcr analyze, evidence off"
    [analyze_def]="mcr analyze, defaults"
    [report]="mcr report"
    [duck]="DuckDB whole job (CSV → Parquet + metrics.sql)"
)
for s in "${STEPS[@]}"; do : > "$TIMES/$s"; done

#   timed STEP REP DIR CMD…  — runs CMD from DIR under /usr/bin/time (stdout + stderr to
#   LOGS/STEP.log), appends "wall KB" to TIMES/STEP and prints the run; exits 1 on failure.
timed() {
    local step="$1" rep="$2" dir="$3"
    shift 3
    if ! ( cd "$dir" && "$TIME" -o "$TIMES/last" -f "%e %M" "$@" > "$LOGS/$step.log" 2>&1 ); then
        tail -n 20 "$LOGS/$step.log" >&2
        echo "error: ${LABEL[$step]} failed (rep $rep; log $LOGS/$step.log): $*" >&2
        exit 1
    fi
    tail -n 1 "$TIMES/last" >> "$TIMES/$step"
    tail -n 1 "$TIMES/last" | awk -v r="$rep" -v l="${LABEL[$step]}" \
        '{ printf "rep %d  %-50s %8.2f s  %6.2f GB\n", r, l, $1, $2 / 1048576 }'
}

# 2. The repetitions.
echo "== $REPS repetition(s) in $W (wall s, peak RSS)"
for rep in $(seq "$REPS"); do
    rm -rf "$W/baseline"
    timed base "$rep" "$W" "$BASE" "$W/csv" "$W/baseline"

    rm -rf "$W/lake"
    timed ingest "$rep" "$CFG_DEF" "$MCR" ingest "$W/csv" --lake "$W/lake" -q

    timed analyze_off "$rep" "$CFG_OFF" "$MCR" analyze --lake "$W/lake" -q
    # A fresh lake: its one metrics folder is this run's.
    shopt -s nullglob
    OFF_DIRS=("$W/lake/metrics"/as_of=*)
    shopt -u nullglob
    [[ ${#OFF_DIRS[@]} -eq 1 ]] || { echo "error: expected one metrics folder in $W/lake/metrics after analyze, found ${#OFF_DIRS[@]}" >&2; exit 1; }
    AS_OF="${OFF_DIRS[0]##*as_of=}"
    rm -rf "$W/metrics-evidence-off"
    cp -r "${OFF_DIRS[0]}" "$W/metrics-evidence-off"

    timed analyze_def "$rep" "$CFG_DEF" "$MCR" analyze --lake "$W/lake" -q

    rm -rf "$W/reports"
    timed report "$rep" "$CFG_DEF" "$MCR" report --lake "$W/lake" --out "$W/reports" -q

    rm -rf "$W/duck" "$W/duck-parquet"
    timed duck "$rep" "$W" "$PY" "$HERE/duckdb/run.py" --csv "$W/csv" --work "$W/duck-parquet" --out "$W/duck"
    echo "        $(grep '^duckdb:' "$LOGS/duck.log")"
done

# 3. Same work? DuckDB's tables against mcr's evidence-off metrics (as_of $AS_OF).
echo
echo "== compare ($W/metrics-evidence-off vs $W/duck)"
if ! "$PY" "$HERE/duckdb/compare.py" --mcr "$W/metrics-evidence-off" --duck "$W/duck" > "$LOGS/compare.log" 2>&1; then
    grep -v ' ok$' "$LOGS/compare.log" >&2
    echo "error: DuckDB's output differs from mcr's (log $LOGS/compare.log): the timings compare different work" >&2
    exit 1
fi
tail -n 1 "$LOGS/compare.log"
grep 'not compared' "$LOGS/compare.log" | sed 's/^ */  /' || true

# 4. The table: best (min) wall time of each step and the peak RSS of that run.
best() { sort -n -k1,1 "$TIMES/$1" | head -n 1; }
declare -A WALL RSS
for s in "${STEPS[@]}"; do
    read -r WALL[$s] RSS[$s] <<< "$(best "$s")"
done
ACT_ROWS="$("$PY" -c 'import json, sys
m = json.load(open(sys.argv[1]))
t = [s["tables"]["activities"] for s in m["snapshots"] if "activities" in s.get("tables", {})][-1]
print(sum(f.get("rows_read", 0) for f in t.get("files", [])) or t["rows"])' "$W/lake/_manifest.json")"
HEADER="$(date '+%Y-%m-%d %H:%M'), $N accounts, CSV $(du -sh "$W/csv" | cut -f1), $ACT_ROWS activities, $(nproc) cores, $(free -g | awk '/^Mem:/ { print $2 }') GB memory, $("$MCR" --version), DuckDB $("$PY" -c 'import duckdb; print(duckdb.__version__)'), REPS $REPS (as_of $AS_OF)"

# row LABEL WALL KB RATIO — one markdown row (RSS in GB).
row() { awk -v l="$1" -v w="$2" -v k="$3" -v r="$4" 'BEGIN { printf "| %s | %.2f | %.2f | %s |\n", l, w, k / 1048576, r }'; }
ratio() { awk -v a="$1" -v b="$2" -v what="$3" 'BEGIN { printf "%.2f × %s", a / b, what }'; }
JOB_OFF="$(awk -v a="${WALL[ingest]}" -v b="${WALL[analyze_off]}" 'BEGIN { print a + b }')"
JOB_DEF="$(awk -v a="${WALL[ingest]}" -v b="${WALL[analyze_def]}" 'BEGIN { print a + b }')"
max() { (( $1 > $2 )) && echo "$1" || echo "$2"; }
{
    echo "| step | best wall s | peak RSS GB | ratio |"
    echo "|---|---:|---:|---|"
    row "${LABEL[base]}" "${WALL[base]}" "${RSS[base]}" "—"
    row "${LABEL[ingest]}" "${WALL[ingest]}" "${RSS[ingest]}" "$(ratio "${WALL[ingest]}" "${WALL[base]}" "polars baseline")"
    row "${LABEL[analyze_off]}" "${WALL[analyze_off]}" "${RSS[analyze_off]}" "—"
    row "${LABEL[analyze_def]}" "${WALL[analyze_def]}" "${RSS[analyze_def]}" "$(ratio "${WALL[analyze_def]}" "${WALL[analyze_off]}" "evidence off")"
    row "${LABEL[report]}" "${WALL[report]}" "${RSS[report]}" "—"
    row "${LABEL[duck]}" "${WALL[duck]}" "${RSS[duck]}" "—"
    row "mcr job, evidence off (ingest + analyze)" "$JOB_OFF" "$(max "${RSS[ingest]}" "${RSS[analyze_off]}")" "$(ratio "$JOB_OFF" "${WALL[duck]}" "DuckDB whole job")"
    row "mcr job, defaults (ingest + analyze)" "$JOB_DEF" "$(max "${RSS[ingest]}" "${RSS[analyze_def]}")" "$(ratio "$JOB_DEF" "${WALL[duck]}" "DuckDB whole job")"
} > "$W/table.body"
NOTE="Best of $REPS run(s) per step; peak RSS of that run (GNU time %M). Job rows: sum of the best times, the larger of the two peaks (the steps run one after the other). DuckDB's time includes starting Python; its own split is in $LOGS/duck.log."

echo
echo "$HEADER"
echo
cat "$W/table.body"
echo
echo "$NOTE"
{ echo "$HEADER"; echo; cat "$W/table.body"; echo; echo "$NOTE"; } > "$W/table.md"
rm -f "$W/table.body" "$TIMES/last"
echo "(written to $W/table.md)"
