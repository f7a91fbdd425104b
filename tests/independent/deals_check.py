#!/usr/bin/env python3
"""Independent check of metrics.md "Deal decision chain" (issue 24).

Recomputes the `deals` table (every open opportunity: its buying group from deal_contacts —
the row's role, support and intimacy where given, else the contact's own — or its account's
contacts, then KRI, chain status, decision makers, opposition and missing roles), the open
pipeline by chain status of summary.json and the evidence rows `deal_chain_status`, straight
from the raw canonical CSV exports (standard library only: no polars, no mcr code), and
compares them with what `mcr analyze` wrote. Exit 0 when they agree, 1 with the differences
listed otherwise.

usage: deals_check.py EXPORT_DIR METRICS_DIR

Without deal_contacts.csv in EXPORT_DIR every deal must take its account's contacts and have
exactly the account's kri and decision_chain_status (accounts.csv).
"""
import csv
import datetime as dt
import json
import sys
from collections import defaultdict
from pathlib import Path

POWER = {"decision_maker": 3, "evaluator": 2, "technical": 2, "procurement": 2,
         "influencer": 1, "user": 1}
CHAIN_ROLES = ["decision_maker", "evaluator", "technical", "procurement"]


def rows(path):
    with open(path, newline="", encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


def num(s):
    s = (s or "").strip()
    return float(s) if s else None


def integer(s):
    s = (s or "").strip()
    return int(s) if s else None


def text(s):
    s = (s or "").strip()
    return s or None


def date(s):
    s = (s or "").strip()
    return dt.date.fromisoformat(s) if s else None


def sub_months(d, m):
    y, mo = divmod(d.year * 12 + d.month - 1 - m, 12)
    mo += 1
    last = (dt.date(y + (mo == 12), mo % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(y, mo, min(d.day, last))


def chain(members):
    """(kri, status, decision makers, opposition, missing roles) of a buying group."""
    spk = sp = 0.0
    dm_sup = key_sup = opp = False
    dms = 0
    covered = set()
    for role, sup, inti in members:
        if role is None or role == "none":
            continue
        p = POWER.get(role, 0)
        k = 0.7 * (sup or 0) / 3 + 0.3 * (inti or 0) / 4
        spk += p * k
        sp += p
        s = sup is not None and sup >= 1
        key_sup |= s
        if role == "decision_maker":
            dms += 1
            dm_sup |= s
            opp |= sup is not None and sup <= -1
        if s and role in CHAIN_ROLES:
            covered.add(role)
    kri = 0.0 if sp <= 0 else 100 * min(1.0, max(0.0, spk / sp))
    status = "green" if dm_sup else ("amber" if key_sup else "red")
    missing = ";".join(r for r in CHAIN_ROLES if r not in covered)
    return kri, status, dms, opp, missing


def close(a, b, tol=1e-6):
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))


def main():
    export, metrics = Path(sys.argv[1]), Path(sys.argv[2])
    summary = json.loads((metrics / "summary.json").read_text(encoding="utf-8"))
    as_of = dt.date.fromisoformat(summary["as_of"])
    start = sub_months(as_of, 12)
    errors = []

    contacts = {}
    by_account = defaultdict(list)
    for c in rows(export / "contacts.csv"):
        m = (text(c["decision_role"]), integer(c["support"]), integer(c["intimacy"]))
        by_account[c["account_id"].strip()].append(m)
        contacts.setdefault(c["contact_id"].strip(), m)
    groups = defaultdict(list)
    dc_path = export / "deal_contacts.csv"
    has_dc = dc_path.exists()
    if has_dc:
        seen = set()
        for r in rows(dc_path):
            o, c = r["opportunity_id"].strip(), r["contact_id"].strip()
            if (o, c) in seen:
                continue
            seen.add((o, c))
            own = contacts.get(c, (None, None, None))
            row = (text(r["role"]), integer(r["support"]), integer(r["intimacy"]))
            groups[o].append(tuple(x if x is not None else y for x, y in zip(row, own)))

    opps = rows(export / "opportunities.csv")
    expected = {}
    for o in opps:
        closed = (o["is_closed"] or "").strip().lower() == "true"
        created = date(o["created_date"])
        if closed or (created is not None and created > as_of):
            continue
        oid = o["opportunity_id"].strip()
        aid = o["account_id"].strip()
        if oid in groups:
            members, source = groups[oid], "deal"
        else:
            members, source = by_account.get(aid, []), "account"
        amount, prob = num(o["amount"]), num(o["probability"])
        expected[oid] = {
            "account_id": aid,
            "amount": amount,
            "probability": prob,
            "source": source,
            "chain": chain(members),
            "group": sum(1 for m in members if m[0] not in (None, "none")),
        }

    got = {r["opportunity_id"]: r for r in rows(metrics / "deals.csv")}
    if set(got) != set(expected):
        errors.append(f"open deals differ: only mcr {sorted(set(got) - set(expected))[:5]}, "
                      f"only here {sorted(set(expected) - set(got))[:5]}")
    accounts = {a["account_id"]: a for a in rows(metrics / "accounts.csv")}
    for oid, e in expected.items():
        g = got.get(oid)
        if g is None:
            continue
        kri, status, dms, opp, missing = e["chain"]
        checks = [
            ("account_id", g["account_id"] == e["account_id"]),
            ("chain_source", g["chain_source"] == e["source"]),
            ("deal_kri", close(num(g["deal_kri"]), kri)),
            ("deal_chain_status", g["deal_chain_status"] == status),
            ("decision_makers_mapped", integer(g["decision_makers_mapped"]) == dms),
            ("opposition_at_decision_maker",
             g["opposition_at_decision_maker"] == ("true" if opp else "false")),
            ("missing_roles", (g["missing_roles"] or "") == missing),
            ("buying_group", integer(g["buying_group"]) == e["group"]),
            ("amount", close(num(g["amount"]), e["amount"])),
            ("probability", close(num(g["probability"]), e["probability"])),
            ("weighted_amount", close(num(g["weighted_amount"]),
                                      None if e["amount"] is None or e["probability"] is None
                                      else e["amount"] * e["probability"])),
        ]
        if not has_dc:
            a = accounts[e["account_id"]]
            checks.append(("account kri", close(num(g["deal_kri"]), num(a["kri"]))))
            checks.append(("account status",
                           g["deal_chain_status"] == a["decision_chain_status"]))
        for name, ok in checks:
            if not ok:
                errors.append(f"{oid} {name}: mcr {g.get(name)} expected {e}")

    # --- headline
    h = summary["headline"]
    amount = defaultdict(float)
    count = defaultdict(int)
    weighted = all(e["probability"] is not None for e in expected.values()) and expected
    red = total_w = no_dm = 0.0
    for e in expected.values():
        a = e["amount"] or 0.0
        st = e["chain"][1]
        amount[st] += a
        count[st] += 1
        w = a * (e["probability"] or 0.0) if weighted else a
        total_w += w
        if st == "red":
            red += w
        if st != "green":
            no_dm += a
    for st in ["red", "amber", "green"]:
        if not close(h["pipeline_by_chain_status"].get(st, 0.0), amount[st]):
            errors.append(f"pipeline_by_chain_status[{st}] {h['pipeline_by_chain_status']} vs {amount[st]}")
        if h["deals_by_chain_status"].get(st, 0) != count[st]:
            errors.append(f"deals_by_chain_status[{st}] {h['deals_by_chain_status']} vs {count[st]}")
    if not close(h["pipeline_red_share"], red / total_w if total_w else None):
        errors.append(f"pipeline_red_share {h['pipeline_red_share']} vs {red / total_w}")
    if not close(h["pipeline_no_supportive_dm"], no_dm):
        errors.append(f"pipeline_no_supportive_dm {h['pipeline_no_supportive_dm']} vs {no_dm}")
    if h["open_deals"] != len(expected):
        errors.append(f"open_deals {h['open_deals']} vs {len(expected)}")

    # --- evidence: win rate by chain status of the deals closed in window_12m with a group
    ev = {}
    for o in opps:
        oid = o["opportunity_id"].strip()
        cd = date(o["close_date"])
        if (o["is_closed"] or "").strip().lower() != "true" or oid not in groups:
            continue
        if cd is None or not (start < cd <= as_of):
            continue
        st = chain(groups[oid])[1]
        e = ev.setdefault(st, [0, 0, set()])
        e[0] += 1
        e[1] += (o["is_won"] or "").strip().lower() == "true"
        e[2].add(o["account_id"].strip())
    got_ev = {r["key"]: r for r in rows(metrics / "evidence.csv")
              if r["dimension"] == "deal_chain_status"}
    if set(got_ev) != set(ev):
        errors.append(f"evidence statuses {sorted(got_ev)} vs {sorted(ev)}")
    for st, (n, w, accs) in ev.items():
        g = got_ev.get(st)
        if g is None:
            continue
        if (integer(g["opportunities_closed"]), integer(g["opportunities_won"]),
                integer(g["accounts"])) != (n, w, len(accs)):
            errors.append(f"evidence {st}: {g} vs {(n, w, len(accs))}")
        if not close(num(g["win_rate"]), w / n):
            errors.append(f"evidence {st} win_rate {g['win_rate']} vs {w / n}")

    sources = defaultdict(int)
    for e in expected.values():
        sources[e["source"]] += 1
    print(f"open deals {len(expected)}, chain sources {dict(sources)}, "
          f"statuses {dict(count)}, evidence {{{', '.join(f'{k}: {v[0]}' for k, v in ev.items())}}}")
    if errors:
        print(f"{len(errors)} differences:")
        for e in errors[:40]:
            print(" ", e)
        sys.exit(1)


if __name__ == "__main__":
    main()
