import { parseArgs } from 'node:util';
import {
  BATCH_SIZE_RANGE,
  DEFAULT_SETTINGS,
  LOCAL_MAPPING,
  LOCAL_WINDOW_RANGE,
  PRODUCER_RATE_RANGE,
} from '../../contracts/settings.js';
import { settleDashboardPort } from '../dashboard/port.js';
import { DEFAULT_DASHBOARD_PORT } from '../dashboard/server.js';
import { exitAfterOutput } from '../support/exit-after-output.js';
import { numberFlag, rangedFlag } from '../support/flags.js';
import { runPipeline } from './pipeline.js';

const DEFAULTS = { rate: DEFAULT_SETTINGS.producer.producerRatePerSecond };

const usage = `npm start -- [options]
  --duration <s>     produce for s seconds, wait until all is applied, check the totals, exit (default: until Ctrl-C)
  --rate <msg/s>     deals produced per second (default ${DEFAULTS.rate}, as the tutorial)
  --batch-size <n>   records per invocation at most (default ${LOCAL_MAPPING.aggregatorBatchSize}, the MSK mapping's maximum)
  --window <s>       batching window in seconds (default ${LOCAL_MAPPING.aggregatorBatchingWindowSeconds}, as the tutorial's trigger)
  --group <id>       consumer group of the emulated mapping (default ${LOCAL_MAPPING.consumerGroupId})
  --heavy-tail       amounts with cents and a heavy tail (now and then a deal hundreds of times the usual),
                     so that positions reach the example limits
  --example-limits   load the example limits and rates into a DATABASE_URL database too (an embedded
                     database always gets them; nothing already set is changed)
  --no-produce       run only the consumer side
  --quiet            print only the summary and the limit breaches as they happen
  --dashboard-port <n>  port of the local dashboard on 127.0.0.1 (default ${DEFAULT_DASHBOARD_PORT}, or the next free one
                     when it is in use; 0: any free port)
  --no-dashboard     serve no dashboard
  --in-process       call the handlers in this process (for a debugger) instead of running their bundles
                     under the Lambda Runtime Interface Emulator and aws-lambda-ric
Environment: KAFKA_BROKERS uses that cluster instead of an embedded broker; DATABASE_URL uses that database
instead of an embedded PostgreSQL (and leaves it running with its tables).`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string' },
      rate: { type: 'string' },
      'batch-size': { type: 'string' },
      window: { type: 'string' },
      group: { type: 'string' },
      'no-produce': { type: 'boolean', default: false },
      'heavy-tail': { type: 'boolean', default: false },
      'example-limits': { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      'in-process': { type: 'boolean', default: false },
      'dashboard-port': { type: 'string' },
      'no-dashboard': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  return runPipeline({
    durationSeconds:
      values.duration === undefined ? undefined : numberFlag('duration', values.duration, 0, 1, 86_400),
    ratePerSecond: rangedFlag('rate', values.rate, DEFAULTS.rate, PRODUCER_RATE_RANGE),
    batchSize: rangedFlag(
      'batch-size',
      values['batch-size'],
      LOCAL_MAPPING.aggregatorBatchSize,
      BATCH_SIZE_RANGE,
    ),
    windowSeconds: rangedFlag(
      'window',
      values.window,
      LOCAL_MAPPING.aggregatorBatchingWindowSeconds,
      LOCAL_WINDOW_RANGE,
    ),
    groupId: values.group ?? LOCAL_MAPPING.consumerGroupId,
    produce: !values['no-produce'],
    quiet: values.quiet,
    inProcess: values['in-process'],
    dashboardPort: values['no-dashboard']
      ? undefined
      : await settleDashboardPort(
          values['dashboard-port'] === undefined
            ? undefined
            : Math.floor(
                numberFlag('dashboard-port', values['dashboard-port'], DEFAULT_DASHBOARD_PORT, 0, 65_535),
              ),
          (line) => console.log(line),
        ),
    exampleLimits: values['example-limits'],
    amounts: values['heavy-tail'] ? 'heavy-tail' : undefined,
    print: (line) => console.log(line),
  });
}

main().then(
  (code) => exitAfterOutput(code),
  (error: unknown) => {
    console.error(error instanceof Error ? `error: ${error.message}` : error);
    exitAfterOutput(1);
  },
);
