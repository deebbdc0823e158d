import { isPortFree } from '../infra/net/free-port.js';
import { MissingPrerequisite } from '../support/prerequisite.js';
import { DEFAULT_DASHBOARD_PORT } from './server.js';

// Ports tried above a busy default before any free one is taken: a second `npm start` gets 4181.
const NEXT_PORTS = 20;

/**
 * The dashboard's port, settled before Kafka and PostgreSQL start, so that a busy port never ends a
 * run halfway. A port asked for (`--dashboard-port`) that is in use is one line naming it and the way
 * out; the default in use (a second `npm start`, another tool) moves to the next free port, said
 * through `log`. 0 stays 0: the server takes any free port.
 */
export async function settleDashboardPort(
  requested: number | undefined,
  log: (line: string) => void,
  defaultPort = DEFAULT_DASHBOARD_PORT,
): Promise<number> {
  if (requested === 0) return 0;
  if (requested !== undefined) {
    if (await isPortFree(requested)) return requested;
    throw new MissingPrerequisite(
      `--dashboard-port ${requested}: port ${requested} on 127.0.0.1 is in use`,
      'give another one (--dashboard-port 0 takes any free port) or serve none with --no-dashboard',
    );
  }
  for (let port = defaultPort; port <= Math.min(defaultPort + NEXT_PORTS, 65_535); port++) {
    if (await isPortFree(port)) {
      if (port !== defaultPort)
        log(`dashboard: port ${defaultPort} is in use, so the dashboard takes ${port}`);
      return port;
    }
  }
  log(
    `dashboard: ports ${defaultPort}–${defaultPort + NEXT_PORTS} are in use, so the dashboard takes any free port`,
  );
  return 0;
}
