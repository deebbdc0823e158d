import { localClusterArn } from '../../../../local/esm/local-mapping.js';
import { runScript, type ScriptRun, spawnScript } from '../../../../local/support/child-process.js';

export interface RecoveryCliTarget {
  readonly brokers: string;
  readonly databaseUrl: string;
  readonly topic: string;
  readonly groupId: string;
}

/** `npm run recover -- …` against the test's topic, group and database, as an operator runs it. */
function recoveryArgs(target: RecoveryCliTarget, extra: readonly string[]): string[] {
  // The fault tests' emulator (emulatorFor) keys the checkpoints by this event source.
  return [
    '--topic',
    target.topic,
    '--group',
    target.groupId,
    '--event-source',
    localClusterArn('test', target.topic),
    ...extra,
  ];
}

function environment(target: RecoveryCliTarget): Record<string, string> {
  return { KAFKA_BROKERS: target.brokers, DATABASE_URL: target.databaseUrl };
}

export function runRecoveryCli(target: RecoveryCliTarget, extra: readonly string[] = []): Promise<ScriptRun> {
  return runScript('local/recovery/cli.ts', recoveryArgs(target, extra), {
    env: environment(target),
    timeoutMs: 120_000,
  });
}

/** Starts the recovery and SIGKILLs it right after the batch line number `afterBatches` appears. */
export async function killRecoveryAfter(
  target: RecoveryCliTarget,
  afterBatches: number,
  extra: readonly string[] = [],
): Promise<ScriptRun & { readonly batchesSeen: number }> {
  let batchesSeen = 0;
  const child = spawnScript('local/recovery/cli.ts', recoveryArgs(target, extra), {
    env: environment(target),
    onLine: (line) => {
      if (!line.startsWith('{"event":"recovery.batch"')) return;
      batchesSeen++;
      if (batchesSeen === afterBatches) child.kill('SIGKILL');
    },
  });
  const run = await child.exited;
  return { ...run, batchesSeen };
}
