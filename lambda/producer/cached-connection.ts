/**
 * A connected client kept across the invocations of a warm container, and dropped after any failure.
 *
 * Why after a failed send too, not only a failed connect: kafkajs with the MSK IAM signer has an open
 * report of clients whose every request fails authorization after a day or two
 * (aws/aws-msk-iam-sasl-signer-js#21, #34), and a client whose brokers went away may keep failing.
 * A cached client that failed would fail every later invocation of the container; a new one
 * bootstraps, authenticates with a fresh token and reconnects.
 */
export class CachedConnection<Client extends { disconnect(): Promise<void> }> {
  private current: Promise<Client> | undefined;

  constructor(private readonly connect: () => Promise<Client>) {}

  /** Runs `work` with the client (connecting it first if needed); on failure the client is dropped. */
  async use<Result>(work: (client: Client) => Promise<Result>): Promise<Result> {
    this.current ??= this.connect();
    const connecting = this.current;
    try {
      return await work(await connecting);
    } catch (error) {
      if (this.current === connecting) await this.discard();
      throw error;
    }
  }

  /** Disconnects and forgets the client; the next `use` connects a new one. */
  async discard(): Promise<void> {
    const client = this.current;
    this.current = undefined;
    await client?.then((c) => c.disconnect()).catch(() => undefined);
  }
}
