import { describe, expect, it } from 'vitest';
import { CachedConnection } from '../../../lambda/producer/cached-connection.js';

class FakeClient {
  disconnected = false;
  constructor(readonly id: number) {}
  async disconnect(): Promise<void> {
    this.disconnected = true;
  }
}

function connections() {
  const made: FakeClient[] = [];
  let failNextConnect = false;
  const cache = new CachedConnection(async () => {
    if (failNextConnect) {
      failNextConnect = false;
      throw new Error('connect refused');
    }
    const client = new FakeClient(made.length + 1);
    made.push(client);
    return client;
  });
  return { cache, made, failConnect: () => (failNextConnect = true) };
}

describe('the producer client of a warm container', () => {
  it('is connected once and reused while it works', async () => {
    const { cache, made } = connections();

    const ids = [await cache.use(async (c) => c.id), await cache.use(async (c) => c.id)];

    expect(ids).toEqual([1, 1]);
    expect(made).toHaveLength(1);
  });

  it('is disconnected and replaced after a failed send, not reused broken', async () => {
    const { cache, made } = connections();
    await cache.use(async (c) => c.id);

    await expect(
      cache.use(async () => {
        throw new Error('Topic authorization failed');
      }),
    ).rejects.toThrow('Topic authorization failed');
    const next = await cache.use(async (c) => c.id);

    expect(made[0]?.disconnected).toBe(true);
    expect(next).toBe(2);
  });

  it('connects again after a failed connect', async () => {
    const { cache, failConnect } = connections();
    failConnect();

    await expect(cache.use(async (c) => c.id)).rejects.toThrow('connect refused');

    expect(await cache.use(async (c) => c.id)).toBe(1);
  });
});
