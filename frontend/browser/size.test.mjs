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
  // The home page's own scripts (its lazy feedback question) are loaded and done with first: they are not counted,
  // and none is still being read when the page moves on (its body would be gone, failing after the test).
  await page.waitForLoadState('networkidle');
  const scripts = new Map();
  const reading = [];
  page.on('response', (response) => {
    if (response.request().resourceType() === 'script' || response.url().endsWith('.js')) {
      reading.push(response.body().then((body) => scripts.set(response.url(), gzipSync(body).length)));
    }
  });
  await page.goto(`${BASE}/bestill`);
  await page.locator('.choices button').first().waitFor();
  await page.waitForLoadState('networkidle');
  await Promise.all(reading);
  const total = [...scripts.values()].reduce((a, b) => a + b, 0);
  t.diagnostic(`booking page JavaScript: ${(total / 1024).toFixed(1)} kB gzipped in ${scripts.size} files`);
  assert.ok(scripts.size > 0, 'no script was loaded');
  assert.ok(total < BUDGET, `${(total / 1024).toFixed(1)} kB gzipped is over the 200 kB budget`);
  await context.close();
});

test('installable: manifest with icons, a service worker and an offline page', async () => {
  const { context, page } = await open(browser);
  const manifest = await (await page.request.get(`${BASE}/manifest.webmanifest`)).json();
  assert.equal(manifest.lang, 'nb');
  assert.equal(manifest.display, 'standalone');
  assert.ok(manifest.icons.some((icon) => icon.sizes === '512x512' && icon.purpose === 'maskable'));
  for (const icon of manifest.icons) assert.equal((await page.request.get(`${BASE}${icon.src}`)).status(), 200, icon.src);
  const worker = await page.request.get(`${BASE}/sw.js`);
  assert.equal(worker.headers()['cache-control'], 'no-cache');
  assert.match(await worker.text(), /precache/i);
  assert.match(await (await page.request.get(`${BASE}/offline.html`)).text(), /uten nett/);
  const asset = (await (await page.request.get(`${BASE}/`)).text()).match(/\/assets\/[^"]+\.js/)[0];
  assert.equal((await page.request.get(`${BASE}${asset}`)).headers()['cache-control'], 'public, max-age=31536000, immutable');
  await context.close();
});
