// Installed and then offline: the service worker serves the app from its cache, deep links included, and the
// screen says plainly that there is no connection (personal data is never cached, so nothing stale is shown).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { axe, BASE, launch, open, shot, signIn } from './lib.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('offline, the app opens from the service worker and says there is no connection', async () => {
  const { context, page } = await open(browser, { serviceWorkers: 'allow' });
  await signIn(page, 'Kari Nordmann');
  // The worker claims the open page once it is active (clientsClaim), so the first visit is enough.
  await page.waitForFunction(() => !!navigator.serviceWorker.controller, null, { timeout: 20_000 });
  await context.setOffline(true);
  await page.goto(`${BASE}/timer`);
  await page.getByRole('alert').getByText('Du er uten nett. Timene du har bestilt, gjelder fortsatt. Prøv igjen når du har nett.').waitFor({ timeout: 20_000 });
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'nb');
  await axe(page, 'offline');
  await shot(page, 'phone-offline');
  await context.setOffline(false);
  await page.getByRole('button', { name: 'Prøv igjen' }).click();
  await page.getByRole('heading', { level: 1, name: 'Mine timer' }).waitFor();
  await context.close();
});
