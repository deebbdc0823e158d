/**
 * CPU time of processes from Linux's /proc: what a function's own process under the runtime client
 * costs, apart from the emulator that started it. The parsing is pure; the readers are thin.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** The fields of /proc/<pid>/stat this module reads. */
export interface ProcStat {
  readonly pid: number;
  /** The executable's name, up to 15 characters (it may hold spaces and parentheses). */
  readonly comm: string;
  readonly ppid: number;
  /** User and system CPU time of all the process's threads, in clock ticks. */
  readonly utime: number;
  readonly stime: number;
}

/**
 * Parses one /proc/<pid>/stat line. The comm field is in parentheses and may itself contain spaces
 * and ")", so the fields after it are counted from the last ")": state, ppid, … utime is field 14 of
 * the line and stime field 15 (proc(5)).
 */
export function parseProcStat(line: string): ProcStat {
  const open = line.indexOf('(');
  const close = line.lastIndexOf(')');
  if (open < 0 || close < open) throw new Error(`not a /proc/<pid>/stat line: ${line.slice(0, 80)}`);
  const pid = Number(line.slice(0, open).trim());
  const comm = line.slice(open + 1, close);
  const rest = line
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  // rest[0] is field 3 (state): field n is rest[n - 3].
  const field = (n: number): number => {
    const value = Number(rest[n - 3]);
    if (!Number.isInteger(value)) throw new Error(`field ${n} of /proc/${pid}/stat is not a number`);
    return value;
  };
  return { pid, comm, ppid: field(4), utime: field(14), stime: field(15) };
}

/** The pids in /proc/<pid>/task/<tid>/children files: children of any thread of the process. */
export function parseChildren(contents: readonly string[]): number[] {
  const pids = new Set<number>();
  for (const content of contents) {
    for (const word of content.split(/\s+/)) if (/^\d+$/.test(word)) pids.add(Number(word));
  }
  return [...pids].sort((a, b) => a - b);
}

/** CPU milliseconds between two readings of the same process. */
export function cpuMillisBetween(before: ProcStat, after: ProcStat, ticksPerSecond: number): number {
  if (before.pid !== after.pid) throw new Error(`readings of two processes: ${before.pid}, ${after.pid}`);
  const ticks = after.utime + after.stime - (before.utime + before.stime);
  return (ticks * 1000) / ticksPerSecond;
}

let clockTicks: number | undefined;

/**
 * Clock ticks per second of utime and stime (getconf CLK_TCK), 100 on Linux nearly always. Asked
 * once, on first use rather than at import, so that importing this module runs nothing.
 */
export function clockTicksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

export function readProcStat(pid: number): ProcStat {
  return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
}

/**
 * Children of `pid`. A Go program such as the emulator starts its child from whichever thread runs
 * the call, so every thread's children file is read (/proc/<pid>/task/*\/children).
 */
export function childrenOf(pid: number): number[] {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const contents = tasks.map((tid) => {
    try {
      return readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8');
    } catch {
      return '';
    }
  });
  return parseChildren(contents);
}

/** All processes below `pid`, breadth first. */
export function descendantsOf(pid: number): number[] {
  const found: number[] = [];
  const queue = [pid];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    for (const child of childrenOf(next)) {
      if (!found.includes(child)) {
        found.push(child);
        queue.push(child);
      }
    }
  }
  return found;
}

/** The emulator processes below `root` (comm aws-lambda-rie) and, for each, the runtime it started. */
export function runtimeProcesses(root: number): { readonly emulator: number; readonly runtime: number }[] {
  const result: { emulator: number; runtime: number }[] = [];
  for (const pid of descendantsOf(root)) {
    let stat: ProcStat;
    try {
      stat = readProcStat(pid);
    } catch {
      continue;
    }
    if (stat.comm !== 'aws-lambda-rie') continue;
    const runtime = childrenOf(pid)[0];
    if (runtime !== undefined) result.push({ emulator: pid, runtime });
  }
  return result;
}

/** Resident memory of a process from /proc/<pid>/status, in KiB: now (VmRSS) and at its peak (VmHWM). */
export interface ProcMemory {
  readonly rssKiB: number;
  readonly peakRssKiB: number;
}

/** The VmRSS and VmHWM lines of a /proc/<pid>/status text. Pure. */
export function parseProcStatus(status: string): ProcMemory {
  const kib = (field: string): number => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
    if (!match) throw new Error(`no ${field} line in /proc/<pid>/status`);
    return Number(match[1]);
  };
  return { rssKiB: kib('VmRSS'), peakRssKiB: kib('VmHWM') };
}

export function readProcMemory(pid: number): ProcMemory {
  return parseProcStatus(readFileSync(`/proc/${pid}/status`, 'utf8'));
}
