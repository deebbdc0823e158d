-- Up Migration

-- The financial result as users read it (issue 20). Every figure is exact numeric; a figure whose input
-- is missing is NULL and status says why: 'deals without baseAmount: n' (the cost is unknown until the
-- position is flat again, see 1764000000006), 'missing rate' (no fx_rate for the currency yet), else 'ok'.

-- Per branch × currency, now. average_rate is C/Q shown to 10 places (fx_rate's), never stored; the
-- unrealized result is the position at the valuation rate (valuation_rate: the latest fx_rate not in the
-- future, 1 for the base currency) rounded to the kopeck, less its cost.
CREATE VIEW position_result AS
SELECT cp.branch_name, cp.currency_code, s.base_currency, cp.net_amount,
       k.cost_in_base,
       CASE WHEN cp.net_amount <> 0 THEN round(k.cost_in_base / cp.net_amount, 10) END AS average_rate,
       k.realized_in_base,
       vr.rate AS valuation_rate, vr.as_of AS rate_as_of,
       round(cp.net_amount * vr.rate, 2) - k.cost_in_base AS unrealized_in_base,
       k.realized_in_base + round(cp.net_amount * vr.rate, 2) - k.cost_in_base AS total_in_base,
       cp.deals_without_base, cp.result_since,
       CASE WHEN cp.deals_without_base > 0 THEN 'deals without baseAmount: ' || cp.deals_without_base
            WHEN vr.rate IS NULL THEN 'missing rate'
            ELSE 'ok' END AS status,
       cp.updated_at
FROM currency_position cp
CROSS JOIN treasury_setting s
CROSS JOIN LATERAL (SELECT CASE WHEN cp.deals_without_base = 0 THEN cp.cost_in_base END AS cost_in_base,
                           CASE WHEN cp.deals_without_base = 0 THEN cp.realized_in_base END AS realized_in_base) k
LEFT JOIN valuation_rate vr ON vr.currency_code = cp.currency_code;

-- Per currency over its branches, and for the bank: sums of the positions' figures, so that they add up
-- to the kopeck; NULL when any position's is, with the positions that are not 'ok' named in status.
CREATE VIEW currency_result AS
SELECT currency_code, base_currency, count(*)::integer AS branches, sum(net_amount) AS net_amount,
       CASE WHEN bool_and(cost_in_base IS NOT NULL) THEN sum(cost_in_base) END AS cost_in_base,
       CASE WHEN bool_and(realized_in_base IS NOT NULL) THEN sum(realized_in_base) END AS realized_in_base,
       CASE WHEN bool_and(unrealized_in_base IS NOT NULL) THEN sum(unrealized_in_base) END AS unrealized_in_base,
       CASE WHEN bool_and(total_in_base IS NOT NULL) THEN sum(total_in_base) END AS total_in_base,
       coalesce(string_agg(branch_name || ': ' || status, '; ' ORDER BY branch_name) FILTER (WHERE status <> 'ok'),
                'ok') AS status
FROM position_result
GROUP BY currency_code, base_currency;

CREATE VIEW bank_result AS
SELECT s.base_currency,
       CASE WHEN coalesce(bool_and(pr.realized_in_base IS NOT NULL), true)
            THEN coalesce(sum(pr.realized_in_base), 0.00) END AS realized_in_base,
       CASE WHEN coalesce(bool_and(pr.unrealized_in_base IS NOT NULL), true)
            THEN coalesce(sum(pr.unrealized_in_base), 0.00) END AS unrealized_in_base,
       CASE WHEN coalesce(bool_and(pr.total_in_base IS NOT NULL), true)
            THEN coalesce(sum(pr.total_in_base), 0.00) END AS total_in_base,
       count(pr.*)::integer AS positions,
       coalesce(string_agg(pr.currency_code || ' ' || pr.branch_name || ': ' || pr.status, '; '
                           ORDER BY pr.currency_code, pr.branch_name) FILTER (WHERE pr.status <> 'ok'), 'ok') AS status
FROM treasury_setting s
LEFT JOIN position_result pr ON true
GROUP BY s.base_currency;

-- The result realized per trade date (the deal's eventTime, else its Kafka timestamp, as a date in
-- treasury_setting.time_zone), per position and for the bank. A day with deals folded while their
-- position's cost was unknown has realized NULL.
CREATE VIEW position_realized_daily AS
SELECT branch_name, currency_code, trade_date, sum(deal_count)::integer AS deal_count, sum(amount) AS amount,
       sum(base_amount) AS base_amount, sum(deals_without_base)::integer AS deals_without_base,
       CASE WHEN sum(deals_result_unknown) = 0 THEN sum(realized_in_base) END AS realized_in_base,
       CASE WHEN sum(deals_result_unknown) = 0 THEN 'ok'
            ELSE 'result unknown for ' || sum(deals_result_unknown) || ' deals (deals without baseAmount: '
                 || sum(deals_without_base) || ')' END AS status
FROM position_result_flow
GROUP BY branch_name, currency_code, trade_date;

CREATE VIEW bank_realized_daily AS
SELECT trade_date, sum(deal_count)::integer AS deal_count,
       CASE WHEN bool_and(realized_in_base IS NOT NULL) THEN sum(realized_in_base) END AS realized_in_base,
       coalesce(string_agg(currency_code || ' ' || branch_name || ': ' || status, '; '
                           ORDER BY currency_code, branch_name) FILTER (WHERE status <> 'ok'), 'ok') AS status
FROM position_realized_daily
GROUP BY trade_date;

-- The same days the accounting way: the balance is carried at the official rate of the day o_d (the
-- latest fx_rate before the next day begins in the treasury's time zone, and not in the future; 1 for
-- the base currency), so
--   revaluation  = round(Q_{d-1}·o_d) − round(Q_{d-1}·o_{d-1})  the opening balance revalued,
--   deal_result  = round(Q_d·o_d) − round(Q_{d-1}·o_d) − Σb_d   the day's deals at the official rate
--                                                              against what they were paid or received,
-- and against the dealer's view, realized + (U_d − U_{d-1}) with U = round(Q·o) − C at each close,
-- check_difference = management_total − accounting_total is 0 to the kopeck, as both equal
-- round(Q_d·o_d) − round(Q_{d-1}·o_{d-1}) − Σb_d once Σb = C − R holds. d−1 is the position's previous
-- day with deals: a day without deals has no row, and its revaluation is in the next day's.
CREATE VIEW position_result_accounting_daily AS
WITH daily AS (
  SELECT branch_name, currency_code, trade_date, sum(deal_count) AS deal_count, sum(amount) AS amount,
         sum(base_amount) AS base_amount, sum(deals_without_base) AS deals_without_base,
         sum(deals_result_unknown) AS deals_result_unknown, sum(realized_in_base) AS realized_in_base,
         sum(cost_change) AS cost_change
  FROM position_result_flow
  GROUP BY branch_name, currency_code, trade_date
),
closes AS (
  SELECT d.*, o.rate AS official_rate,
         sum(d.amount) OVER w AS position_at_close, sum(d.cost_change) OVER w AS cost_at_close
  FROM daily d
  CROSS JOIN treasury_setting s
  LEFT JOIN LATERAL (
    SELECT CASE WHEN d.currency_code = s.base_currency THEN 1::numeric ELSE (
      SELECT r.rate FROM fx_rate r
      WHERE r.currency_code = d.currency_code AND r.as_of <= now()
        AND r.as_of < ((d.trade_date + 1)::timestamp AT TIME ZONE s.time_zone)
      ORDER BY r.as_of DESC LIMIT 1) END AS rate) o ON true
  WINDOW w AS (PARTITION BY d.branch_name, d.currency_code ORDER BY d.trade_date)
),
valued AS (
  SELECT c.*,
         coalesce(lag(c.position_at_close) OVER w, 0) AS position_at_open,
         coalesce(lag(c.official_rate) OVER w, c.official_rate) AS previous_rate,
         coalesce(lag(c.deals_result_unknown) OVER w, 0) AS previous_unknown,
         round(c.position_at_close * c.official_rate, 2) AS value_at_close,
         coalesce(lag(round(c.position_at_close * c.official_rate, 2)) OVER w, 0) AS value_at_open,
         round(c.position_at_close * c.official_rate, 2) - c.cost_at_close AS unrealized_at_close,
         coalesce(lag(round(c.position_at_close * c.official_rate, 2) - c.cost_at_close) OVER w, 0)
           AS unrealized_at_open,
         bool_or(c.official_rate IS NULL) OVER w AS rate_missing_to_date
  FROM closes c
  WINDOW w AS (PARTITION BY c.branch_name, c.currency_code ORDER BY c.trade_date)
),
figures AS (
  SELECT v.*,
         v.deals_without_base = 0 AND NOT v.rate_missing_to_date AS accounting_known,
         v.deals_result_unknown = 0 AND v.previous_unknown = 0 AND NOT v.rate_missing_to_date AS management_known,
         round(v.position_at_open * v.official_rate, 2) AS opening_at_rate
  FROM valued v
)
SELECT branch_name, currency_code, trade_date, deal_count::integer, official_rate, position_at_open,
       position_at_close, amount, base_amount,
       CASE WHEN accounting_known THEN value_at_close - opening_at_rate - base_amount END AS deal_result,
       CASE WHEN accounting_known THEN opening_at_rate - value_at_open END AS revaluation,
       CASE WHEN accounting_known THEN value_at_close - value_at_open - base_amount END AS accounting_total,
       CASE WHEN management_known THEN realized_in_base END AS realized_in_base,
       CASE WHEN management_known THEN unrealized_at_close - unrealized_at_open END AS unrealized_change,
       CASE WHEN management_known THEN realized_in_base + unrealized_at_close - unrealized_at_open END
         AS management_total,
       CASE WHEN accounting_known AND management_known
            THEN (realized_in_base + unrealized_at_close - unrealized_at_open)
                 - (value_at_close - value_at_open - base_amount) END AS check_difference,
       CASE WHEN rate_missing_to_date THEN 'missing rate'
            WHEN NOT management_known OR NOT accounting_known
              THEN 'result unknown: deals without baseAmount: ' || deals_without_base
            ELSE 'ok' END AS status
FROM figures;

-- Per day for the bank, in the base currency: the positions' days summed (NULL when any is unknown).
CREATE VIEW bank_result_accounting_daily AS
SELECT trade_date,
       CASE WHEN bool_and(deal_result IS NOT NULL) THEN sum(deal_result) END AS deal_result,
       CASE WHEN bool_and(revaluation IS NOT NULL) THEN sum(revaluation) END AS revaluation,
       CASE WHEN bool_and(accounting_total IS NOT NULL) THEN sum(accounting_total) END AS accounting_total,
       CASE WHEN bool_and(realized_in_base IS NOT NULL) THEN sum(realized_in_base) END AS realized_in_base,
       CASE WHEN bool_and(unrealized_change IS NOT NULL) THEN sum(unrealized_change) END AS unrealized_change,
       CASE WHEN bool_and(management_total IS NOT NULL) THEN sum(management_total) END AS management_total,
       CASE WHEN bool_and(check_difference IS NOT NULL) THEN sum(check_difference) END AS check_difference,
       coalesce(string_agg(currency_code || ' ' || branch_name || ': ' || status, '; '
                           ORDER BY currency_code, branch_name) FILTER (WHERE status <> 'ok'), 'ok') AS status
FROM position_result_accounting_daily
GROUP BY trade_date;

-- The reader's default privileges cover views made by the migrating role; said here too, so that a
-- database migrated by another role grants them all the same.
GRANT SELECT ON position_result, currency_result, bank_result, position_realized_daily, bank_realized_daily,
                position_result_accounting_daily, bank_result_accounting_daily, position_result_flow
  TO treasury_reader;

-- Down Migration
DROP VIEW bank_result_accounting_daily;
DROP VIEW position_result_accounting_daily;
DROP VIEW bank_realized_daily;
DROP VIEW position_realized_daily;
DROP VIEW bank_result;
DROP VIEW currency_result;
DROP VIEW position_result;
