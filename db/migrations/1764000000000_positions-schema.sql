-- Up Migration

-- One row per batch the aggregator applied: what identifies the batch, and the times the benchmark
-- and operators need to see how far behind the producers the positions are.
CREATE TABLE applied_batch (
  batch_id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- The cluster the records came from (the MSK event's eventSourceArn): offsets mean nothing without it.
  event_source      text NOT NULL,
  committed_at      timestamptz NOT NULL,
  -- [{topic, partition, fromOffset, nextOffset}] of the records this batch applied
  offset_ranges     jsonb NOT NULL,
  record_count      integer NOT NULL,
  applied_count     integer NOT NULL,
  rejected_count    integer NOT NULL,
  -- Kafka record timestamps (CreateTime: when the producer sent them) of the oldest and newest record
  first_record_time timestamptz,
  last_record_time  timestamptz,
  -- Record timestamps as a histogram: element i counts records stamped within
  -- [first_record_time + i × 5 ms, + 5 ms). With committed_at it gives each record's latency from
  -- produce to commit, exact to 5 ms, without storing a row per record.
  record_time_histogram integer[]
);
CREATE INDEX applied_batch_committed_at ON applied_batch (committed_at);

-- The tutorial's table, same columns, plus the count and the batch each row belongs to.
CREATE TABLE transaction_flow (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  batch_id      bigint NOT NULL REFERENCES applied_batch (batch_id),
  curr_time     timestamptz NOT NULL,
  branch_name   text NOT NULL,
  currency_code char(3) NOT NULL,
  batch_value   numeric(24, 2) NOT NULL,
  tx_count      integer NOT NULL,
  UNIQUE (batch_id, branch_name, currency_code)
);
CREATE INDEX transaction_flow_curr_time ON transaction_flow (curr_time);

-- The open currency position: the running sum of every applied deal.
CREATE TABLE currency_position (
  branch_name   text NOT NULL,
  currency_code char(3) NOT NULL,
  net_amount    numeric(24, 2) NOT NULL,
  tx_count      bigint NOT NULL,
  updated_at    timestamptz NOT NULL,
  PRIMARY KEY (branch_name, currency_code)
);

-- Records that are not valid transactions, set aside with why and where they were, so that nothing
-- is lost and nothing blocks the partition.
CREATE TABLE rejected_transaction (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event_source    text NOT NULL,
  topic           text NOT NULL,
  kafka_partition integer NOT NULL,
  kafka_offset    bigint NOT NULL,
  record_key      bytea,
  raw_value       bytea,
  reason          text NOT NULL,
  record_time     timestamptz,
  batch_id        bigint NOT NULL REFERENCES applied_batch (batch_id),
  rejected_at     timestamptz NOT NULL,
  UNIQUE (event_source, topic, kafka_partition, kafka_offset)
);

-- The checkpoint: per topic-partition, the next offset to apply. Updated in the same transaction as
-- the aggregates, it is what makes the effect exactly-once over an at-least-once delivery. Keyed by
-- the cluster too, so that a database that outlives a cluster (or a local broker) is not confused by
-- a new cluster's offsets starting again at zero.
CREATE TABLE partition_checkpoint (
  event_source    text NOT NULL,
  topic           text NOT NULL,
  kafka_partition integer NOT NULL,
  next_offset     bigint NOT NULL,
  updated_at      timestamptz NOT NULL,
  PRIMARY KEY (event_source, topic, kafka_partition)
);

-- Offsets that never reached the aggregator (trimmed by retention before they were read, or a batch
-- the mapping discarded after its retries): recorded, not hidden.
CREATE TABLE offset_gap (
  event_source    text NOT NULL,
  topic           text NOT NULL,
  kafka_partition integer NOT NULL,
  from_offset     bigint NOT NULL,
  to_offset       bigint NOT NULL,
  batch_id        bigint NOT NULL REFERENCES applied_batch (batch_id),
  PRIMARY KEY (event_source, topic, kafka_partition, from_offset)
);

-- Applies one batch in one statement, so one round trip, and so in one transaction: checkpoints,
-- batch rows, positions and rejects commit together or not at all.
-- Returns {"status":"applied","batchId":…,"committedAt":…} or, when a partition's checkpoint is past
-- the batch's first offset (a redelivery overlapping what is applied), {"status":"conflict",
-- "checkpoints":[{topic, partition, nextOffset}]} and changes nothing: the caller drops the records
-- below those checkpoints and calls again.
-- SECURITY DEFINER so that the aggregator's database role needs nothing but EXECUTE on it.
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
  v_now timestamptz := clock_timestamp();
  v_batch_id bigint;
  v_conflict boolean;
  v_checkpoints jsonb;
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
                                      'nextOffset', pc.next_offset))
  INTO v_conflict, v_checkpoints
  FROM unnest(p_topics, p_partitions, p_from_offsets) AS u(t, p, f)
  JOIN partition_checkpoint pc ON pc.event_source = p_source AND pc.topic = u.t AND pc.kafka_partition = u.p;

  IF v_conflict THEN
    RETURN jsonb_build_object('status', 'conflict', 'checkpoints', v_checkpoints);
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

  INSERT INTO offset_gap (event_source, topic, kafka_partition, from_offset, to_offset, batch_id)
  SELECT p_source, pc.topic, pc.kafka_partition, pc.next_offset, u.f - 1, v_batch_id
  FROM unnest(p_topics, p_partitions, p_from_offsets) AS u(t, p, f)
  JOIN partition_checkpoint pc ON pc.event_source = p_source AND pc.topic = u.t AND pc.kafka_partition = u.p
  WHERE pc.next_offset < u.f;

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

  RETURN jsonb_build_object('status', 'applied', 'batchId', v_batch_id, 'committedAt', v_now);
END;
$$;

-- For SQL clients: the open position per currency across all branches.
CREATE VIEW open_position_by_currency AS
SELECT currency_code, sum(net_amount) AS net_amount, sum(tx_count) AS tx_count, max(updated_at) AS updated_at
FROM currency_position
GROUP BY currency_code;

-- For SQL clients: the flow per minute, branch and currency.
CREATE VIEW flow_per_minute AS
SELECT date_trunc('minute', curr_time) AS minute, branch_name, currency_code,
       sum(batch_value) AS flow, sum(tx_count) AS tx_count
FROM transaction_flow
GROUP BY 1, 2, 3;

-- For SQL clients: rejected records with their value as readable text (bytes that are not UTF-8 are
-- shown escaped rather than failing the query).
CREATE VIEW rejected_transaction_readable AS
SELECT id, event_source, topic, kafka_partition, kafka_offset, reason, encode(raw_value, 'escape') AS raw_value_text,
       record_time, rejected_at, batch_id
FROM rejected_transaction;

-- Down Migration
DROP VIEW rejected_transaction_readable;
DROP VIEW flow_per_minute;
DROP VIEW open_position_by_currency;
DROP FUNCTION apply_batch;
DROP TABLE offset_gap;
DROP TABLE partition_checkpoint;
DROP TABLE rejected_transaction;
DROP TABLE currency_position;
DROP TABLE transaction_flow;
DROP TABLE applied_batch;
