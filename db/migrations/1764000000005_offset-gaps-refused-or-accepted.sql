-- Up Migration

-- A batch that starts past its partition's checkpoint used to be applied with the hole recorded in
-- offset_gap and nothing else: after a database restore, or records trimmed before they were read, the
-- positions stayed short for ever, although the deals were usually still in the topic. Now:
--   * apply_batch refuses such a batch by default ({"status":"gap"}, nothing written): the aggregator
--     fails the invocation, the mapping retries it, the partition waits for the recovery command
--     (npm run recover, lambda/recovery) to apply the missing offsets from the topic;
--   * p_accept_gaps = true (the aggregator's acceptOffsetGaps setting, for provisioned mode, whose
--     mapping discards a batch after its retries) applies it as before and records the hole;
--   * either way the answer names each gap (partition, checkpoint, first offset), for the metric, the
--     log line and the alarm;
--   * accept_offset_gap records a loss an operator accepts (records the topic no longer holds), with
--     the time and the reason, and moves the checkpoint past it;
--   * partition_checkpoints lets the recovery, which logs in as the aggregator, read where each
--     partition stands without reading any table;
--   * offset_gaps and close_filled_offset_gap let it fill a recorded gap from the topic (below).

-- A gap an operator accepted belongs to no batch; each gap says when and why it was recorded.
ALTER TABLE offset_gap ALTER COLUMN batch_id DROP NOT NULL;
ALTER TABLE offset_gap ADD COLUMN recorded_at timestamptz, ADD COLUMN reason text;
UPDATE offset_gap g
SET recorded_at = b.committed_at, reason = 'accepted by apply_batch before gaps were refused'
FROM applied_batch b WHERE b.batch_id = g.batch_id;
ALTER TABLE offset_gap ALTER COLUMN recorded_at SET NOT NULL, ALTER COLUMN reason SET NOT NULL;

DROP FUNCTION apply_batch(text, text[], integer[], bigint[], bigint[], text[], text[], numeric[], integer[],
                          text[], integer[], bigint[], bytea[], bytea[], text[], timestamptz[], integer,
                          timestamptz, timestamptz, integer[]);
DROP FUNCTION apply_batch_positions(text, text[], integer[], bigint[], bigint[], text[], text[], numeric[],
                                    integer[], text[], integer[], bigint[], bytea[], bytea[], text[],
                                    timestamptz[], integer, timestamptz, timestamptz, integer[]);

-- apply_batch_positions of 1764000000000, with the gap decided in the same query as the conflict (so
-- the steady state costs no extra statement) and the gaps named in the answer.
CREATE FUNCTION apply_batch_positions(
  p_source text,
  p_topics text[], p_partitions integer[], p_from_offsets bigint[], p_next_offsets bigint[],
  p_branches text[], p_currencies text[], p_amounts numeric[], p_counts integer[],
  r_topics text[], r_partitions integer[], r_offsets bigint[], r_keys bytea[], r_values bytea[],
  r_reasons text[], r_times timestamptz[],
  p_record_count integer, p_first_record_time timestamptz, p_last_record_time timestamptz,
  p_record_time_histogram integer[], p_accept_gaps boolean
) RETURNS jsonb
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
  v_now timestamptz := clock_timestamp();
  v_batch_id bigint;
  v_conflict boolean;
  v_checkpoints jsonb;
  v_gaps jsonb;
  v_applied integer;
BEGIN
  -- A partition seen for the first time starts at this batch's first offset.
  INSERT INTO partition_checkpoint (event_source, topic, kafka_partition, next_offset, updated_at)
  SELECT p_source, t, p, f, v_now FROM unnest(p_topics, p_partitions, p_from_offsets) AS u(t, p, f)
  ORDER BY t, p
  ON CONFLICT DO NOTHING;

  -- Lock this batch's checkpoints in a fixed order: two invocations of one partition serialize
  -- here, invocations of different partitions never wait on each other here.
  PERFORM 1 FROM partition_checkpoint pc
  JOIN unnest(p_topics, p_partitions) AS k(t, p) ON pc.topic = k.t AND pc.kafka_partition = k.p
  WHERE pc.event_source = p_source
  ORDER BY pc.topic, pc.kafka_partition
  FOR UPDATE OF pc;

  SELECT bool_or(pc.next_offset > u.f),
         jsonb_agg(jsonb_build_object('topic', pc.topic, 'partition', pc.kafka_partition,
                                      'nextOffset', pc.next_offset)),
         jsonb_agg(jsonb_build_object('topic', pc.topic, 'partition', pc.kafka_partition,
                                      'checkpoint', pc.next_offset, 'firstOffset', u.f)
                   ORDER BY pc.topic, pc.kafka_partition) FILTER (WHERE pc.next_offset < u.f)
  INTO v_conflict, v_checkpoints, v_gaps
  FROM unnest(p_topics, p_partitions, p_from_offsets) AS u(t, p, f)
  JOIN partition_checkpoint pc ON pc.event_source = p_source AND pc.topic = u.t AND pc.kafka_partition = u.p;

  -- A redelivery first: once the caller has dropped what is applied, a gap is looked at again.
  IF v_conflict THEN
    RETURN jsonb_build_object('status', 'conflict', 'checkpoints', v_checkpoints);
  END IF;
  IF v_gaps IS NOT NULL AND NOT p_accept_gaps THEN
    RETURN jsonb_build_object('status', 'gap', 'gaps', v_gaps);
  END IF;

  SELECT coalesce(sum(n), 0) INTO v_applied FROM unnest(p_counts) AS c(n);

  INSERT INTO applied_batch (event_source, committed_at, offset_ranges, record_count, applied_count, rejected_count,
                             first_record_time, last_record_time, record_time_histogram)
  SELECT p_source, v_now,
         jsonb_agg(jsonb_build_object('topic', t, 'partition', p, 'fromOffset', f, 'nextOffset', n)),
         p_record_count, v_applied, coalesce(cardinality(r_offsets), 0),
         p_first_record_time, p_last_record_time, p_record_time_histogram
  FROM unnest(p_topics, p_partitions, p_from_offsets, p_next_offsets) AS u(t, p, f, n)
  RETURNING batch_id INTO v_batch_id;

  IF v_gaps IS NOT NULL THEN
    INSERT INTO offset_gap (event_source, topic, kafka_partition, from_offset, to_offset, batch_id, recorded_at,
                            reason)
    SELECT p_source, g->>'topic', (g->>'partition')::int, (g->>'checkpoint')::bigint,
           (g->>'firstOffset')::bigint - 1, v_batch_id, v_now,
           'accepted by the aggregator (acceptOffsetGaps): the batch started past the checkpoint'
    FROM jsonb_array_elements(v_gaps) AS g;
  END IF;

  INSERT INTO transaction_flow (batch_id, curr_time, branch_name, currency_code, batch_value, tx_count)
  SELECT v_batch_id, v_now, b, c, a, n FROM unnest(p_branches, p_currencies, p_amounts, p_counts) AS u(b, c, a, n);

  -- Rows are locked in key order, the same in every invocation, so concurrent batches that touch the
  -- same positions queue up instead of deadlocking.
  INSERT INTO currency_position AS cp (branch_name, currency_code, net_amount, tx_count, updated_at)
  SELECT b, c, a, n, v_now FROM unnest(p_branches, p_currencies, p_amounts, p_counts) AS u(b, c, a, n)
  ORDER BY b, c
  ON CONFLICT (branch_name, currency_code) DO UPDATE
    SET net_amount = cp.net_amount + EXCLUDED.net_amount,
        tx_count = cp.tx_count + EXCLUDED.tx_count,
        updated_at = EXCLUDED.updated_at;

  INSERT INTO rejected_transaction (event_source, topic, kafka_partition, kafka_offset, record_key, raw_value, reason,
                                    record_time, batch_id, rejected_at)
  SELECT p_source, t, p, o, k, v, r, tm, v_batch_id, v_now
  FROM unnest(r_topics, r_partitions, r_offsets, r_keys, r_values, r_reasons, r_times) AS u(t, p, o, k, v, r, tm)
  ON CONFLICT (event_source, topic, kafka_partition, kafka_offset) DO NOTHING;

  UPDATE partition_checkpoint pc SET next_offset = u.n, updated_at = v_now
  FROM unnest(p_topics, p_partitions, p_next_offsets) AS u(t, p, n)
  WHERE pc.event_source = p_source AND pc.topic = u.t AND pc.kafka_partition = u.p;

  RETURN jsonb_build_object('status', 'applied', 'batchId', v_batch_id, 'committedAt', v_now,
                            'gaps', coalesce(v_gaps, '[]'::jsonb));
END;
$$;
REVOKE ALL ON FUNCTION apply_batch_positions FROM PUBLIC;

-- apply_batch of 1764000000003 with p_accept_gaps, false (refuse) unless the caller says otherwise.
-- Answers as before, and {"status":"gap","gaps":[{topic, partition, checkpoint, firstOffset}]}.
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

-- Where each partition of a topic stands: the recovery's starting points.
CREATE FUNCTION partition_checkpoints(p_source text, p_topic text)
RETURNS TABLE (kafka_partition integer, next_offset bigint)
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
  SELECT kafka_partition, next_offset FROM partition_checkpoint
  WHERE event_source = p_source AND topic = p_topic
  ORDER BY kafka_partition
$$;
REVOKE ALL ON FUNCTION partition_checkpoints FROM PUBLIC;
GRANT EXECUTE ON FUNCTION partition_checkpoints TO treasury_aggregator;

-- Records an accepted loss: offsets [p_from, p_to] of a partition, which must start at its checkpoint
-- (so that an acceptance run twice, or against a partition that moved on, changes nothing), with the
-- operator's reason. Moves the checkpoint past them so that the partition resumes.
-- Returns {"status":"accepted"} or {"status":"moved","checkpoint":…} (nothing changed).
CREATE FUNCTION accept_offset_gap(p_source text, p_topic text, p_partition integer, p_from bigint, p_to bigint,
                                  p_reason text)
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
  v_now timestamptz := clock_timestamp();
  v_checkpoint bigint;
BEGIN
  IF p_to < p_from THEN
    RAISE EXCEPTION 'accept_offset_gap: offsets % to % are no range', p_from, p_to USING ERRCODE = '22023';
  END IF;
  IF coalesce(btrim(p_reason), '') = '' THEN
    RAISE EXCEPTION 'accept_offset_gap: a reason is required' USING ERRCODE = '22023';
  END IF;
  INSERT INTO partition_checkpoint (event_source, topic, kafka_partition, next_offset, updated_at)
  VALUES (p_source, p_topic, p_partition, p_from, v_now)
  ON CONFLICT DO NOTHING;
  SELECT next_offset INTO v_checkpoint FROM partition_checkpoint
  WHERE event_source = p_source AND topic = p_topic AND kafka_partition = p_partition
  FOR UPDATE;
  IF v_checkpoint <> p_from THEN
    RETURN jsonb_build_object('status', 'moved', 'checkpoint', v_checkpoint);
  END IF;
  INSERT INTO offset_gap (event_source, topic, kafka_partition, from_offset, to_offset, batch_id, recorded_at, reason)
  VALUES (p_source, p_topic, p_partition, p_from, p_to, NULL, v_now, p_reason);
  UPDATE partition_checkpoint SET next_offset = p_to + 1, updated_at = v_now
  WHERE event_source = p_source AND topic = p_topic AND kafka_partition = p_partition;
  RETURN jsonb_build_object('status', 'accepted', 'recordedAt', v_now);
END;
$$;
REVOKE ALL ON FUNCTION accept_offset_gap FROM PUBLIC;
GRANT EXECUTE ON FUNCTION accept_offset_gap TO treasury_aggregator;

-- Filling a recorded gap (a batch the mapping discarded in provisioned mode, while the topic still holds
-- its offsets): the recovery applies exactly the gap's offsets through apply_batch under an event source
-- of the gap's own, "<source>#gap-<from>", whose checkpoint (created at the gap's first offset by the
-- first batch) makes the fill exactly-once and resumable like any partition; the partition's real
-- checkpoint is past the gap and is not touched. Those batches show that event source in applied_batch.
CREATE FUNCTION offset_gaps(p_source text, p_topic text)
RETURNS TABLE (kafka_partition integer, from_offset bigint, to_offset bigint, fill_source text, filled_to bigint)
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
  SELECT g.kafka_partition, g.from_offset, g.to_offset, f.source, pc.next_offset
  FROM offset_gap g
  CROSS JOIN LATERAL (SELECT g.event_source || '#gap-' || g.from_offset AS source) f
  LEFT JOIN partition_checkpoint pc
    ON pc.event_source = f.source AND pc.topic = g.topic AND pc.kafka_partition = g.kafka_partition
  WHERE g.event_source = p_source AND g.topic = p_topic
  ORDER BY g.kafka_partition, g.from_offset
$$;
REVOKE ALL ON FUNCTION offset_gaps FROM PUBLIC;
GRANT EXECUTE ON FUNCTION offset_gaps TO treasury_aggregator;

-- Removes a gap whose every offset the fill applied (its own checkpoint is past its last offset).
-- Returns {"status":"closed"}, or {"status":"open","filledTo":…} and changes nothing.
CREATE FUNCTION close_filled_offset_gap(p_source text, p_topic text, p_partition integer, p_from bigint)
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
  v_to bigint;
  v_filled bigint;
  v_fill_source text := p_source || '#gap-' || p_from;
BEGIN
  SELECT to_offset INTO v_to FROM offset_gap
  WHERE event_source = p_source AND topic = p_topic AND kafka_partition = p_partition AND from_offset = p_from
  FOR UPDATE;
  SELECT next_offset INTO v_filled FROM partition_checkpoint
  WHERE event_source = v_fill_source AND topic = p_topic AND kafka_partition = p_partition
  FOR UPDATE;
  IF v_to IS NULL OR v_filled IS NULL OR v_filled <= v_to THEN
    RETURN jsonb_build_object('status', 'open', 'filledTo', v_filled);
  END IF;
  DELETE FROM offset_gap
  WHERE event_source = p_source AND topic = p_topic AND kafka_partition = p_partition AND from_offset = p_from;
  DELETE FROM partition_checkpoint
  WHERE event_source = v_fill_source AND topic = p_topic AND kafka_partition = p_partition;
  RETURN jsonb_build_object('status', 'closed');
END;
$$;
REVOKE ALL ON FUNCTION close_filled_offset_gap FROM PUBLIC;
GRANT EXECUTE ON FUNCTION close_filled_offset_gap TO treasury_aggregator;

-- Down Migration
-- Back to the old behaviour (every gap accepted, 20 parameters), keeping the new apply_batch_positions,
-- which with p_accept_gaps = true writes what the old one wrote.
DROP FUNCTION close_filled_offset_gap;
DROP FUNCTION offset_gaps;
DROP FUNCTION accept_offset_gap;
DROP FUNCTION partition_checkpoints;
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
  p_record_time_histogram integer[]
) RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
  v_outcome jsonb;
BEGIN
  v_outcome := apply_batch_positions(p_source, p_topics, p_partitions, p_from_offsets, p_next_offsets,
                                     p_branches, p_currencies, p_amounts, p_counts,
                                     r_topics, r_partitions, r_offsets, r_keys, r_values, r_reasons, r_times,
                                     p_record_count, p_first_record_time, p_last_record_time,
                                     p_record_time_histogram, true);
  IF v_outcome->>'status' IS DISTINCT FROM 'applied' THEN
    RETURN v_outcome;
  END IF;
  RETURN (v_outcome - 'gaps') || jsonb_build_object(
    'limitBreaches', record_limit_breaches(p_branches, p_currencies, (v_outcome->>'batchId')::bigint,
                                           clock_timestamp()),
    'openBreaches', (SELECT count(*) FROM limit_breach WHERE cleared_at IS NULL));
END;
$$;
REVOKE ALL ON FUNCTION apply_batch FROM PUBLIC;
GRANT EXECUTE ON FUNCTION apply_batch TO treasury_aggregator;
DELETE FROM offset_gap WHERE batch_id IS NULL;
ALTER TABLE offset_gap DROP COLUMN reason, DROP COLUMN recorded_at;
ALTER TABLE offset_gap ALTER COLUMN batch_id SET NOT NULL;
