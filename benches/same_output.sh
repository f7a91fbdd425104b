#!/usr/bin/env bash
# Two mcr binaries give the same lake and the same metric tables (issue 23: a change for
# speed must keep every row kept and rejected, every parsed value and every metric).
#
#   benches/same_output.sh OLD_MCR NEW_MCR [ACCOUNTS]      (default 200000 accounts)
#
# Generates a messy export (`mcr generate --messy`: ¥1,234.50, 2026/1/31, Chinese labels,
# 是/否, BOM) with a few rows appended that must be rejected or counted as orphans, ingests it
# with each binary into its own lake (same salt, so hashed contact data compare), analyzes
# each lake with the defaults, then compares with DuckDB (the venv of
# benches/analyze_vs_duckdb.sh): every lake table and rejects file row for row in file order,
# every metric table as a multiset of rows, and summary.json (numbers to a relative 1e-12:
# a sum taken in another order differs in its last bits). Exits 1 on any difference.
#
# Environment: WORKDIR (default /tmp/mcr-same-$ACCOUNTS), VENV (default
# $HOME/.cache/mcr/duckdb-venv, created on first use by benches/duckdb/venv.sh).
set -euo pipefail
if [[ $# -lt 2 || $# -gt 3 ]]; then
    sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
fi
OLD="$(realpath "$1")"
NEW="$(realpath "$2")"
N="${3:-200000}"
W="${WORKDIR:-/tmp/mcr-same-$N}"
for b in "$OLD" "$NEW"; do [[ -x "$b" ]] || { echo "error: no binary at $b" >&2; exit 1; }; done
source "$(dirname "$0")/duckdb/venv.sh"
mkdir -p "$W"
if [[ "$(cat "$W/accounts" 2>/dev/null)" != "$N" ]]; then
    rm -rf "$W/csv"
    "$NEW" generate --accounts "$N" --messy --out "$W/csv" -q
    # Rows that must be rejected (an impossible date, a repeated contact) or kept as an orphan.
    printf 'INV9999999999,A0000002,2026-13-45,10.00,CNY,1.00,Software\nINV9999999998,A9999999,2026/6/5,10.00,CNY,1.00,Software\n' >> "$W/csv/revenue.csv"
    tail -n 1 "$W/csv/contacts.csv" >> "$W/csv/contacts.csv"
    echo "$N" > "$W/accounts"
fi
for side in old new; do
    bin="$OLD"; [[ $side == new ]] && bin="$NEW"
    rm -rf "$W/$side"
    mkdir -p "$W/$side/lake"
    echo "0123456789abcdef0123456789abcdef" > "$W/$side/lake/_salt"
    ( cd "$W/$side" && "$bin" ingest "$W/csv" --lake lake -q && "$bin" analyze --lake lake -q >/dev/null )
    echo "$side: ingested and analyzed with $bin"
done
"$PY" - "$W/old/lake" "$W/new/lake" <<'PY'
import glob, json, os, sys
import duckdb
old, new = sys.argv[1], sys.argv[2]
con = duckdb.connect()
def files(root):
    out = {}
    for p in glob.glob(os.path.join(root, "**", "*.parquet"), recursive=True):
        rel = os.path.relpath(p, root).split(os.sep)
        if rel[0] == "metrics":
            key = "metrics/" + rel[-1]
        elif rel[0] == "_rejects":
            key = "_rejects/" + rel[1]
        else:
            key = rel[0]
        out[key] = p
    return out
a, b = files(old), files(new)
bad = 0
if sorted(a) != sorted(b):
    print("different files:", sorted(set(a) ^ set(b))); bad += 1
def rd(p, ordered):
    q = f"read_parquet('{p}', hive_partitioning = false)"
    return (f"SELECT row_number() OVER () AS _n, * FROM {q}" if ordered else f"SELECT * FROM {q}")
for k in sorted(set(a) & set(b)):
    ordered = not k.startswith("metrics/")
    x, y = rd(a[k], ordered), rd(b[k], ordered)
    try:
        d = con.execute(f"SELECT count(*) FROM (({x}) EXCEPT ALL ({y})) UNION ALL SELECT count(*) FROM (({y}) EXCEPT ALL ({x}))").fetchall()
        n = con.execute(f"SELECT count(*) FROM ({x})").fetchone()[0]
    except Exception as e:
        print(f"{k}: cannot compare: {e}"); bad += 1; continue
    diff = d[0][0] + d[1][0]
    print(f"{k}: {n} rows, {diff} differing")
    bad += diff > 0
sa = glob.glob(os.path.join(old, "metrics", "*", "summary.json"))
sb = glob.glob(os.path.join(new, "metrics", "*", "summary.json"))
ja = json.load(open(sa[0])) if sa else None
jb = json.load(open(sb[0])) if sb else None
for j in (ja, jb):
    if j: j.pop("generated_at", None)
def close(x, y):
    """Equal, floats to a relative 1e-12 (a sum in another order differs in its last bits)."""
    if isinstance(x, float) and isinstance(y, (int, float)) or isinstance(y, float) and isinstance(x, int):
        return x == y or abs(x - y) <= 1e-12 * max(abs(x), abs(y))
    if isinstance(x, dict) and isinstance(y, dict):
        return x.keys() == y.keys() and all(close(x[k], y[k]) for k in x)
    if isinstance(x, list) and isinstance(y, list):
        return len(x) == len(y) and all(close(a, b) for a, b in zip(x, y))
    return x == y
if not close(ja, jb):
    keys = sorted(k for k in set(ja or {}) | set(jb or {}) if not close((ja or {}).get(k), (jb or {}).get(k)))
    print("summary.json differs:", keys); bad += 1
elif ja != jb:
    keys = sorted(k for k in set(ja or {}) | set(jb or {}) if (ja or {}).get(k) != (jb or {}).get(k))
    print("summary.json: same to a relative 1e-12 (last digits differ in:", ", ".join(keys) + ")")
else:
    print("summary.json: same")
print("SAME" if not bad else "DIFFERENT")
sys.exit(1 if bad else 0)
PY
