import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { LAMBDA_HANDLER } from '../../contracts/bundling.js';
import { FUNCTION_NODE_OPTIONS, type FunctionDefinition } from '../../contracts/functions.js';
import { freePorts } from '../infra/net/free-port.js';
import { classifyOutputLine, type FunctionOutputLine, lineSplitter } from './function-output.js';

const SUPERVISOR = fileURLToPath(new URL('./supervise.sh', import.meta.url));
const INVOKE_PATH = '/2015-03-31/functions/function/invocations';
const STARTUP_TIMEOUT_MS = 15_000;
const START_ATTEMPTS = 3;

/** The function answered with an error document: it threw, its result did not serialize, or it crashed. */
export class FunctionError extends Error {
  constructor(
    readonly errorType: string,
    errorMessage: string,
  ) {
    super(`${errorType}: ${errorMessage}`);
    this.name = 'FunctionError';
  }
}

/** The invocation ran past the function's timeout; the emulator reset the environment. */
export class FunctionTimeoutError extends Error {
  constructor(readonly timeoutSeconds: number) {
    super(`Task timed out after ${timeoutSeconds} seconds`);
    this.name = 'FunctionTimeoutError';
  }
}

export interface RuntimeBinaries {
  readonly emulator: string;
  readonly node: string;
  /** The runtime interface client's entry point (aws-lambda-ric, built into .cache/). */
  readonly runtimeClient: string;
}

export interface ExecutionEnvironmentOptions {
  readonly definition: FunctionDefinition;
  /** The bundle's folder (LAMBDA_TASK_ROOT). */
  readonly taskRoot: string;
  /** The Runtime Interface Emulator's binary, the Node.js the runtime client runs on, and the client. */
  readonly binaries: RuntimeBinaries;
  /** Local counterparts of what only AWS has: DATABASE_URL for the secret, KAFKA_BROKERS for the cluster. */
  readonly localEnvironment: Readonly<Record<string, string>>;
  readonly onOutput: (line: FunctionOutputLine) => void;
}

/**
 * The environment variables Lambda gives a Node.js function, for this definition: its own settings,
 * the reserved variables the runtime and Powertools read, and JSON logs as the stack configures them.
 */
export function lambdaEnvironment(
  definition: FunctionDefinition,
  taskRoot: string,
  localEnvironment: Readonly<Record<string, string>>,
): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    AWS_REGION: 'local',
    AWS_DEFAULT_REGION: 'local',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
    AWS_LAMBDA_FUNCTION_NAME: `treasury-stream-${definition.name}`,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(definition.memoryMiB),
    AWS_LAMBDA_FUNCTION_TIMEOUT: String(definition.timeoutSeconds),
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/treasury-stream-${definition.name}`,
    AWS_LAMBDA_LOG_STREAM_NAME: 'local',
    // The stack sets loggingFormat JSON and application log level INFO.
    AWS_LAMBDA_LOG_FORMAT: 'JSON',
    AWS_LAMBDA_LOG_LEVEL: 'INFO',
    LAMBDA_TASK_ROOT: taskRoot,
    _HANDLER: LAMBDA_HANDLER,
    NODE_OPTIONS: FUNCTION_NODE_OPTIONS,
    ...definition.environment,
    ...localEnvironment,
  };
}

/**
 * Node's flags as Lambda's Node.js bootstrap sets them from the memory size: a tenth for the young
 * generation, the rest for the old one, so that a function that outgrows its memory fails here too.
 */
export function runtimeNodeFlags(memoryMiB: number): string[] {
  const newSpace = Math.floor(memoryMiB / 10);
  return [
    '--expose-gc',
    '--max-http-header-size=81920',
    `--max-semi-space-size=${Math.floor(newSpace / 2)}`,
    `--max-old-space-size=${memoryMiB - newSpace}`,
  ];
}

/** Resolves when `port` accepts connections; false when `gaveUp` says the listener will never come. */
async function waitForPort(port: number, deadline: number, gaveUp: () => boolean): Promise<boolean> {
  while (Date.now() < deadline && !gaveUp()) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

/** Pids below `pid` (from /proc), deepest last: the emulator's runtime process and its children. */
async function descendants(pid: number): Promise<number[]> {
  const children = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  const direct = children.split(/\s+/).filter(Boolean).map(Number);
  const nested = await Promise.all(direct.map(descendants));
  return [...direct, ...nested.flat()];
}

/**
 * One Lambda execution environment: the Runtime Interface Emulator running AWS's Node.js runtime
 * interface client on the function's bundle, on ports of its own on 127.0.0.1. One invocation at a
 * time, as in Lambda; module state lives between invocations (warm) until a timeout or a crash, after
 * which the emulator starts the runtime again (cold), as Lambda does.
 */
export class ExecutionEnvironment {
  private busy = false;
  private exitedWith: string | undefined;

  private constructor(
    private readonly child: ChildProcess,
    private readonly port: number,
    readonly definition: FunctionDefinition,
  ) {
    child.once('exit', (code, signal) => {
      this.exitedWith = signal ?? `code ${code}`;
    });
  }

  /**
   * Starts an environment on two fresh ports. A port can be taken by another process between the
   * moment it was found free and the emulator's bind (the emulator then exits), so a start that does
   * not come up is tried again on other ports.
   */
  static async start(options: ExecutionEnvironmentOptions): Promise<ExecutionEnvironment> {
    const platformLines: string[] = [];
    for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
      let starting = true;
      const environment = await ExecutionEnvironment.launch(options, (line) => {
        if (starting && line.kind === 'platform') platformLines.push(line.text);
      });
      const listening = await waitForPort(
        environment.port,
        Date.now() + STARTUP_TIMEOUT_MS,
        () => !environment.alive,
      );
      starting = false;
      if (listening) return environment;
      await environment.stop();
    }
    throw new Error(
      `the Runtime Interface Emulator did not come up in ${START_ATTEMPTS} attempts; its last lines:\n` +
        platformLines.slice(-10).join('\n'),
    );
  }

  private static async launch(
    options: ExecutionEnvironmentOptions,
    onStartupLine: (line: FunctionOutputLine) => void,
  ): Promise<ExecutionEnvironment> {
    const [port, runtimeApiPort] = (await freePorts(2)) as [number, number];
    const { definition, taskRoot } = options;
    const child = spawn(
      SUPERVISOR,
      [
        String(process.pid),
        options.binaries.emulator,
        '--log-level',
        'warn',
        '--runtime-api-address',
        `127.0.0.1:${runtimeApiPort}`,
        '--runtime-interface-emulator-address',
        `127.0.0.1:${port}`,
        options.binaries.node,
        ...runtimeNodeFlags(definition.memoryMiB),
        options.binaries.runtimeClient,
        LAMBDA_HANDLER,
      ],
      {
        cwd: taskRoot,
        env: lambdaEnvironment(definition, taskRoot, options.localEnvironment),
        stdio: ['ignore', 'pipe', 'pipe'],
        // Out of the terminal's process group: Ctrl-C reaches the local runtime, which stops its
        // environments; the supervisor ends them if the runtime dies first.
        detached: true,
      },
    );
    const onLine = (text: string) => {
      const line = classifyOutputLine(text);
      onStartupLine(line);
      options.onOutput(line);
    };
    child.stdout?.on('data', lineSplitter(onLine));
    child.stderr?.on('data', lineSplitter(onLine));
    return new ExecutionEnvironment(child, port, definition);
  }

  get alive(): boolean {
    return this.exitedWith === undefined;
  }

  /** Where a synchronous invocation is POSTed: the emulator's invoke API. */
  get invokeUrl(): string {
    return `http://127.0.0.1:${this.port}${INVOKE_PATH}`;
  }

  /** Invokes synchronously (RequestResponse): the function's result, or a FunctionError / FunctionTimeoutError. */
  async invoke(payload: unknown): Promise<unknown> {
    if (this.busy) throw new Error('an execution environment runs one invocation at a time');
    if (!this.alive) throw new Error(`the execution environment has exited (${this.exitedWith})`);
    this.busy = true;
    try {
      const response = await fetch(this.invokeUrl, {
        method: 'POST',
        body: JSON.stringify(payload),
        // The emulator answers when the function does, at the latest at its timeout.
        signal: AbortSignal.timeout((this.definition.timeoutSeconds + 30) * 1000),
      });
      const body = await response.text();
      if (body.startsWith('Task timed out after')) {
        throw new FunctionTimeoutError(this.definition.timeoutSeconds);
      }
      if (!response.ok) {
        throw new FunctionError('Runtime.EmulatorError', `HTTP ${response.status}: ${body.slice(0, 500)}`);
      }
      const result = body === '' ? null : (JSON.parse(body) as unknown);
      if (typeof result === 'object' && result !== null && 'errorType' in result) {
        const { errorType, errorMessage } = result as { errorType: unknown; errorMessage?: unknown };
        throw new FunctionError(String(errorType), String(errorMessage ?? ''));
      }
      return result;
    } finally {
      this.busy = false;
    }
  }

  /** Ends the emulator and the runtime it started (the runtime has a process group of its own). */
  async stop(): Promise<void> {
    const pid = this.child.pid;
    if (pid === undefined || !this.alive) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    for (const target of [...(await descendants(pid)), pid]) {
      try {
        process.kill(target, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
    await exited;
  }
}
