import { describe, expect, it } from 'vitest';
import { aggregatorFunction } from '../../contracts/functions.js';
import { METRICS } from '../../contracts/telemetry/metrics.js';
import { OFFSET_GAP_LOG } from '../../lambda/aggregator/offset-gap.js';
import { emfCarries } from '../../local/dashboard/metric-series.js';
import { FunctionError } from '../../local/lambda-runtime/execution-environment.js';
import type { FunctionOutputLine } from '../../local/lambda-runtime/function-output.js';
import { readFlowTotals, readPositions } from '../../local/verify/totals.js';
import { type AggregatorFixture, useAggregatorOnTestDatabase } from './support/aggregator.js';
import { HANDLER_TOPIC, handlerEvent, resetHandlerTables } from './support/handler-events.js';
import { generatedRecords, truthOf } from './support/records.js';

const TOPIC = HANDLER_TOPIC;

// Two aggregators under the runtime, each on a database of its own: the default, and with the setting.
const refusing = useAggregatorOnTestDatabase();
const accepting = useAggregatorOnTestDatabase({ definition: aggregatorFunction({ acceptOffsetGaps: true }) });

/** Offsets 0–11 of partition 1: a batch of 0–4, the missing 5–8, and a batch of 9–11 past the gap. */
function recordsAroundGap() {
  const { records, deals } = generatedRecords(TOPIC, 1, 0, 12, 23);
  return {
    before: records.slice(0, 5),
    missing: records.slice(5, 9),
    after: records.slice(9),
    deals,
  };
}

/** The OffsetGapRecords values the aggregator emitted, as the dashboard and the alarm read them. */
function gapMetricValues(output: readonly FunctionOutputLine[]): number[] {
  return output.flatMap((line) =>
    line.kind === 'metrics' && emfCarries(line.document, METRICS.offsetGapRecords)
      ? [line.document[METRICS.offsetGapRecords.metricName] as number]
      : [],
  );
}

function gapLogLines(output: readonly FunctionOutputLine[], message: string) {
  return output.flatMap((line) =>
    line.kind === 'log' && line.record.message === message ? [line.record] : [],
  );
}

async function tableState(fixture: AggregatorFixture) {
  const pool = fixture.database.pool;
  const [batches, checkpoints, gaps] = await Promise.all([
    pool.query<{ n: number }>('SELECT count(*)::int AS n FROM applied_batch'),
    pool.query('SELECT kafka_partition, next_offset::int AS next FROM partition_checkpoint'),
    pool.query(
      'SELECT kafka_partition, from_offset::int AS "from", to_offset::int AS "to", reason, recorded_at, batch_id FROM offset_gap',
    ),
  ]);
  return { batches: batches.rows[0]?.n, checkpoints: checkpoints.rows, gaps: gaps.rows };
}

describe('a batch that starts past its partition checkpoint, under the runtime', () => {
  it('is refused by default: nothing written, an errorType document naming partition, checkpoint and first offset, the metric and the log line', async () => {
    // Prepare
    await resetHandlerTables(refusing.database.pool);
    const { before, missing, after, deals } = recordsAroundGap();
    await refusing.aggregator.handler(handlerEvent(before));
    const outputBefore = refusing.aggregator.output.length;

    // Act
    const refused = refusing.aggregator.handler(handlerEvent(after)).catch((error: unknown) => error);

    // Assess
    const error = await refused;
    expect(error).toBeInstanceOf(FunctionError);
    expect(error).toMatchObject({ errorType: 'OffsetGapError' });
    expect((error as Error).message).toContain(
      `partition ${TOPIC}-1: checkpoint 5, batch starts at 9 (4 records missing)`,
    );
    expect(await tableState(refusing)).toEqual({
      batches: 1,
      checkpoints: [{ kafka_partition: 1, next: 5 }],
      gaps: [],
    });
    const output = refusing.aggregator.output.slice(outputBefore);
    expect(gapMetricValues(output)).toEqual([4]);
    expect(gapLogLines(output, OFFSET_GAP_LOG.refused)).toEqual([
      expect.objectContaining({
        level: 'ERROR',
        topic: TOPIC,
        partition: 1,
        checkpoint: 5,
        firstOffset: 9,
        missingRecords: 4,
      }),
    ]);

    // Act: the missing offsets applied (what the recovery does), the mapping's retry goes through.
    await refusing.aggregator.handler(handlerEvent(missing));
    const retried = await refusing.aggregator.handler(handlerEvent(after));

    // Assess: complete and in order, and the metric back at 0.
    expect(retried).toMatchObject({ applied: 3, gaps: [] });
    expect(await readPositions(refusing.database.pool)).toEqual(truthOf(deals));
    expect(await readFlowTotals(refusing.database.pool)).toEqual(truthOf(deals));
    expect((await tableState(refusing)).checkpoints).toEqual([{ kafka_partition: 1, next: 12 }]);
    expect(gapMetricValues(refusing.aggregator.output.slice(outputBefore))).toEqual([4, 0, 0]);
  });

  it('with acceptOffsetGaps, is applied, the gap recorded with its time and reason, the metric and the log line', async () => {
    // Prepare
    await resetHandlerTables(accepting.database.pool);
    const { before, after, deals } = recordsAroundGap();
    await accepting.aggregator.handler(handlerEvent(before));
    const outputBefore = accepting.aggregator.output.length;

    // Act
    const summary = await accepting.aggregator.handler(handlerEvent(after));

    // Assess
    expect(summary).toMatchObject({
      applied: 3,
      gaps: [{ topic: TOPIC, partition: 1, checkpoint: 5, firstOffset: 9 }],
    });
    const state = await tableState(accepting);
    expect(state).toMatchObject({
      batches: 2,
      checkpoints: [{ kafka_partition: 1, next: 12 }],
      gaps: [
        {
          kafka_partition: 1,
          from: 5,
          to: 8,
          reason: expect.stringContaining('acceptOffsetGaps'),
          recorded_at: expect.any(Date),
          batch_id: String(summary.batchId),
        },
      ],
    });
    const output = accepting.aggregator.output.slice(outputBefore);
    expect(gapMetricValues(output)).toEqual([4]);
    expect(gapLogLines(output, OFFSET_GAP_LOG.accepted)).toEqual([
      expect.objectContaining({
        level: 'WARN',
        partition: 1,
        checkpoint: 5,
        firstOffset: 9,
        missingRecords: 4,
      }),
    ]);
    // The positions hold exactly the deals of the batches applied, none of the gap's.
    const applied = [...deals.slice(0, 5), ...deals.slice(9)];
    expect(await readPositions(accepting.database.pool)).toEqual(truthOf(applied));
  });
});
