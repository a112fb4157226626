// Every screen fits a 360 px phone without horizontal scrolling: in the three languages, in easy-read mode and at
// 200 % text size. Asserted on each screen as document.documentElement.scrollWidth <= window.innerWidth.
import { after, before, describe, test } from 'node:test';
import { assertFits, BASE, launch, open, shot, signIn } from './lib.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const MODES = [
  { name: 'nb', language: 'nb' },
  { name: 'nn', language: 'nn' },
  { name: 'en', language: 'en' },
  { name: 'nb-easy', language: 'nb', easy: true },
  { name: 'nb-200', language: 'nb', textScale: 2 },
];

const ROLES = [
  { role: 'recipient', name: 'Kari Nordmann', screens: ['/', '/bestill', '/timer', '/kalender', '/plan', '/innstillinger', '/mine-data'] },
  { role: 'proxy', name: 'Liv Berg', screens: ['/', '/bestill', '/timer'] },
  { role: 'staff', name: 'Per Olsen', screens: ['/vakt', '/innstillinger'] },
  { role: 'admin', name: 'Hanne Lie', screens: ['/', '/avdeling', '/innsikt/dekning', '/innsikt/vurderinger', '/innsikt/tilbakemeldinger', '/tilgjengelighet'], tabs: '/avdeling' },
];

/** Loaded: a heading, nothing still saying "Loading". */
async function loaded(page) {
  await page.waitForFunction(() => document.querySelector('main h1') && !document.querySelector('main .loading'), null, { timeout: 20_000 });
  await page.evaluate(() => Promise.all(document.getAnimations().map((a) => a.finished.catch(() => undefined))));
}

for (const mode of MODES) {
  describe(`360 px, ${mode.name}`, () => {
    test('the sign-in screen fits', async () => {
      const { context, page } = await open(browser, mode);
      await page.goto(`${BASE}/`);
      await page.getByRole('heading', { level: 1 }).waitFor();
      await assertFits(page, `sign-in (${mode.name})`);
      await context.close();
    });
    for (const who of ROLES) {
      test(`every screen of the ${who.role} fits`, async () => {
        const { context, page } = await open(browser, mode);
        await signIn(page, who.name);
        const problems = [];
        const fits = (label) => assertFits(page, label).catch((error) => problems.push(error.message));
        for (const screen of who.screens) {
          await page.goto(`${BASE}${screen}`);
          await loaded(page);
          const label = `${who.role}${screen.replace(/\//g, '-').replace(/-$/, '') || '-home'}-${mode.name}`;
          await fits(label);
          await shot(page, `fit-${label}`);
          if (screen === who.tabs) {
            const tabs = page.getByRole('tab');
            for (let i = 0; i < (await tabs.count()); i += 1) {
              await tabs.nth(i).click();
              await loaded(page);
              await fits(`${label} tab ${i + 1}`);
              await shot(page, `fit-${label}-tab${i + 1}`);
            }
          }
        }
        await context.close();
        if (problems.length) throw new Error(problems.join('\n'));
      });
    }
  });
}
