// The booking page's JavaScript budget: under 200 kB gzipped, counted from what the browser really loads.
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { after, before, test } from 'node:test';
import { BASE, launch, open, signIn } from './lib.mjs';

const BUDGET = 200 * 1024;
let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('the booking page loads under 200 kB of gzipped JavaScript', async (t) => {
  const { context, page } = await open(browser);
  await signIn(page, 'Kari Nordmann');
  const scripts = new Map();
  page.on('response', async (response) => {
    if (response.request().resourceType() === 'script' || response.url().endsWith('.js')) {
      scripts.set(response.url(), gzipSync(await response.body()).length);
    }
  });
  await page.goto(`${BASE}/bestill`);
  await page.locator('.choices button').first().waitFor();
  await page.waitForLoadState('networkidle');
  const total = [...scripts.values()].reduce((a, b) => a + b, 0);
  t.diagnostic(`booking page JavaScript: ${(total / 1024).toFixed(1)} kB gzipped in ${scripts.size} files`);
  assert.ok(scripts.size > 0, 'no script was loaded');
  assert.ok(total < BUDGET, `${(total / 1024).toFixed(1)} kB gzipped is over the 200 kB budget`);
  await context.close();
});
