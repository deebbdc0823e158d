import pg from 'pg';
import type { ProducerSummary } from '../../lambda/producer/handler.js';
import { diffTotals, producedTotals, readFlowTotals, readPositions } from '../verify/totals.js';

/**
 * The run's own proof: transaction_flow sums equal currency_position, and, when the topic holds only
 * this run's deals, equal what the producer had acknowledged.
 */
export async function checkRunTotals(
  databaseUrl: string,
  eventSourceArn: string,
  summaries: readonly ProducerSummary[],
  compareWithProduced: boolean,
  print: (line: string) => void,
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
    if (problems.length > 0) {
      for (const problem of problems) print(`MISMATCH ${problem}`);
      return 1;
    }
    print(
      compareWithProduced
        ? 'check: applied totals equal what was produced, and transaction_flow sums equal currency_position'
        : 'check: transaction_flow sums equal currency_position',
    );
    return 0;
  } finally {
    await client.end();
  }
}
