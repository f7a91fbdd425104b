-- =============================================================================================
-- mcr's metric tables (accounts, concentration, employees, tier_migration, summary.json) as
-- DuckDB SQL.
--
-- Benchmark only (issue 3: `mcr analyze` vs DuckDB over the same Parquet files); DuckDB is not
-- a dependency of the product. Formulas: shared/spec/metrics.md; semantics (window bounds, tie
-- rules, null handling, float evaluation order where it decides a tie) follow
-- src/metrics/{pipeline,segmentation,relationship,concentration,keyperson,windows,fx}.rs.
--
-- Run by benches/duckdb/run.py, which before this script
--   * creates one view per lake table over its current snapshot (newest snapshot in
--     _manifest.json holding it): accounts, contacts, opportunities, revenue, activities,
--     employees, agreements, surveys, fx_rates (fx_rates is an empty typed view when absent);
--   * sets the variable `as_of` (DATE; mcr's default: the latest revenue date);
--   * replaces the token __OUT__ below with the output folder.
-- Every other parameter is set just below to mcr's defaults (`mcr config --defaults`).
--
-- Outputs (Parquet, zstd, and CSV with a header, like mcr's <lake>/metrics/as_of=<d>/):
--   __OUT__/accounts.{parquet,csv}        every column of mcr's accounts table, same order,
--                                         including its extra columns (owner_id,
--                                         last_order_date, recency_days, departments_active,
--                                         departments_known, ori_level,
--                                         iron_triangle_missing, holders)
--   __OUT__/concentration.{parquet,csv}   level, dimension, key, metric, value (every metric,
--                                         owner_hhi and single_threaded_revenue_share included)
--   __OUT__/employees.{parquet,csv}       employee_id, role, team, accounts_held,
--                                         sole_holder_revenue, owned_revenue, accounts_owned, name
--   __OUT__/tier_migration.{parquet,csv}  tier_prev, tier, accounts, revenue_12m
--   __OUT__/summary.json                  as_of, window_12m, reporting_currency, revenue_source,
--                                         headline (every figure), major_customers,
--                                         data_quality (hierarchy_cycles, tier_mismatches,
--                                         orphans)
--
-- Omitted / simplified (stated so the timing is read fairly):
--   * summary.json has no `settings` (a constant), `unavailable` and `notes` (empty when every
--     table is present).
--   * The CSVs are written without mcr's UTF-8 BOM.
--   * Degraded inputs: this script needs every table that `mcr generate` writes (accounts,
--     contacts, opportunities, revenue, activities, employees, agreements, surveys; fx_rates is
--     optional). mcr's fallbacks when a table is missing (won opportunities standing in for
--     revenue, metrics reported as "not available", value_score inputs dropped) are not all
--     reproduced; run.py refuses such a lake.
--   * Duplicate keys: ingest rejects them; where mcr keeps the first row of a duplicate
--     account_id / employee_id (file order), this script keeps an arbitrary one.
--   * fx: same rule as mcr (latest valid_from <= row date, else an undated rate, else an
--     error); when one currency has two rates with the same valid_from, or two undated rates,
--     mcr takes the later row and this script an arbitrary one.
--   * Keys are trimmed with DuckDB's trim() (spaces) where mcr's str::trim() trims any Unicode
--     white space (industry / region / parent_account_id / currency); ingest already trims.
-- =============================================================================================

-- ---------------------------------------------------------------------------------------------
-- Parameters: mcr's defaults. `as_of` is set by run.py.
SET VARIABLE reporting_currency = 'CNY';
SET VARIABLE window_months = 12;
SET VARIABLE abc_a = 0.80::DOUBLE;
SET VARIABLE abc_b = 0.95::DOUBLE;
SET VARIABLE tier_s = 0.05::DOUBLE;
SET VARIABLE tier_a = 0.20::DOUBLE;
SET VARIABLE tier_b = 0.50::DOUBLE;
SET VARIABLE pipeline_days = 90;
SET VARIABLE active_contact_days = 90;
SET VARIABLE holder_days = 180;
SET VARIABLE multi_headed_days = 30;
SET VARIABLE multi_headed_team_days = 90;
SET VARIABLE multi_headed_contact_employees = 3;
SET VARIABLE multi_headed_teams = 3;
SET VARIABLE quadrant_threshold = 50.0::DOUBLE;
SET VARIABLE ori_strategic_partner = 70.0::DOUBLE;
SET VARIABLE ori_partner = 40.0::DOUBLE;
SET VARIABLE hhi_moderate = 1500.0::DOUBLE;
SET VARIABLE hhi_high = 2500.0::DOUBLE;
SET VARIABLE major_customer_share = 0.10::DOUBLE;
-- value_score weights
SET VARIABLE w_revenue = 0.55::DOUBLE;
SET VARIABLE w_margin = 0.15::DOUBLE;
SET VARIABLE w_growth = 0.15::DOUBLE;
SET VARIABLE w_pipeline = 0.15::DOUBLE;
-- KRI
SET VARIABLE kri_support_weight = 0.7::DOUBLE;
SET VARIABLE kri_intimacy_weight = 0.3::DOUBLE;
CREATE OR REPLACE TEMP TABLE role_power AS
SELECT * FROM (VALUES ('decision_maker', 3.0::DOUBLE), ('evaluator', 2.0), ('technical', 2.0),
                      ('procurement', 2.0), ('influencer', 1.0), ('user', 1.0)) t(decision_role, p);
-- GRI targets per tier (executive, middle, base); no tier uses C's.
CREATE OR REPLACE TEMP TABLE gri_targets AS
SELECT * FROM (VALUES ('S', 3, 6, 10), ('A', 2, 4, 6), ('B', 1, 2, 3), ('C', 0, 1, 2))
  t(tier, t_exec, t_middle, t_base);
-- ORI points
SET VARIABLE ori_strategic_cooperation = 30.0::DOUBLE;
SET VARIABLE ori_exclusive = 10.0::DOUBLE;
SET VARIABLE ori_joint_innovation = 20.0::DOUBLE;
SET VARIABLE ori_executive_visit = 10.0::DOUBLE;
SET VARIABLE ori_executive_visit_max = 20.0::DOUBLE;
SET VARIABLE ori_strategic_meeting = 10.0::DOUBLE;
SET VARIABLE ori_survey_per_point = 1.0::DOUBLE;
SET VARIABLE ori_cap = 100.0::DOUBLE;
-- RDI weights
SET VARIABLE rdi_kri = 0.5::DOUBLE;
SET VARIABLE rdi_gri = 0.3::DOUBLE;
SET VARIABLE rdi_ori = 0.2::DOUBLE;

-- Windows (windows.rs): window_12m = (s0, as_of], window_prev_12m = (s1, s0], and the one before
-- (s2, s1] (growth of tier_prev). Calendar months, clamped at month ends like chrono.
SET VARIABLE s0 = (getvariable('as_of') - to_months(getvariable('window_months')))::DATE;
SET VARIABLE s1 = (getvariable('s0') - to_months(getvariable('window_months')))::DATE;
SET VARIABLE s2 = (getvariable('s1') - to_months(getvariable('window_months')))::DATE;
-- Day windows (as_of - N, as_of].
SET VARIABLE d_active = (getvariable('as_of') - getvariable('active_contact_days'))::DATE;
SET VARIABLE d_holder = (getvariable('as_of') - getvariable('holder_days'))::DATE;
SET VARIABLE d_multi = (getvariable('as_of') - getvariable('multi_headed_days'))::DATE;
SET VARIABLE d_teams = (getvariable('as_of') - getvariable('multi_headed_team_days'))::DATE;
-- Pipeline: open opportunities with close_date >= as_of - pipeline_days (and for tier_prev the
-- same at prev_as_of = s0).
SET VARIABLE pipe_since0 = (getvariable('as_of') - getvariable('pipeline_days'))::DATE;
SET VARIABLE pipe_since1 = (getvariable('s0') - getvariable('pipeline_days'))::DATE;

-- ---------------------------------------------------------------------------------------------
-- Accounts and groups

CREATE OR REPLACE TEMP TABLE acc AS
SELECT DISTINCT ON (account_id)
       account_id, name, industry, region, owner_id, parent_account_id, declared_tier
FROM accounts
WHERE account_id IS NOT NULL;

-- Top-most ancestor through parent_account_id (concentration.rs resolve_groups): a parent that
-- is not an account ends the chain; a chain that revisits an account (cycle, or leading into
-- one) has no group.
CREATE OR REPLACE TEMP TABLE grp AS
WITH RECURSIVE par AS (
    SELECT a.account_id, p.account_id AS parent
    FROM acc a JOIN acc p ON p.account_id = trim(a.parent_account_id)
),
walk(account_id, cur, depth, path, cyc) AS (
    SELECT account_id, account_id, 0, [account_id], false FROM acc
    UNION ALL
    SELECT w.account_id, par.parent, w.depth + 1,
           list_append(w.path, par.parent), list_contains(w.path, par.parent)
    FROM walk w JOIN par ON par.account_id = w.cur
    WHERE NOT w.cyc
)
SELECT account_id,
       CASE WHEN bool_or(cyc) THEN NULL ELSE arg_max(cur, depth) END AS group_id
FROM walk
GROUP BY account_id;

-- ---------------------------------------------------------------------------------------------
-- Currency conversion (fx.rs): rate of (currency, date) = latest valid_from <= date, else an
-- undated rate of that currency; a currency other than the reporting one without a rate is an
-- error. Only the distinct (currency, date) pairs that need a rate are looked up, as in mcr.

CREATE OR REPLACE TEMP MACRO needs_fx(c) AS
    c IS NOT NULL AND upper(trim(c)) <> '' AND upper(trim(c)) <> upper(trim(getvariable('reporting_currency')));

CREATE OR REPLACE TEMP TABLE fx AS
SELECT upper(trim(currency)) AS cur, rate_to_reporting::DOUBLE AS rate, valid_from::DATE AS valid_from
FROM fx_rates
WHERE currency IS NOT NULL AND rate_to_reporting IS NOT NULL;

CREATE OR REPLACE TEMP TABLE fx_pairs AS
WITH pairs AS (
    SELECT DISTINCT upper(trim(currency)) AS cur, date AS d
    FROM revenue
    WHERE account_id IS NOT NULL AND date IS NOT NULL AND needs_fx(currency)
    UNION
    SELECT DISTINCT upper(trim(currency)), close_date
    FROM opportunities
    WHERE needs_fx(currency) AND close_date IS NOT NULL
      AND NOT coalesce(is_closed, false)
      AND close_date >= least(getvariable('pipe_since0'), getvariable('pipe_since1'))
      AND (created_date IS NULL OR created_date <= getvariable('as_of'))
),
looked AS (
    SELECT p.cur, p.d,
           (SELECT arg_max(fx.rate, fx.valid_from) FROM fx
             WHERE fx.cur = p.cur AND fx.valid_from IS NOT NULL AND fx.valid_from <= p.d) AS dated,
           (SELECT any_value(fx.rate) FROM fx
             WHERE fx.cur = p.cur AND fx.valid_from IS NULL) AS undated
    FROM pairs p
)
SELECT cur, d,
       CASE WHEN dated IS NOT NULL THEN dated
            WHEN undated IS NOT NULL THEN undated
            ELSE error('no exchange rate to the reporting currency for ' || cur || ' valid on ' || d::VARCHAR)
       END AS rate
FROM looked;

-- Revenue rows up to as_of, in the reporting currency.
CREATE OR REPLACE TEMP VIEW rev AS
SELECT r.account_id, r.document_id, r.date,
       r.amount * coalesce(f.rate, 1.0) AS amount,
       r.gross_margin * coalesce(f.rate, 1.0) AS gross_margin,
       r.product_line
FROM revenue r
LEFT JOIN fx_pairs f ON f.cur = upper(trim(r.currency)) AND f.d = r.date
WHERE r.account_id IS NOT NULL AND r.date IS NOT NULL AND r.date <= getvariable('as_of');

-- ---------------------------------------------------------------------------------------------
-- Per-account revenue aggregates (pipeline.rs revenue_agg)
--
-- Sums that feed ranks (revenue, margin, pipeline; KRI below) use fsum (Kahan summation), not
-- sum: DuckDB's plain parallel sum leaves last-bit noise that splits exact ties (two accounts
-- with the same revenue to the cent), and value_score / tier / RFM rank ties (rank_min) would
-- then differ from mcr, whose polars sums are accurate enough to keep them. Sums that only feed
-- compared-with-tolerance figures (concentration) use plain sum.

-- mcr rounds money sums to 12 significant digits (pipeline.rs round_sum) and scores to 1e-9
-- (relationship.rs round_score), so that float noise never splits a tie or crosses a threshold.
CREATE OR REPLACE TEMP MACRO round_sum(x) AS
    CASE WHEN x IS NULL OR x = 0 THEN x
         WHEN 11 - floor(log10(abs(x))) >= 0
              THEN round(x * pow(10, 11 - floor(log10(abs(x))))) / pow(10, 11 - floor(log10(abs(x))))
         ELSE round(x / pow(10, floor(log10(abs(x))) - 11)) * pow(10, floor(log10(abs(x))) - 11) END;
CREATE OR REPLACE TEMP MACRO round_score(x) AS round(x * 1e9) / 1e9;

CREATE OR REPLACE TEMP TABLE rev_acc AS
SELECT account_id,
       round_sum(coalesce(fsum(amount) FILTER (WHERE date > getvariable('s0')), 0)) AS r0,
       round_sum(coalesce(fsum(amount) FILTER (WHERE date > getvariable('s1') AND date <= getvariable('s0')), 0)) AS r1,
       round_sum(coalesce(fsum(amount) FILTER (WHERE date <= getvariable('s1')), 0)) AS r2,
       count(DISTINCT document_id) FILTER (WHERE date > getvariable('s0')) AS o0,
       round_sum(fsum(gross_margin) FILTER (WHERE date > getvariable('s0'))) AS m0,
       round_sum(fsum(gross_margin) FILTER (WHERE date > getvariable('s1') AND date <= getvariable('s0'))) AS m1
FROM rev
WHERE date > getvariable('s2')
GROUP BY account_id;

-- Per account, calendar year and product line: all revenue up to as_of (year trend, last order
-- date) and revenue in window_12m (product_line slices).
CREATE OR REPLACE TEMP TABLE rev_ypl AS
SELECT account_id, year(date) AS yr, coalesce(product_line, '(none)') AS pl,
       coalesce(sum(amount), 0) AS amt,
       sum(amount) FILTER (WHERE date > getvariable('s0')) AS amt0,
       count(*) FILTER (WHERE date > getvariable('s0')) AS n0,
       count(*) AS n,
       max(date) AS last_date
FROM rev
GROUP BY ALL;

-- pipeline_weighted at as_of (p0) and at prev_as_of = s0 (p1): open opportunities (not closed),
-- close_date >= that date - pipeline_days, created by that date when known.
CREATE OR REPLACE TEMP TABLE pipe AS
SELECT o.account_id,
       coalesce(fsum(o.amount * coalesce(f.rate, 1.0) * o.probability) FILTER (
           WHERE o.close_date >= getvariable('pipe_since0')
             AND (o.created_date IS NULL OR o.created_date <= getvariable('as_of'))), 0) AS p0,
       coalesce(fsum(o.amount * coalesce(f.rate, 1.0) * o.probability) FILTER (
           WHERE o.close_date >= getvariable('pipe_since1')
             AND (o.created_date IS NULL OR o.created_date <= getvariable('s0'))), 0) AS p1
FROM opportunities o
LEFT JOIN fx_pairs f ON f.cur = upper(trim(o.currency)) AND f.d = o.close_date
WHERE NOT coalesce(o.is_closed, false)
  AND o.close_date >= least(getvariable('pipe_since0'), getvariable('pipe_since1'))
GROUP BY o.account_id;

CREATE OR REPLACE TEMP TABLE base AS
SELECT a.*, g.group_id,
       coalesce(r.r0, 0) AS r0, coalesce(r.r1, 0) AS r1, coalesce(r.r2, 0) AS r2,
       r.m0, r.m1, coalesce(r.o0, 0) AS o0,
       y.last_order_date,
       coalesce(p.p0, 0) AS p0, coalesce(p.p1, 0) AS p1
FROM acc a
LEFT JOIN grp g USING (account_id)
LEFT JOIN rev_acc r USING (account_id)
LEFT JOIN (SELECT account_id, max(last_date) AS last_order_date FROM rev_ypl GROUP BY 1) y USING (account_id)
LEFT JOIN pipe p USING (account_id);

-- ---------------------------------------------------------------------------------------------
-- Value segmentation (segmentation.rs), for as_of (period 0) and as_of - 12 months (period 1,
-- tier_prev). Float expressions are written in the order mcr evaluates them, so that exact
-- ties of value_score (which decide tier positions) are the same ties.

CREATE OR REPLACE TEMP TABLE seg AS
WITH si AS (
    SELECT 0 AS period, account_id, r0 AS cur, r1 AS prev, m0 AS margin, p0 AS pipe FROM base
    UNION ALL
    SELECT 1, account_id, r1, r2, m1, p1 FROM base
),
g AS (
    SELECT *,
           CASE WHEN prev <= 0 THEN (CASE WHEN cur > 0 THEN 'Infinity'::DOUBLE ELSE 0.0 END)
                ELSE (cur - prev) / prev END AS growth
    FROM si
),
act AS (
    SELECT period, account_id, cur, margin, growth, pipe,
           count(*) OVER w AS n,
           count(margin) OVER w AS n_margin,
           count(pipe) OVER w AS n_pipe,
           rank() OVER (PARTITION BY period ORDER BY cur ASC) - 1 AS k_rev,
           rank() OVER (PARTITION BY period ORDER BY margin ASC NULLS FIRST) - 1 AS k_margin,
           rank() OVER (PARTITION BY period ORDER BY growth ASC) - 1 AS k_growth,
           rank() OVER (PARTITION BY period ORDER BY pipe ASC NULLS FIRST) - 1 AS k_pipe,
           row_number() OVER (PARTITION BY period ORDER BY cur DESC, account_id ASC) AS pareto_rank,
           sum(cur) OVER (PARTITION BY period ORDER BY cur DESC, account_id ASC
                          ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cum,
           coalesce(sum(cur) OVER (PARTITION BY period ORDER BY cur DESC, account_id ASC
                          ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS cum_before,
           sum(cur) OVER w AS total
    FROM g
    WHERE cur > 0
    WINDOW w AS (PARTITION BY period)
),
w AS (
    SELECT *,
           -- weights: an input missing for every active account drops out, the rest renormalised
           ((getvariable('w_revenue') + getvariable('w_margin')) + getvariable('w_growth')) + getvariable('w_pipeline') AS total_w,
           ((((0.0::DOUBLE + getvariable('w_revenue'))
              + CASE WHEN n_margin > 0 THEN getvariable('w_margin') ELSE 0.0 END)
              + getvariable('w_growth'))
              + CASE WHEN n_pipe > 0 THEN getvariable('w_pipeline') ELSE 0.0 END) AS kept_w,
           CASE WHEN n = 1 THEN 1.0 ELSE k_rev::DOUBLE / (n - 1)::DOUBLE END AS pr_rev,
           CASE WHEN n = 1 THEN 1.0 ELSE k_margin::DOUBLE / (n - 1)::DOUBLE END AS pr_margin,
           CASE WHEN n = 1 THEN 1.0 ELSE k_growth::DOUBLE / (n - 1)::DOUBLE END AS pr_growth,
           CASE WHEN n = 1 THEN 1.0 ELSE k_pipe::DOUBLE / (n - 1)::DOUBLE END AS pr_pipe
    FROM act
),
sc AS (
    SELECT *,
           ((((0.0::DOUBLE + getvariable('w_revenue') * scale * pr_rev)
              + CASE WHEN n_margin > 0 THEN getvariable('w_margin') * scale * pr_margin ELSE 0.0 END)
              + getvariable('w_growth') * scale * pr_growth)
              + CASE WHEN n_pipe > 0 THEN getvariable('w_pipeline') * scale * pr_pipe ELSE 0.0 END) AS value_score
    FROM (SELECT *, CASE WHEN kept_w > 0 THEN total_w / kept_w ELSE 0.0 END AS scale FROM w)
),
ranked AS (
    SELECT *,
           row_number() OVER (PARTITION BY period ORDER BY value_score DESC, cur DESC, account_id ASC) AS tier_pos
    FROM sc
)
SELECT g.period, g.account_id, g.growth,
       r.value_score,
       CASE WHEN r.value_score IS NOT NULL THEN
                CASE WHEN r.tier_pos <= greatest(ceil(getvariable('tier_s') * r.n - 1e-9), 0) THEN 'S'
                     WHEN r.tier_pos <= greatest(ceil(getvariable('tier_a') * r.n - 1e-9), 0) THEN 'A'
                     WHEN r.tier_pos <= greatest(ceil(getvariable('tier_b') * r.n - 1e-9), 0) THEN 'B'
                     ELSE 'C' END
            WHEN coalesce(g.pipe, 0) > 0 THEN 'C'
       END AS tier,
       r.pareto_rank,
       r.cum / r.total AS cum_share,
       CASE WHEN r.value_score IS NULL THEN NULL
            WHEN r.cum_before / r.total < getvariable('abc_a') - 1e-12 THEN 'A'
            WHEN r.cum_before / r.total < getvariable('abc_b') - 1e-12 THEN 'B'
            ELSE 'C' END AS abc_class
FROM g LEFT JOIN ranked r USING (period, account_id);

-- RFM over active accounts (quintile_scores: 1 + floor(5 · rank_min0 / n), capped at 5).
CREATE OR REPLACE TEMP TABLE rfm AS
WITH a AS (
    SELECT account_id,
           -(getvariable('as_of') - last_order_date)::DOUBLE AS rv,
           o0::DOUBLE AS fv, r0 AS mv,
           count(*) OVER () AS n
    FROM base WHERE r0 > 0
)
SELECT account_id,
       CASE WHEN rv IS NULL THEN 1 ELSE least(1 + (5 * (rank() OVER (ORDER BY rv ASC NULLS FIRST) - 1)) // n, 5) END AS rfm_r,
       least(1 + (5 * (rank() OVER (ORDER BY fv ASC) - 1)) // n, 5) AS rfm_f,
       least(1 + (5 * (rank() OVER (ORDER BY mv ASC) - 1)) // n, 5) AS rfm_m
FROM a;

-- ---------------------------------------------------------------------------------------------
-- Relationship depth (relationship.rs)

-- KRI and decision chain over decision-role contacts.
CREATE OR REPLACE TEMP TABLE kri AS
SELECT c.account_id,
       fsum(coalesce(rp.p, 0.0) * (getvariable('kri_support_weight') * coalesce(c.support, 0)::DOUBLE / 3.0
                                  + getvariable('kri_intimacy_weight') * coalesce(c.intimacy, 0)::DOUBLE / 4.0)) AS sum_pk,
       sum(coalesce(rp.p, 0.0)) AS sum_p,
       avg(c.support::DOUBLE) FILTER (WHERE c.decision_role = 'decision_maker') AS dm_support,
       coalesce(bool_or(c.decision_role = 'decision_maker' AND c.support >= 1), false) AS dm_supportive,
       coalesce(bool_or(c.support >= 1), false) AS key_supportive,
       coalesce(bool_or(c.decision_role = 'decision_maker' AND c.support <= -1), false) AS opposition
FROM contacts c
LEFT JOIN role_power rp USING (decision_role)
WHERE c.decision_role IS NOT NULL AND c.decision_role <> 'none'
GROUP BY c.account_id;

-- Activities of the longest recent window (holder_days; the others are inside it).
CREATE OR REPLACE TEMP TABLE recent_acts AS
SELECT account_id, contact_id, employee_id, date
FROM activities
WHERE date > least(getvariable('d_holder'), getvariable('d_active'), getvariable('d_multi'), getvariable('d_teams'))
  AND date <= getvariable('as_of');

-- GRI inputs: contacts with an activity in the last active_contact_days (matched on contact_id
-- alone, as mcr does), per level; departments active / known.
CREATE OR REPLACE TEMP TABLE gri_in AS
WITH active_ids AS (
    SELECT DISTINCT contact_id FROM recent_acts
    WHERE date > getvariable('d_active') AND contact_id IS NOT NULL
),
active AS (
    SELECT account_id,
           count(*) FILTER (WHERE level = 'executive') AS active_executive,
           count(*) FILTER (WHERE level = 'middle') AS active_middle,
           count(*) FILTER (WHERE level = 'base') AS active_base,
           count(DISTINCT department) AS departments_active
    FROM contacts SEMI JOIN active_ids USING (contact_id)
    GROUP BY account_id
),
known AS (
    SELECT account_id, count(DISTINCT department) AS departments_known
    FROM contacts GROUP BY account_id
)
SELECT k.account_id, k.departments_known,
       a.active_executive, a.active_middle, a.active_base, a.departments_active
FROM known k LEFT JOIN active a USING (account_id);

-- ORI inputs
CREATE OR REPLACE TEMP TABLE ori_agr AS
SELECT account_id,
       coalesce(bool_or(type = 'strategic_cooperation'), false) AS strategic_cooperation,
       coalesce(bool_or(type = 'exclusive'), false) AS exclusive,
       coalesce(bool_or(type = 'joint_innovation'), false) AS joint_innovation
FROM agreements
WHERE start_date <= getvariable('as_of') AND (end_date IS NULL OR end_date >= getvariable('as_of'))
GROUP BY account_id;

CREATE OR REPLACE TEMP TABLE ori_act AS
SELECT account_id,
       count(*) FILTER (WHERE type = 'executive_visit') AS n_executive_visit,
       count(*) FILTER (WHERE type = 'strategic_meeting') AS n_strategic_meeting
FROM activities
WHERE date > getvariable('s0') AND date <= getvariable('as_of')
  AND type IN ('executive_visit', 'strategic_meeting')
GROUP BY account_id;

CREATE OR REPLACE TEMP TABLE ori_srv AS
SELECT account_id, avg(score::DOUBLE) AS survey_score
FROM (
    SELECT account_id, score, date, max(date) OVER (PARTITION BY account_id) AS last_date
    FROM surveys
    WHERE date > getvariable('s0') AND date <= getvariable('as_of') AND score IS NOT NULL
)
WHERE date = last_date
GROUP BY account_id;

-- ---------------------------------------------------------------------------------------------
-- Key person (keyperson.rs)

-- Relationship holders: owners of key contacts (decision role, support >= 1) and employees with
-- an activity with a key contact in the last holder_days (the contact's account counts).
CREATE OR REPLACE TEMP TABLE holder_pairs AS
WITH key AS (
    SELECT contact_id, account_id, owner_id FROM contacts
    WHERE decision_role IS NOT NULL AND decision_role <> 'none' AND support >= 1
)
SELECT DISTINCT h.account_id, h.employee_id
FROM (
    SELECT account_id, owner_id AS employee_id FROM key WHERE owner_id IS NOT NULL
    UNION ALL
    SELECT k.account_id, t.employee_id
    FROM (SELECT DISTINCT contact_id, employee_id FROM recent_acts
          WHERE date > getvariable('d_holder') AND employee_id IS NOT NULL AND contact_id IS NOT NULL) t
    JOIN key k USING (contact_id)
) h
SEMI JOIN acc USING (account_id);

CREATE OR REPLACE TEMP TABLE holders AS
SELECT account_id, count(*) AS bus_factor,
       string_agg(employee_id, ',' ORDER BY employee_id) AS holders
FROM holder_pairs GROUP BY account_id;

-- Multi-headed: most non-owner employees on one contact (30 days); distinct teams (90 days).
CREATE OR REPLACE TEMP TABLE multi AS
WITH per_contact AS (
    SELECT x.account_id, x.contact_id, count(DISTINCT x.employee_id) AS n
    FROM recent_acts x
    LEFT JOIN acc o USING (account_id)
    WHERE x.date > getvariable('d_multi') AND x.employee_id IS NOT NULL AND x.contact_id IS NOT NULL
      AND (o.owner_id IS NULL OR x.employee_id <> o.owner_id)
    GROUP BY x.account_id, x.contact_id
),
mce AS (SELECT account_id, max(n) AS max_contact_employees FROM per_contact GROUP BY account_id),
teams AS (
    SELECT t.account_id, count(DISTINCT e.team) AS teams
    FROM (SELECT DISTINCT account_id, employee_id FROM recent_acts
          WHERE date > getvariable('d_teams') AND employee_id IS NOT NULL) t
    JOIN employees e USING (employee_id)
    GROUP BY t.account_id
)
SELECT account_id, m.max_contact_employees, t.teams
FROM mce m FULL JOIN teams t USING (account_id);

-- Iron triangle roles held by the account owner or employees with activities on the account in
-- the last holder_days.
CREATE OR REPLACE TEMP TABLE iron AS
SELECT p.account_id,
       coalesce(bool_or(e.role = 'AR'), false) AS has_ar,
       coalesce(bool_or(e.role = 'SR'), false) AS has_sr,
       coalesce(bool_or(e.role = 'FR'), false) AS has_fr
FROM (
    SELECT account_id, owner_id AS employee_id FROM acc WHERE owner_id IS NOT NULL
    UNION
    SELECT account_id, employee_id FROM recent_acts
    WHERE date > getvariable('d_holder') AND employee_id IS NOT NULL
) p
JOIN employees e USING (employee_id)
GROUP BY p.account_id;

-- ---------------------------------------------------------------------------------------------
-- accounts table

CREATE OR REPLACE TEMP TABLE accounts_out AS
WITH j AS (
    SELECT b.*,
           s0.growth, s0.value_score, s0.tier, s1.tier AS tier_prev,
           s0.abc_class, s0.pareto_rank, s0.cum_share,
           f.rfm_r, f.rfm_f, f.rfm_m,
           CASE WHEN coalesce(k.sum_p, 0) <= 0 THEN 0.0
                ELSE round_score(100.0 * least(greatest(k.sum_pk / k.sum_p, 0.0), 1.0)) END AS kri,
           CASE WHEN coalesce(k.dm_supportive, false) THEN 'green'
                WHEN coalesce(k.key_supportive, false) THEN 'amber'
                ELSE 'red' END AS decision_chain_status,
           coalesce(k.opposition, false) AS opposition,
           k.dm_support,
           coalesce(gi.active_executive, 0) AS ae, coalesce(gi.active_middle, 0) AS am,
           coalesce(gi.active_base, 0) AS ab,
           coalesce(gi.departments_active, 0) AS departments_active,
           coalesce(gi.departments_known, 0) AS departments_known,
           gt.t_exec, gt.t_middle, gt.t_base,
           round_score(least(
             ((((0.0::DOUBLE
               + CASE WHEN coalesce(ag.strategic_cooperation, false) THEN getvariable('ori_strategic_cooperation') ELSE 0.0 END)
               + CASE WHEN coalesce(ag.exclusive, false) THEN getvariable('ori_exclusive') ELSE 0.0 END)
               + CASE WHEN coalesce(ag.joint_innovation, false) THEN getvariable('ori_joint_innovation') ELSE 0.0 END)
               + least(coalesce(oa.n_executive_visit, 0)::DOUBLE * getvariable('ori_executive_visit'), getvariable('ori_executive_visit_max')))
               + CASE WHEN coalesce(oa.n_strategic_meeting, 0) > 0 THEN getvariable('ori_strategic_meeting') ELSE 0.0 END
               + CASE WHEN sv.survey_score IS NOT NULL
                      THEN least(greatest(sv.survey_score, 0.0), 10.0) * getvariable('ori_survey_per_point') ELSE 0.0 END,
             getvariable('ori_cap'))) AS ori,
           coalesce(h.bus_factor, 0) AS bus_factor,
           coalesce(h.holders, '') AS holders,
           coalesce(m.max_contact_employees, 0) >= getvariable('multi_headed_contact_employees')
             OR coalesce(m.teams, 0) >= getvariable('multi_headed_teams') AS multi_headed,
           coalesce(ir.has_ar, false) AS has_ar, coalesce(ir.has_sr, false) AS has_sr,
           coalesce(ir.has_fr, false) AS has_fr
    FROM base b
    JOIN seg s0 ON s0.account_id = b.account_id AND s0.period = 0
    JOIN seg s1 ON s1.account_id = b.account_id AND s1.period = 1
    LEFT JOIN rfm f ON f.account_id = b.account_id
    LEFT JOIN kri k ON k.account_id = b.account_id
    LEFT JOIN gri_in gi ON gi.account_id = b.account_id
    LEFT JOIN gri_targets gt ON gt.tier = coalesce(s0.tier, 'C')
    LEFT JOIN ori_agr ag ON ag.account_id = b.account_id
    LEFT JOIN ori_act oa ON oa.account_id = b.account_id
    LEFT JOIN ori_srv sv ON sv.account_id = b.account_id
    LEFT JOIN holders h ON h.account_id = b.account_id
    LEFT JOIN multi m ON m.account_id = b.account_id
    LEFT JOIN iron ir ON ir.account_id = b.account_id
),
gri AS (
    SELECT *,
           CASE WHEN (t_exec > 0)::INT + (t_middle > 0)::INT + (t_base > 0)::INT = 0 THEN NULL
                ELSE round_score(100.0 * (((0.0::DOUBLE
                       + CASE WHEN t_exec > 0 THEN least(ae::DOUBLE / t_exec::DOUBLE, 1.0) ELSE 0.0 END)
                       + CASE WHEN t_middle > 0 THEN least(am::DOUBLE / t_middle::DOUBLE, 1.0) ELSE 0.0 END)
                       + CASE WHEN t_base > 0 THEN least(ab::DOUBLE / t_base::DOUBLE, 1.0) ELSE 0.0 END)
                     / ((t_exec > 0)::INT + (t_middle > 0)::INT + (t_base > 0)::INT)::DOUBLE)
           END AS gri
    FROM j
),
rdi AS (
    SELECT *, round_score(getvariable('rdi_kri') * kri + getvariable('rdi_gri') * gri + getvariable('rdi_ori') * ori) AS rdi
    FROM gri
)
SELECT account_id, name, industry, region, group_id,
       r0 AS revenue_12m, r1 AS revenue_prev_12m, m0 AS margin_12m, o0::BIGINT AS orders_12m,
       p0 AS pipeline_weighted, growth, value_score, tier, tier_prev, declared_tier, abc_class,
       pareto_rank::UINTEGER AS pareto_rank, cum_share,
       rfm_r::UINTEGER AS rfm_r, rfm_f::UINTEGER AS rfm_f, rfm_m::UINTEGER AS rfm_m,
       kri, gri, ori, rdi, decision_chain_status, opposition, dm_support,
       bus_factor::UINTEGER AS bus_factor, bus_factor <= 1 AS single_threaded,
       CASE WHEN tier IN ('S', 'A') THEN (has_ar::INT + has_sr::INT + has_fr::INT)::DOUBLE / 3.0 END AS iron_triangle,
       multi_headed,
       CASE WHEN rdi IS NULL OR tier IS NULL THEN NULL
            WHEN tier IN ('S', 'A') THEN CASE WHEN rdi >= getvariable('quadrant_threshold') THEN 'defend' ELSE 'invest' END
            ELSE CASE WHEN rdi >= getvariable('quadrant_threshold') THEN 'grow_share' ELSE 'maintain' END
       END AS quadrant,
       -- extras of mcr's accounts table
       owner_id, last_order_date,
       (getvariable('as_of') - last_order_date)::BIGINT AS recency_days,
       departments_active::BIGINT AS departments_active,
       departments_known::BIGINT AS departments_known,
       CASE WHEN ori >= getvariable('ori_strategic_partner') THEN 'strategic_partner'
            WHEN ori >= getvariable('ori_partner') THEN 'partner'
            ELSE 'supplier' END AS ori_level,
       CASE WHEN tier IN ('S', 'A') THEN
            concat_ws(',', CASE WHEN NOT has_ar THEN 'AR' END, CASE WHEN NOT has_sr THEN 'SR' END,
                           CASE WHEN NOT has_fr THEN 'FR' END) END AS iron_triangle_missing,
       holders
FROM rdi;

-- ---------------------------------------------------------------------------------------------
-- concentration table (concentration.rs): per level (account / group = top-most parent, or the
-- account itself when its chain loops) and slice (all, industry, region, product_line, year),
-- over the entities with revenue > 0.

CREATE OR REPLACE TEMP TABLE conc_fig AS
WITH a AS (
    SELECT account_id, coalesce(group_id, account_id) AS gid, r0,
           coalesce(nullif(trim(industry), ''), '(unknown)') AS ind,
           coalesce(nullif(trim(region), ''), '(unknown)') AS reg
    FROM base
),
ent AS (
    SELECT 'all' AS dimension, '' AS key, account_id, gid, r0 AS x FROM a
    UNION ALL SELECT 'industry', ind, account_id, gid, r0 FROM a
    UNION ALL SELECT 'region', reg, account_id, gid, r0 FROM a
    UNION ALL
    SELECT 'product_line', y.pl, y.account_id, a.gid, coalesce(sum(y.amt0), 0)
    FROM rev_ypl y JOIN a USING (account_id)
    WHERE y.n0 > 0
    GROUP BY y.pl, y.account_id, a.gid
    UNION ALL
    SELECT 'year', y.yr::VARCHAR, y.account_id, a.gid, sum(y.amt)
    FROM rev_ypl y JOIN a USING (account_id)
    GROUP BY y.yr, y.account_id, a.gid
),
slices AS (
    SELECT 'account' AS level, dimension, key, x FROM ent
    UNION ALL
    SELECT 'group', dimension, key, sum(x) FROM ent GROUP BY dimension, key, gid
),
-- Slices are keyed by a 64-bit hash of (level, dimension, key) for the window and the final
-- group-by (DuckDB partitions and groups much faster on one integer than on three strings;
-- with ~10^3 slices a collision has a probability of ~10^-13).
sl AS (
    SELECT hash(level, dimension, key) AS sid, level, dimension, key, x
    FROM slices
    WHERE x > 0 AND isfinite(x)
),
pos AS (
    SELECT sid, x,
           row_number() OVER wd AS pos,
           sum(x) OVER (wd ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cum
    FROM sl
    WINDOW wd AS (PARTITION BY sid ORDER BY x DESC)
),
tot AS (
    SELECT sid, any_value(level) AS level, any_value(dimension) AS dimension, any_value(key) AS key,
           count(*) AS n, sum(x) AS total
    FROM sl GROUP BY sid
),
o AS (SELECT * FROM pos JOIN tot USING (sid))
SELECT any_value(level) AS level, any_value(dimension) AS dimension, any_value(key) AS key,
       10000.0::DOUBLE * sum((x / total) * (x / total)) AS hhi,
       -- Gini with x ascending at i = n - pos + 1
       sum((2.0::DOUBLE * (n - pos + 1) - n - 1) * x) / (any_value(n) * any_value(total)) AS gini,
       sum(x) FILTER (WHERE pos <= 1) / any_value(total) AS top1_share,
       sum(x) FILTER (WHERE pos <= 5) / any_value(total) AS top5_share,
       sum(x) FILTER (WHERE pos <= 10) / any_value(total) AS top10_share,
       sum(x) FILTER (WHERE pos <= greatest(ceil(0.2::DOUBLE * n - 1e-9::DOUBLE), 1)) / any_value(total) AS top20pct_share,
       coalesce(min(pos) FILTER (WHERE cum / total >= 0.8::DOUBLE - 1e-12::DOUBLE), any_value(n))::DOUBLE AS accounts_for_80pct,
       coalesce(min(pos) FILTER (WHERE cum / total >= 0.8::DOUBLE - 1e-12::DOUBLE), any_value(n))::DOUBLE
           / any_value(n)::DOUBLE AS accounts_for_80pct_share,
       any_value(n)::DOUBLE AS n_active,
       any_value(total) AS revenue_total
FROM o
GROUP BY sid;

CREATE OR REPLACE TEMP TABLE concentration_out AS
WITH long AS (
    UNPIVOT conc_fig
    ON hhi, gini, top1_share, top5_share, top10_share, top20pct_share, accounts_for_80pct,
       accounts_for_80pct_share, n_active, revenue_total
    INTO NAME metric VALUE value
),
owner AS (
    SELECT coalesce(owner_id, '') AS o, sum(r0) AS x FROM base WHERE r0 > 0 GROUP BY 1
),
owner_hhi AS (
    SELECT 10000.0 * sum((x / t) * (x / t)) AS value
    FROM owner, (SELECT sum(x) AS t FROM owner)
    WHERE x > 0
    HAVING count(*) > 0
),
st AS (
    SELECT sum(revenue_12m) FILTER (WHERE bus_factor <= 1) / sum(revenue_12m) AS value
    FROM accounts_out WHERE revenue_12m > 0
    HAVING sum(revenue_12m) > 0
)
SELECT level, dimension, key, metric, value,
       CASE metric WHEN 'hhi' THEN 0 WHEN 'gini' THEN 1 WHEN 'top1_share' THEN 2 WHEN 'top5_share' THEN 3
            WHEN 'top10_share' THEN 4 WHEN 'top20pct_share' THEN 5 WHEN 'accounts_for_80pct' THEN 6
            WHEN 'accounts_for_80pct_share' THEN 7 WHEN 'n_active' THEN 8 ELSE 9 END AS ord
FROM long
UNION ALL SELECT 'account', 'all', '', 'owner_hhi', value, 10 FROM owner_hhi
UNION ALL SELECT 'account', 'all', '', 'single_threaded_revenue_share', value, 11 FROM st;

-- ---------------------------------------------------------------------------------------------
-- employees table: the employees table plus every holder and account owner not in it.

CREATE OR REPLACE TEMP TABLE employees_out AS
WITH emp AS (
    SELECT DISTINCT ON (employee_id) employee_id, role, team, name
    FROM employees WHERE employee_id IS NOT NULL
),
held AS (
    SELECT p.employee_id, count(*) AS accounts_held,
           coalesce(sum(b.r0) FILTER (WHERE h.bus_factor = 1 AND b.r0 > 0), 0) AS sole_holder_revenue
    FROM holder_pairs p
    JOIN holders h USING (account_id)
    JOIN base b USING (account_id)
    GROUP BY p.employee_id
),
owned AS (
    SELECT owner_id AS employee_id,
           coalesce(sum(r0) FILTER (WHERE r0 > 0), 0) AS owned_revenue,
           count(*) AS accounts_owned
    FROM base WHERE owner_id IS NOT NULL GROUP BY owner_id
),
ids AS (
    SELECT employee_id FROM emp UNION SELECT employee_id FROM held UNION SELECT employee_id FROM owned
)
SELECT i.employee_id, e.role, e.team,
       coalesce(h.accounts_held, 0)::UBIGINT AS accounts_held,
       coalesce(h.sole_holder_revenue, 0.0) AS sole_holder_revenue,
       coalesce(o.owned_revenue, 0.0) AS owned_revenue,
       coalesce(o.accounts_owned, 0)::UBIGINT AS accounts_owned,
       e.name
FROM ids i
LEFT JOIN emp e USING (employee_id)
LEFT JOIN held h USING (employee_id)
LEFT JOIN owned o USING (employee_id);

-- ---------------------------------------------------------------------------------------------
-- tier_migration table: accounts and revenue_12m by (tier_prev, tier); no tier in both → left out.

CREATE OR REPLACE TEMP TABLE tier_migration_out AS
SELECT tier_prev, tier, count(*)::UBIGINT AS accounts, sum(revenue_12m) AS revenue_12m,
       CASE tier_prev WHEN 'S' THEN 0 WHEN 'A' THEN 1 WHEN 'B' THEN 2 WHEN 'C' THEN 3 ELSE 4 END AS o1,
       CASE tier WHEN 'S' THEN 0 WHEN 'A' THEN 1 WHEN 'B' THEN 2 WHEN 'C' THEN 3 ELSE 4 END AS o2
FROM accounts_out
WHERE tier IS NOT NULL OR tier_prev IS NOT NULL
GROUP BY tier_prev, tier;

-- ---------------------------------------------------------------------------------------------
-- summary.json (summary.rs): headline figures, major customers, data quality. Not written:
-- `settings` (a constant), `unavailable` and `notes` (empty when every table is present).

-- Rows of child tables whose account_id is not an account (null account_id included, as mcr);
-- revenue: rows up to as_of with an account_id and a date.
CREATE OR REPLACE TEMP TABLE orphans AS
SELECT * FROM (
    SELECT 'activities' AS tbl, (SELECT count(*) FROM activities ANTI JOIN acc USING (account_id)) AS n
    UNION ALL SELECT 'agreements', (SELECT count(*) FROM agreements ANTI JOIN acc USING (account_id))
    UNION ALL SELECT 'contacts', (SELECT count(*) FROM contacts ANTI JOIN acc USING (account_id))
    UNION ALL SELECT 'opportunities', (SELECT count(*) FROM opportunities ANTI JOIN acc USING (account_id))
    UNION ALL SELECT 'revenue', (SELECT coalesce(sum(n), 0) FROM rev_ypl ANTI JOIN acc USING (account_id))
    UNION ALL SELECT 'surveys', (SELECT count(*) FROM surveys ANTI JOIN acc USING (account_id))
) WHERE n > 0;

CREATE OR REPLACE TEMP TABLE summary_out AS
WITH fig AS (
    SELECT level, dimension, key, metric, value FROM concentration_out WHERE dimension = 'all'
),
f AS (
    SELECT max(value) FILTER (WHERE level = 'account' AND metric = 'hhi') AS hhi,
           max(value) FILTER (WHERE level = 'group' AND metric = 'hhi') AS group_hhi,
           max(value) FILTER (WHERE level = 'account' AND metric = 'gini') AS gini,
           max(value) FILTER (WHERE level = 'account' AND metric = 'top1_share') AS top1_share,
           max(value) FILTER (WHERE level = 'account' AND metric = 'top5_share') AS top5_share,
           max(value) FILTER (WHERE level = 'account' AND metric = 'top10_share') AS top10_share,
           max(value) FILTER (WHERE level = 'account' AND metric = 'top20pct_share') AS top20pct_share,
           max(value) FILTER (WHERE level = 'account' AND metric = 'accounts_for_80pct')::UBIGINT AS accounts_for_80pct,
           max(value) FILTER (WHERE level = 'account' AND metric = 'owner_hhi') AS owner_hhi,
           max(value) FILTER (WHERE level = 'account' AND metric = 'single_threaded_revenue_share') AS single_threaded_revenue_share
    FROM fig
),
acc_totals AS (
    SELECT count(*)::UBIGINT AS accounts_total,
           (count(*) FILTER (WHERE revenue_12m > 0))::UBIGINT AS active_accounts,
           coalesce(sum(revenue_12m) FILTER (WHERE revenue_12m > 0), 0) AS revenue_12m_total,
           coalesce(sum(revenue_prev_12m) FILTER (WHERE revenue_prev_12m > 0), 0) AS revenue_prev_12m_total,
           sum(margin_12m) AS margin_12m_total,
           sum(pipeline_weighted) AS pipeline_weighted_total,
           coalesce(sum(revenue_12m) FILTER (WHERE revenue_12m > 0 AND bus_factor <= 1 AND tier IN ('S', 'A')), 0)
               AS sa_single_threaded_revenue,
           (count(*) FILTER (WHERE opposition))::UBIGINT AS opposition_accounts,
           (count(*) FILTER (WHERE multi_headed))::UBIGINT AS multi_headed_accounts,
           avg(rdi) FILTER (WHERE tier IN ('S', 'A')) AS mean_rdi_sa
    FROM accounts_out
),
tiers AS (
    SELECT map_from_entries(list((tier, n) ORDER BY tier)) AS tier_counts,
           map_from_entries(list((tier, r) ORDER BY tier)) AS tier_revenue
    FROM (SELECT tier, count(*) AS n, sum(revenue_12m) AS r FROM accounts_out WHERE tier IS NOT NULL GROUP BY tier)
),
tot AS (SELECT revenue_12m_total AS t FROM acc_totals),
groups AS (
    SELECT coalesce(group_id, account_id) AS gid, sum(revenue_12m) AS v FROM accounts_out GROUP BY 1
),
majors AS (
    SELECT 'account' AS level, account_id AS key, coalesce(name, '') AS name, revenue_12m, revenue_12m / t AS share
    FROM accounts_out, tot
    WHERE t > 0 AND revenue_12m > 0 AND revenue_12m / t >= getvariable('major_customer_share') - 1e-12
    UNION ALL
    SELECT 'group', g.gid, coalesce(a.name, ''), g.v, g.v / t
    FROM groups g JOIN accounts_out a ON a.account_id = g.gid, tot
    WHERE t > 0 AND g.v > 0 AND g.v / t >= getvariable('major_customer_share') - 1e-12
)
SELECT getvariable('as_of')::VARCHAR AS as_of,
       [(getvariable('s0') + 1)::VARCHAR, getvariable('as_of')::VARCHAR] AS window_12m,
       upper(trim(getvariable('reporting_currency'))) AS reporting_currency,
       'revenue' AS revenue_source,
       {
         'accounts_total': a.accounts_total, 'active_accounts': a.active_accounts,
         'revenue_12m_total': a.revenue_12m_total, 'revenue_prev_12m_total': a.revenue_prev_12m_total,
         'margin_12m_total': a.margin_12m_total, 'pipeline_weighted_total': a.pipeline_weighted_total,
         'hhi': f.hhi,
         'hhi_band': CASE WHEN f.hhi IS NULL THEN NULL
                          WHEN f.hhi < getvariable('hhi_moderate') THEN 'unconcentrated'
                          WHEN f.hhi <= getvariable('hhi_high') THEN 'moderate' ELSE 'high' END,
         'group_hhi': f.group_hhi, 'gini': f.gini, 'top1_share': f.top1_share, 'top5_share': f.top5_share,
         'top10_share': f.top10_share, 'top20pct_share': f.top20pct_share,
         'accounts_for_80pct': f.accounts_for_80pct, 'owner_hhi': f.owner_hhi,
         'single_threaded_revenue_share': f.single_threaded_revenue_share,
         'sa_single_threaded_revenue': a.sa_single_threaded_revenue,
         'opposition_accounts': a.opposition_accounts, 'multi_headed_accounts': a.multi_headed_accounts,
         'mean_rdi_sa': a.mean_rdi_sa,
         'tier_counts': coalesce(t.tier_counts, MAP {}), 'tier_revenue': coalesce(t.tier_revenue, MAP {})
       } AS headline,
       coalesce((SELECT list({'level': level, 'key': key, 'name': name, 'revenue_12m': revenue_12m, 'share': share}
                             ORDER BY level, revenue_12m DESC, key) FROM majors), []) AS major_customers,
       {
         'hierarchy_cycles': coalesce((SELECT list(account_id ORDER BY account_id) FROM base WHERE group_id IS NULL), []),
         'tier_mismatches': coalesce((SELECT list({'account_id': account_id, 'declared': declared_tier,
                                                   'computed': coalesce(tier, '')} ORDER BY account_id)
                                      FROM accounts_out
                                      WHERE declared_tier IS NOT NULL AND trim(declared_tier) <> coalesce(tier, '')), []),
         'orphans': coalesce((SELECT map_from_entries(list((tbl, n::UBIGINT) ORDER BY tbl)) FROM orphans),
                             MAP {}::MAP(VARCHAR, UBIGINT))
       } AS data_quality
FROM acc_totals a, f, tiers t;

-- ---------------------------------------------------------------------------------------------
-- Materialise, like mcr: each table as Parquet (zstd) and CSV, in mcr's row order.

COPY (SELECT * FROM accounts_out ORDER BY account_id)
  TO '__OUT__/accounts.parquet' (FORMAT parquet, COMPRESSION zstd);
COPY (SELECT * FROM accounts_out ORDER BY account_id)
  TO '__OUT__/accounts.csv' (FORMAT csv, HEADER);
COPY (SELECT level, dimension, key, metric, value FROM concentration_out ORDER BY level, dimension, key, ord)
  TO '__OUT__/concentration.parquet' (FORMAT parquet, COMPRESSION zstd);
COPY (SELECT level, dimension, key, metric, value FROM concentration_out ORDER BY level, dimension, key, ord)
  TO '__OUT__/concentration.csv' (FORMAT csv, HEADER);
COPY (SELECT * FROM employees_out ORDER BY employee_id)
  TO '__OUT__/employees.parquet' (FORMAT parquet, COMPRESSION zstd);
COPY (SELECT * FROM employees_out ORDER BY employee_id)
  TO '__OUT__/employees.csv' (FORMAT csv, HEADER);
COPY (SELECT tier_prev, tier, accounts, revenue_12m FROM tier_migration_out ORDER BY o1, o2)
  TO '__OUT__/tier_migration.parquet' (FORMAT parquet, COMPRESSION zstd);
COPY (SELECT tier_prev, tier, accounts, revenue_12m FROM tier_migration_out ORDER BY o1, o2)
  TO '__OUT__/tier_migration.csv' (FORMAT csv, HEADER);
COPY summary_out TO '__OUT__/summary.json' (FORMAT json);
