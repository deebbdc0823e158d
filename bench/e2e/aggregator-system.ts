/**
 * Our pipeline as a system under test: the consumer worker (consumer-worker.ts) and the Java event
 * poller it starts, invoking the aggregator under the Lambda runtime, writing to the run's PostgreSQL.
 */
import type { ChildProcess } from 'node:child_process';
import type pg from 'pg';
import { diffTotals, readFlowTotals, readPositions, type Totals } from '../../local/verify/totals.js';
import { descendantsOf } from '../proc-stat.js';
import { forkWorker, nextMessage, stopChild } from './child-processes.js';
import { BENCH_TOPIC } from './plan.js';
import type { BenchServices } from './services.js';
import type { StreamingSystem } from './streaming-system.js';
import {
  type ConsumerCommand,
  type ConsumerMessage,
  consumerWorkerEnv,
  type FinancialResult,
} from './worker-messages.js';

const WORKER = new URL('./consumer-worker.ts', import.meta.url);
/** AWS's part: the event source mapping (fetch, decompress, make the MSK event), here the Java event poller. */
export const ESM_EMULATOR = 'event poller (Java)';
/** AWS's part: the runtime API that hands the event to the function. */
export const RUNTIME_EMULATORS = 'Lambda runtime emulators';
/** The part Lambda bills: the runtime client and the handler in the function's process. */
export const FUNCTION_PROCESSES = "aggregator functions' processes";
/** How long the worker may take to stop the emulator and the functions and report its counts. */
const STOP_REPORT_MS = 30_000;

/** The system's name in the report: ours, or ours with the financial result off. */
export function aggregatorSystemName(result: FinancialResult): string {
  return result === 'on' ? 'treasury-stream' : 'treasury-stream, result off';
}

export class AggregatorConsumer implements StreamingSystem {
  readonly name: string;
  readonly cpuRole = 'consumer (event poller, Lambda runtime emulators, aggregator functions)';
  readonly cpuParts = [ESM_EMULATOR, RUNTIME_EMULATORS, FUNCTION_PROCESSES];
  readonly batchSchema = 'public';
  private child: ChildProcess | undefined;
  private exited: string | undefined;
  private stopping = false;
  private tree: { readonly at: number; readonly pids: readonly number[] } | undefined;

  constructor(
    private readonly services: BenchServices,
    private readonly log: (line: string) => void,
    /** Off: the baseline of the result's cost (bench/e2e/result-off-handler.ts). @default 'on' */
    private readonly result: FinancialResult = 'on',
  ) {
    this.name = aggregatorSystemName(result);
  }

  async start(): Promise<number> {
    const child = forkWorker(
      WORKER,
      consumerWorkerEnv({
        brokers: this.services.brokers,
        topic: BENCH_TOPIC,
        databaseUrl: this.services.databaseUrl,
        result: this.result,
      }),
    );
    this.child = child;
    child.once('exit', (code, signal) => {
      if (!this.stopping) this.exited = `the consumer process exited (${signal ?? `code ${code}`})`;
    });
    child.on('message', (message: ConsumerMessage) => {
      if (message.type === 'retry') {
        this.log(
          `consumer: partition ${message.partition} from offset ${message.fromOffset} failed (attempt ${message.attempt}): ${message.error}`,
        );
      }
    });
    const starting = await nextMessage<ConsumerMessage>(child, (m) => m.type === 'starting', 'consumer');
    return starting.type === 'starting' ? starting.at : Date.now();
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child?.connected) return;
    this.stopping = true;
    const stopped = nextMessage<ConsumerMessage>(child, (m) => m.type === 'stopped', 'consumer');
    const stop: ConsumerCommand = { type: 'stop' };
    child.send(stop);
    let timer: NodeJS.Timeout | undefined;
    const report = await Promise.race([
      stopped.catch(() => undefined),
      new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), STOP_REPORT_MS);
      }),
    ]);
    clearTimeout(timer);
    if (report?.type === 'stopped') {
      this.log(
        `consumer: ${report.invocations} invocations, ${report.retries} retries, ${report.rebalances} group joins; ` +
          `aggregator: ${report.coldStarts} cold starts, ${report.functionErrors} errors, ${report.functionTimeouts} timeouts`,
      );
    }
    await stopChild(child, 5_000);
  }

  /** The worker's process and what it started: the event poller, the runtime emulators and the functions' processes. */
  processIds(): readonly number[] {
    const pid = this.child?.pid;
    if (pid === undefined) return [];
    const now = Date.now();
    // The labeller asks once per process of a reading: the tree is read again at most once a second.
    if (this.tree === undefined || now - this.tree.at > 1_000) {
      this.tree = { at: now, pids: [pid, ...descendantsOf(pid)] };
    }
    return this.tree.pids;
  }

  /**
   * The worker's own process, which starts the rest and then waits, and the Java event poller it
   * starts are the event poller; below the worker, each execution environment is a Runtime Interface
   * Emulator (aws-lambda-rie, under supervise.sh) and the function's node process it starts.
   */
  cpuRoleOf(pid: number, comm: string): string {
    if (pid === this.child?.pid || comm === 'java') return ESM_EMULATOR;
    if (comm === 'aws-lambda-rie' || comm === 'sh') return RUNTIME_EMULATORS;
    return FUNCTION_PROCESSES;
  }

  failure(): string | undefined {
    return this.exited;
  }

  async verify(db: pg.Client, truth: Totals): Promise<string[]> {
    const positions = await readPositions(db);
    return [
      ...diffTotals(truth, positions, 'produced', 'currency_position'),
      ...diffTotals(positions, await readFlowTotals(db), 'currency_position', 'transaction_flow'),
    ];
  }
}
