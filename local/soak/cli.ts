import { randomInt } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import {
  BATCH_SIZE_RANGE,
  LOCAL_MAPPING,
  LOCAL_WINDOW_RANGE,
  PRODUCER_RATE_RANGE,
} from '../../contracts/settings.js';
import { numberFlag, rangedFlag } from '../support/flags.js';
import { runSoak } from './run-soak.js';

/** Ten times the tutorial's rate: a soak is to find what breaks under load. */
const SOAK_RATE_PER_SECOND = 1_000;

const usage = `npm run soak -- [options]
Runs the pipeline for a long time under faults, then proves its totals exact: a producer at a steady rate;
the consumer (\`npm start -- --no-produce\`) killed with SIGKILL at random moments and at random fault points,
and restarted; the database stopped once for a while and started again. At the end the open positions and
the transaction_flow sums must equal, to the cent, what the producer had acknowledged and what the topic
holds when read back.
  --duration <s>       seconds of production (default 600)
  --rate <msg/s>       deals per second (default ${SOAK_RATE_PER_SECOND})
  --kill-every <s>     mean seconds between consumer kills (default 40; each is random in 0.5x..1.5x; 0: none)
  --db-outage <s>      seconds the database is down, once (default 15; 0: no outage)
  --db-outage-at <s>   when the outage begins (default: a random moment between 35% and 65% of the run)
  --batch-size <n>     records per invocation at most (default ${LOCAL_MAPPING.aggregatorBatchSize})
  --window <s>         batching window (default ${LOCAL_MAPPING.aggregatorBatchingWindowSeconds})
  --drain-timeout <s>  how long the consumer may take to catch up after production (default 300)
  --seed <n>           the random choices of the run (default: a new one, printed)
  --result-file <path> also write the result (SoakResult, local/soak/soak-report.ts) there as JSON
  --quiet              print only the summary
Environment: KAFKA_BROKERS uses that cluster (on a new topic, or TOPIC) instead of an embedded broker. The
database is always an embedded PostgreSQL of the soak's own, because the soak restarts it.`;

// `npm run soak`: flags in, the soak's result out; exit code 0 when every total is exact.
async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string' },
      rate: { type: 'string' },
      'kill-every': { type: 'string' },
      'db-outage': { type: 'string' },
      'db-outage-at': { type: 'string' },
      'batch-size': { type: 'string' },
      window: { type: 'string' },
      'drain-timeout': { type: 'string' },
      seed: { type: 'string' },
      'result-file': { type: 'string' },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const durationSeconds = numberFlag('duration', values.duration, 600, 5, 86_400);
  const batchSize = rangedFlag(
    'batch-size',
    values['batch-size'],
    LOCAL_MAPPING.aggregatorBatchSize,
    BATCH_SIZE_RANGE,
  );
  const result = await runSoak(
    {
      durationSeconds,
      ratePerSecond: rangedFlag('rate', values.rate, SOAK_RATE_PER_SECOND, PRODUCER_RATE_RANGE),
      killEverySeconds: numberFlag('kill-every', values['kill-every'], 40, 0, 86_400),
      dbOutageSeconds: numberFlag('db-outage', values['db-outage'], 15, 0, 3_600),
      dbOutageAtSeconds:
        values['db-outage-at'] === undefined
          ? undefined
          : numberFlag('db-outage-at', values['db-outage-at'], 0, 0, durationSeconds),
      batchSize,
      windowSeconds: rangedFlag(
        'window',
        values.window,
        LOCAL_MAPPING.aggregatorBatchingWindowSeconds,
        LOCAL_WINDOW_RANGE,
      ),
      drainTimeoutSeconds: numberFlag('drain-timeout', values['drain-timeout'], 300, 10, 86_400),
      seed: Math.floor(numberFlag('seed', values.seed, randomInt(2 ** 31), 0, 2 ** 31)),
      quiet: values.quiet,
    },
    (line) => console.log(line),
  );
  console.log(`soak result: ${JSON.stringify(result)}`);
  if (values['result-file']) await writeFile(values['result-file'], `${JSON.stringify(result, null, 2)}\n`);
  return result.exact ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? `error: ${error.stack ?? error.message}` : error);
    process.exit(1);
  },
);
