// The waitlist's offer screen (issue 20) at 360x740: a freed time held for Kari is accepted (nb) and booked; a second
// offer is declined (nn) and passes on, Kari staying in line. Hanne (department administrator) makes a day whose only
// hour Kari has booked; Kari gets in line for that day and cancels the hour, which frees it; the worker offers it to
// the first in line. Offers are made by the worker only, so this file needs a server that runs it: set
// TJENESTESHOP_WORKER=1 when `serve` runs without --no-worker (it is skipped otherwise). Everything the test changes
// is undone in `after`.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { apiAs, assertFits, axe, BASE, launch, shot } from './lib.mjs';

const WORKER = process.env.TJENESTESHOP_WORKER === '1';
const SKIP = WORKER ? false : 'the server runs without its worker (serve --no-worker): nobody makes offers; set TJENESTESHOP_WORKER=1 where it runs';

let browser;
let kari;
let hanne;
let practical;
let day;
let start;
const undo = [];
let bookedBefore = new Set();

const json = async (response) => {
  assert.ok(response.ok(), `${response.url()}: ${response.status()} ${await response.text()}`);
  return response.status() === 204 ? null : response.json();
};
const localDate = (at) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Oslo' }).format(new Date(at));
const language = (lang) => kari.page.evaluate((prefs) => localStorage.setItem('tjenesteshop.prefs', JSON.stringify(prefs)), { language: lang, easy: false });
const headers = (who) => ({ 'X-CSRF-Token': who.csrf });

async function book() {
  const booking = await json(
    await kari.request.post(`${BASE}/api/v1/bookings`, {
      headers: { ...headers(kari), 'Idempotency-Key': crypto.randomUUID() },
      data: { recipient_id: kari.me.person.id, service_id: practical.id, start, minutes: 60 },
    }),
  );
  return booking;
}

/** Kari in line for the day, then her booking of its only hour cancelled: the worker offers her the freed time. */
async function offered() {
  const booking = (await json(await kari.request.get(`${BASE}/api/v1/bookings?recipient_id=${kari.me.person.id}`))).find((b) => b.status === 'booked' && b.start === start) ?? (await book());
  const entry = await json(
    await kari.request.post(`${BASE}/api/v1/waitlist`, {
      headers: headers(kari),
      data: { recipient_id: kari.me.person.id, service_id: practical.id, minutes: 60, first_day: day, last_day: day },
    }),
  );
  await json(await kari.request.post(`${BASE}/api/v1/bookings/${booking.id}/cancel`, { headers: headers(kari) }));
  for (let tries = 0; tries < 90; tries += 1) {
    const entries = await json(await kari.request.get(`${BASE}/api/v1/waitlist?recipient_id=${kari.me.person.id}`));
    const offer = entries.find((e) => e.id === entry.id)?.offer;
    if (offer) return offer;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  throw new Error('no offer came within 90 s: is the worker running?');
}

before(async () => {
  if (SKIP) return;
  browser = await launch();
  [kari, hanne] = await Promise.all([apiAs(browser, 'Kari Nordmann'), apiAs(browser, 'Hanne Lie')]);
  const mine = hanne.me.roles.find((r) => r.role === 'department_admin')?.department_id;
  const services = await json(await kari.request.get(`${BASE}/api/v1/departments/${mine}/services`));
  practical = services.find((s) => s.staff_units === 1 && s.durations.includes(60));
  assert.ok(practical, 'a practical service with one-hour visits in Hanne’s department');
  bookedBefore = new Set((await json(await kari.request.get(`${BASE}/api/v1/bookings?recipient_id=${kari.me.person.id}`))).filter((b) => b.status === 'booked').map((b) => b.id));
  // A day with one staff member for one visit (its travel included); Kari books that visit, so the day is full.
  const span = 60 + (practical.buffer_before ?? 0) + (practical.buffer_after ?? 0);
  const end = `${String(13 + Math.floor(span / 60)).padStart(2, '0')}:${String(span % 60).padStart(2, '0')}`;
  for (let ahead = 5; ahead <= 12 && !day; ahead += 1) {
    const candidate = localDate(Date.now() + ahead * 86_400_000);
    const made = await hanne.request.post(`${BASE}/api/v1/departments/${mine}/exceptions`, {
      headers: headers(hanne),
      data: { day: candidate, closed: false, windows: [{ start: '13:00', end, staff: 1 }], note: 'Kurs' },
    });
    if (made.status() === 409) continue;
    const exception = await json(made);
    undo.push(() => hanne.request.delete(`${BASE}/api/v1/departments/${mine}/exceptions/${exception.id}`, { headers: headers(hanne) }));
    const answer = await json(await kari.request.get(`${BASE}/api/v1/availability?recipient_id=${kari.me.person.id}&service_id=${practical.id}`));
    const slot = answer.days.find((d) => d.date === candidate)?.slots.find((s) => s.lengths.some((l) => l.minutes === 60 && l.status === 'free'));
    if (!slot) continue;
    start = slot.start;
    await book();
    day = candidate;
  }
  assert.ok(day, 'a day with one hour, booked by Kari');
});

after(async () => {
  if (SKIP) return;
  const entries = await kari.request.get(`${BASE}/api/v1/waitlist?recipient_id=${kari.me.person.id}`).then((r) => (r.ok() ? r.json() : []));
  for (const e of entries.filter((x) => x.status === 'waiting')) {
    await kari.request.post(`${BASE}/api/v1/waitlist/${e.id}/withdraw`, { headers: headers(kari) }).catch(() => undefined);
  }
  const bookings = await kari.request.get(`${BASE}/api/v1/bookings?recipient_id=${kari.me.person.id}`).then((r) => (r.ok() ? r.json() : []));
  for (const b of bookings.filter((x) => x.status === 'booked' && !bookedBefore.has(x.id))) {
    await kari.request.post(`${BASE}/api/v1/bookings/${b.id}/cancel`, { headers: headers(kari) }).catch(() => undefined);
  }
  for (const step of undo.reverse()) await step().catch(() => undefined);
  await Promise.all([kari?.context.close(), hanne?.context.close()]);
  await browser?.close();
});

test('a freed time held for Kari: she answers the offer and it is booked (nb, 360 px)', { skip: SKIP }, async () => {
  const offer = await offered();
  const page = kari.page;
  await language('nb');
  // From the waitlist, as the message's link would.
  await page.goto(`${BASE}/venteliste`);
  await page.getByRole('link', { name: 'Svar på tilbudet' }).click();
  await page.getByRole('heading', { level: 1, name: 'En tid er ledig' }).waitFor();
  assert.match(page.url(), new RegExp(`/venteliste/tilbud/${offer.id}$`));
  await assertFits(page, 'offer (nb)');
  await axe(page, 'offer (nb)');
  await shot(page, 'waitlist-offer-nb-360');
  await page.getByRole('button', { name: 'Bestill tiden' }).click();
  await page.getByRole('status').filter({ hasText: 'Timen er bestilt' }).waitFor();
  await shot(page, 'waitlist-offer-accepted-nb-360');
  const bookings = await json(await kari.request.get(`${BASE}/api/v1/bookings?recipient_id=${kari.me.person.id}`));
  assert.ok(bookings.some((b) => b.status === 'booked' && b.start === start), 'the held time is booked');
  const answered = await json(await kari.request.get(`${BASE}/api/v1/waitlist/offers/${offer.id}`));
  assert.equal(answered.status, 'booked');
});

test('a second offer declined passes on, and Kari stays in line (nn, 360 px)', { skip: SKIP }, async () => {
  const offer = await offered();
  const page = kari.page;
  await language('nn');
  await page.goto(`${BASE}/venteliste/tilbud/${offer.id}`);
  await page.getByRole('heading', { level: 1, name: 'Ei tid er ledig' }).waitFor();
  await assertFits(page, 'offer (nn)');
  await axe(page, 'offer (nn)');
  await page.getByRole('button', { name: /Nei takk/ }).click();
  await page.getByRole('status').filter({ hasText: 'neste på ventelista' }).waitFor();
  await shot(page, 'waitlist-offer-declined-nn-360');
  const answered = await json(await kari.request.get(`${BASE}/api/v1/waitlist/offers/${offer.id}`));
  assert.equal(answered.status, 'declined');
  const entries = await json(await kari.request.get(`${BASE}/api/v1/waitlist?recipient_id=${kari.me.person.id}`));
  assert.ok(entries.some((e) => e.status === 'waiting' && e.first_day === day && !e.offer), 'still in line, with nothing held');
  // The time is no longer held for Kari: it can be booked by anyone again.
  const free = await json(await kari.request.get(`${BASE}/api/v1/availability?recipient_id=${kari.me.person.id}&service_id=${practical.id}`));
  assert.ok(free.days.find((d) => d.date === day)?.slots.some((s) => s.start === start && s.lengths.some((l) => l.minutes === 60 && l.status === 'free')), 'the declined time is free again');
});
