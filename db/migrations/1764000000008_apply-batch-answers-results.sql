-- Up Migration

-- apply_batch of 1764000000006 answers, when applied, also with the result of the positions the batch
-- moved ("positionResults": position_result's figures as decimal text, NULL where unknown, and status)
-- and the bank's total result ("bankTotalInBase", NULL while any position's is unknown): what the
-- aggregator logs and emits for the dashboards (contracts/telemetry/), since its role may read no table.
-- Same signature, so CREATE OR REPLACE keeps its grants. Both read views over the rows the batch has
-- just locked and the few fx_rate rows: O(cells), in the same statement and round trip.
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

-- Down Migration
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
    'limitBreaches', v_changes,
    'openBreaches', (SELECT count(*) FROM limit_breach WHERE cleared_at IS NULL));
END;
$$;
