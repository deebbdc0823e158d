import { runScript, type ScriptRun } from '../../../local/child-process.js';

export type CliRun = ScriptRun;

/** Runs `npm start`'s program (local/cli.ts) in a process of its own, as a crash test needs. */
export function runCli(
  args: readonly string[],
  env: Record<string, string>,
  timeoutMs: number,
): Promise<CliRun> {
  return runScript('local/cli.ts', args, { env, timeoutMs });
}
