// A returning visit: once the service worker controls the page, a reload and a later visit still load the
// departments and services, so the hours and the booking screen appear. Under the browser's own language (nb-NO,
// nn-NO, en-US, with no choice stored by the app) and for each role.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BASE, launch, open, shot, signIn } from './lib.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const LOCALES = [
  { locale: 'nb-NO', lang: 'nb' },
  { locale: 'nn-NO', lang: 'nn' },
  { locale: 'en-US', lang: 'en' },
];

/** What each role sees once the page is loaded: checked after a reload and after coming back. */
const ROLES = [
  {
    role: 'recipient',
    name: 'Kari Nordmann',
    async ready(page) {
      await page.locator('.hours-card').first().waitFor();
      await page.goto(`${BASE}/bestill`);
      await page.locator('main button.choice').first().waitFor();
    },
  },
  {
    role: 'proxy',
    name: 'Liv Berg',
    async ready(page) {
      await page.locator('.hours-card').first().waitFor();
      await page.goto(`${BASE}/bestill`);
      await page.locator('main button.choice').first().waitFor();
    },
  },
  {
    role: 'staff',
    name: 'Per Olsen',
    async ready(page) {
      await page.goto(`${BASE}/vakt`);
      await page.getByRole('heading', { level: 1 }).waitFor();
    },
  },
  {
    role: 'department administrator',
    name: 'Hanne Lie',
    async ready(page) {
      await page.goto(`${BASE}/avdeling`);
      // The department's name comes from the departments list: its own title, not the generic one.
      await page.getByRole('heading', { level: 1, name: 'Hjemmetjenesten, praktisk bistand' }).waitFor();
    },
  },
];

/** Nothing left saying "Loading" on the screen: the requests were sent and answered. */
async function settled(page) {
  await page.waitForFunction(() => document.querySelector('main h1') && !document.querySelector('main .loading'), null, { timeout: 20_000 });
}

for (const { locale, lang } of LOCALES) {
  describe(`returning under ${locale}`, () => {
    for (const who of ROLES) {
      test(`${who.role}: reload and come back with the service worker in control`, async () => {
        const { context, page, errors } = await open(browser, { language: null, locale, serviceWorkers: 'allow' });
        await signIn(page, who.name);
        await page.waitForFunction(() => !!navigator.serviceWorker.controller, null, { timeout: 20_000 });
        const sent = [];
        page.on('request', (request) => sent.push(new URL(request.url()).pathname));

        await page.reload();
        assert.ok(await page.evaluate(() => !!navigator.serviceWorker.controller), 'the service worker controls the reloaded page');
        assert.equal(await page.evaluate(() => document.documentElement.lang), lang);
        await page.getByRole('navigation').first().waitFor();
        await who.ready(page);
        await settled(page);
        if (who.role === 'recipient' || who.role === 'proxy') {
          assert.ok(sent.includes('/api/v1/departments'), 'the departments were asked for');
          assert.ok(sent.some((p) => /^\/api\/v1\/departments\/[^/]+\/services$/.test(p)), 'the services were asked for');
        }
        await shot(page, `returning-${who.role.replace(/ /g, '-')}-${lang}`);

        // Coming back later: a new tab on the same device, the worker still in control.
        await page.close();
        const again = await context.newPage();
        again.setDefaultTimeout(25_000);
        await again.goto(`${BASE}/`);
        assert.ok(await again.evaluate(() => !!navigator.serviceWorker.controller), 'the service worker controls the page on return');
        await again.getByRole('navigation').first().waitFor();
        await who.ready(again);
        await settled(again);
        assert.deepEqual(errors, []);
        await context.close();
      });
    }
  });
}
