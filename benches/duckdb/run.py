#!/usr/bin/env python3
"""Run benches/duckdb/metrics.sql with DuckDB, over an mcr lake or from the CSV exports, and print
the wall time.

    run.py --lake LAKE [--as-of YYYY-MM-DD] --out DIR [--sql FILE] [--profile]
    run.py --csv DIR [--work DIR] [--as-of YYYY-MM-DD] --out DIR [--sql FILE] [--profile]

* --lake: reads <lake>/_manifest.json and creates one DuckDB view per table over its current
  snapshot (the newest snapshot holding the table, as mcr's `Lake::scan` does). fx_rates, when
  never ingested, is an empty typed view.
* --csv: DuckDB does the whole job that `mcr ingest` + `mcr analyze` do: every table CSV of DIR
  (<table>.csv in the canonical layout of `mcr generate`: accounts, contacts, opportunities,
  revenue, activities, employees, agreements, surveys, deal_contacts, and fx_rates when present)
  is converted with `COPY (SELECT … FROM read_csv(…)) TO '<work>/<table>.parquet'` (zstd), with
  the lake's column types (SCHEMA below, from src/contract/mod.rs: ids and text VARCHAR, dates
  DATE, amounts DOUBLE, support / intimacy INTEGER, flags BOOLEAN; contract columns missing
  from a file are NULL columns, extra columns are dropped, as ingest does); then the views read
  those Parquet files and metrics.sql runs as with --lake. Unlike ingest, nothing is validated
  or normalised (no enum / key / date checks, no trimming, no rejects, no PII hashing), so it
  reads only the plain canonical CSVs of `mcr generate` (not --messy, not other profiles), on
  which it gives the lake's values — a lower bound for the job.
  --work (default OUT/_parquet) holds the Parquet files; its <table>.parquet files are removed
  before the clock starts.
* as_of defaults to mcr's default: the latest revenue date (else the latest won-opportunity
  close_date).
* Writes accounts / concentration / employees / tier_migration as Parquet + CSV, and
  summary.json, into DIR.
* DuckDB runs in memory with its default settings (threads = all cores).
* Prints `duckdb: <seconds> s (as_of <date>, <threads> threads, output <DIR>)` on stdout; with
  --csv `duckdb: <total> s (as_of <date>, <threads> threads, CSV → Parquet <s> s + metrics <s> s,
  output <DIR>)`. With --profile, the time of each statement (and each conversion) on stderr.

Benchmark tooling only: needs the `duckdb` Python package (see benches/analyze_vs_duckdb.sh).
"""
import argparse
import csv
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

# --csv: the lake schema of every table (src/contract/mod.rs `Table::columns`, lake order) as
# DuckDB types. Enums are VARCHAR in the lake except support / intimacy (INTEGER).
S, D, F, B, I = "VARCHAR", "DATE", "DOUBLE", "BOOLEAN", "INTEGER"
SCHEMA = {
    "accounts": [("account_id", S), ("name", S), ("industry", S), ("region", S), ("country", S),
                 ("owner_id", S), ("parent_account_id", S), ("declared_tier", S),
                 ("created_date", D), ("annual_revenue", F), ("potential", F)],
    "contacts": [("contact_id", S), ("account_id", S), ("name", S), ("email", S), ("phone", S),
                 ("title", S), ("department", S), ("level", S), ("decision_role", S),
                 ("support", I), ("intimacy", I), ("owner_id", S)],
    "opportunities": [("opportunity_id", S), ("account_id", S), ("name", S), ("amount", F),
                      ("currency", S), ("stage", S), ("probability", F), ("close_date", D),
                      ("created_date", D), ("is_closed", B), ("is_won", B), ("owner_id", S),
                      ("product_line", S), ("competitor", S), ("loss_reason", S)],
    "revenue": [("document_id", S), ("account_id", S), ("date", D), ("amount", F),
                ("currency", S), ("gross_margin", F), ("product_line", S)],
    "activities": [("activity_id", S), ("account_id", S), ("contact_id", S), ("employee_id", S),
                   ("date", D), ("type", S), ("subject", S)],
    "employees": [("employee_id", S), ("name", S), ("role", S), ("team", S), ("region", S),
                  ("active", B), ("left_date", D), ("email", S)],
    "agreements": [("agreement_id", S), ("account_id", S), ("type", S), ("start_date", D),
                   ("end_date", D)],
    "surveys": [("account_id", S), ("date", D), ("score", F), ("respondent_level", S)],
    "fx_rates": [("currency", S), ("rate_to_reporting", F), ("valid_from", D)],
    "deal_contacts": [("opportunity_id", S), ("contact_id", S), ("role", S), ("is_primary", B),
                      ("support", I), ("intimacy", I)],
}


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


def q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def csv_header(path: str) -> list:
    """The column names of a CSV's first line (a UTF-8 BOM is dropped)."""
    with open(path, encoding="utf-8-sig", newline="") as f:
        return next(csv.reader(f), [])


def convert_csv(con, csv_dir: str, work: str, profile: bool) -> dict:
    """COPY every table CSV of csv_dir to work/<table>.parquet (zstd) with the lake's types;
    returns table -> [parquet path], the shape of current_parts()."""
    present = {t: os.path.join(csv_dir, f"{t}.csv") for t in SCHEMA
               if os.path.isfile(os.path.join(csv_dir, f"{t}.csv"))}
    missing = [t for t in REQUIRED if t not in present]
    if missing:
        sys.exit(f"run.py: {csv_dir} has no {', '.join(t + '.csv' for t in missing)}; "
                 "the benchmark SQL needs every table that `mcr generate` writes")
    parts = {}
    for t, path in present.items():
        header = set(csv_header(path))
        cols = SCHEMA[t]
        # Types for the contract columns the file has (everything else in the file is dropped);
        # contract columns it lacks become typed NULL columns, as in the lake.
        types = ", ".join(f"{sql_str(c)}: {sql_str(ty)}" for c, ty in cols if c in header)
        select = ", ".join(q(c) if c in header else f"NULL::{ty} AS {q(c)}" for c, ty in cols)
        dst = os.path.join(work, f"{t}.parquet")
        ts = time.perf_counter()
        opts = f", types = {{{types}}}" if types else ""
        try:
            con.execute(f"COPY (SELECT {select} FROM read_csv({sql_str(path)}, header = true{opts})) "
                        f"TO {sql_str(dst)} (FORMAT parquet, COMPRESSION zstd)")
        except duckdb.Error as e:
            detail = " ".join(str(e).splitlines()[:4])
            sys.exit(f"run.py: DuckDB cannot read {path} with the lake's types (--csv reads the "
                     f"plain canonical CSVs of `mcr generate`, not --messy exports or other "
                     f"profiles): {detail}")
        if profile:
            print(f"  {time.perf_counter() - ts:7.3f} s  CSV → Parquet {t}", file=sys.stderr)
        parts[t] = [dst]
    return parts


def create_views(con, parts: dict, where: str) -> None:
    missing = [t for t in REQUIRED if not parts.get(t)]
    if missing:
        sys.exit(f"run.py: {where} has no {', '.join(missing)} table; "
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
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--lake", help="an mcr lake: views over its current snapshot")
    src.add_argument("--csv", help="a folder of table CSVs: convert them to Parquet first")
    ap.add_argument("--work", help="--csv: folder for the Parquet files (default OUT/_parquet)")
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

    if args.work and not args.csv:
        ap.error("--work goes with --csv")
    if args.csv:
        csv_dir = os.path.abspath(args.csv)
        if not os.path.isdir(csv_dir):
            sys.exit(f"run.py: no CSV folder at {csv_dir}")
        work = os.path.abspath(args.work or os.path.join(out, "_parquet"))
        os.makedirs(work, exist_ok=True)
        for t in SCHEMA:  # no stale Parquet file of an earlier run may stand in for a table
            if os.path.exists(os.path.join(work, f"{t}.parquet")):
                os.remove(os.path.join(work, f"{t}.parquet"))

    t0 = time.perf_counter()
    con = duckdb.connect()  # in memory, default threads
    if args.csv:
        create_views(con, convert_csv(con, csv_dir, work, args.profile), csv_dir)
    else:
        lake = os.path.abspath(args.lake)
        create_views(con, current_parts(lake), f"the lake at {lake}")
    t_conv = time.perf_counter() - t0
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
    if args.csv:
        print(f"duckdb: {elapsed:.2f} s (as_of {as_of}, {threads} threads, CSV → Parquet "
              f"{t_conv:.2f} s + metrics {elapsed - t_conv:.2f} s, output {out})")
    else:
        print(f"duckdb: {elapsed:.2f} s (as_of {as_of}, {threads} threads, output {out})")


if __name__ == "__main__":
    main()
