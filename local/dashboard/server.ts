import { readFile } from 'node:fs/promises';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CollectorSettings, DashboardCollector } from './collector.js';

/** The page's default port: `--dashboard-port` changes it, 0 takes any free one. */
export const DEFAULT_DASHBOARD_PORT = 4180;
// The status line's pace: the page moves as often as the terminal does.
const REFRESH_MS = 2_000;

const PAGE_DIR = new URL('./page/', import.meta.url);
// uPlot is served from node_modules: the page loads nothing from the network.
const UPLOT_DIR = new URL('../../node_modules/uplot/dist/', import.meta.url);
const FILES: Record<string, { url: URL; type: string }> = {
  '/favicon.ico': { url: new URL('favicon.svg', PAGE_DIR), type: 'image/svg+xml' },
  '/': { url: new URL('index.html', PAGE_DIR), type: 'text/html; charset=utf-8' },
  '/dashboard.js': { url: new URL('dashboard.js', PAGE_DIR), type: 'text/javascript; charset=utf-8' },
  '/dashboard.css': { url: new URL('dashboard.css', PAGE_DIR), type: 'text/css; charset=utf-8' },
  '/uPlot.iife.min.js': {
    url: new URL('uPlot.iife.min.js', UPLOT_DIR),
    type: 'text/javascript; charset=utf-8',
  },
  '/uPlot.min.css': { url: new URL('uPlot.min.css', UPLOT_DIR), type: 'text/css; charset=utf-8' },
};

export interface DashboardOptions extends CollectorSettings {
  readonly port: number;
}

export interface Dashboard {
  readonly url: string;
  readonly collector: DashboardCollector;
  /** Sends a last snapshot (marked final) to every page, then closes the server. */
  stop(): Promise<void>;
}

/**
 * Serves the local dashboard on 127.0.0.1 only (it shows the positions of the run's database) and
 * pushes a snapshot to each open page every refresh, as server-sent events.
 */
export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const collector = new DashboardCollector(options);
  const pages = new Set<ServerResponse>();
  const send = (response: ServerResponse, final = false) =>
    response.write(`event: snapshot\ndata: ${JSON.stringify(collector.snapshot(final))}\n\n`);

  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
    if (path === '/events') {
      response.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-store',
        connection: 'keep-alive',
      });
      pages.add(response);
      request.once('close', () => pages.delete(response));
      send(response);
      return;
    }
    const file = FILES[path];
    if (!file) {
      response.writeHead(404).end('not found');
      return;
    }
    readFile(file.url).then(
      (body) => response.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-store' }).end(body),
      (error: Error) => response.writeHead(500).end(error.message),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;

  let polling: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    polling = collector
      .poll()
      .catch(() => undefined)
      .then(() => {
        for (const page of pages) send(page);
      });
  }, REFRESH_MS);

  return {
    url: `http://127.0.0.1:${port}/`,
    collector,
    stop: async () => {
      clearInterval(timer);
      await polling;
      await collector.poll().catch(() => undefined);
      for (const page of pages) {
        send(page, true);
        page.end();
      }
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await collector.close();
    },
  };
}
