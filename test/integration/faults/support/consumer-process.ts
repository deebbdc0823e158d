import {
  exitWithin,
  type ScriptProcess,
  type ScriptRun,
  spawnScript,
} from '../../../../local/support/child-process.js';

export type ConsumerExit = ScriptRun;

/** `npm start -- --no-produce …` (local/run/cli.ts) as a process of its own, which a test may SIGKILL. */
export class ConsumerProcess {
  private readonly child: ScriptProcess;

  constructor(args: readonly string[], env: Readonly<Record<string, string>>) {
    this.child = spawnScript('local/run/cli.ts', args, { env });
  }

  get exited(): Promise<ConsumerExit> {
    return this.child.exited;
  }

  get output(): string {
    return this.child.output;
  }

  get running(): boolean {
    return this.child.running;
  }

  /** SIGKILL, as a crash: nothing in the process runs after it. */
  async kill(): Promise<ConsumerExit> {
    this.child.kill('SIGKILL');
    return this.child.exited;
  }

  /** SIGINT, as Ctrl-C: the runtime stops its emulator, checks the totals and exits. */
  async interrupt(): Promise<ConsumerExit> {
    this.child.kill('SIGINT');
    return this.child.exited;
  }

  /** The exit, or an error with the output so far when it takes longer than `ms`. */
  exitWithin(ms: number): Promise<ConsumerExit> {
    return exitWithin(this.child, ms, 'consumer');
  }
}
