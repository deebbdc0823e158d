-- Up Migration

-- The financial result of the deals (issue 20): weighted average cost per branch × currency, folded over
-- the deals in offset order inside apply_batch, exact to the kopeck. Per position:
--   net_amount        Q, the position (as before)
--   cost_in_base      C, what the open position cost in the base currency, signed like Q, 0 when flat
--   realized_in_base  R, the result realized since result_since
--   base_flow         Σb since result_since, the base currency paid (+) and received (−); the CHECK
--                     base_flow = cost_in_base − realized_in_base proves in every committed transaction
--                     that the fold lost no kopeck
--   deals_without_base  deals in a foreign currency without baseAmount since the position was last
--                     flat: while it is above 0 the cost, hence every result figure, is unknown (NULL in
--                     the views, never guessed), and the fold counts the position only
--   result_since      when the result became known again: the trade time of the deal that made a
--                     position with unknown cost flat (cost 0 is then known), NULL for since the start
-- The average rate is C/Q, computed where it is shown, never stored rounded.
--
-- A deal (q, b), b its baseAmount signed like q (a base-currency deal's b is q, so its result is 0):
--   opens or adds (Q = 0 or the same sign): Q += q, C += b, exact;
--   reduces, closes or flips: x = min(|q|, |Q|); c = C if x = |Q| else round(C·x/|Q|);
--   bx = b if x = |q| else round(b·x/|q|); R += −bx − c; C = C − c + (b − bx); Q += q.
-- round is to the kopeck, half away from zero, on integers (div), never a float or a rounded quotient.

-- Trade dates (the per-day views) are in the treasury's time zone. The CHECK refuses a zone PostgreSQL
-- does not know (AT TIME ZONE raises on it), so that no batch fails on it later.
ALTER TABLE treasury_setting ADD COLUMN time_zone text NOT NULL DEFAULT 'Europe/Moscow'
  CHECK ((timestamptz '2000-01-01 00:00+00' AT TIME ZONE time_zone) IS NOT NULL);

ALTER TABLE currency_position
  ADD COLUMN cost_in_base numeric(24, 2) NOT NULL DEFAULT 0,
  ADD COLUMN realized_in_base numeric(24, 2) NOT NULL DEFAULT 0,
  ADD COLUMN base_flow numeric(24, 2) NOT NULL DEFAULT 0,
  ADD COLUMN deals_without_base bigint NOT NULL DEFAULT 0 CHECK (deals_without_base >= 0),
  ADD COLUMN result_since timestamptz;

-- Positions from before: a base-currency position costs its amount; any other open one was made of deals
-- without baseAmount, so its result is unknown until it is flat, and all its deals are counted as such.
UPDATE currency_position cp SET cost_in_base = cp.net_amount, base_flow = cp.net_amount
FROM treasury_setting s WHERE cp.currency_code = s.base_currency;
UPDATE currency_position cp SET deals_without_base = cp.tx_count
FROM treasury_setting s WHERE cp.currency_code <> s.base_currency AND cp.net_amount <> 0;

-- Only this CHECK: one on net_amount and cost together (flat costs nothing, the cost is signed like the
-- position) would fail inside every flipping batch, because apply_batch_positions moves net_amount in
-- its upsert before the fold moves the cost. The property test checks those two on every position.
ALTER TABLE currency_position
  ADD CONSTRAINT currency_position_base_flow_is_cost_less_realized
    CHECK (base_flow = cost_in_base - realized_in_base);

-- What each batch did to each position's result, per trade date: the per-day views sum these. One row
-- per batch × position × trade date, written in the same statement as the position (O(cells), not a row
-- per deal). batch_id NULL: the opening row of a position that was open when this migration ran.
CREATE TABLE position_result_flow (
  id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  batch_id             bigint REFERENCES applied_batch (batch_id),
  branch_name          text NOT NULL,
  currency_code        char(3) NOT NULL,
  trade_date           date NOT NULL,
  deal_count           integer NOT NULL,
  -- Σq
  amount               numeric(24, 2) NOT NULL,
  -- Σb of the deals that have a baseAmount (a base-currency deal's b is its amount)
  base_amount          numeric(24, 2) NOT NULL,
  deals_without_base   integer NOT NULL,
  -- Deals folded while the position's cost was unknown: their part of the result is in no figure here
  deals_result_unknown integer NOT NULL,
  -- Σ of the realized result of the other deals
  realized_in_base     numeric(24, 2) NOT NULL,
  -- Σ of the change each deal made to cost_in_base (the reset of an unknown cost at flat included)
  cost_change          numeric(24, 2) NOT NULL,
  UNIQUE (batch_id, branch_name, currency_code, trade_date)
);
CREATE INDEX position_result_flow_position_day ON position_result_flow (branch_name, currency_code, trade_date);
INSERT INTO position_result_flow (batch_id, branch_name, currency_code, trade_date, deal_count, amount, base_amount,
                                  deals_without_base, deals_result_unknown, realized_in_base, cost_change)
SELECT NULL, cp.branch_name, cp.currency_code, (now() AT TIME ZONE s.time_zone)::date, cp.tx_count, cp.net_amount,
       CASE WHEN cp.currency_code = s.base_currency THEN cp.net_amount ELSE 0 END,
       cp.deals_without_base, cp.deals_without_base, 0, cp.cost_in_base
FROM currency_position cp CROSS JOIN treasury_setting s
WHERE cp.net_amount <> 0;

-- The fold of one batch's deals into the positions apply_batch_positions has just upserted, hence
-- locked (in key order): it takes no lock of its own, so the lock order and deadlock-freedom are
-- apply_batch_positions'. p_* are the batch's cells as apply_batch_positions got them (net_amount
-- already includes p_amounts); d_* are the deals in the order to fold them (each partition's offset
-- order), d_cells indexing p_*. Writes the positions' result state and their position_result_flow rows;
-- returns the result the batch realized (deals whose cost is unknown left out).
--
-- A PL/pgSQL loop over the arrays: the design memo (shared/design/financial-result.md §4.2) measured it
-- a little faster than a custom aggregate and 15× faster than a recursive CTE; a window function cannot
-- express the rounded cost recurrence. bench/write-path measures it per batch.
CREATE FUNCTION fold_position_results(
  p_batch_id bigint, p_branches text[], p_currencies text[], p_amounts numeric[],
  d_cells integer[], d_amounts numeric[], d_bases numeric[], d_times bigint[]
) RETURNS numeric
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
  v_zone text;
  v_deals integer := coalesce(cardinality(d_cells), 0);
  q numeric[]; c numeric[]; r numeric[]; f numeric[]; u bigint[]; since timestamptz[]; in_base boolean[];
  o_base numeric[]; o_realized numeric[]; o_cost numeric[];
  k integer; i integer;
  dq numeric; db numeric; x numeric; cx numeric; bx numeric; c0 numeric; rz numeric;
  v_realized numeric := 0;
BEGIN
  IF v_deals = 0 THEN
    RETURN 0;
  END IF;
  IF cardinality(d_amounts) <> v_deals OR cardinality(d_bases) <> v_deals OR cardinality(d_times) <> v_deals THEN
    RAISE EXCEPTION 'fold_position_results: the deal arrays differ in length' USING ERRCODE = '22023';
  END IF;
  SELECT time_zone INTO v_zone FROM treasury_setting;
  SELECT array_agg(cp.net_amount - w.a ORDER BY w.i), array_agg(cp.cost_in_base ORDER BY w.i),
         array_agg(cp.realized_in_base ORDER BY w.i), array_agg(cp.base_flow ORDER BY w.i),
         array_agg(cp.deals_without_base ORDER BY w.i), array_agg(cp.result_since ORDER BY w.i),
         array_agg(cp.currency_code = s.base_currency ORDER BY w.i)
  INTO q, c, r, f, u, since, in_base
  FROM unnest(p_branches, p_currencies, p_amounts) WITH ORDINALITY AS w(b, cur, a, i)
  JOIN currency_position cp ON cp.branch_name = w.b AND cp.currency_code = w.cur
  CROSS JOIN treasury_setting s;
  o_base := array_fill(NULL::numeric, ARRAY[v_deals]);
  o_realized := o_base;
  o_cost := o_base;

  FOR k IN 1 .. v_deals LOOP
    i := d_cells[k];
    dq := d_amounts[k];
    -- b is signed like q: a deal of amount 0 moves no cost whatever its baseAmount.
    db := CASE WHEN in_base[i] THEN dq ELSE sign(dq) * d_bases[k] END;
    c0 := c[i];
    IF db IS NULL THEN
      u[i] := u[i] + 1;
    END IF;
    IF u[i] > 0 THEN
      -- Unknown cost: the position counts, its result does not; flat again, the cost is known (0).
      q[i] := q[i] + dq;
      rz := NULL;
      IF q[i] = 0 THEN
        c[i] := 0; r[i] := 0; f[i] := 0; u[i] := 0;
        since[i] := timestamptz 'epoch' + d_times[k] * interval '1 millisecond';
      END IF;
    ELSIF q[i] = 0 OR sign(q[i]) = sign(dq) THEN
      q[i] := q[i] + dq; c[i] := c[i] + db; f[i] := f[i] + db;
      rz := 0;
    ELSE
      x := least(abs(dq), abs(q[i]));
      -- round(C·x/|Q|) half away from zero: floor((2·|C|·100·x + |Q|) / (2·|Q|)) kopecks, with C's sign.
      cx := CASE WHEN x = abs(q[i]) THEN c[i]
                 ELSE sign(c[i]) * div(200 * abs(c[i]) * x + abs(q[i]), 2 * abs(q[i])) / 100 END;
      bx := CASE WHEN x = abs(dq) THEN db
                 ELSE sign(db) * div(200 * abs(db) * x + abs(dq), 2 * abs(dq)) / 100 END;
      rz := -bx - cx;
      r[i] := r[i] + rz;
      c[i] := c[i] - cx + (db - bx);
      q[i] := q[i] + dq;
      f[i] := f[i] + db;
    END IF;
    o_base[k] := db;
    o_realized[k] := rz;
    o_cost[k] := c[i] - c0;
    v_realized := v_realized + coalesce(rz, 0);
  END LOOP;

  UPDATE currency_position cp
  SET cost_in_base = w.c, realized_in_base = w.r, base_flow = w.f, deals_without_base = w.u, result_since = w.s
  FROM unnest(p_branches, p_currencies, c, r, f, u, since) AS w(b, cur, c, r, f, u, s)
  WHERE cp.branch_name = w.b AND cp.currency_code = w.cur;

  INSERT INTO position_result_flow (batch_id, branch_name, currency_code, trade_date, deal_count, amount, base_amount,
                                    deals_without_base, deals_result_unknown, realized_in_base, cost_change)
  SELECT p_batch_id, p_branches[d.cell], p_currencies[d.cell], d.trade_date, count(*), sum(d.a),
         coalesce(sum(d.b), 0), count(*) FILTER (WHERE d.b IS NULL), count(*) FILTER (WHERE d.rz IS NULL),
         coalesce(sum(d.rz), 0), sum(d.cc)
  FROM (SELECT w.cell, w.a, w.b, w.rz, w.cc,
               ((timestamptz 'epoch' + w.t * interval '1 millisecond') AT TIME ZONE v_zone)::date AS trade_date
        FROM unnest(d_cells, d_amounts, o_base, d_times, o_realized, o_cost) AS w(cell, a, b, t, rz, cc)) AS d
  GROUP BY d.cell, d.trade_date
  ORDER BY d.cell, d.trade_date;

  RETURN v_realized;
END;
$$;
REVOKE ALL ON FUNCTION fold_position_results FROM PUBLIC;

-- apply_batch of 1764000000005 with the batch's deals, in the order to fold them, before p_accept_gaps:
-- d_cells (1-based index into p_branches/p_currencies), d_amounts, d_bases (NULL: no baseAmount) and
-- d_times (trade time, epoch ms). Still one statement, one transaction, one round trip. Answers as
-- before, and when applied "realizedInBase" (the result the batch realized, decimal text).
DROP FUNCTION apply_batch(text, text[], integer[], bigint[], bigint[], text[], text[], numeric[], integer[],
                          text[], integer[], bigint[], bytea[], bytea[], text[], timestamptz[], integer,
                          timestamptz, timestamptz, integer[], boolean);
CREATE FUNCTION apply_batch(
  p_source text,
  p_topics text[], p_partitions integer[], p_from_offsets bigint[], p_next_offsets bigint[],
  p_branches text[], p_currencies text[], p_amounts numeric[], p_counts integer[],
  r_topics text[], r_partitions integer[], r_offsets bigint[], r_keys bytea[], r_values bytea[],
  r_reasons text[], r_times timestamptz[],
  p_record_count integer, p_first_record_time timestamptz, p_last_record_time timestamptz,
  p_record_time_histogram integer[],
  d_cells integer[], d_amounts numeric[], d_bases numeric[], d_times bigint[],
  p_accept_gaps boolean DEFAULT false
) RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
  v_outcome jsonb;
  v_batch_id bigint;
  v_realized numeric;
  v_changes jsonb;
BEGIN
  v_outcome := apply_batch_positions(p_source, p_topics, p_partitions, p_from_offsets, p_next_offsets,
                                     p_branches, p_currencies, p_amounts, p_counts,
                                     r_topics, r_partitions, r_offsets, r_keys, r_values, r_reasons, r_times,
                                     p_record_count, p_first_record_time, p_last_record_time,
                                     p_record_time_histogram, coalesce(p_accept_gaps, false));
  IF v_outcome->>'status' IS DISTINCT FROM 'applied' THEN
    RETURN v_outcome;
  END IF;
  v_batch_id := (v_outcome->>'batchId')::bigint;
  v_realized := fold_position_results(v_batch_id, p_branches, p_currencies, p_amounts,
                                      d_cells, d_amounts, d_bases, d_times);
  v_changes := record_limit_breaches(p_branches, p_currencies, v_batch_id, clock_timestamp());
  RETURN v_outcome || jsonb_build_object(
    'realizedInBase', round(v_realized, 2)::text,
    'limitBreaches', v_changes,
    'openBreaches', (SELECT count(*) FROM limit_breach WHERE cleared_at IS NULL));
END;
$$;
REVOKE ALL ON FUNCTION apply_batch FROM PUBLIC;
GRANT EXECUTE ON FUNCTION apply_batch TO treasury_aggregator;

-- Down Migration
DROP FUNCTION apply_batch(text, text[], integer[], bigint[], bigint[], text[], text[], numeric[], integer[],
                          text[], integer[], bigint[], bytea[], bytea[], text[], timestamptz[], integer,
                          timestamptz, timestamptz, integer[], integer[], numeric[], numeric[], bigint[], boolean);
CREATE FUNCTION apply_batch(
  p_source text,
  p_topics text[], p_partitions integer[], p_from_offsets bigint[], p_next_offsets bigint[],
  p_branches text[], p_currencies text[], p_amounts numeric[], p_counts integer[],
  r_topics text[], r_partitions integer[], r_offsets bigint[], r_keys bytea[], r_values bytea[],
  r_reasons text[], r_times timestamptz[],
  p_record_count integer, p_first_record_time timestamptz, p_last_record_time timestamptz,
  p_record_time_histogram integer[], p_accept_gaps boolean DEFAULT false
) RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
  v_outcome jsonb;
  v_changes jsonb;
BEGIN
  v_outcome := apply_batch_positions(p_source, p_topics, p_partitions, p_from_offsets, p_next_offsets,
                                     p_branches, p_currencies, p_amounts, p_counts,
                                     r_topics, r_partitions, r_offsets, r_keys, r_values, r_reasons, r_times,
                                     p_record_count, p_first_record_time, p_last_record_time,
                                     p_record_time_histogram, coalesce(p_accept_gaps, false));
  IF v_outcome->>'status' IS DISTINCT FROM 'applied' THEN
    RETURN v_outcome;
  END IF;
  v_changes := record_limit_breaches(p_branches, p_currencies, (v_outcome->>'batchId')::bigint,
                                     clock_timestamp());
  RETURN v_outcome || jsonb_build_object(
    'limitBreaches', v_changes,
    'openBreaches', (SELECT count(*) FROM limit_breach WHERE cleared_at IS NULL));
END;
$$;
REVOKE ALL ON FUNCTION apply_batch FROM PUBLIC;
GRANT EXECUTE ON FUNCTION apply_batch TO treasury_aggregator;
DROP FUNCTION fold_position_results;
DROP TABLE position_result_flow;
ALTER TABLE currency_position
  DROP CONSTRAINT currency_position_base_flow_is_cost_less_realized,
  DROP COLUMN result_since, DROP COLUMN deals_without_base, DROP COLUMN base_flow, DROP COLUMN realized_in_base,
  DROP COLUMN cost_in_base;
ALTER TABLE treasury_setting DROP COLUMN time_zone;
