import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

export interface ConsumerExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly output: string;
}

/** `npm start -- --no-produce …` (local/cli.ts) as a process of its own, which a test may SIGKILL. */
export class ConsumerProcess {
  readonly exited: Promise<ConsumerExit>;
  private readonly child: ChildProcess;
  private text = '';

  constructor(args: readonly string[], env: Readonly<Record<string, string>>) {
    this.child = spawn(process.execPath, ['--import', 'tsx', 'local/cli.ts', ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [this.child.stdout, this.child.stderr]) {
      stream?.on('data', (chunk: Buffer) => {
        this.text += chunk.toString();
      });
    }
    this.exited = new Promise((resolve, reject) => {
      this.child.once('error', reject);
      this.child.once('exit', (code, signal) => resolve({ code, signal, output: this.text }));
    });
  }

  get output(): string {
    return this.text;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGKILL, as a crash: nothing in the process runs after it. */
  async kill(): Promise<ConsumerExit> {
    this.child.kill('SIGKILL');
    return this.exited;
  }

  /** SIGINT, as Ctrl-C: the runtime stops its emulator, checks the totals and exits. */
  async interrupt(): Promise<ConsumerExit> {
    this.child.kill('SIGINT');
    return this.exited;
  }

  /** The exit, or an error with the output so far when it takes longer than `ms`. */
  async exitWithin(ms: number): Promise<ConsumerExit> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        reject(new Error(`consumer did not exit within ${ms} ms:\n${this.text}`));
      }, ms);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
