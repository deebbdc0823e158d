import type { MSKEvent } from 'aws-lambda';
import { aggregatorFunction, producerFunction } from '../../contracts/functions.js';
import type { AmountDistribution } from '../../contracts/producer.js';
import type { BatchSummary } from '../../lambda/aggregator/batch-summary.js';
import type { ProducerSummary } from '../../lambda/producer/handler.js';
import type { FunctionOutputLine } from '../lambda-runtime/function-output.js';
import { LocalFunction, type LocalFunctionStats } from '../lambda-runtime/local-function.js';
import { MissingPrerequisite } from '../support/prerequisite.js';

/** The two functions of the pipeline, however they run. */
export interface PipelineFunctions {
  /** How they run: under the Lambda runtime emulator, or called in this process (--in-process). */
  readonly mode: 'runtime' | 'in-process';
  /** In-process because the Lambda runtime could not be prepared here: what was missing. */
  readonly runtimeMissing?: string;
  invokeAggregator(event: MSKEvent): Promise<BatchSummary>;
  /** Invoked as the schedule invokes it: the event is a Scheduled Event, or a manual run's settings. */
  invokeProducer(event: unknown): Promise<ProducerSummary>;
  /** Per function: invocations, cold starts, errors, timeouts (runtime mode only). */
  stats(): Readonly<Record<string, LocalFunctionStats>>;
  stop(): Promise<void>;
}

export interface PipelineFunctionSettings {
  readonly databaseUrl: string;
  readonly brokers: readonly string[];
  readonly topic: string;
  /** Concurrent aggregator invocations at most: the mapping invokes one per partition at a time. */
  readonly partitions: number;
  readonly ratePerSecond: number;
  /** Seconds a scheduled producer run lasts. */
  readonly producerRunSeconds: number;
  /** How the producer draws amounts. @default the generator's */
  readonly amounts?: AmountDistribution;
  readonly onOutput?: (functionName: string, line: FunctionOutputLine) => void;
  readonly log?: (line: string) => void;
}

/**
 * The functions under the Lambda runtime, or in this process when `inProcess` asks. A machine that
 * cannot prepare the runtime (no Go, no compiler, not Linux, no pip for Node.js 24) runs them in this
 * process too, after one line naming what is missing and its fix: the pipeline still runs, and says so.
 */
export async function startPipelineFunctions(
  settings: PipelineFunctionSettings,
  inProcess: boolean,
): Promise<PipelineFunctions> {
  if (inProcess) return loadInProcessFunctions(settings);
  try {
    return await startRuntimeFunctions(settings);
  } catch (error) {
    if (!(error instanceof MissingPrerequisite)) throw error;
    settings.log?.(`the Lambda runtime cannot be prepared here: ${error.message}`);
    return { ...(await loadInProcessFunctions(settings)), runtimeMissing: error.missing };
  }
}

/** The line that says how the functions run, and so what a run is evidence of. */
export function describeFunctions(functions: PipelineFunctions): string {
  if (functions.mode === 'runtime') {
    return 'functions: bundled as CDK bundles them, under the Lambda Runtime Interface Emulator and aws-lambda-ric';
  }
  return functions.runtimeMissing === undefined
    ? 'functions: handlers called in this process (--in-process: nothing crosses the Lambda runtime contract)'
    : '*** functions: handlers called IN THIS PROCESS, not under the Lambda runtime, which this machine cannot ' +
        'prepare (see the line above): nothing crosses the Lambda runtime contract ***';
}

/**
 * Bundles both functions as CDK does and starts them under the Runtime Interface Emulator with AWS's
 * runtime interface client: what they return crosses JSON as it does in Lambda, errors come back as
 * errorType documents, timeouts are enforced, and their stdout (logs, EMF metrics) is read as
 * CloudWatch would receive it.
 */
export async function startRuntimeFunctions(settings: PipelineFunctionSettings): Promise<PipelineFunctions> {
  const brokers = settings.brokers.join(',');
  const [aggregator, producer] = await Promise.all([
    LocalFunction.create({
      definition: aggregatorFunction(),
      localEnvironment: { DATABASE_URL: settings.databaseUrl },
      maxConcurrency: settings.partitions,
      onOutput: (line) => settings.onOutput?.('aggregator', line),
      log: settings.log,
    }),
    LocalFunction.create({
      definition: producerFunction({
        ratePerSecond: settings.ratePerSecond,
        durationSeconds: settings.producerRunSeconds,
        amounts: settings.amounts,
      }),
      localEnvironment: { KAFKA_BROKERS: brokers, TOPIC: settings.topic },
      // The schedule never overlaps runs; a second environment would only start if one did.
      maxConcurrency: 1,
      onOutput: (line) => settings.onOutput?.('producer', line),
      log: settings.log,
    }),
  ]);
  return {
    mode: 'runtime',
    invokeAggregator: async (event) => (await aggregator.invoke(event)) as BatchSummary,
    invokeProducer: async (event) => (await producer.invoke(event)) as ProducerSummary,
    stats: () => ({ aggregator: { ...aggregator.stats }, producer: { ...producer.stats } }),
    stop: async () => {
      await Promise.all([aggregator.stop(), producer.stop()]);
    },
  };
}

/**
 * The handlers imported into this process, for debugging with breakpoints (--in-process): nothing
 * crosses the runtime's contract, so this is never evidence that a change works in Lambda.
 */
export async function loadInProcessFunctions(settings: PipelineFunctionSettings): Promise<PipelineFunctions> {
  // The handlers read their configuration at module load, as in Lambda: set it before importing them.
  const definitions = [
    aggregatorFunction(),
    producerFunction({
      ratePerSecond: settings.ratePerSecond,
      durationSeconds: settings.producerRunSeconds,
      amounts: settings.amounts,
    }),
  ];
  for (const definition of definitions) Object.assign(process.env, definition.environment);
  Object.assign(process.env, {
    DATABASE_URL: settings.databaseUrl,
    KAFKA_BROKERS: settings.brokers.join(','),
    TOPIC: settings.topic,
    // Concurrent partitions share this one process's pool.
    DATABASE_POOL_SIZE: String(settings.partitions + 1),
  });
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
  const aggregator = await import('../../lambda/aggregator/handler.js');
  const producer = await import('../../lambda/producer/handler.js');
  return {
    mode: 'in-process',
    invokeAggregator: (event) => aggregator.handler(event),
    invokeProducer: (event) => producer.handler(event),
    stats: () => ({}),
    stop: async () => {
      await aggregator.closeConnections();
      await producer.disconnect();
    },
  };
}
