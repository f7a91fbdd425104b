# Sourced by benches/run.sh, benches/analyze_vs_duckdb.sh and benches/same_output.sh: DuckDB
# in its own venv ($VENV, default $HOME/.cache/mcr/duckdb-venv), created on first use with
# `pip install duckdb` and reused; sets PY to the venv's python. Benchmark tooling only, not a
# product dependency.
VENV="${VENV:-$HOME/.cache/mcr/duckdb-venv}"
if ! "$VENV/bin/python" -c 'import duckdb' 2>/dev/null; then
    echo "creating the DuckDB venv at $VENV…" >&2
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --upgrade pip
    "$VENV/bin/pip" install --quiet duckdb
fi
PY="$VENV/bin/python"
