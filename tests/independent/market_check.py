#!/usr/bin/env python3
"""Independent check of metrics.md "Market insight" (issue 16).

Recomputes wallet, wallet_share, headroom, selection and the competitors table straight from
the raw canonical CSV exports (standard library only: no polars, no mcr code) and compares
them with the metric tables `mcr analyze` wrote. Exit 0 when they agree, 1 with the
differences listed otherwise.

usage: market_check.py EXPORT_DIR METRICS_DIR WALLET_RATIO_JSON SHARE_THRESHOLD
"""
import csv
import datetime as dt
import json
import math
import sys
from collections import defaultdict
from pathlib import Path


def rows(path):
    with open(path, newline="", encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


def num(s):
    s = (s or "").strip()
    return float(s) if s else None


def sub_months(d, m):
    y, mo = divmod(d.year * 12 + d.month - 1 - m, 12)
    mo += 1
    last = (dt.date(y + (mo == 12), mo % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(y, mo, min(d.day, last))


def main():
    export, metrics, ratio_json, threshold = sys.argv[1:5]
    export, metrics = Path(export), Path(metrics)
    ratios = {k.strip().lower(): v for k, v in json.loads(ratio_json).items() if k.strip() != "*"}
    other = json.loads(ratio_json).get("*")
    threshold = float(threshold)
    summary = json.loads((metrics / "summary.json").read_text(encoding="utf-8"))
    as_of = dt.date.fromisoformat(summary["as_of"])
    start = sub_months(as_of, 12)  # window (start, as_of]

    def in_window(s):
        d = dt.date.fromisoformat(s.strip()) if s and s.strip() else None
        return d is not None and start < d <= as_of

    accounts = rows(export / "accounts.csv")
    industry = {a["account_id"].strip(): (a["industry"] or "").strip() for a in accounts}
    revenue = defaultdict(float)
    for r in rows(export / "revenue.csv"):
        if in_window(r["date"]):
            revenue[r["account_id"].strip()] += float(r["amount"])

    # --- wallet, share, headroom, selection
    expected = {}
    for a in accounts:
        aid = a["account_id"].strip()
        pot, ann = num(a["potential"]), num(a["annual_revenue"])
        ind = industry[aid].lower()
        ratio = ratios.get(ind, other) if ind else other
        if pot is not None and pot > 0:
            wallet = pot
        elif ann is not None and ratio is not None and ann * ratio > 0:
            wallet = ann * ratio
        else:
            wallet = None
        rev = revenue.get(aid, 0.0)
        share = None if wallet is None else min(1.0, max(0.0, rev / wallet))
        head = None if wallet is None else max(0.0, wallet - rev)
        expected[aid] = [wallet, share, head, None]
    wallets = sorted(v[0] for v in expected.values() if v[0] is not None)
    n = len(wallets)
    median = wallets[n // 2] if n % 2 else (wallets[n // 2 - 1] + wallets[n // 2]) / 2
    for v in expected.values():
        if v[0] is not None:
            hi_p, hi_s = v[0] >= median, v[1] >= threshold
            v[3] = {(True, False): "grow", (True, True): "defend",
                    (False, True): "maintain", (False, False): "selective"}[(hi_p, hi_s)]

    problems = []

    def close(a, b):
        if a is None or b is None:
            return a is None and b is None
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)

    got = {r["account_id"]: r for r in rows(metrics / "accounts.csv")}
    cells = defaultdict(int)
    for aid, (w, s, h, cell) in expected.items():
        g = got.get(aid)
        if g is None:
            problems.append(f"account {aid} missing from accounts.csv")
            continue
        gw, gs, gh, gc = num(g["wallet"]), num(g["wallet_share"]), num(g["headroom"]), (g["selection"] or None)
        if not (close(w, gw) and close(s, gs) and close(h, gh) and cell == gc):
            problems.append(f"account {aid}: expected {(w, s, h, cell)}, got {(gw, gs, gh, gc)}")
        cells[cell] += 1

    # --- competitors
    tally = {}
    names = {}
    for o in rows(export / "opportunities.csv"):
        if o["is_closed"].strip().lower() != "true" or not in_window(o["close_date"]):
            continue
        raw = o["competitor"] or ""
        key = " ".join(raw.split()).lower() or None
        if key is not None and key not in names:
            names[key] = " ".join(raw.split())
        ind = industry.get(o["account_id"].strip(), "") or "(unknown)"
        won = o["is_won"].strip().lower() == "true"
        amount = num(o["amount"]) or 0.0
        for k in ((key, None), (key, ind)):
            t = tally.setdefault(k, [0, 0, 0.0, 0.0])
            t[0] += 1
            t[1] += won
            t[2 if won else 3] += amount
    got_c = {}
    for r in rows(metrics / "competitors.csv"):
        comp = r["competitor"] or None
        key = " ".join(comp.split()).lower() if comp else None
        got_c[(key, r["industry"] or None)] = r
        if comp is not None and names.get(key) != comp:
            problems.append(f"competitor {key!r} shown as {comp!r}, first seen as {names.get(key)!r}")
    if set(got_c) != set(tally):
        problems.append(f"competitor rows differ: missing {sorted(set(tally) - set(got_c), key=str)[:5]}, extra {sorted(set(got_c) - set(tally), key=str)[:5]}")
    for k, (deals, won, won_amt, lost_amt) in tally.items():
        g = got_c.get(k)
        if g is None:
            continue
        exp = (deals, won, deals - won, won / deals, won_amt, lost_amt)
        gv = (int(g["deals"]), int(g["won"]), int(g["lost"]), num(g["win_rate"]), num(g["won_amount"]), num(g["lost_amount"]))
        if exp[:3] != gv[:3] or not all(close(a, b) for a, b in zip(exp[3:], gv[3:])):
            problems.append(f"competitor {k}: expected {exp}, got {gv}")

    named = sum(1 for k in tally if k[0] is not None and k[1] is None)
    print(f"checked {len(expected)} accounts ({n} with a wallet, median {median:.2f}, cells {dict(cells)}), "
          f"{len(tally)} competitor rows ({named} competitors, "
          f"{tally.get((None, None), [0])[0]} closed deals without one)")
    for p in problems[:30]:
        print("MISMATCH", p)
    if problems:
        print(f"{len(problems)} mismatches")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
