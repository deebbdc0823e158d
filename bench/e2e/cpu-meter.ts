/**
 * CPU time by role while a step runs: this process's descendants, labelled by the caller, and what the
 * rest of the machine used meanwhile (work outside the benchmark), from Linux's /proc.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { clockTicksPerSecond, type ProcStat, parseProcStat } from '../proc-stat.js';

/** The role of the load generator's process (bench/e2e/load). */
export const LOAD_GENERATOR = "load generator (Kafka's Java producer)";

/** The role under which the CPU of everything else on the machine is reported. */
export const OTHER_WORK = 'work outside the benchmark';

/** CPU used during a step, in % of one core, by role; the machine has cpus().length × 100 %. */
export type CpuShares = Record<string, number>;

interface MachineTicks {
  readonly busy: number;
  readonly total: number;
}

interface Reading {
  readonly processes: ReadonlyMap<number, ProcStat>;
  readonly machine: MachineTicks;
  readonly at: number;
}

function readProcesses(): Map<number, ProcStat> {
  const processes = new Map<number, ProcStat>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      processes.set(Number(entry), parseProcStat(readFileSync(`/proc/${entry}/stat`, 'utf8')));
    } catch {
      // Gone between the listing and the read.
    }
  }
  return processes;
}

/** The first line of /proc/stat: busy and total ticks of every core together. */
export function parseMachineTicks(procStat: string): MachineTicks {
  const line = procStat.split('\n')[0] ?? '';
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const busy = (user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0);
  return { busy, total: busy + (idle ?? 0) + (iowait ?? 0) };
}

function read(): Reading {
  return {
    processes: readProcesses(),
    machine: parseMachineTicks(readFileSync('/proc/stat', 'utf8')),
    at: Date.now(),
  };
}

/**
 * `root` and every process below it in one reading of the process table. One pass over the table:
 * cheaper than bench/proc-stat.ts's children files when the whole table is read anyway.
 */
export function descendantsIn(
  root: number,
  processes: ReadonlyMap<number, { readonly ppid: number }>,
): Set<number> {
  const children = new Map<number, number[]>();
  for (const [pid, info] of processes) {
    const siblings = children.get(info.ppid) ?? [];
    siblings.push(pid);
    children.set(info.ppid, siblings);
  }
  const found = new Set<number>([root]);
  const queue = [root];
  for (let pid = queue.pop(); pid !== undefined; pid = queue.pop()) {
    for (const child of children.get(pid) ?? []) {
      if (!found.has(child)) {
        found.add(child);
        queue.push(child);
      }
    }
  }
  return found;
}

/** The shares by role between two readings. Pure. */
export function sharesBetween(
  before: Reading,
  after: Reading,
  label: (pid: number, comm: string) => string,
  options: { readonly root: number; readonly cores: number; readonly ticksPerSecond: number },
): CpuShares {
  const seconds = (after.at - before.at) / 1000;
  const shares: CpuShares = {};
  let oursTicks = 0;
  for (const pid of descendantsIn(options.root, after.processes)) {
    const now = after.processes.get(pid);
    if (!now) continue;
    const earlier = before.processes.get(pid);
    const ticks = now.utime + now.stime - (earlier ? earlier.utime + earlier.stime : 0);
    oursTicks += ticks;
    const role = label(pid, now.comm);
    shares[role] = (shares[role] ?? 0) + (100 * ticks) / options.ticksPerSecond / seconds;
  }
  // /proc/stat counts every core: its busy ticks over the interval, less ours, is everyone else's.
  const machineBusy = after.machine.busy - before.machine.busy;
  const machineTotal = after.machine.total - before.machine.total;
  const coreShare = machineTotal > 0 ? (100 * options.cores * machineBusy) / machineTotal : 0;
  const oursShare = (100 * oursTicks) / options.ticksPerSecond / seconds;
  shares[OTHER_WORK] = Math.max(0, coreShare - oursShare);
  return shares;
}

/** Measures the CPU of this process's descendants by role (`label` names them) from a start to a reading. */
export class CpuMeter {
  private before: Reading = read();

  constructor(private readonly label: (pid: number, comm: string) => string) {}

  restart(): void {
    this.before = read();
  }

  read(): CpuShares {
    return sharesBetween(this.before, read(), this.label, {
      root: process.pid,
      cores: cpus().length,
      ticksPerSecond: clockTicksPerSecond(),
    });
  }
}

/** "consumer 95 %, producers 60 %": roles above half a percent, largest first. */
export function formatCpu(shares: CpuShares): string {
  return Object.entries(shares)
    .filter(([, share]) => share >= 0.5)
    .sort((a, b) => b[1] - a[1])
    .map(([role, share]) => `${role} ${Math.round(share)} %`)
    .join(', ');
}
