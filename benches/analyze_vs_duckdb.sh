#!/usr/bin/env bash
# `mcr analyze` against DuckDB computing the same metric tables as SQL over the same Parquet lake
# (issue 3: on `mcr generate --accounts 200000`, analyze must beat DuckDB).
#
#   benches/analyze_vs_duckdb.sh LAKE [AS_OF]
#
#   LAKE    an ingested lake (e.g. after `mcr generate --accounts 200000 --out X/csv` and
#           `mcr ingest X/csv --lake X/lake`)
#   AS_OF   optional YYYY-MM-DD; default: each tool's own default (the latest revenue date)
#
# Environment:
#   MCR      mcr binary (default $HOME/.cache/mcr/target/release/mcr; this script never builds)
#   VENV     Python venv for DuckDB (default $HOME/.cache/mcr/duckdb-venv; created on first use
#            with `pip install duckdb` — benchmark tooling only, not a product dependency)
#   OUT      folder for DuckDB's output tables (default: a new folder under ${TMPDIR:-/tmp})
#   RUNS     timed runs of each tool (default 1); every run is printed
#
# What it does:
#   1. reads the lake's Parquet files once so that neither tool starts with a cold page cache;
#   2. runs `mcr analyze --lake LAKE -q [--as-of AS_OF]` under /usr/bin/time, from a folder
#      holding only an mcr.toml that turns the evidence off ([metrics.evidence] backtest = false,
#      bootstrap_draws = 0: no backtest table, no bootstrap intervals — work metrics.sql does
#      not do), so every other setting is mcr's default, which metrics.sql also uses; writes
#      LAKE/metrics/as_of=<date>/ (Parquet + CSV + summary.json);
#   3. runs benches/duckdb/run.py (benches/duckdb/metrics.sql, DuckDB in memory, default
#      threads = all cores) under /usr/bin/time, writing the same tables (Parquet + CSV) and
#      summary.json to OUT;
#   4. checks DuckDB's output against mcr's with benches/duckdb/compare.py (the tables, columns
#      and headline figures both compute);
#   5. prints both timings (wall seconds, peak RSS) and exits with compare.py's status.
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 || "$1" == -h || "$1" == --help ]]; then
    sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
fi
HERE="$(cd "$(dirname "$0")" && pwd)"
[[ -d "$1" ]] || { echo "error: no lake folder at $1" >&2; exit 1; }
LAKE="$(cd "$1" && pwd)"
AS_OF="${2:-}"
MCR="${MCR:-$HOME/.cache/mcr/target/release/mcr}"
RUNS="${RUNS:-1}"
OUT="${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/mcr-duckdb.XXXXXX")}"
TIME=/usr/bin/time
TFMT="%e s %M KB"

[[ -f "$LAKE/_manifest.json" ]] || { echo "error: $LAKE is not an mcr lake (no _manifest.json)" >&2; exit 1; }
# The binary may be missing for a moment while cargo relinks it: wait up to 60 s.
for _ in $(seq 60); do [[ -x "$MCR" ]] && break; sleep 1; done
[[ -x "$MCR" ]] || { echo "error: no mcr binary at $MCR (build it with cargo build --release, or set MCR)" >&2; exit 1; }
[[ -x "$TIME" ]] || { echo "error: $TIME is missing (apt-get install time)" >&2; exit 1; }

# DuckDB in its own venv (created once, reused): sets PY.
source "$HERE/duckdb/venv.sh"
DUCK_VERSION="$("$PY" -c 'import duckdb; print(duckdb.__version__)')"

# Run mcr from a folder of its own whose ./mcr.toml only turns the evidence off (the backtest
# re-runs the relationship analysis at a look-back date and the bootstrap draws 1000 resamples;
# metrics.sql does neither): every other setting is mcr's default, which metrics.sql also uses.
WORK="$(mktemp -d "${TMPDIR:-/tmp}/mcr-analyze.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
cat > "$WORK/mcr.toml" <<'TOML'
[metrics.evidence]
backtest = false
bootstrap_draws = 0
TOML

MCR_ARGS=(analyze --lake "$LAKE" -q)
DUCK_ARGS=(--lake "$LAKE" --out "$OUT")
if [[ -n "$AS_OF" ]]; then
    MCR_ARGS+=(--as-of "$AS_OF")
    DUCK_ARGS+=(--as-of "$AS_OF")
fi

echo "lake:    $LAKE ($(du -sh --exclude=metrics "$LAKE" | cut -f1))"
echo "mcr:     $MCR ($("$MCR" --version 2>/dev/null || echo '?'), evidence off)"
echo "duckdb:  $DUCK_VERSION, $(nproc) cores, output $OUT"

# Warm the page cache for both tools alike.
find "$LAKE" -path "$LAKE/metrics" -prune -o -name '*.parquet' -print0 | xargs -0 cat > /dev/null

declare -a MCR_T DUCK_T
for ((i = 1; i <= RUNS; i++)); do
    ( cd "$WORK" && "$TIME" -f "$TFMT" -o "$WORK/mcr.time" "$MCR" "${MCR_ARGS[@]}" > "$WORK/mcr.log" ) || {
        cat "$WORK/mcr.log" >&2; echo "error: mcr analyze failed" >&2; exit 1; }
    MCR_T+=("$(tail -n 1 "$WORK/mcr.time")")
    echo "run $i  mcr analyze: ${MCR_T[-1]}"
    "$TIME" -f "$TFMT" -o "$WORK/duck.time" "$PY" "$HERE/duckdb/run.py" "${DUCK_ARGS[@]}" > "$WORK/duck.log" || {
        cat "$WORK/duck.log" >&2; echo "error: the DuckDB run failed" >&2; exit 1; }
    DUCK_T+=("$(tail -n 1 "$WORK/duck.time")")
    echo "run $i  duckdb:      ${DUCK_T[-1]}   ($(cat "$WORK/duck.log"))"
done

# The as_of both used (the same default rule: latest revenue date).
if [[ -z "$AS_OF" ]]; then
    AS_OF="$(sed -n 's/.*(as_of \([0-9-]*\),.*/\1/p' "$WORK/duck.log")"
fi
MCR_DIR="$LAKE/metrics/as_of=$AS_OF"
[[ -d "$MCR_DIR" ]] || { echo "error: mcr wrote no $MCR_DIR (did both tools pick the same as_of?)" >&2; exit 1; }

echo
echo "== compare ($MCR_DIR vs $OUT)"
set +e
"$PY" "$HERE/duckdb/compare.py" --mcr "$MCR_DIR" --duck "$OUT"
STATUS=$?
set -e

echo
echo "== timings (wall s, peak RSS; as_of $AS_OF, $(nproc) cores)"
for ((i = 0; i < RUNS; i++)); do
    echo "  run $((i + 1))  mcr analyze ${MCR_T[$i]}  |  duckdb ${DUCK_T[$i]}"
done
echo "  (duckdb's time includes starting Python and importing duckdb; its own clock is in the run lines above)"
[[ $STATUS -eq 0 ]] || echo "WARNING: the outputs differ (see compare above): the timing compares different work" >&2
exit "$STATUS"
