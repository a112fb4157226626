// The main flows in real Chromium against the real API with demo data: by mouse and by keyboard only (Tab, Enter,
// Space, arrow keys: no click), on a phone (360x740) and a desktop (1280x800). Screenshots go to the artifacts folder.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { activate, apiAs, axe, BASE, DESKTOP, launch, open, PHONE, shot, signIn, tabTo } from './lib.mjs';

let browser;
const localToday = () => new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Oslo' }).format(new Date());
const addDays = (iso, days) => new Date(Date.parse(`${iso}T12:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const VARIANTS = [
  { name: 'phone', viewport: PHONE, keyboard: false },
  { name: 'desktop', viewport: DESKTOP, keyboard: false },
  { name: 'phone-keyboard', viewport: PHONE, keyboard: true },
  { name: 'desktop-keyboard', viewport: DESKTOP, keyboard: true },
];

/** From the day step on: the first open day (or the `skip`-th), its first free time, then the confirm screen. */
async function chooseDayAndTime(page, keyboard, { skip = 0 } = {}) {
  await page.getByRole('heading', { level: 1, name: 'Hvilken dag passer?' }).waitFor();
  const days = page.locator('.days button.choice:not([disabled])');
  await days.first().waitFor();
  // The day and the time, as a booking card heads the visit: "fredag 11. desember kl. 08:15". The time alone
  // matched another visit of the demo's on another day (its own visit at 08:15, before 08:45 Oslo time).
  const day = (await days.nth(skip).locator('.day-name').textContent()).trim();
  await activate(page, days.nth(skip), keyboard, 'Space');
  await page.getByRole('heading', { level: 1, name: 'Hvilket klokkeslett passer?' }).waitFor();
  const time = page.locator('.times button').first();
  const label = (await time.textContent()).trim();
  await activate(page, time, keyboard, 'Space');
  await page.getByRole('heading', { level: 1, name: 'Se over og bekreft' }).waitFor();
  return `${day} kl. ${label}`;
}

for (const [number, variant] of VARIANTS.entries()) {
  describe(`recipient on ${variant.name}`, () => {
    test('books, moves and cancels a visit', async () => {
      const { context, page, errors } = await open(browser, { viewport: variant.viewport });
      const { keyboard } = variant;
      await signIn(page, 'Kari Nordmann', { keyboard });
      await page.getByRole('heading', { name: 'Hei, Kari' }).waitFor();
      await page.getByText('Praktisk bistand i hjemmet').first().waitFor();
      // Hours left this week in words, from the decision and this week's use.
      await page.locator('.hours-card').filter({ hasText: 'Praktisk bistand i hjemmet' }).getByText(/^Du har (.+ igjen av .+|brukt alle timene) denne uken\.$/).waitFor();
      await shot(page, `${variant.name}-recipient-home`);

      await activate(page, page.getByRole('link', { name: 'Bestill en time' }), keyboard);
      await page.getByRole('heading', { level: 1, name: 'Hva trenger du hjelp til?' }).waitFor();
      await shot(page, `${variant.name}-book-service`);
      await activate(page, page.getByRole('button', { name: /Praktisk bistand i hjemmet/ }), keyboard);
      await page.getByRole('heading', { level: 1, name: 'Hvor lang tid trenger du?' }).waitFor();
      await activate(page, page.getByRole('button', { name: /^1 time/ }), keyboard);
      await shot(page, `${variant.name}-book-day`);
      // Two days on, so the cancellation deadline (24 hours before) is still ahead.
      const time = await chooseDayAndTime(page, keyboard, { skip: 2 });
      await page.getByText(/Du kan avlyse uten at timen telles, fram til/).waitFor();
      await shot(page, `${variant.name}-book-confirm`);
      await activate(page, page.getByRole('button', { name: 'Bestill timen' }), keyboard);
      await page.getByRole('heading', { name: 'Timen er bestilt' }).waitFor();
      await axe(page, 'booked');
      await shot(page, `${variant.name}-book-done`);

      await activate(page, page.getByRole('link', { name: 'Mine timer' }).last(), keyboard);
      await page.getByRole('heading', { level: 1, name: 'Mine timer' }).waitFor();
      const card = page.locator('.booking-card').filter({ hasText: time }).first();
      await card.waitFor();
      await card.getByText(/Avlys innen/).waitFor();
      await shot(page, `${variant.name}-bookings`);

      await activate(page, card.getByRole('button', { name: /^Flytt/ }), keyboard);
      const moved = await chooseDayAndTime(page, keyboard, { skip: 3 });
      await activate(page, page.getByRole('button', { name: 'Flytt timen hit' }), keyboard);
      await page.getByRole('heading', { name: 'Timen er flyttet' }).waitFor();
      await axe(page, 'moved');

      await activate(page, page.getByRole('link', { name: 'Mine timer' }).last(), keyboard);
      const movedCard = page.locator('.booking-card').filter({ hasText: moved }).first();
      await activate(page, movedCard.getByRole('button', { name: /^Avlys/ }), keyboard);
      const dialog = page.getByRole('dialog');
      await dialog.getByText(/får du timene tilbake/).waitFor();
      await shot(page, `${variant.name}-cancel-dialog`);
      await activate(page, dialog.getByRole('button', { name: 'Ja, avlys timen' }), keyboard);
      await page.getByText('Timen er avlyst.').waitFor();
      assert.deepEqual(errors, []);
      await context.close();
    });
  });

  describe(`proxy on ${variant.name}`, () => {
    test('books respite for a child', async () => {
      const { context, page, errors } = await open(browser, { viewport: variant.viewport });
      const { keyboard } = variant;
      await signIn(page, 'Liv Berg', { keyboard });
      await page.getByText('Avlastning i hjemmet').first().waitFor();
      await page.locator('.hours-card').getByText(/^Emma har (.+ igjen av .+|brukt alle timene) denne (uken|måneden)\.$/).waitFor();
      await shot(page, `${variant.name}-proxy-home`);
      await activate(page, page.getByRole('link', { name: 'Bestill en time' }), keyboard);
      await page.getByRole('heading', { level: 1, name: 'Hva trenger du hjelp til?' }).waitFor();
      await page.getByText('for Emma Berg').waitFor();
      await activate(page, page.getByRole('button', { name: /Avlastning i hjemmet/ }), keyboard);
      await activate(page, page.getByRole('button', { name: /^2 timer/ }), keyboard);
      await chooseDayAndTime(page, keyboard, { skip: number });
      await page.locator('.summary').getByText('Emma Berg').waitFor();
      const posted = page.waitForResponse((r) => r.url() === `${BASE}/api/v1/bookings` && r.request().method() === 'POST');
      await activate(page, page.getByRole('button', { name: 'Bestill timen' }), keyboard);
      await page.getByRole('heading', { name: 'Timen er bestilt' }).waitFor();
      const booking = await (await posted).json();
      await activate(page, page.getByRole('link', { name: 'Mine timer' }).last(), keyboard);
      await page.locator('.booking-card').filter({ hasText: 'Emma Berg' }).first().waitFor();
      await shot(page, `${variant.name}-proxy-bookings`);
      const { csrf_token: csrf } = await (await page.request.get(`${BASE}/api/v1/me`)).json();
      const cancelled = await page.request.post(`${BASE}/api/v1/bookings/${booking.id}/cancel`, { headers: { 'X-CSRF-Token': csrf } });
      assert.ok(cancelled.ok(), await cancelled.text());
      assert.deepEqual(errors, []);
      await context.close();
    });
  });
}

describe('easy read', () => {
  test('is switched on in settings, remembered, and reads the screen aloud in the chosen language', async () => {
    const { context, page, errors } = await open(browser);
    await context.addInitScript(() => {
      window.__spoken = [];
      window.speechSynthesis.speak = (utterance) => window.__spoken.push({ text: utterance.text, lang: utterance.lang });
    });
    await signIn(page, 'Ola Hansen');
    await page.locator('nav a[href="/innstillinger"]').click();
    await page.getByRole('radio', { name: 'Nynorsk' }).check();
    await page.getByRole('switch', { name: /Lettlest/ }).check();
    await page.reload();
    assert.equal(await page.evaluate(() => document.documentElement.dataset.easy), 'true');
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'nn');
    await page.locator('nav a[href="/"]').click();
    await page.getByRole('heading', { name: 'Hei, Ola' }).waitFor();
    await page.getByRole('button', { name: 'Les opp' }).click();
    const spoken = await page.evaluate(() => window.__spoken);
    assert.equal(spoken.length, 1);
    assert.equal(spoken[0].lang, 'nn-NO');
    assert.match(spoken[0].text, /Hei, Ola/);
    await shot(page, 'phone-easy-read-nn-home');
    assert.deepEqual(errors, []);
    await context.close();
  });
});

describe('calendar subscription', () => {
  test('makes a secret feed link with webcal and QR, then deletes it', async () => {
    const { context, page, errors } = await open(browser);
    await signIn(page, 'Kari Nordmann');
    await page.locator('nav a[href="/timer"]').click();
    await page.getByRole('link', { name: 'Legg timene i kalenderen' }).click();
    await page.getByRole('button', { name: 'Lag en kalenderlenke' }).click();
    await page.getByRole('heading', { name: 'Lenken er klar' }).waitFor();
    const url = await page.getByLabel('Kalenderlenke').inputValue();
    assert.match(url, /\/ical\/.+\.ics$/);
    assert.match(await page.getByRole('link', { name: 'Åpne i kalenderen' }).getAttribute('href'), /^webcal:\/\//);
    await page.getByRole('img', { name: /QR-kode/ }).waitFor();
    const feed = await page.request.get(url);
    assert.equal(feed.status(), 200);
    assert.match(await feed.text(), /BEGIN:VCALENDAR/);
    await axe(page, 'calendar link');
    await shot(page, 'phone-calendar');
    await page.getByRole('button', { name: /^Slett lenken/ }).first().click();
    await page.getByText(/Lenken er slettet/).waitFor();
    assert.equal((await page.request.get(url)).status(), 404);
    assert.deepEqual(errors, []);
    await context.close();
  });
});

describe('slot just taken', () => {
  test('offers the nearest free times', async () => {
    const { context, page } = await open(browser);
    await signIn(page, 'Kari Nordmann');
    await page.getByRole('link', { name: 'Bestill en time' }).click();
    await page.getByRole('button', { name: /Bistand med to ansatte/ }).click();
    await chooseDayAndTime(page, false, { skip: 2 });
    // Someone else takes capacity first: the department's staff are used up at that time (the API is the judge).
    const chosen = await page.evaluate(() => document.querySelector('.summary dd:nth-of-type(1)')?.textContent);
    assert.ok(chosen);
    await page.route('**/api/v1/bookings', (route) =>
      route.request().method() === 'POST'
        ? route.fulfill({ status: 409, contentType: 'application/problem+json', body: JSON.stringify({ type: 'urn:tjenesteshop:problem:slot_full', title: 'Tiden er dessverre tatt. Velg en annen tid', status: 409 }) })
        : route.continue(),
    );
    await page.getByRole('button', { name: 'Bestill timen' }).click();
    await page.getByRole('alert').getByText('Noen andre tok akkurat denne tiden.').waitFor();
    await page.getByRole('heading', { name: 'Disse tidene er ledige like ved:' }).waitFor();
    assert.ok((await page.locator('.nearest button').count()) >= 1);
    await axe(page, 'slot taken');
    await shot(page, 'phone-slot-taken');
    await context.close();
  });
});

describe('staff', () => {
  for (const variant of [VARIANTS[0], VARIANTS[2]]) {
    test(`marks an outcome with undo (${variant.name})`, async (t) => {
      const osloToday = localToday();
      // Seeded at the suite's start: past midnight it is on yesterday's roster, not today's.
      const seeded = process.env.TJENESTESHOP_SEEDED_DAY === osloToday ? process.env.TJENESTESHOP_SEEDED_VISIT : undefined;
      const { context, page, errors } = await open(browser, { viewport: variant.viewport });
      const { keyboard } = variant;
      await signIn(page, 'Aisha Ahmed', { keyboard });
      await page.getByRole('heading', { level: 1, name: 'Vakt' }).waitFor();
      if (!seeded) {
        t.diagnostic('no seeded visit has started today (before opening, or the day changed during the suite): outcome buttons cannot be shown');
        // The roster has loaded: today's visits (the demo's own may have begun), or none.
        await page.locator('.visit-card').or(page.getByText('Ingen besøk denne dagen')).first().waitFor();
        await context.close();
        return;
      }
      const card = page.locator('.visit-card').filter({ hasText: seeded }).first();
      await card.waitFor();
      await shot(page, `${variant.name}-staff-roster`);
      const open_ = await card.getByRole('button', { name: /^Utført/ }).count();
      if (open_ === 0) {
        await card.locator('.ds-tag').waitFor(); // marked by the first variant already
        await context.close();
        return;
      }
      await activate(page, card.getByRole('button', { name: /^Utført/ }), keyboard);
      await page.getByText(/Registrert som utført/).waitFor();
      await activate(page, page.getByRole('button', { name: 'Angre' }), keyboard);
      await card.getByRole('button', { name: /^Ikke møtt/ }).waitFor();
      await activate(page, card.getByRole('button', { name: /^Utført/ }), keyboard);
      await axe(page, 'marked, with undo');
      await shot(page, `${variant.name}-staff-marked`);
      await card.getByText('Gjennomført').waitFor({ timeout: 20_000 });
      await page.getByRole('button', { name: 'Angre' }).waitFor({ state: 'detached', timeout: 20_000 });
      await page.reload();
      await page.locator('.visit-card').filter({ hasText: seeded }).first().getByText('Gjennomført').waitFor();
      assert.deepEqual(errors, []);
      await context.close();
    });
  }
});

describe('administrator', () => {
  for (const variant of [VARIANTS[1], VARIANTS[3]]) {
    test(`changes opening hours and meets a conflict (${variant.name})`, async () => {
      const kari = await apiAs(browser, 'Kari Nordmann');
      const hanne = await apiAs(browser, 'Hanne Lie');
      const ola = await apiAs(browser, 'Ola Hansen');
      const departmentId = hanne.me.roles.find((r) => r.role === 'department_admin').department_id;
      const original = await (await hanne.request.get(`${BASE}/api/v1/departments/${departmentId}/opening-hours`)).json();
      // Kari holds a visit on the first weekday with free times, so closing that weekday is a conflict.
      const services = await (await kari.request.get(`${BASE}/api/v1/departments/${departmentId}/services`)).json();
      const practical = services.find((s) => s.durations.includes(60) && s.staff_units === 1);
      const availability = await (await kari.request.get(`${BASE}/api/v1/availability?recipient_id=${kari.me.person.id}&service_id=${practical.id}`)).json();
      const slot = availability.days.flatMap((d) => d.slots).find((s) => s.lengths.some((l) => l.minutes === 60 && l.status === 'free'));
      const booked = await kari.request.post(`${BASE}/api/v1/bookings`, {
        headers: { 'X-CSRF-Token': kari.csrf, 'Idempotency-Key': crypto.randomUUID() },
        data: { recipient_id: kari.me.person.id, service_id: practical.id, start: slot.start, minutes: 60 },
      });
      assert.equal(booked.status(), 201, await booked.text());
      const weekday = new Intl.DateTimeFormat('nb-NO', { weekday: 'long', timeZone: 'Europe/Oslo' }).format(new Date(slot.start));

      const { context, page, errors } = await open(browser, { viewport: variant.viewport });
      const { keyboard } = variant;
      try {
        await signIn(page, 'Hanne Lie', { keyboard });
        await activate(page, page.getByRole('link', { name: 'Avdeling' }), keyboard);
        await page.getByRole('heading', { level: 2, name: 'Åpningstider' }).waitFor();
        await shot(page, `${variant.name}-admin-hours`);
        // A plain change first: one more on duty in the first window.
        const staff = page.getByRole('spinbutton').first();
        const before_ = Number(await staff.inputValue());
        await staff.fill(String(before_ + 1));
        await activate(page, page.getByRole('button', { name: 'Lagre åpningstidene' }), keyboard);
        await page.getByText('Åpningstidene er lagret.').waitFor();

        // Then close Kari's weekday: the API refuses and names her booking.
        const removers = page.getByRole('button', { name: new RegExp(`^Fjern ${weekday} `) });
        while ((await removers.count()) > 0) await activate(page, removers.first(), keyboard);
        await activate(page, page.getByRole('button', { name: 'Lagre åpningstidene' }), keyboard);
        const conflicts = page.locator('.conflicts');
        await conflicts.getByText('Kari Nordmann').first().waitFor();
        await axe(page, 'opening-hours conflict');
        await shot(page, `${variant.name}-admin-conflict`);
        const buttons = conflicts.getByRole('button', { name: /^Avlys/ });
        // Each cancellation takes its visit off the list; one that does not would loop for ever.
        for (let left = await buttons.count(); left > 0; ) {
          await activate(page, buttons.first(), keyboard);
          const deadline = Date.now() + 20_000;
          let now = left;
          while ((now = await buttons.count()) >= left) {
            assert.ok(Date.now() < deadline, `a conflicting visit was not cancelled (${left} left)`);
            await page.waitForTimeout(200);
          }
          left = now;
        }
        await activate(page, page.getByRole('button', { name: 'Lagre åpningstidene' }), keyboard);
        await page.getByText('Åpningstidene er lagret.').waitFor();

        // The service catalogue: retire a service and bring it back.
        if (keyboard) {
          // Tabs are one stop in the Tab order; the arrow keys move between them (WAI-ARIA tabs pattern).
          await tabTo(page, page.getByRole('tab', { name: 'Åpningstider' }));
          await page.keyboard.press('ArrowRight');
          await page.keyboard.press('ArrowRight');
          await page.keyboard.press('Enter');
        } else {
          await page.getByRole('tab', { name: 'Tjenester' }).click();
        }
        const retire = page.getByRole('button', { name: 'Ta ut av bruk: Bistand med to ansatte' });
        await activate(page, retire, keyboard);
        await activate(page, page.getByRole('button', { name: 'Ta i bruk igjen: Bistand med to ansatte' }), keyboard);
        await retire.waitFor();
        await shot(page, `${variant.name}-admin-services`);

        // Decisions: the list with this period's use, and an import of the case system's file: a new decision,
        // the same again (the case reference makes it a no-op), and a row the API refuses.
        const first = addDays(localToday(), 60 + 7 * VARIANTS.indexOf(variant));
        const reference = `NETT-${variant.name}`;
        const line = (minutes) => [ola.me.person.id, practical.id, minutes, 'week', first, addDays(first, 6), reference].join(';');
        const csv = ['recipient_id;service_id;minutes;period;valid_from;valid_to;external_ref', line(60), line(60), line('mange')].join('\r\n');
        const file = { name: 'vedtak.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) };
        if (keyboard) {
          await tabTo(page, page.getByRole('tab', { name: 'Tjenester' }));
          await page.keyboard.press('ArrowRight');
          await page.keyboard.press('ArrowRight');
          await page.keyboard.press('Enter');
          await tabTo(page, page.getByLabel('Fil med vedtak'));
          const chooser = page.waitForEvent('filechooser');
          // Listening turns on file-chooser interception by a message of its own; one round trip to the page
          // after it makes sure the browser has it before Space opens the picker (else no event, a timeout).
          await page.evaluate(() => undefined);
          await page.keyboard.press('Space');
          await (await chooser).setFiles(file);
        } else {
          await page.getByRole('tab', { name: 'Vedtak' }).click();
          await page.getByLabel('Fil med vedtak').setInputFiles(file);
        }
        await page.locator('.allocations-table').getByText('Kari Nordmann').first().waitFor();
        await activate(page, page.getByRole('button', { name: 'Importer' }), keyboard);
        const result = page.locator('.import-result');
        await result.getByText(/^(1 lagt inn, 1|0 lagt inn, 2) fantes fra før, 1 avvist\.$/).waitFor();
        await result.getByText('Noen felt er ikke fylt ut riktig. (minutes)').waitFor();
        const imported = page.locator('.allocations-table tr').filter({ has: page.getByRole('cell', { name: reference, exact: true }) });
        await imported.getByText('Ola Hansen').waitFor();
        assert.equal(await imported.count(), 1);
        await axe(page, 'decisions imported');
        await shot(page, `${variant.name}-admin-allocations`);
        if (!keyboard) {
          // Public holidays are closed unless the department stays open: open the first one, then close it again.
          await page.getByRole('tab', { name: 'Stengte dager og avvik' }).click();
          const keepOpen = page.getByRole('button', { name: /^Hold åpent: / }).first();
          const holiday = (await keepOpen.getAttribute('aria-label')).replace('Hold åpent: ', '');
          await keepOpen.click();
          await page.getByRole('button', { name: `Steng igjen: ${holiday}` }).click();
          await page.getByRole('button', { name: `Hold åpent: ${holiday}` }).waitFor();
        }
        assert.deepEqual(errors, []);
      } finally {
        const rules = original.map(({ weekday: w, start, end, staff: s }) => ({ weekday: w, start, end, staff: s }));
        const restored = await hanne.request.put(`${BASE}/api/v1/departments/${departmentId}/opening-hours`, { headers: { 'X-CSRF-Token': hanne.csrf }, data: rules });
        assert.equal(restored.status(), 200, await restored.text());
        await Promise.all([context.close(), kari.context.close(), hanne.context.close(), ola.context.close()]);
      }
    });
  }
});
