#!/usr/bin/env python3
"""Check DuckDB's metric tables against mcr's, column by column.

    compare.py --mcr <lake>/metrics/as_of=<date> --duck DIR [--rtol 1e-6] [--atol 1e-9] [--show N]

Tables and join keys:
  accounts        account_id
  employees       employee_id
  concentration   (level, dimension, key, metric) -> value
  tier_migration  (tier_prev, tier), null-safe
  summary.json    headline figures, major customers (level, key), hierarchy cycles,
                  tier mismatches, orphan counts
Every column present in both tables is compared (mcr's extras included). In summary.json's
headline, every key both sides have is compared; keys only mcr writes (figures metrics.sql does
not compute: deal pipeline, evidence, intervals, …) are skipped and listed on one line, a key
only DuckDB writes is a difference. Other top-level keys of mcr's summary.json (quarterly,
settings, notes, …) are not compared. Numbers match when both
are null, equal (±inf included), or |a − b| ≤ rtol · max(|a|, |b|) or |a − b| ≤ atol (the
absolute floor only absorbs float noise around 0); everything else must be equal (null = null).
Rows present on one side only are reported per table. Prints one line per compared column with
its mismatch count and a few examples; exits 1 when anything differs.

Benchmark tooling only: needs the `duckdb` Python package.
"""
import argparse
import json
import os
import sys

import duckdb

TABLES = {
    "accounts": ["account_id"],
    "employees": ["employee_id"],
    "concentration": ["level", "dimension", "key", "metric"],
    "tier_migration": ["tier_prev", "tier"],
}
# Categorical columns decided by comparing a float with a threshold: a difference there is only
# float rounding when mcr's driving value lies within BOUNDARY_EPS of the threshold (e.g. an RDI
# that is exactly 50 in exact arithmetic, computed as 49.99999999999999 by one side and 50.0 by
# the other, because the KRI sum was added up in another order). Such rows are counted and shown
# apart ("at a threshold"), not hidden.
BOUNDARY = {
    "accounts": {"quadrant": ("rdi", [50.0]), "ori_level": ("ori", [70.0, 40.0])},
}
BOUNDARY_EPS = 1e-9
NUMERIC = ("DOUBLE", "FLOAT", "REAL", "DECIMAL", "BIGINT", "INTEGER", "SMALLINT", "TINYINT",
           "HUGEINT", "UBIGINT", "UINTEGER", "USMALLINT", "UTINYINT")


def q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def describe(con, view: str) -> dict:
    return {r[0]: r[1] for r in con.execute(f"DESCRIBE {view}").fetchall()}


def compare_table(con, table: str, mcr_dir: str, duck_dir: str, rtol: float, atol: float, show: int) -> int:
    mp = os.path.join(mcr_dir, f"{table}.parquet")
    dp = os.path.join(duck_dir, f"{table}.parquet")
    if not os.path.isfile(mp) or not os.path.isfile(dp):
        print(f"{table}: MISSING ({'mcr' if not os.path.isfile(mp) else 'duckdb'} output not found)")
        return 1
    con.execute(f"CREATE OR REPLACE VIEW m AS SELECT * FROM read_parquet('{mp}', hive_partitioning = false)")
    con.execute(f"CREATE OR REPLACE VIEW d AS SELECT * FROM read_parquet('{dp}', hive_partitioning = false)")
    mcols, dcols = describe(con, "m"), describe(con, "d")
    keys = TABLES[table]
    on = " AND ".join(f"m.{q(k)} IS NOT DISTINCT FROM d.{q(k)}" for k in keys)
    n_m = con.execute("SELECT count(*) FROM m").fetchone()[0]
    n_d = con.execute("SELECT count(*) FROM d").fetchone()[0]
    dup_m = con.execute(f"SELECT count(*) - count(DISTINCT ({', '.join(q(k) for k in keys)})) FROM m").fetchone()[0]
    only_m = con.execute(f"SELECT count(*) FROM m ANTI JOIN d ON {on}").fetchone()[0]
    only_d = con.execute(f"SELECT count(*) FROM d ANTI JOIN m ON {on}").fetchone()[0]
    bad = 0
    print(f"{table}: mcr {n_m} rows, duckdb {n_d} rows, only in mcr {only_m}, only in duckdb {only_d}"
          + (f", duplicate keys in mcr {dup_m}" if dup_m else ""))
    if only_m or only_d or dup_m:
        bad += 1
        for side, a, b in (("mcr", "m", "d"), ("duckdb", "d", "m")):
            ex = con.execute(f"SELECT {', '.join(f'{a}.{q(k)}' for k in keys)} FROM {a} ANTI JOIN {b} ON {on} LIMIT {show}").fetchall()
            if ex:
                print(f"    only in {side}: {ex}")
    common = [c for c in mcols if c in dcols and c not in keys]
    missing = [c for c in mcols if c not in dcols]
    if missing:
        print(f"    columns of mcr's table not produced by duckdb: {', '.join(missing)}")
    for c in common:
        num = mcols[c].startswith(NUMERIC) and dcols[c].startswith(NUMERIC)
        if num:
            a, b = f"m.{q(c)}::DOUBLE", f"d.{q(c)}::DOUBLE"
            same = (f"(({a} IS NULL AND {b} IS NULL) OR ({a} = {b}) OR "
                    f"(isfinite({a}) AND isfinite({b}) AND (abs({a} - {b}) <= {rtol} * greatest(abs({a}), abs({b})) "
                    f"OR abs({a} - {b}) <= {atol})))")
        else:
            same = f"(m.{q(c)}::VARCHAR IS NOT DISTINCT FROM d.{q(c)}::VARCHAR)"
        cond = f"NOT coalesce({same}, false)"
        n_edge = 0
        if c in BOUNDARY.get(table, {}):
            drv, ths = BOUNDARY[table][c]
            near = " OR ".join(f"abs(m.{q(drv)} - {t}) <= {BOUNDARY_EPS}" for t in ths)
            edge_cond = f"{cond} AND coalesce({near}, false)"
            n_edge = con.execute(f"SELECT count(*) FROM m JOIN d ON {on} WHERE {edge_cond}").fetchone()[0]
            if n_edge:
                ex = con.execute(
                    f"SELECT {', '.join(f'm.{q(k)}' for k in keys)}, m.{q(drv)}, d.{q(drv)}, m.{q(c)}, d.{q(c)} "
                    f"FROM m JOIN d ON {on} WHERE {edge_cond} LIMIT {show}").fetchall()
            cond = f"{cond} AND NOT coalesce({near}, false)"
        n_bad = con.execute(f"SELECT count(*) FROM m JOIN d ON {on} WHERE {cond}").fetchone()[0]
        status = "ok" if n_bad == 0 else f"MISMATCH {n_bad}"
        if n_edge:
            status += f" ({n_edge} at a threshold of {BOUNDARY[table][c][0]}: float rounding, not counted)"
        print(f"    {c:<32} {status}")
        if n_edge:
            for e in ex:
                print(f"        at threshold (key, mcr {BOUNDARY[table][c][0]}, duckdb {BOUNDARY[table][c][0]}, mcr, duckdb): {e}")
        if n_bad:
            bad += 1
            ex = con.execute(
                f"SELECT {', '.join(f'm.{q(k)}' for k in keys)}, m.{q(c)} AS mcr, d.{q(c)} AS duckdb "
                f"FROM m JOIN d ON {on} WHERE {cond} LIMIT {show}").fetchall()
            for e in ex:
                print(f"        {e}")
    return bad


def close(a, b, rtol: float, atol: float) -> bool:
    if isinstance(a, bool) or isinstance(b, bool) or not isinstance(a, (int, float)) or not isinstance(b, (int, float)):
        return a == b
    return a == b or abs(a - b) <= rtol * max(abs(a), abs(b)) or abs(a - b) <= atol


def compare_summary(mcr_dir: str, duck_dir: str, rtol: float, atol: float, show: int) -> int:
    """summary.json: the scalar fields, headline (the keys both sides have; numbers within
    tolerance, maps per key), major customers by (level, key), hierarchy cycles, tier mismatches
    and orphan counts. `settings`, `unavailable`, `notes`, `quarterly` and
    `reporting_currency_basis` are not written by metrics.sql."""
    mp, dp = os.path.join(mcr_dir, "summary.json"), os.path.join(duck_dir, "summary.json")
    if not os.path.isfile(mp) or not os.path.isfile(dp):
        print(f"summary: MISSING ({'mcr' if not os.path.isfile(mp) else 'duckdb'} summary.json not found)")
        return 1
    with open(mp, encoding="utf-8") as f:
        m = json.load(f)
    with open(dp, encoding="utf-8") as f:
        d = json.load(f)
    bad = []
    for k in ("as_of", "window_12m", "reporting_currency", "revenue_source"):
        if m.get(k) != d.get(k):
            bad.append((k, m.get(k), d.get(k)))
    mh, dh = m.get("headline", {}), d.get("headline", {})
    # mcr's headline grows (deal pipeline, evidence, intervals, …) ahead of metrics.sql: compare
    # the keys both have; a key only mcr has is skipped (and named), a key only DuckDB has is a
    # difference (metrics.sql computing something mcr no longer writes).
    skipped = sorted(set(mh) - set(dh))
    for k in sorted(set(dh) - set(mh)):
        bad.append((f"headline.{k}", "(absent)", dh[k]))
    for k in sorted(set(mh) & set(dh)):
        a, b = mh.get(k), dh.get(k)
        if isinstance(a, dict) or isinstance(b, dict):
            a, b = a or {}, b or {}
            for kk in sorted(set(a) | set(b)):
                if not close(a.get(kk), b.get(kk), rtol, atol):
                    bad.append((f"headline.{k}.{kk}", a.get(kk), b.get(kk)))
        elif not close(a, b, rtol, atol):
            bad.append((f"headline.{k}", a, b))
    mm = {(x["level"], x["key"]): x for x in m.get("major_customers", [])}
    dm = {(x["level"], x["key"]): x for x in d.get("major_customers", [])}
    for key in sorted(set(mm) | set(dm)):
        a, b = mm.get(key), dm.get(key)
        if a is None or b is None:
            bad.append((f"major_customers{key}", a, b))
            continue
        for f_ in ("name", "revenue_12m", "share"):
            if not close(a.get(f_), b.get(f_), rtol, atol):
                bad.append((f"major_customers{key}.{f_}", a.get(f_), b.get(f_)))
    mq, dq = m.get("data_quality", {}), d.get("data_quality", {})
    if sorted(mq.get("hierarchy_cycles", [])) != sorted(dq.get("hierarchy_cycles", [])):
        bad.append(("data_quality.hierarchy_cycles", mq.get("hierarchy_cycles"), dq.get("hierarchy_cycles")))
    tm = {tuple(sorted(x.items())) for x in mq.get("tier_mismatches", [])}
    td = {tuple(sorted(x.items())) for x in dq.get("tier_mismatches", [])}
    if tm != td:
        bad.append(("data_quality.tier_mismatches", f"{len(tm - td)} only in mcr: {sorted(tm - td)[:show]}",
                    f"{len(td - tm)} only in duckdb: {sorted(td - tm)[:show]}"))
    if (mq.get("orphans") or {}) != (dq.get("orphans") or {}):
        bad.append(("data_quality.orphans", mq.get("orphans"), dq.get("orphans")))
    n_major = len(mm)
    print(f"summary: headline {len(set(mh) & set(dh))} figures compared, {n_major} major customers, "
          f"{len(tm)} tier mismatches, {len(mq.get('hierarchy_cycles', []))} hierarchy cycles, "
          f"orphans {mq.get('orphans') or {}}")
    if skipped:
        print(f"    headline keys only in mcr, not compared ({len(skipped)}): {', '.join(skipped)}")
    if not bad:
        print("    every compared field ok")
        return 0
    for k, a, b in bad:
        print(f"    {k:<40} MISMATCH  mcr {a!r}  duckdb {b!r}")
    return len(bad)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mcr", required=True, help="mcr's metrics folder: <lake>/metrics/as_of=<date>")
    ap.add_argument("--duck", required=True, help="run.py's --out folder")
    ap.add_argument("--rtol", type=float, default=1e-6)
    ap.add_argument("--atol", type=float, default=1e-9)
    ap.add_argument("--show", type=int, default=3, help="examples shown per mismatching column")
    args = ap.parse_args()
    con = duckdb.connect()
    bad = 0
    for t in TABLES:
        bad += compare_table(con, t, args.mcr, args.duck, args.rtol, args.atol, args.show)
    bad += compare_summary(args.mcr, args.duck, args.rtol, args.atol, args.show)
    if bad:
        print(f"compare: {bad} difference(s) between mcr and duckdb")
        sys.exit(1)
    print("compare: every compared column matches")


if __name__ == "__main__":
    main()
