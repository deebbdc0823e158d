/**
 * One system measured on a broker and a database of its own: the services started, the producers
 * forked, the steps run, everything stopped. The end-to-end and Spark sections both measure this way.
 */
import pg from 'pg';
import type { SectionOptions } from '../report/section.js';
import { LOAD_GENERATOR } from './cpu-meter.js';
import { measureSystem, type SearchOptions, type SystemMeasurement } from './harness.js';
import { JavaProducerFleet } from './load/java-producer-fleet.js';
import { BENCH_TOPIC, benchPlan } from './plan.js';
import { type BenchServices, startBenchServices } from './services.js';
import type { StreamingSystem } from './streaming-system.js';

/** Labels for the CPU figures: the system's own processes, the producers, the broker, PostgreSQL. */
export function cpuLabeller(
  fleet: { readonly pids: readonly number[] },
  system: Pick<StreamingSystem, 'processIds' | 'cpuRoleOf'>,
  harnessPid: number = process.pid,
): (pid: number, comm: string) => string {
  return (pid, comm) => {
    if (system.processIds().includes(pid)) return system.cpuRoleOf(pid, comm);
    if (fleet.pids.includes(pid)) return LOAD_GENERATOR;
    if (comm === 'java') return 'Kafka broker';
    if (comm.startsWith('postgres')) return 'PostgreSQL';
    if (pid === harnessPid) return 'bench harness';
    return 'other bench processes';
  };
}

export interface FreshServicesSetup {
  /** Makes the system under test on the run's services. */
  readonly system: (services: BenchServices) => StreamingSystem;
  /** Prepares the database before the producers start (the Spark peer's tables). */
  readonly prepare?: (db: pg.Client) => Promise<void>;
  readonly search?: SearchOptions;
}

/** Runs a system through the steps on a broker and a database started for it alone. */
export async function measureOnFreshServices(
  options: SectionOptions,
  setup: FreshServicesSetup,
): Promise<SystemMeasurement> {
  const { log } = options;
  const plan = benchPlan(options.quick);
  const services = await startBenchServices(log);
  let fleet: JavaProducerFleet | undefined;
  const db = new pg.Client({ connectionString: services.databaseUrl });
  try {
    await db.connect();
    await setup.prepare?.(db);
    fleet = await JavaProducerFleet.start(services.brokers, BENCH_TOPIC, log);
    const system = setup.system(services);
    return await measureSystem(system, {
      db,
      fleet,
      plan,
      log,
      cpuLabel: cpuLabeller(fleet, system),
      search: setup.search,
    });
  } finally {
    await fleet?.stop();
    await db.end().catch(() => undefined);
    await services.stop();
  }
}
