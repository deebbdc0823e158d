/**
 * What each function is, apart from where it runs: entry point, memory, timeout and the settings
 * that are the same in AWS and locally. The stack's constructs add the values that only AWS has (ARNs
 * of secrets and the cluster); the local runtime adds their local counterparts (DATABASE_URL,
 * KAFKA_BROKERS). No CDK import here: the local runtime reads it without loading the CDK.
 */
import type { AmountDistribution } from './producer.js';

export interface FunctionDefinition {
  /** Short name: the local bundle's folder and the local function name. */
  readonly name: string;
  /** Entry point, relative to the repository root. */
  readonly entry: string;
  readonly description: string;
  readonly memoryMiB: number;
  readonly timeoutSeconds: number;
  readonly environment: Readonly<Record<string, string>>;
}

/** The aggregator's environment variable of the gap policy: "true" accepts gaps. */
export const ACCEPT_OFFSET_GAPS_ENV = 'ACCEPT_OFFSET_GAPS';

/** NODE_OPTIONS of every function: stack traces point at the TypeScript sources. */
export const FUNCTION_NODE_OPTIONS = '--enable-source-maps';

/**
 * glibc's malloc told to keep what it has: the runtime client receives each event (megabytes) into
 * a buffer that glibc otherwise gives back after every invocation (trimmed, or mmapped and unmapped),
 * so that the next event faults the same pages in again (docs/PERFORMANCE-HISTORY.md). Raising the
 * trim and mmap thresholds, and padding the heap's top, keeps them mapped between invocations.
 * Measured in the runtime benchmark (docs/BENCHMARKS.md, section 1, with and without it).
 *
 * Why it applies in AWS as it does here: nodejs24.x runs on Amazon Linux 2023 (Lambda developer
 * guide, "Building Lambda functions with Node.js", runtimes table), whose glibc is 2.34 (AL2023 user
 * guide, "Core toolchain packages glibc, gcc, binutils"); these three malloc tunables exist since
 * glibc 2.26 (glibc manual, "Memory Allocation Tunables"); glibc ignores tunables only in AT_SECURE
 * (setuid) processes, which the runtime is not; and GLIBC_TUNABLES is not among the variables Lambda
 * reserves (Lambda developer guide, "Defined runtime environment variables").
 */
export const MALLOC_TUNABLES =
  'glibc.malloc.trim_threshold=268435456:glibc.malloc.mmap_threshold=134217728:glibc.malloc.top_pad=67108864';
export const MALLOC_TUNABLES_ENV = 'GLIBC_TUNABLES';

/** The defaults of a function that sets neither. */
export const DEFAULT_MEMORY_MIB = 256;
export const DEFAULT_TIMEOUT_SECONDS = 30;

export interface AggregatorSettings {
  /** Apply a batch over an offset gap (recorded) instead of refusing it. @default false */
  readonly acceptOffsetGaps?: boolean;
}

export function aggregatorFunction(settings: AggregatorSettings = {}): FunctionDefinition {
  return {
    name: 'aggregator',
    entry: 'lambda/aggregator/handler.ts',
    description: 'Aggregates MSK batches of deals into currency positions in PostgreSQL',
    memoryMiB: 512,
    timeoutSeconds: 60,
    environment: {
      // One invocation at a time per execution environment: one connection.
      DATABASE_POOL_SIZE: '1',
      [ACCEPT_OFFSET_GAPS_ENV]: String(settings.acceptOffsetGaps ?? false),
      [MALLOC_TUNABLES_ENV]: MALLOC_TUNABLES,
    },
  };
}

export function recoveryFunction(): FunctionDefinition {
  return {
    name: 'recovery',
    entry: 'lambda/recovery/handler.ts',
    description:
      'Recovers the offsets missing between the checkpoints and the mapping (invoked by an operator)',
    memoryMiB: 1024,
    // Lambda's longest: a recovery stopped by it is run again and carries on from its checkpoints.
    timeoutSeconds: 900,
    environment: { DATABASE_POOL_SIZE: '1' },
  };
}

export interface ProducerSettings {
  readonly ratePerSecond: number;
  /** Seconds each scheduled run sends for; below a minute so that runs do not overlap. */
  readonly durationSeconds: number;
  /** How the generator draws amounts. @default the generator's ('whole-units') */
  readonly amounts?: AmountDistribution;
}

export function producerFunction(settings: ProducerSettings): FunctionDefinition {
  return {
    name: 'producer',
    entry: 'lambda/producer/handler.ts',
    description: 'Sends random deals to the transaction topic for a minute',
    memoryMiB: DEFAULT_MEMORY_MIB,
    // Room to connect and flush after the sending time.
    timeoutSeconds: settings.durationSeconds + 30,
    environment: {
      RATE_PER_SECOND: String(settings.ratePerSecond),
      DURATION_SECONDS: String(settings.durationSeconds),
      ...(settings.amounts === undefined ? {} : { AMOUNT_DISTRIBUTION: settings.amounts }),
    },
  };
}

export function topicSetupFunction(): FunctionDefinition {
  return {
    name: 'topic-setup',
    entry: 'lambda/topic-setup/handler.ts',
    description: 'Creates the pipeline topic in the MSK cluster (CloudFormation custom resource)',
    memoryMiB: DEFAULT_MEMORY_MIB,
    timeoutSeconds: 120,
    environment: {},
  };
}
