// Benefit realisation (issue 22) in real Chromium against the demo: the administrator records the baseline from
// before self-booking by keyboard, sees the change since, the charts with their tables, and the research exports;
// at 360 px (easy read, nothing wider than the window) and 1280 px, axe clean in bokmål, nynorsk and English.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertFits, axe, BASE, DESKTOP, launch, open, PHONE, shot, signIn } from './lib.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

async function benefitsPage(page) {
  await page.locator('nav a[href="/avdeling"]').click();
  await page.locator('.subnav a[href="/innsikt/gevinster"]').click();
  await page.locator('svg.chart-months').first().waitFor();
  await page.waitForLoadState('networkidle');
}

describe('benefit realisation', () => {
  test('the administrator records the baseline and sees the change since (1280 px)', async () => {
    const { context, page, errors } = await open(browser, { viewport: DESKTOP, language: 'nb' });
    try {
      await signIn(page, 'Tor Dahl');
      await benefitsPage(page);
      assert.equal(await page.locator('.benefit-figure').count(), 5);
      assert.ok((await page.locator('.benefit-table').count()) >= 8, 'every chart has its table');
      const desc = await page.locator('svg.chart-months desc').first().textContent();
      assert.match(desc ?? '', /Trend/);
      await page.locator('.baseline-form summary').click();
      await page.getByLabel('Selvbestilling startet').fill('2025-01-01');
      await page.getByLabel('Ikke møtt før (prosent av besøk)').fill('12,5');
      await page.getByLabel('Besøk per måned før').fill('40');
      await page.getByLabel('Leverte minutter per måned før').fill('2400');
      await page.getByLabel('Kilde', { exact: true }).fill('Fagsystemet, snitt 2024');
      const saved = page.waitForResponse((r) => r.url().includes('/benefit-baseline') && r.request().method() === 'PUT');
      await page.getByLabel('Kilde', { exact: true }).press('Enter');
      assert.equal((await saved).status(), 200);
      await page.locator('.baseline-table').waitFor();
      assert.match(await page.locator('.baseline-table').innerText(), /12,5 %/);
      await page.getByText('Kilde: Fagsystemet, snitt 2024.').waitFor();
      await axe(page, 'benefits nb 1280');
      await assertFits(page, 'benefits nb 1280');
      await shot(page, 'benefits-nb-1280');
      const departmentId = (await (await page.request.get(`${BASE}/api/v1/benefits`)).json()).departments[0].department_id;
      const csv = await page.request.get(`${BASE}/api/v1/benefits/export.csv?department=${departmentId}`);
      assert.equal(csv.status(), 200);
      assert.match((await csv.text()).split('\r\n')[0], /recipient_key;department;service_category;iso_week/);
      await page.emulateMedia({ media: 'print' });
      assert.equal(await page.locator('.benefit-actions').isVisible(), false, 'no buttons on paper');
      await shot(page, 'benefits-nb-print');
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  for (const language of ['nb', 'nn', 'en']) {
    test(`at 360 px in easy read, ${language}`, async () => {
      const { context, page, errors } = await open(browser, { viewport: PHONE, language, easy: true });
      try {
        await signIn(page, 'Tor Dahl');
        await benefitsPage(page);
        await page.locator('.benefit-easy').waitFor();
        await axe(page, `benefits ${language} 360`);
        await assertFits(page, `benefits ${language} 360`);
        await shot(page, `benefits-${language}-360`);
        assert.deepEqual(errors, []);
      } finally {
        await context.close();
      }
    });
  }
});
