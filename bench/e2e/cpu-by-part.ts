/**
 * Where the CPU went at a system's sustained step, by part: the consumer's own processes apart (for
 * ours: the event poller and the runtime emulators, which are AWS's part, and the functions'
 * processes, which Lambda bills), the database, the broker, the load generator, and what was left
 * idle. Pure.
 */
import { cpus } from 'node:os';
import { markdownTable } from '../report/markdown.js';
import { formatNumber } from '../report/stats.js';
import { type CpuShares, LOAD_GENERATOR, OTHER_WORK } from './cpu-meter.js';
import type { PhaseResult, SystemMeasurement } from './harness.js';
import { cpuMsPerThousand } from './steady-state.js';

/** The consumer's CPU in a phase: the sum of its parts, % of one core. */
export function consumerShare(m: Pick<SystemMeasurement, 'cpuParts'>, cpu: CpuShares): number | undefined {
  const shares = m.cpuParts.map((part) => cpu[part]).filter((share): share is number => share !== undefined);
  return shares.length === 0 ? undefined : shares.reduce((a, b) => a + b, 0);
}

/** The step that set the sustained rate (the last held step at that rate), if any held. */
export function sustainedPhase(
  m: Pick<SystemMeasurement, 'steps' | 'sustainedRate'>,
): PhaseResult | undefined {
  return [...m.steps].reverse().find((s) => s.verdict.sustained && s.offeredRate === m.sustainedRate);
}

/** What no process used in the phase: % of one core, of cores × 100. */
export function idleShare(cpu: CpuShares, cores: number = cpus().length): number {
  const used = Object.values(cpu).reduce((a, b) => a + b, 0);
  return Math.max(0, cores * 100 - used);
}

const COMMON_ROLES = [
  'PostgreSQL',
  'Kafka broker',
  LOAD_GENERATOR,
  'bench harness',
  'other bench processes',
  OTHER_WORK,
];

/**
 * A table of CPU by part at each system's sustained step: % of one core and ms per 1,000 records
 * delivered, one pair of columns per system, and the idle CPU (what the machine had to spare).
 */
export function cpuByPartTable(systems: readonly SystemMeasurement[], cores: number = cpus().length): string {
  const phases = systems.map((m) => sustainedPhase(m));
  const roles = [...new Set([...systems.flatMap((m) => m.cpuParts), ...COMMON_ROLES])].filter((role) =>
    phases.some((phase) => (phase?.cpu[role] ?? 0) >= 0.05),
  );
  const cell = (phase: PhaseResult | undefined, share: number | undefined) => {
    if (phase === undefined || share === undefined) return ['–', '–'];
    const perThousand = cpuMsPerThousand(share, phase.deliveredRate);
    return [`${formatNumber(share, 1)} %`, perThousand === undefined ? '–' : formatNumber(perThousand, 2)];
  };
  // Not the systems' work: a share of the machine, not a cost per record.
  const shareOnly = (cells: string[]) => [cells[0] ?? '–', '–'];
  const rows = roles.map((role) => [
    role,
    ...phases.flatMap((phase) => {
      const cells = cell(phase, phase?.cpu[role]);
      return role === OTHER_WORK ? shareOnly(cells) : cells;
    }),
  ]);
  rows.push(
    [
      '**consumer, all its parts**',
      ...systems.flatMap((m, i) => {
        const phase = phases[i];
        return cell(phase, phase === undefined ? undefined : consumerShare(m, phase.cpu));
      }),
    ],
    [
      'idle: CPU to spare',
      ...phases.flatMap((phase) =>
        shareOnly(cell(phase, phase === undefined ? undefined : idleShare(phase.cpu, cores))),
      ),
    ],
  );
  const header = [
    `part (${cores * 100} % in all)`,
    ...systems.flatMap((m, i) => {
      const at =
        phases[i] === undefined ? 'no step held' : `at ${formatNumber(phases[i]?.offeredRate ?? 0)}/s`;
      return [`${m.system}: CPU, % of a core (${at})`, `${m.system}: ms per 1,000 records`];
    }),
  ];
  return markdownTable(header, rows, ['left', ...systems.flatMap(() => ['right', 'right'] as const)]);
}

/**
 * The evidence that the load generator was not the limit: what it took at the sustained step, and
 * how fast it went alone (the preload, flat out, before the consumer started).
 */
export function generatorHeadroom(m: SystemMeasurement): string {
  const phase = sustainedPhase(m);
  if (phase === undefined) return '';
  const share = phase.cpu[LOAD_GENERATOR] ?? 0;
  return (
    `${m.system}: at its sustained step (${formatNumber(phase.offeredRate)} records/s) the load generator took ${formatNumber(share, 1)} % of one core ` +
    `(${formatNumber(cpuMsPerThousand(share, phase.deliveredRate) ?? 0, 2)} ms per 1,000 records); alone, flat out, it offered ${formatNumber(m.producerRate)} records/s, ` +
    `${formatNumber(m.producerRate / phase.offeredRate, 1)}× that step.`
  );
}
