import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DASHBOARD_ROWS } from '../../../contracts/telemetry/dashboard.js';
import { freePort } from '../../../local/infra/net/free-port.js';
import { runScript, type ScriptRun } from '../../../local/support/child-process.js';
import { findChromium } from '../support/chromium.js';
import { createTestDatabase, type TestDatabase, uniqueTopic } from '../support/test-database.js';

const SCREENSHOT_DIR = fileURLToPath(new URL('../../../.cache/dashboard/', import.meta.url));

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase(inject('databaseUrl'));
});
afterAll(async () => {
  await database?.drop();
});

describe("npm start's dashboard in a real browser", () => {
  it('shows every widget with data, live, and the position board equal to currency_position', async () => {
    // Prepare: npm start's program on this test's database and topic on the shared broker (whose data
    // folder it does not know: the broker disk widget then says so), the page on a free port.
    const { executablePath, args } = await findChromium();
    const port = await freePort();
    const run: Promise<ScriptRun> = runScript(
      'local/run/cli.ts',
      // The example rates, so that the bank's total result is known and its graph has data.
      ['--duration', '12', '--rate', '50', '--quiet', '--example-limits', '--dashboard-port', String(port)],
      {
        env: { DATABASE_URL: database.url, KAFKA_BROKERS: inject('kafkaBrokers'), TOPIC: uniqueTopic() },
        timeoutMs: 170_000,
      },
    );
    const browser = await chromium.launch({ executablePath, args: [...args] }).catch((error: Error) => {
      throw new Error(
        `the browser at ${executablePath} did not start (${error.message.split('\n')[0]}): install Debian's ` +
          'chromium (apt-get install chromium) or set CHROMIUM to a Chrome that runs here',
      );
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      const pageErrors: string[] = [];
      page.on('pageerror', (error) => pageErrors.push(error.message));
      // Act: open the page as soon as it is served, and stay until the run's last snapshot.
      for (;;) {
        const opened = await page.goto(`http://127.0.0.1:${port}/`).then(
          () => true,
          () => false,
        );
        if (opened) break;
        const exited = await Promise.race([
          run.then(() => true),
          new Promise((r) => setTimeout(r, 500, false)),
        ]);
        if (exited) throw new Error(`npm start ended before serving the page:\n${(await run).output}`);
      }
      const result = await run;
      expect(result.code, result.output).toBe(0);
      // The run's last snapshot, sent after its last commit, and so after the totals were checked.
      await page.waitForSelector('body[data-final="true"]', { timeout: 10_000 });
      await mkdir(SCREENSHOT_DIR, { recursive: true });
      await page.screenshot({ path: `${SCREENSHOT_DIR}dashboard.png`, fullPage: true });

      // Assess
      expect(pageErrors).toEqual([]);
      expect(Number(await page.getAttribute('body', 'data-snapshots'))).toBeGreaterThan(2);
      const widgets = await page.$$eval('[data-widget]', (cards) =>
        cards.map((card) => ({
          title: card.getAttribute('data-widget'),
          awsOnly: card.getAttribute('data-aws-only') === 'true',
          localSeries: Number(card.getAttribute('data-local-series')),
          seriesWithData: Number(card.getAttribute('data-series-with-data')),
        })),
      );
      expect(widgets.map((w) => w.title)).toEqual(DASHBOARD_ROWS.flat().map((widget) => widget.title));
      expect(widgets.filter((w) => w.awsOnly).map((w) => w.title)).toEqual([
        'Database CPU (%)',
        'Broker CPU, user + system (%)',
        'Broker data disk used (%)',
      ]);
      for (const widget of widgets.filter((w) => !w.awsOnly)) {
        expect(widget.seriesWithData, widget.title ?? '').toBeGreaterThan(0);
      }
      const board = await page.$$eval('#positions tbody tr[data-branch]', (rows) =>
        rows.map((row) => ({
          branch: row.getAttribute('data-branch'),
          currency: row.getAttribute('data-currency'),
          netAmount: row.getAttribute('data-net-amount'),
          txCount: row.getAttribute('data-tx-count'),
        })),
      );
      const positions = await database.pool.query(
        `SELECT branch_name AS branch, currency_code AS currency, net_amount::text AS "netAmount",
                tx_count::text AS "txCount" FROM currency_position ORDER BY branch_name, currency_code`,
      );
      expect(positions.rows.length).toBeGreaterThan(0);
      expect(board).toEqual(positions.rows);
      const batchRows = await page.$$eval('#batches tbody tr', (rows) => rows.length);
      expect(batchRows).toBeGreaterThan(0);
    } finally {
      await browser.close();
      await run.catch(() => undefined);
    }
  });
});
