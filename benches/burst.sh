#!/usr/bin/env bash
# Bursting cost: ACCOUNTS accounts (default 200 000) spread over OWNERS owners (default 1 000),
# then `mcr report` with and without `--burst owner`: wall time and peak memory of each.
# Usage: benches/burst.sh [ACCOUNTS] [OWNERS]   (release build in $CARGO_TARGET_DIR)
set -euo pipefail
cd "$(dirname "$0")/.."
ACCOUNTS="${1:-200000}"
OWNERS="${2:-1000}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/mcr/target}"
cargo build --release --quiet
MCR="$CARGO_TARGET_DIR/release/mcr"
W="$(mktemp -d)"
trap 'rm -rf "$W"' EXIT
cd "$W"
"$MCR" generate --accounts "$ACCOUNTS" --seed 7 --years 3 --end 2026-09-30 --out data --quiet
# Reassign owners so that exactly OWNERS employees own accounts (the generator gives one owner
# per ~8 accounts).
python3 - "$OWNERS" <<'PY'
import csv, sys
n = int(sys.argv[1])
rows = list(csv.reader(open("data/accounts.csv", encoding="utf-8-sig")))
k = rows[0].index("owner_id")
for i, r in enumerate(rows[1:]):
    r[k] = "E%05d" % (1 + (i * 7919) % n)
csv.writer(open("data/accounts.csv", "w", newline="", encoding="utf-8")).writerows(rows)
PY
"$MCR" ingest data --quiet
"$MCR" analyze --quiet
for args in "report --quiet" "report --burst owner --quiet"; do
  /usr/bin/time -f "mcr $args: %e s, %M KiB peak" "$MCR" $args
done
echo "bursts: $(($(wc -l < reports/*/bursts.csv) - 1)), on disk: $(du -sh reports/*/by-owner | cut -f1)"
