#!/usr/bin/env python3
"""Canonical exports with edge cases, to check metrics.sql against mcr beyond the plain sample.

    edge_case_exports.py [SAMPLE_DIR] OUT_DIR
        SAMPLE_DIR  default data/sample of this repository

Starts from the bundled sample and adds: a parent_account_id cycle (A10 <-> A11), an account
leading into it (A20), a self-parent (A13), an unknown parent (A14), a 3-level chain (A30 -> A12
-> A4 -> A1); blank industry / region / owner; accounts with no gross_margin; revenue in USD
(dated rates) and ' eur ' (undated rate) plus an fx_rates file; opportunities in USD; blank
product lines; an account (A61) whose revenue rows are a copy of A60's in reverse order, so
that both have the same revenue to the cent (a rank tie); and orphan rows (revenue, a contact,
activities, a survey of an unknown account). Then:

    mcr ingest OUT_DIR --lake LAKE -q && benches/analyze_vs_duckdb.sh LAKE

Expected: every column matches except, possibly, value_score of A60/A61: mcr's float sums of
the same amounts in two orders can differ in the last bit, which splits their margin tie (see
finding 2 in benches/duckdb/README.md).
"""
import csv
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def main() -> None:
    args = sys.argv[1:]
    if len(args) == 1:
        src, dst = os.path.join(HERE, "..", "..", "data", "sample"), args[0]
    elif len(args) == 2:
        src, dst = args
    else:
        sys.exit(__doc__)
    shutil.rmtree(dst, ignore_errors=True)
    os.makedirs(dst)

    def read(t):
        with open(os.path.join(src, f"{t}.csv"), encoding="utf-8-sig", newline="") as f:
            r = list(csv.reader(f))
        return r[0], r[1:]

    def write(t, h, rows):
        with open(os.path.join(dst, f"{t}.csv"), "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(h)
            w.writerows(rows)

    h, rows = read("accounts")
    ix = {c: i for i, c in enumerate(h)}
    parents = {"A0000010": "A0000011", "A0000011": "A0000010", "A0000020": "A0000010",
               "A0000013": "A0000013", "A0000014": "A9999999", "A0000030": "A0000012"}
    for r in rows:
        a = r[ix["account_id"]]
        if a in parents:
            r[ix["parent_account_id"]] = parents[a]
        if a in ("A0000040", "A0000041"):
            r[ix["industry"]] = ""
        if a == "A0000042":
            r[ix["region"]] = ""
        if a == "A0000043":
            r[ix["owner_id"]] = ""
    write("accounts", h, rows)

    h, rows = read("revenue")
    ix = {c: i for i, c in enumerate(h)}
    for k, r in enumerate(rows):
        if r[ix["account_id"]] in ("A0000050", "A0000051", "A0000052"):
            r[ix["gross_margin"]] = ""
        if k % 7 == 0:
            r[ix["currency"]] = "USD"
        elif k % 11 == 0:
            r[ix["currency"]] = "eur "
        if k % 13 == 0:
            r[ix["product_line"]] = ""
    rows = [r for r in rows if r[ix["account_id"]] != "A0000061"]
    copy = []
    for r in rows:
        if r[ix["account_id"]] == "A0000060":
            c = list(r)
            c[ix["account_id"]] = "A0000061"
            c[ix["document_id"]] += "X"
            copy.append(c)
    orphan = list(rows[0])
    orphan[ix["account_id"]] = "A9999998"  # an orphan (unknown account), kept by a non-strict ingest
    orphan[ix["document_id"]] = "INV-ORPHAN"
    write("revenue", h, rows + copy[::-1] + [orphan])

    h, rows = read("opportunities")
    ix = {c: i for i, c in enumerate(h)}
    for k, r in enumerate(rows):
        if k % 5 == 0:
            r[ix["currency"]] = "USD"
    write("opportunities", h, rows)

    write("fx_rates", ["currency", "rate_to_reporting", "valid_from"],
          [["USD", "7.0", "2020-01-01"], ["USD", "7.2", "2026-06-01"], ["USD", "6.9", "2024-03-15"],
           ["EUR", "7.8", ""]])
    for t in ("employees", "agreements"):
        shutil.copy(os.path.join(src, f"{t}.csv"), os.path.join(dst, f"{t}.csv"))
    # orphans: a contact, two activities and a survey of an unknown account
    h, rows = read("contacts")
    ix = {c: i for i, c in enumerate(h)}
    o = list(rows[0])
    o[ix["contact_id"]], o[ix["account_id"]] = "C-ORPHAN", "A9999998"
    write("contacts", h, rows + [o])
    h, rows = read("activities")
    ix = {c: i for i, c in enumerate(h)}
    extra = []
    for k in range(2):
        o = list(rows[-1 - k])
        o[ix["activity_id"]], o[ix["account_id"]] = f"X-ORPHAN-{k}", "A9999998"
        extra.append(o)
    write("activities", h, rows + extra)
    h, rows = read("surveys")
    ix = {c: i for i, c in enumerate(h)}
    o = list(rows[0])
    o[ix["account_id"]] = "A9999998"
    write("surveys", h, rows + [o])
    print(f"edge-case exports written to {dst}")


if __name__ == "__main__":
    main()
