import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePorts } from '../../../../local/infra/net/free-port.js';

describe('freePorts', () => {
  it('answers distinct ports that can all be bound at once', async () => {
    const ports = await freePorts(4);

    expect(new Set(ports).size).toBe(4);
    const servers = ports.map(() => createServer());
    try {
      await Promise.all(
        servers.map(
          (server, i) =>
            new Promise<void>((resolve, reject) => {
              server.once('error', reject);
              server.listen(ports[i], '127.0.0.1', resolve);
            }),
        ),
      );
    } finally {
      await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    }
  });
});
