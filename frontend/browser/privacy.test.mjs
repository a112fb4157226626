// "Mine data" (issue 19): reached from the settings, it shows what the service holds about the person, downloads it
// as JSON and lets the person correct their phone number and e-mail address; a proxy sees the child's copy. At
// 360 px in bokmål, nynorsk and English, axe clean, without horizontal scrolling; and at 1280 px.
// Run alone: TJENESTESHOP_URL=http://127.0.0.1:8000 node --test browser/privacy.test.mjs (against serve --demo).
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { apiAs, assertFits, axe, BASE, DESKTOP, launch, open, shot, signIn } from './lib.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const TEXTS = {
  nb: { settings: 'Innstillinger', link: 'Mine data', title: 'Mine data', download: 'Last ned som fil (JSON)', phone: 'Mobilnummer', save: 'Lagre', saved: 'Kontaktopplysningene er lagret.', phoneError: /^Skriv et mobilnummer med 8 siffer/, forWhom: 'Vis data for' },
  nn: { settings: 'Innstillingar', link: 'Mine data', title: 'Mine data', download: 'Last ned som fil (JSON)', phone: 'Mobilnummer', save: 'Lagre', saved: 'Kontaktopplysningane er lagra.', phoneError: /^Skriv eit mobilnummer med 8 siffer/, forWhom: 'Vis data for' },
  en: { settings: 'Settings', link: 'My data', title: 'My data', download: 'Download as a file (JSON)', phone: 'Mobile number', save: 'Save', saved: 'Your contact details have been saved.', phoneError: /^Enter a mobile number of 8 digits/, forWhom: 'Show data for' },
};

async function loaded(page) {
  await page.waitForFunction(() => document.querySelector('main h1') && !document.querySelector('main .loading'), null, { timeout: 20_000 });
  await page.evaluate(() => Promise.all(document.getAnimations().map((a) => a.finished.catch(() => undefined))));
}

/** Kari's contact details as they were, put back after a test changed them (other browser tests rely on them). */
async function contactOf(name) {
  const { context, request, csrf } = await apiAs(browser, name);
  const copy = await (await request.get(`${BASE}/api/v1/me/data-export`)).json();
  return {
    person: copy.person,
    restore: async () => {
      const answer = await request.patch(`${BASE}/api/v1/me/contact`, {
        data: { phone: copy.person.phone, email: copy.person.email },
        headers: { 'X-CSRF-Token': csrf },
      });
      assert.equal(answer.status(), 200, await answer.text());
      await context.close();
    },
  };
}

for (const language of ['nb', 'nn', 'en']) {
  const text = TEXTS[language];
  describe(`Mine data at 360 px, ${language}`, () => {
    test('the recipient finds the page in the settings, reads it, downloads it and corrects the phone number', async () => {
      const kari = await contactOf('Kari Nordmann');
      const { context, page, errors } = await open(browser, { language });
      try {
        await signIn(page, 'Kari Nordmann');
        await page.getByRole('link', { name: text.settings }).first().click();
        await page.getByRole('link', { name: text.link, exact: true }).click();
        await page.waitForURL(`${BASE}/mine-data`);
        await loaded(page);
        await page.getByRole('heading', { level: 1, name: text.title }).waitFor();
        await page.getByText('Storgata 12, 3256 Larvik').waitFor(); // her address, from the copy
        await assertFits(page, `mine-data (${language})`);
        await axe(page, `mine-data (${language})`);
        await shot(page, `privacy-mine-data-360-${language}`);

        const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: text.download }).click()]);
        const copy = JSON.parse(await readFile(await download.path(), 'utf8'));
        assert.equal(copy.person.given_name, 'Kari');
        assert.equal(copy.by_proxy, false);
        assert.ok(Array.isArray(copy.bookings) && copy.bookings.length > 0, 'her visits are in the copy');
        assert.ok(copy.sessions.length >= 1, 'this sign-in is in the copy');
        assert.ok(!JSON.stringify(copy).includes('p256dh'), 'no push keys');

        const phone = page.getByRole('textbox', { name: text.phone });
        await phone.fill('12345');
        await page.getByRole('button', { name: text.save, exact: true }).click();
        await page.getByText(text.phoneError).waitFor(); // the field's own message, not the help above it
        assert.equal(await phone.getAttribute('aria-invalid'), 'true');
        await assertFits(page, `mine-data with an error (${language})`);
        await axe(page, `mine-data with an error (${language})`);
        await shot(page, `privacy-mine-data-error-360-${language}`);
        await phone.fill('912 34 567');
        await page.getByRole('button', { name: text.save, exact: true }).click();
        await page.getByRole('status').filter({ hasText: text.saved }).waitFor();
        assert.equal(await phone.inputValue(), '+4791234567');
        assert.deepEqual(errors, []);
      } finally {
        await context.close();
        await kari.restore();
      }
    });
  });
}

describe('Mine data for a proxy, and at 1280 px', () => {
  test("a parent sees the child's copy, without a form to change the child's contact details", async () => {
    const { context, page, errors } = await open(browser, { language: 'nb' });
    await signIn(page, 'Liv Berg');
    await page.goto(`${BASE}/mine-data`);
    await loaded(page);
    const picker = page.getByRole('combobox', { name: TEXTS.nb.forWhom });
    const child = await picker.locator('option').nth(1).textContent();
    await picker.selectOption({ index: 1 });
    await page.getByText(`Her ser du alt vi har lagret om ${child}.`).waitFor();
    await loaded(page);
    await page.getByRole('button', { name: TEXTS.nb.download }).waitFor();
    await page.getByRole('heading', { level: 2, name: `Om ${child}` }).waitFor(); // not "Om deg": it is the child's
    assert.equal(await page.getByRole('textbox', { name: TEXTS.nb.phone }).count(), 0);
    await assertFits(page, 'mine-data proxy');
    await axe(page, 'mine-data proxy');
    await shot(page, 'privacy-mine-data-proxy-360-nb');
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('the page at 1280 px', async () => {
    const { context, page, errors } = await open(browser, { language: 'nb', viewport: DESKTOP });
    await signIn(page, 'Kari Nordmann');
    await page.goto(`${BASE}/mine-data`);
    await loaded(page);
    await assertFits(page, 'mine-data 1280');
    await axe(page, 'mine-data 1280');
    await shot(page, 'privacy-mine-data-1280-nb');
    assert.deepEqual(errors, []);
    await context.close();
  });
});
