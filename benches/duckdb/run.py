#!/usr/bin/env python3
"""Run benches/duckdb/metrics.sql against an mcr lake with DuckDB and print the wall time.

    run.py --lake LAKE [--as-of YYYY-MM-DD] --out DIR [--sql FILE] [--profile]

* Reads <lake>/_manifest.json and creates one DuckDB view per table over its current snapshot
  (the newest snapshot holding the table, as mcr's `Lake::scan` does). fx_rates, when never
  ingested, is an empty typed view.
* as_of defaults to mcr's default: the latest revenue date (else the latest won-opportunity
  close_date).
* Writes accounts / concentration / employees / tier_migration as Parquet + CSV, and
  summary.json, into DIR.
* DuckDB runs in memory with its default settings (threads = all cores).
* Prints `duckdb: <seconds> s (as_of <date>, <threads> threads)` on stdout; with --profile, the
  time of each statement on stderr.

Benchmark tooling only: needs the `duckdb` Python package (see benches/analyze_vs_duckdb.sh).
"""
import argparse
import json
import os
import sys
import time

import duckdb

HERE = os.path.dirname(os.path.abspath(__file__))
TABLES = ["accounts", "contacts", "opportunities", "revenue", "activities", "employees",
          "agreements", "surveys", "fx_rates"]
REQUIRED = ["accounts", "contacts", "opportunities", "revenue", "activities", "employees",
            "agreements", "surveys"]


def sql_str(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def current_parts(lake: str) -> dict:
    """table -> list of Parquet paths of its newest snapshot (manifest order)."""
    with open(os.path.join(lake, "_manifest.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    parts = {}
    for snap in manifest.get("snapshots", []):  # oldest first; later ones win
        for table, t in snap.get("tables", {}).items():
            parts[table] = [os.path.join(lake, p) for p in t.get("parts", [])]
    return parts


def create_views(con, lake: str) -> None:
    parts = current_parts(lake)
    missing = [t for t in REQUIRED if not parts.get(t)]
    if missing:
        sys.exit(f"run.py: the lake at {lake} has no {', '.join(missing)} table; "
                 "the benchmark SQL needs every table that `mcr generate` writes")
    for t in TABLES:
        files = parts.get(t)
        if files:
            lst = "[" + ", ".join(sql_str(p) for p in files) + "]"
            con.execute(f"CREATE OR REPLACE VIEW {t} AS "
                        f"SELECT * FROM read_parquet({lst}, hive_partitioning = false)")
        elif t == "fx_rates":
            con.execute("CREATE OR REPLACE VIEW fx_rates AS SELECT NULL::VARCHAR AS currency, "
                        "NULL::DOUBLE AS rate_to_reporting, NULL::DATE AS valid_from WHERE false")


def default_as_of(con) -> str:
    d = con.execute("SELECT max(date) FROM revenue").fetchone()[0]
    if d is None:
        d = con.execute("SELECT max(close_date) FROM opportunities WHERE is_won").fetchone()[0]
    if d is None:
        sys.exit("run.py: nothing to analyze (no revenue and no won opportunities)")
    return d.isoformat()


def statements(script: str) -> list:
    if hasattr(duckdb, "extract_statements"):
        return [s.query for s in duckdb.extract_statements(script)]
    return [s for s in script.split(";") if s.strip()]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lake", required=True)
    ap.add_argument("--as-of", dest="as_of")
    ap.add_argument("--out", required=True, help="output folder (created)")
    ap.add_argument("--sql", default=os.path.join(HERE, "metrics.sql"))
    ap.add_argument("--profile", action="store_true", help="time every statement (stderr)")
    args = ap.parse_args()

    with open(args.sql, encoding="utf-8") as f:
        script = f.read()
    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    script = script.replace("__OUT__", out.replace("'", "''"))

    t0 = time.perf_counter()
    con = duckdb.connect()  # in memory, default threads
    create_views(con, os.path.abspath(args.lake))
    as_of = args.as_of or default_as_of(con)
    con.execute(f"SET VARIABLE as_of = DATE {sql_str(as_of)}")
    for stmt in statements(script):
        ts = time.perf_counter()
        con.execute(stmt)
        if args.profile:
            code = [l for l in stmt.splitlines() if l.strip() and not l.strip().startswith("--")]
            head = " ".join(" ".join(code).split())[:90]
            print(f"  {time.perf_counter() - ts:7.3f} s  {head}", file=sys.stderr)
    elapsed = time.perf_counter() - t0
    threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
    print(f"duckdb: {elapsed:.2f} s (as_of {as_of}, {threads} threads, output {out})")


if __name__ == "__main__":
    main()
