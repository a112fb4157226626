// axe on every page and dialog, in bokmål, nynorsk and English, in normal and easy-read mode: no WCAG 2.1 A/AA
// violation may remain. Controls are found by role, class or address, never by their (translated) words.
import { after, before, describe, test } from 'node:test';
import { apiAs, axe, BASE, DESKTOP, launch, open, PHONE, shot } from './lib.mjs';

let browser;
let held; // a booking of Kari's, so the list and the cancel dialog have something to show

before(async () => {
  browser = await launch();
  const kari = await apiAs(browser, 'Kari Nordmann');
  const departments = await (await kari.request.get(`${BASE}/api/v1/departments?municipality=9999`)).json();
  for (const department of departments) {
    const services = await (await kari.request.get(`${BASE}/api/v1/departments/${department.id}/services`)).json();
    for (const service of services) {
      const availability = await (await kari.request.get(`${BASE}/api/v1/availability?recipient_id=${kari.me.person.id}&service_id=${service.id}`)).json();
      const minutes = service.durations[0];
      const slot = availability.days.slice(3).flatMap((d) => d.slots).find((s) => s.lengths.some((l) => l.minutes === minutes && l.status === 'free'));
      if (!slot || held) continue;
      const response = await kari.request.post(`${BASE}/api/v1/bookings`, {
        headers: { 'X-CSRF-Token': kari.csrf, 'Idempotency-Key': crypto.randomUUID() },
        data: { recipient_id: kari.me.person.id, service_id: service.id, start: slot.start, minutes },
      });
      if (response.status() === 201) held = { id: (await response.json()).id, kari };
    }
  }
  if (!held) throw new Error('could not book a visit for the sweep');
});

after(async () => {
  if (held) await held.kari.request.post(`${BASE}/api/v1/bookings/${held.id}/cancel`, { headers: { 'X-CSRF-Token': held.kari.csrf } });
  await held?.kari.context.close();
  await browser?.close();
});

async function check(page, label, name) {
  await page.waitForLoadState('networkidle');
  await page.locator('.loading').first().waitFor({ state: 'detached' }).catch(() => undefined);
  await axe(page, label);
  // Reflow (WCAG 1.4.10): nothing may need sideways scrolling, in easy-read's larger text too.
  const [scroll, width] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  if (scroll > width) throw new Error(`${label}: the page is ${scroll}px wide in a ${width}px window`);
  if (name) await shot(page, name);
}

async function as(person, options, pages) {
  const { context, page } = await open(browser, options);
  await page.goto(`${BASE}/`);
  await page.locator('.demo button').filter({ hasText: person }).click();
  await page.locator('nav.nav').waitFor();
  try {
    await pages(page);
  } finally {
    await context.close();
  }
}

for (const language of ['nb', 'nn', 'en']) {
  for (const easy of [false, true]) {
    const mode = `${language}${easy ? '-lettlest' : ''}`;
    describe(`axe ${mode}`, () => {
      const phone = { viewport: PHONE, language, easy };
      const desk = { viewport: DESKTOP, language, easy };

      test('sign-in and settings', async () => {
        const { context, page } = await open(browser, phone);
        await page.goto(`${BASE}/`);
        await page.locator('.demo button').first().waitFor();
        await check(page, `${mode} sign-in`, `axe-${mode}-sign-in`);
        await page.goto(`${BASE}/innstillinger`);
        await page.locator('input[type=radio]').first().waitFor();
        await check(page, `${mode} settings`, `axe-${mode}-settings`);
        await context.close();
      });

      test('recipient: home, every booking step, bookings and the cancel dialog', async () => {
        await as('Kari Nordmann', phone, async (page) => {
          await page.locator('.hours-card').first().waitFor();
          await check(page, `${mode} home`, `axe-${mode}-home`);
          await page.locator('nav a[href="/bestill"]').click();
          await page.locator('.choices button').first().waitFor();
          await check(page, `${mode} book: service`);
          await page.locator('.choices button').filter({ hasText: /Praktisk|Practical/ }).click();
          await check(page, `${mode} book: length`);
          await page.locator('.choices button').nth(1).click();
          await page.locator('.days button').first().waitFor();
          await check(page, `${mode} book: day`, `axe-${mode}-day`);
          await page.locator('.days button.choice:not([disabled])').nth(2).click();
          await page.locator('.times button').first().waitFor();
          await check(page, `${mode} book: time`, `axe-${mode}-time`);
          await page.locator('.times button').first().click();
          await page.locator('.summary').waitFor();
          await check(page, `${mode} book: confirm`, `axe-${mode}-confirm`);
          // Someone else took the time a moment ago: the refusal and the nearest free times.
          const taken = { type: 'urn:tjenesteshop:problem:slot_full', title: '', status: 409 };
          await page.route(`${BASE}/api/v1/bookings`, (route) => (route.request().method() === 'POST' ? route.fulfill({ status: 409, contentType: 'application/problem+json', body: JSON.stringify(taken) }) : route.continue()));
          await page.locator('button.cta').click();
          await page.locator('.nearest button').first().waitFor();
          await check(page, `${mode} book: slot taken`, `axe-${mode}-slot-taken`);
          await page.unroute(`${BASE}/api/v1/bookings`);
          // Booked for real: the receipt; then cancelled again through the API, so the hours are given back.
          const posted = page.waitForResponse((r) => r.url() === `${BASE}/api/v1/bookings` && r.request().method() === 'POST');
          await page.locator('button.cta').click();
          const booking = await (await posted).json();
          await page.locator('.done').waitFor();
          await check(page, `${mode} book: done`, `axe-${mode}-done`);
          const csrf = (await (await page.request.get(`${BASE}/api/v1/me`)).json()).csrf_token;
          await page.request.post(`${BASE}/api/v1/bookings/${booking.id}/cancel`, { headers: { 'X-CSRF-Token': csrf } });
          await page.locator('nav a[href="/timer"]').click();
          await page.locator('.booking-card').first().waitFor();
          await check(page, `${mode} bookings`, `axe-${mode}-bookings`);
          await page.locator('.booking-card').first().locator('button').nth(1).click();
          await page.getByRole('dialog').waitFor();
          await check(page, `${mode} cancel dialog`, `axe-${mode}-cancel-dialog`);
          await page.keyboard.press('Escape');
          await page.getByRole('dialog').waitFor({ state: 'hidden' });
          await page.locator('a[href="/kalender"]').first().click();
          await page.waitForURL(`${BASE}/kalender`);
          await page.locator('.cta').waitFor();
          await check(page, `${mode} calendar`, `axe-${mode}-calendar`);
          const made = page.waitForResponse((r) => r.url() === `${BASE}/api/v1/feeds` && r.request().method() === 'POST');
          await page.locator('.cta').click();
          const feed = await (await made).json();
          await page.locator('img.qr').waitFor();
          await check(page, `${mode} calendar link`, `axe-${mode}-calendar-link`);
          await page.request.delete(`${BASE}/api/v1/feeds/${feed.feed.id}`, { headers: { 'X-CSRF-Token': csrf } });
          await page.locator('nav a[href="/innstillinger"]').click();
          await page.locator('.reminders input[type=radio]').first().waitFor();
          await check(page, `${mode} settings, signed in`, `axe-${mode}-settings-reminders`);
        });
      });

      test('proxy home', async () => {
        await as('Liv Berg', phone, async (page) => {
          await page.locator('.hours-card').first().waitFor();
          await check(page, `${mode} proxy home`, `axe-${mode}-proxy-home`);
          await page.locator('nav a[href="/innstillinger"]').click();
          await page.locator('.reminders input[type=checkbox]').first().waitFor();
          await check(page, `${mode} proxy settings`);
        });
      });

      test('staff roster, today and tomorrow', async () => {
        await as('Aisha Ahmed', phone, async (page) => {
          await page.getByRole('tab').first().waitFor();
          await check(page, `${mode} staff today`, `axe-${mode}-staff`);
          await page.getByRole('tab').nth(1).click();
          await check(page, `${mode} staff tomorrow`);
        });
      });

      test('administrator: hours, exceptions, services, capacity', async () => {
        await as('Hanne Lie', desk, async (page) => {
          await page.locator('nav a[href="/avdeling"]').click();
          await page.locator('.hours-table').waitFor();
          await check(page, `${mode} admin hours`, `axe-${mode}-admin-hours`);
          for (const [index, name] of [[1, 'exceptions'], [2, 'services'], [3, 'capacity'], [4, 'allocations']]) {
            await page.getByRole('tab').nth(index).click();
            await page.getByRole('tabpanel').getByRole('heading', { level: 2 }).waitFor();
            await check(page, `${mode} admin ${name}`, language === 'nb' && !easy ? `axe-${mode}-admin-${name}` : undefined);
          }
        });
      });
    });
  }
}
