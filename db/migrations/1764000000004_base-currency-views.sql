-- Up Migration

-- The rate each currency is valued at: the latest fx_rate not in the future, and 1 for the base
-- currency. A currency with no row here has no rate, and the views show that instead of a figure.
CREATE VIEW valuation_rate AS
(SELECT DISTINCT ON (r.currency_code) r.currency_code, r.rate, r.as_of, 'fx_rate'::text AS valuation
 FROM fx_rate r CROSS JOIN treasury_setting s
 WHERE r.as_of <= now() AND r.currency_code <> s.base_currency
 ORDER BY r.currency_code, r.as_of DESC)
UNION ALL
SELECT base_currency, 1, NULL, 'base currency' FROM treasury_setting;

-- 'long limit breached', 'short limit breached', 'within limits' or 'no limit': a position against
-- its limits as they are now (limit_breach keeps what each batch found).
CREATE FUNCTION position_limit_status(p_position numeric, p_long_limit numeric, p_short_limit numeric)
RETURNS text
LANGUAGE sql
IMMUTABLE
AS $$
  SELECT CASE
    WHEN p_position > p_long_limit THEN 'long limit breached'
    WHEN p_position < -p_short_limit THEN 'short limit breached'
    WHEN p_long_limit IS NULL AND p_short_limit IS NULL THEN 'no limit'
    ELSE 'within limits'
  END
$$;
-- The views call it, and a view's functions are called with the privileges of whoever reads the view.
GRANT EXECUTE ON FUNCTION position_limit_status TO treasury_reader;

-- Each branch × currency position with its base-currency equivalent (rounded to the cent, half away
-- from zero) and its limits. base_amount is NULL, and valuation 'missing rate', when the currency has
-- no rate.
CREATE VIEW position_in_base_currency AS
SELECT cp.branch_name, cp.currency_code, cp.net_amount, s.base_currency,
       vr.rate, vr.as_of AS rate_as_of, round(cp.net_amount * vr.rate, 2) AS base_amount,
       coalesce(vr.valuation, 'missing rate') AS valuation,
       lim.long_limit, lim.short_limit,
       position_limit_status(cp.net_amount, lim.long_limit, lim.short_limit) AS limit_status,
       cp.updated_at
FROM currency_position cp
CROSS JOIN treasury_setting s
LEFT JOIN valuation_rate vr ON vr.currency_code = cp.currency_code
JOIN position_limit_in_force lim ON lim.branch_name = cp.branch_name AND lim.currency_code = cp.currency_code;

-- Each currency summed over all branches, valued as the total (so the base amount is the total times
-- the rate, rounded once), against currency_total_limit.
CREATE VIEW currency_total_in_base_currency AS
SELECT t.currency_code, t.net_amount, t.branches, s.base_currency,
       vr.rate, vr.as_of AS rate_as_of, round(t.net_amount * vr.rate, 2) AS base_amount,
       coalesce(vr.valuation, 'missing rate') AS valuation,
       ctl.long_limit, ctl.short_limit,
       position_limit_status(t.net_amount, ctl.long_limit, ctl.short_limit) AS limit_status
FROM (SELECT currency_code, sum(net_amount) AS net_amount, count(*)::integer AS branches
      FROM currency_position GROUP BY currency_code) AS t
CROSS JOIN treasury_setting s
LEFT JOIN valuation_rate vr ON vr.currency_code = t.currency_code
LEFT JOIN currency_total_limit ctl ON ctl.currency_code = t.currency_code;

-- The aggregate open currency position: over the foreign currencies (all but the base currency), the
-- larger of the total of long positions and the total of short positions, in the base currency, each
-- currency's position taken over all branches. When a foreign currency with a position other than zero
-- has no rate, the figures are NULL and valuation names the currencies: a sum without them would be
-- wrong, not approximate.
CREATE VIEW aggregate_open_position AS
WITH totals AS (
  SELECT coalesce(sum(base_amount) FILTER (WHERE base_amount > 0), 0.00) AS long_total,
         coalesce(-sum(base_amount) FILTER (WHERE base_amount < 0), 0.00) AS short_total,
         array_agg(currency_code::text ORDER BY currency_code)
           FILTER (WHERE base_amount IS NULL AND net_amount <> 0) AS unvalued
  FROM currency_total_in_base_currency
  WHERE currency_code <> base_currency
)
SELECT s.base_currency,
       CASE WHEN t.unvalued IS NULL THEN t.long_total END AS long_total,
       CASE WHEN t.unvalued IS NULL THEN t.short_total END AS short_total,
       CASE WHEN t.unvalued IS NULL THEN greatest(t.long_total, t.short_total) END AS aggregate_position,
       CASE WHEN t.unvalued IS NULL THEN 'complete' ELSE 'missing rate: ' || array_to_string(t.unvalued, ', ') END
         AS valuation,
       s.aggregate_position_limit,
       CASE
         WHEN t.unvalued IS NOT NULL THEN 'unknown: missing rate'
         WHEN s.aggregate_position_limit IS NULL THEN 'no limit'
         WHEN greatest(t.long_total, t.short_total) > s.aggregate_position_limit THEN 'limit breached'
         ELSE 'within limit'
       END AS limit_status
FROM treasury_setting s CROSS JOIN totals t;

-- Down Migration
DROP VIEW aggregate_open_position;
DROP VIEW currency_total_in_base_currency;
DROP VIEW position_in_base_currency;
DROP FUNCTION position_limit_status;
DROP VIEW valuation_rate;
