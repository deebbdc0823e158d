import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { findChromium } from '../support/chromium.js';

describe("the dashboard test's browser on a machine without a Chrome of its own", () => {
  it('is the npm package’s headless Chromium, installed into .cache/, and it renders a page', async () => {
    // Prepare: no known path and an empty PATH, as on a fresh Linux machine.
    const saved = process.env.CHROMIUM;
    delete process.env.CHROMIUM;
    try {
      // Act
      const found = await findChromium({ knownPaths: [], path: '' });
      const browser = await chromium.launch({ executablePath: found.executablePath, args: [...found.args] });
      try {
        const page = await browser.newPage();
        await page.setContent('<main id="m">positions</main>');

        // Assess
        expect(await page.textContent('#m')).toBe('positions');
      } finally {
        await browser.close();
      }
    } finally {
      if (saved !== undefined) process.env.CHROMIUM = saved;
    }
  });
});
