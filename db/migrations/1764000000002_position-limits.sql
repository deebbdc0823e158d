-- Up Migration

-- Limits on the open position of a branch in one currency, in that currency's units. A row with
-- branch_name NULL holds for every branch that has no row of its own for the currency: one row limits
-- all branches, and a branch row overrides it. A NULL limit side means no limit on that side. Set and
-- changed with plain SQL (see the README); apply_batch reads them on every batch.
CREATE TABLE position_limit (
  branch_name   text,
  currency_code char(3) NOT NULL CHECK (currency_code ~ '^[A-Z]{3}$'),
  -- The largest long (positive) position allowed.
  long_limit    numeric(24, 2) CHECK (long_limit >= 0),
  -- The largest short position allowed, as a positive amount: a position below -short_limit breaches.
  short_limit   numeric(24, 2) CHECK (short_limit >= 0),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE NULLS NOT DISTINCT (branch_name, currency_code)
);

-- The limits each position is held to: the branch's own row for the currency, else the all-branches
-- row; no row (both limits NULL) when neither exists.
CREATE VIEW position_limit_in_force AS
SELECT cp.branch_name, cp.currency_code, lim.long_limit, lim.short_limit
FROM currency_position cp
LEFT JOIN LATERAL (
  SELECT pl.long_limit, pl.short_limit FROM position_limit pl
  WHERE pl.currency_code = cp.currency_code AND (pl.branch_name = cp.branch_name OR pl.branch_name IS NULL)
  ORDER BY pl.branch_name NULLS LAST
  LIMIT 1
) AS lim ON true;

-- One row per breach of a limit: when a position moved past its limit (began) and when it came back
-- within it (cleared). apply_batch writes it in the batch's own transaction, so a batch that did not
-- commit recorded nothing, and a redelivered batch, which the checkpoints stop before it writes, never
-- records a breach twice.
CREATE TABLE limit_breach (
  breach_id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  branch_name        text NOT NULL,
  currency_code      char(3) NOT NULL,
  side               text NOT NULL CHECK (side IN ('long', 'short')),
  -- The limit in force when the breach began (long_limit or short_limit), positive.
  limit_amount       numeric(24, 2) NOT NULL,
  -- The position after the batch that took it past the limit.
  position_amount    numeric(24, 2) NOT NULL,
  began_batch_id     bigint NOT NULL REFERENCES applied_batch (batch_id),
  began_at           timestamptz NOT NULL,
  -- NULL while the breach is open.
  cleared_batch_id   bigint REFERENCES applied_batch (batch_id),
  cleared_at         timestamptz,
  cleared_position   numeric(24, 2),
  CHECK ((cleared_at IS NULL) = (cleared_batch_id IS NULL) AND (cleared_at IS NULL) = (cleared_position IS NULL))
);
-- At most one open breach per position and side: the fence behind apply_batch's own logic.
CREATE UNIQUE INDEX limit_breach_open ON limit_breach (branch_name, currency_code, side) WHERE cleared_at IS NULL;
CREATE INDEX limit_breach_began_at ON limit_breach (began_at);

-- The treasury's settings: exactly one row.
CREATE TABLE treasury_setting (
  singleton                boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  -- The currency positions are valued in; fx_rate quotes every other currency against it.
  base_currency            char(3) NOT NULL DEFAULT 'RUB' CHECK (base_currency ~ '^[A-Z]{3}$'),
  -- The limit on the aggregate open currency position, in the base currency; NULL: none.
  aggregate_position_limit numeric(24, 2) CHECK (aggregate_position_limit >= 0)
);
INSERT INTO treasury_setting DEFAULT VALUES;

-- Limits on a currency's position summed over all branches, in that currency's units.
CREATE TABLE currency_total_limit (
  currency_code char(3) PRIMARY KEY CHECK (currency_code ~ '^[A-Z]{3}$'),
  long_limit    numeric(24, 2) CHECK (long_limit >= 0),
  short_limit   numeric(24, 2) CHECK (short_limit >= 0)
);

-- Exchange rates: the price of one unit of currency_code in the base currency, as of a time. The
-- views use the latest rate not in the future. Numeric, so that a rate is exactly what was entered.
CREATE TABLE fx_rate (
  currency_code char(3) NOT NULL CHECK (currency_code ~ '^[A-Z]{3}$'),
  rate          numeric(24, 10) NOT NULL CHECK (rate > 0),
  as_of         timestamptz NOT NULL,
  PRIMARY KEY (currency_code, as_of)
);

-- Down Migration
DROP TABLE fx_rate;
DROP TABLE currency_total_limit;
DROP TABLE treasury_setting;
DROP TABLE limit_breach;
DROP VIEW position_limit_in_force;
DROP TABLE position_limit;
