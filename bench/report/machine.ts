import { readFile } from 'node:fs/promises';
import os from 'node:os';
import type { MachineInfo } from './markdown.js';

/** The CPU model as /proc/cpuinfo names it; os.cpus() when that file is not there (not Linux). */
export function cpuModelOf(cpuinfo: string | undefined, fallback: string): string {
  const match = cpuinfo === undefined ? null : /^model name\s*:\s*(.+)$/m.exec(cpuinfo);
  return match?.[1]?.trim() ?? fallback;
}

export async function machineInfo(): Promise<MachineInfo> {
  const cpuinfo = await readFile('/proc/cpuinfo', 'utf8').catch(() => undefined);
  const cpus = os.cpus();
  return {
    cpuModel: cpuModelOf(cpuinfo, cpus[0]?.model ?? 'unknown'),
    cores: os.availableParallelism?.() ?? cpus.length,
    memoryGiB: os.totalmem() / 2 ** 30,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    v8: process.versions.v8,
    loadAverage: os.loadavg(),
  };
}
