import pg from 'pg';
import type { ProducerSummary } from '../../lambda/producer/handler.js';
import { diffResults, type ResultTruth, readStoredResults } from '../verify/result-truth.js';
import { diffTotals, producedTotals, readFlowTotals, readPositions } from '../verify/totals.js';

/**
 * The run's own proof: transaction_flow sums equal currency_position, and, when the topic holds only
 * this run's deals, equal what the producer had acknowledged, and every position's financial result
 * (cost, realized, base flow) equals `topicResults`, the fold of the topic's deals computed apart from
 * the aggregator (local/verify/result-truth.ts) — when the database holds no other cluster's batches,
 * whose deals would be in its results and not in this topic.
 */
export async function checkRunTotals(
  databaseUrl: string,
  eventSourceArn: string,
  summaries: readonly ProducerSummary[],
  compareWithProduced: boolean,
  print: (line: string) => void,
  topicResults?: (baseCurrency: string) => Promise<ResultTruth>,
): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const flows = await readFlowTotals(client);
    const positions = await readPositions(client);
    const problems = diffTotals(flows, positions, 'transaction_flow', 'currency_position');
    if (compareWithProduced) {
      const produced = producedTotals(summaries);
      problems.push(
        ...diffTotals(produced, await readFlowTotals(client, eventSourceArn), 'produced', 'applied'),
      );
    }
    let resultsChecked = false;
    if (compareWithProduced && topicResults !== undefined) {
      const setting = await client.query<{ base: string; others: string }>(
        `SELECT (SELECT base_currency FROM treasury_setting) AS base,
                (SELECT count(*) FROM applied_batch WHERE event_source <> $1)::text AS others`,
        [eventSourceArn],
      );
      const row = setting.rows[0];
      if (row !== undefined && row.others === '0') {
        problems.push(...diffResults(await topicResults(row.base), await readStoredResults(client)));
        resultsChecked = true;
      } else print('check: results not compared: the database holds batches of another cluster');
    }
    if (problems.length > 0) {
      for (const problem of problems) print(`MISMATCH ${problem}`);
      return 1;
    }
    print(
      compareWithProduced
        ? 'check: applied totals equal what was produced, and transaction_flow sums equal currency_position'
        : 'check: transaction_flow sums equal currency_position',
    );
    if (resultsChecked) {
      print(
        "check: every position's cost, realized result and base flow equal the fold of the topic's deals",
      );
    }
    return 0;
  } finally {
    await client.end();
  }
}
