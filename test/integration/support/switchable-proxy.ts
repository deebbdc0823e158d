import { connect, createServer, type Server, type Socket } from 'node:net';
import { freePort } from '../../../local/infra/net/free-port.js';

/**
 * A TCP port in front of a real server that a test switches: 'refuse' (nothing listens: connections
 * are refused), 'hang' (connections are accepted and never answered) or 'forward' (bytes go through).
 */
export class SwitchableProxy {
  private server: Server | undefined;
  private mode: 'refuse' | 'hang' | 'forward' = 'refuse';
  private readonly sockets = new Set<Socket>();

  private constructor(
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  static async start(target: { host: string; port: number }): Promise<SwitchableProxy> {
    return new SwitchableProxy(await freePort(), target);
  }

  /** A URL with the host and port replaced by the proxy's. */
  url(serverUrl: string): string {
    const url = new URL(serverUrl);
    url.hostname = '127.0.0.1';
    url.port = String(this.port);
    return url.toString();
  }

  async switchTo(mode: 'refuse' | 'hang' | 'forward'): Promise<void> {
    this.mode = mode;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    if (mode === 'refuse') {
      await this.close();
      return;
    }
    if (this.server) return;
    const server = createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
      if (this.mode !== 'forward') return;
      const upstream = connect(this.target.port, this.target.host);
      upstream.on('error', () => socket.destroy());
      socket.on('close', () => upstream.destroy());
      socket.pipe(upstream).pipe(socket);
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.server = server;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }
}
