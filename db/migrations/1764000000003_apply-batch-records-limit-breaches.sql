-- Up Migration

-- apply_batch becomes the positions' write (renamed, unchanged) followed by the limit check, in the same
-- call: one statement from the client, one transaction, one round trip, as before. The positions'
-- function is no longer the aggregator's to call, so that no batch can skip the limit check.
ALTER FUNCTION apply_batch(text, text[], integer[], bigint[], bigint[], text[], text[], numeric[], integer[],
                           text[], integer[], bigint[], bytea[], bytea[], text[], timestamptz[], integer,
                           timestamptz, timestamptz, integer[])
  RENAME TO apply_batch_positions;
REVOKE EXECUTE ON FUNCTION apply_batch_positions FROM treasury_aggregator;

-- Opens and clears the breaches of the positions a batch just moved, and returns what changed:
-- [{change: 'began'|'cleared', branch, currency, side, limit, position}] (amounts as decimal text, exact).
-- It judges each position's state after the batch, not the crossing: a limit changed with SQL takes
-- effect the next time a batch moves the position, and a breach that is open stays one row however
-- many batches keep the position past the limit.
--
-- Concurrency: apply_batch_positions holds the row locks of exactly these positions (taken in key
-- order), so no other transaction writes breaches of these positions until this one commits; breaches
-- take no lock another batch could hold, and the lock order, hence deadlock-freedom, is unchanged. This
-- is its own statement, run after those locks were granted, so it sees the breaches of whichever batch
-- held them before.
CREATE FUNCTION record_limit_breaches(p_branches text[], p_currencies text[], p_batch_id bigint,
                                      p_now timestamptz) RETURNS jsonb
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
  v_changes jsonb;
BEGIN
  WITH touched AS (
    SELECT cp.branch_name, cp.currency_code, cp.net_amount, lim.long_limit, lim.short_limit
    FROM unnest(p_branches, p_currencies) AS u(b, c)
    JOIN currency_position cp ON cp.branch_name = u.b AND cp.currency_code = u.c
    JOIN position_limit_in_force lim ON lim.branch_name = u.b AND lim.currency_code = u.c
  ),
  judged AS (
    SELECT t.branch_name, t.currency_code, t.net_amount, s.side, s.limit_amount,
           coalesce(s.beyond, false) AS beyond
    FROM touched t
    CROSS JOIN LATERAL (VALUES ('long', t.long_limit, t.net_amount > t.long_limit),
                               ('short', t.short_limit, t.net_amount < -t.short_limit))
      AS s(side, limit_amount, beyond)
  ),
  open_breach AS (
    SELECT lb.breach_id, j.branch_name, j.currency_code, j.side, j.net_amount, j.beyond
    FROM judged j
    JOIN limit_breach lb ON lb.branch_name = j.branch_name AND lb.currency_code = j.currency_code
                        AND lb.side = j.side AND lb.cleared_at IS NULL
  ),
  cleared AS (
    UPDATE limit_breach lb
    SET cleared_batch_id = p_batch_id, cleared_at = p_now, cleared_position = o.net_amount
    FROM open_breach o
    WHERE lb.breach_id = o.breach_id AND NOT o.beyond
    RETURNING 'cleared'::text AS change, lb.branch_name, lb.currency_code, lb.side, lb.limit_amount,
              lb.cleared_position AS position_amount
  ),
  began AS (
    INSERT INTO limit_breach (branch_name, currency_code, side, limit_amount, position_amount, began_batch_id, began_at)
    SELECT j.branch_name, j.currency_code, j.side, j.limit_amount, j.net_amount, p_batch_id, p_now
    FROM judged j
    WHERE j.beyond
      AND NOT EXISTS (SELECT FROM open_breach o
                      WHERE o.branch_name = j.branch_name AND o.currency_code = j.currency_code AND o.side = j.side)
    ORDER BY j.branch_name, j.currency_code, j.side
    RETURNING 'began'::text AS change, branch_name, currency_code, side, limit_amount, position_amount
  )
  SELECT coalesce(jsonb_agg(jsonb_build_object('change', c.change, 'branch', c.branch_name,
                                               'currency', c.currency_code, 'side', c.side,
                                               'limit', c.limit_amount::text, 'position', c.position_amount::text)
                            ORDER BY c.branch_name, c.currency_code, c.side), '[]'::jsonb)
  INTO v_changes
  FROM (SELECT * FROM cleared UNION ALL SELECT * FROM began) AS c;
  RETURN v_changes;
END;
$$;
REVOKE ALL ON FUNCTION record_limit_breaches FROM PUBLIC;

-- Same parameters and answer as before, plus, when applied, "limitBreaches" (record_limit_breaches'
-- changes) and "openBreaches" (breaches open after this batch, as this transaction sees them).
CREATE FUNCTION apply_batch(
  p_source text,
  p_topics text[], p_partitions integer[], p_from_offsets bigint[], p_next_offsets bigint[],
  p_branches text[], p_currencies text[], p_amounts numeric[], p_counts integer[],
  r_topics text[], r_partitions integer[], r_offsets bigint[], r_keys bytea[], r_values bytea[],
  r_reasons text[], r_times timestamptz[],
  p_record_count integer, p_first_record_time timestamptz, p_last_record_time timestamptz,
  p_record_time_histogram integer[]
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
                                     p_record_time_histogram);
  IF v_outcome->>'status' IS DISTINCT FROM 'applied' THEN
    RETURN v_outcome;
  END IF;
  -- The time now, not the batch's start (committedAt): now this transaction holds the positions' locks,
  -- so the breaches of one position are stamped in the order they happened even when a batch that
  -- started earlier waited for another's locks.
  v_changes := record_limit_breaches(p_branches, p_currencies, (v_outcome->>'batchId')::bigint,
                                     clock_timestamp());
  RETURN v_outcome || jsonb_build_object(
    'limitBreaches', v_changes,
    'openBreaches', (SELECT count(*) FROM limit_breach WHERE cleared_at IS NULL));
END;
$$;
REVOKE ALL ON FUNCTION apply_batch FROM PUBLIC;
GRANT EXECUTE ON FUNCTION apply_batch TO treasury_aggregator;

-- Down Migration
DROP FUNCTION apply_batch(text, text[], integer[], bigint[], bigint[], text[], text[], numeric[], integer[],
                          text[], integer[], bigint[], bytea[], bytea[], text[], timestamptz[], integer,
                          timestamptz, timestamptz, integer[]);
DROP FUNCTION record_limit_breaches;
ALTER FUNCTION apply_batch_positions RENAME TO apply_batch;
GRANT EXECUTE ON FUNCTION apply_batch TO treasury_aggregator;
