import type { FunctionDefinition } from '../../contracts/functions.js';
import { bundleFunction } from './bundle.js';
import {
  ExecutionEnvironment,
  FunctionError,
  FunctionTimeoutError,
  type RuntimeBinaries,
} from './execution-environment.js';

// The errorType the emulator answers when the runtime process exited during an invocation.
const RUNTIME_EXIT_ERROR = 'Runtime.ExitError';

import type { FunctionOutputLine } from './function-output.js';
import { prepareRuntime } from './prepare-runtime.js';

export interface LocalFunctionOptions {
  readonly definition: FunctionDefinition;
  /** Local counterparts of what only AWS has (DATABASE_URL, KAFKA_BROKERS). */
  readonly localEnvironment: Readonly<Record<string, string>>;
  /** Execution environments at most, as the function's concurrency: one per partition for the aggregator. */
  readonly maxConcurrency: number;
  readonly onOutput?: (line: FunctionOutputLine) => void;
  /** Where the bundle goes. @default .cache/lambda/<name> */
  readonly bundleDir?: string;
  readonly log?: (line: string) => void;
}

export interface LocalFunctionStats {
  invocations: number;
  /** Runtimes started: each environment's first, and each after a timeout or a runtime that exited. */
  coldStarts: number;
  errors: number;
  timeouts: number;
}

/**
 * A function as Lambda runs it, locally: its bundle (built as CDK builds it) in execution
 * environments under the Runtime Interface Emulator and AWS's runtime interface client. Invocations
 * go to an idle environment (warm), or to a new one while fewer than maxConcurrency run (cold);
 * beyond that they wait, as a function at its concurrency limit throttles.
 */
export class LocalFunction {
  readonly stats: LocalFunctionStats = { invocations: 0, coldStarts: 0, errors: 0, timeouts: 0 };
  private readonly environments: ExecutionEnvironment[] = [];
  // Leased from acquire() until the invocation ends, so that two callers never share one.
  private readonly leased = new Set<ExecutionEnvironment>();
  private readonly waiting: (() => void)[] = [];
  private starting = 0;
  private stopped = false;

  private constructor(
    private readonly options: LocalFunctionOptions,
    private readonly taskRoot: string,
    private readonly binaries: RuntimeBinaries,
  ) {}

  static async create(options: LocalFunctionOptions): Promise<LocalFunction> {
    const [taskRoot, binaries] = await Promise.all([
      bundleFunction(options.definition, options.bundleDir),
      prepareRuntime(options.log),
    ]);
    return new LocalFunction(options, taskRoot, binaries);
  }

  get name(): string {
    return this.options.definition.name;
  }

  /** A synchronous (RequestResponse) invocation, as the event source mapping makes. */
  async invoke(payload: unknown): Promise<unknown> {
    const environment = await this.acquire();
    this.stats.invocations++;
    try {
      return await environment.invoke(payload);
    } catch (error) {
      // After a timeout or a runtime that exited, the emulator starts the runtime again on the next
      // invocation, as Lambda does: that one is cold.
      if (error instanceof FunctionTimeoutError) {
        this.stats.timeouts++;
        this.stats.coldStarts++;
      } else if (error instanceof FunctionError) {
        this.stats.errors++;
        if (error.errorType === RUNTIME_EXIT_ERROR) this.stats.coldStarts++;
      }
      throw error;
    } finally {
      this.leased.delete(environment);
      this.waiting.shift()?.();
    }
  }

  /**
   * Starts every execution environment the concurrency allows and leases them all to an invoker
   * outside this process (the benchmark's Java event poller), which POSTs to their URLs; this object
   * invokes none of them from then on. The emulator restarts a runtime that timed out or exited by
   * itself, at the same URL.
   */
  async leaseAll(): Promise<readonly string[]> {
    // All at once, as a mapping's first invocations of each partition start their environments.
    const missing = this.options.maxConcurrency - this.environments.length - this.starting;
    const started = await Promise.all(
      Array.from({ length: Math.max(0, missing) }, () => this.startEnvironment()),
    );
    return started.map((environment) => environment.invokeUrl);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const wake of this.waiting.splice(0)) wake();
    await Promise.all(this.environments.splice(0).map((environment) => environment.stop()));
  }

  private async acquire(): Promise<ExecutionEnvironment> {
    for (;;) {
      if (this.stopped) throw new Error(`function ${this.name} is stopped`);
      this.removeExited();
      const idle = this.environments.find((environment) => !this.leased.has(environment));
      if (idle) {
        this.leased.add(idle);
        return idle;
      }
      if (this.environments.length + this.starting < this.options.maxConcurrency) {
        return this.startEnvironment();
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }

  private removeExited(): void {
    for (let i = this.environments.length - 1; i >= 0; i--) {
      if (!this.environments[i]?.alive) this.environments.splice(i, 1);
    }
  }

  /** Starts an environment, leased to the caller. */
  private async startEnvironment(): Promise<ExecutionEnvironment> {
    this.starting++;
    try {
      const environment = await ExecutionEnvironment.start({
        definition: this.options.definition,
        taskRoot: this.taskRoot,
        binaries: this.binaries,
        localEnvironment: this.options.localEnvironment,
        onOutput: this.options.onOutput ?? (() => undefined),
      });
      if (this.stopped) {
        await environment.stop();
        throw new Error(`function ${this.name} is stopped`);
      }
      this.stats.coldStarts++;
      this.leased.add(environment);
      this.environments.push(environment);
      return environment;
    } finally {
      this.starting--;
    }
  }
}
