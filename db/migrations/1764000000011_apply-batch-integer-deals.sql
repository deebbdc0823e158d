-- Up Migration

-- apply_batch with the batch's deals in integers: per cell its number of deals (d_deals, the cell's deals
-- consecutive, in their order), and per deal the amount in cents (d_cents), the baseAmount in kopecks
-- signed like the amount (d_kopecks, NULL: none; 0 for an amount of 0) and the trade time (d_times, ms
-- after d_time_origin, an epoch ms: small numbers, which the function writes and the server reads faster
-- than 13 digits each). The folding is fold_position_results_cents (1764000000010); the rest is
-- apply_batch of 1764000000008.
-- A new overload, not a replacement: a function rolled back to the previous code still calls
-- apply_batch with d_cells, d_amounts and d_bases, and that one (replaced further down) converts and
-- calls this one, so both write the same figures. Named arguments choose between them.
CREATE FUNCTION apply_batch(
  p_source text,
  p_topics text[], p_partitions integer[], p_from_offsets bigint[], p_next_offsets bigint[],
  p_branches text[], p_currencies text[], p_amounts numeric[], p_counts integer[],
  r_topics text[], r_partitions integer[], r_offsets bigint[], r_keys bytea[], r_values bytea[],
  r_reasons text[], r_times timestamptz[],
  p_record_count integer, p_first_record_time timestamptz, p_last_record_time timestamptz,
  p_record_time_histogram integer[],
  d_deals integer[], d_cents bigint[], d_kopecks bigint[], d_time_origin bigint, d_times bigint[],
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
  v_realized := fold_position_results_cents(v_batch_id, p_branches, p_currencies, p_amounts,
                                            d_deals, d_cents, d_kopecks, d_time_origin, d_times);
  v_changes := record_limit_breaches(p_branches, p_currencies, v_batch_id, clock_timestamp());
  RETURN v_outcome || jsonb_build_object(
    'realizedInBase', round(v_realized, 2)::text,
    'positionResults', (
      SELECT coalesce(jsonb_agg(jsonb_build_object(
               'branch', pr.branch_name, 'currency', pr.currency_code, 'position', pr.net_amount::text,
               'averageRate', pr.average_rate::text, 'realized', pr.realized_in_base::text,
               'unrealized', pr.unrealized_in_base::text, 'total', pr.total_in_base::text, 'status', pr.status)
             ORDER BY pr.branch_name, pr.currency_code), '[]'::jsonb)
      FROM position_result pr
      JOIN unnest(p_branches, p_currencies) AS u(b, c) ON pr.branch_name = u.b AND pr.currency_code = u.c),
    'bankTotalInBase', (SELECT total_in_base::text FROM bank_result),
    'limitBreaches', v_changes,
    'openBreaches', (SELECT count(*) FROM limit_breach WHERE cleared_at IS NULL));
END;
$$;
REVOKE ALL ON FUNCTION apply_batch(text, text[], integer[], bigint[], bigint[], text[], text[], numeric[], integer[], text[], integer[], bigint[], bytea[], bytea[], text[], timestamptz[], integer, timestamptz, timestamptz, integer[], integer[], bigint[], bigint[], bigint, bigint[], boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION apply_batch(text, text[], integer[], bigint[], bigint[], text[], text[], numeric[], integer[], text[], integer[], bigint[], bytea[], bytea[], text[], timestamptz[], integer, timestamptz, timestamptz, integer[], integer[], bigint[], bigint[], bigint, bigint[], boolean) TO treasury_aggregator;

CREATE OR REPLACE FUNCTION apply_batch(
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
  v_deals integer[]; v_cents bigint[]; v_kopecks bigint[]; v_times bigint[];
BEGIN
  -- Deals of different positions never meet in the fold, so ordering them by cell (each cell's deals
  -- still in their order) changes no figure.
  SELECT array_agg((w.a * 100)::bigint ORDER BY w.cell, w.k),
         array_agg((CASE WHEN w.a > 0 THEN w.b WHEN w.a < 0 THEN -w.b ELSE 0 * w.b END * 100)::bigint ORDER BY w.cell, w.k),
         array_agg(w.t ORDER BY w.cell, w.k)
  INTO v_cents, v_kopecks, v_times
  FROM unnest(d_cells, d_amounts, d_bases, d_times) WITH ORDINALITY AS w(cell, a, b, t, k);
  SELECT array_agg(coalesce(n.deals, 0)::integer ORDER BY g.i) INTO v_deals
  FROM generate_subscripts(p_branches, 1) AS g(i)
  LEFT JOIN (SELECT cell, count(*) AS deals FROM unnest(d_cells) AS cell GROUP BY cell) AS n ON n.cell = g.i;
  RETURN apply_batch(
    p_source => p_source, p_topics => p_topics, p_partitions => p_partitions, p_from_offsets => p_from_offsets,
    p_next_offsets => p_next_offsets, p_branches => p_branches, p_currencies => p_currencies,
    p_amounts => p_amounts, p_counts => p_counts, r_topics => r_topics, r_partitions => r_partitions,
    r_offsets => r_offsets, r_keys => r_keys, r_values => r_values, r_reasons => r_reasons, r_times => r_times,
    p_record_count => p_record_count, p_first_record_time => p_first_record_time,
    p_last_record_time => p_last_record_time, p_record_time_histogram => p_record_time_histogram,
    d_deals => coalesce(v_deals, '{}'), d_cents => coalesce(v_cents, '{}'), d_kopecks => coalesce(v_kopecks, '{}'),
    d_time_origin => 0, d_times => coalesce(v_times, '{}'), p_accept_gaps => p_accept_gaps);
END;
$$;

-- Down Migration
DROP FUNCTION apply_batch(text, text[], integer[], bigint[], bigint[], text[], text[], numeric[], integer[], text[], integer[], bigint[], bytea[], bytea[], text[], timestamptz[], integer, timestamptz, timestamptz, integer[], integer[], bigint[], bigint[], bigint, bigint[], boolean);
CREATE OR REPLACE FUNCTION apply_batch(
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
    'positionResults', (
      SELECT coalesce(jsonb_agg(jsonb_build_object(
               'branch', pr.branch_name, 'currency', pr.currency_code, 'position', pr.net_amount::text,
               'averageRate', pr.average_rate::text, 'realized', pr.realized_in_base::text,
               'unrealized', pr.unrealized_in_base::text, 'total', pr.total_in_base::text, 'status', pr.status)
             ORDER BY pr.branch_name, pr.currency_code), '[]'::jsonb)
      FROM position_result pr
      JOIN unnest(p_branches, p_currencies) AS u(b, c) ON pr.branch_name = u.b AND pr.currency_code = u.c),
    'bankTotalInBase', (SELECT total_in_base::text FROM bank_result),
    'limitBreaches', v_changes,
    'openBreaches', (SELECT count(*) FROM limit_breach WHERE cleared_at IS NULL));
END;
$$;
