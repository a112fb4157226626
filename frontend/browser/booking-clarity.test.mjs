// The booking screen says why (issue 17, items 4, 8 and 9), at 360x740 in bokmål, nynorsk and English: hours used
// up read as such with the day new hours begin (not "Fullt"), a closed day reads "Stengt", a time that cannot be
// chosen says why; "Første ledige tid" goes straight to the confirm step; the receipt offers the calendar, move and
// cancel; a move shows the old time beside the new; "Bestill en time" is above the fold. Two sign-ins in all (Kari,
// Hanne), one page switched between languages; everything the test changes is undone in `after`.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { apiAs, assertFits, axe, BASE, launch, PHONE, shot } from './lib.mjs';

const TEXT = {
  nb: { usedUp: 'er brukt opp. Nye timer fra', dayUsedUp: 'Timene er brukt opp', timeUsedUp: 'Brukt opp', closed: 'Stengt', full: 'Fullt', noneFree: 'Ingen ledige tider', tooSoon: 'For kort varsel', book: 'Bestill en time', day: 'Hvilken dag passer?' },
  nn: { usedUp: 'er brukte opp. Nye timar frå', dayUsedUp: 'Timane er brukte opp', timeUsedUp: 'Brukt opp', closed: 'Stengt', full: 'Fullt', noneFree: 'Ingen ledige tider', tooSoon: 'For kort varsel', book: 'Bestill ein time', day: 'Kva dag passar?' },
  en: { usedUp: 'are used up. New hours from', dayUsedUp: 'Hours used up', timeUsedUp: 'Used up', closed: 'Closed', full: 'Full', noneFree: 'No free times', tooSoon: 'Too soon', book: 'Book a visit', day: 'Which day suits you?' },
};
const LOCALE = { nb: 'nb-NO', nn: 'nn-NO', en: 'en-GB' };

let browser;
let kari; // signed in through the app's own page: the page is used for the screens, its request context for set-up
let hanne;
let double; // "Bistand med to ansatte": one hour a week for Kari
let practical;
const undo = []; // run in reverse in `after`

const json = async (response) => {
  assert.ok(response.ok(), `${response.url()}: ${response.status()} ${await response.text()}`);
  return response.status() === 204 ? null : response.json();
};
const availability = async (service, moving) =>
  json(await kari.request.get(`${BASE}/api/v1/availability?recipient_id=${kari.me.person.id}&service_id=${service.id}${moving ? `&moving=${moving}` : ''}`));
const freeStarts = (answer, minutes) => answer.days.flatMap((d) => d.slots).filter((s) => s.lengths.some((l) => l.minutes === minutes && l.status === 'free'));

async function book(service, start, minutes) {
  const booking = await json(
    await kari.request.post(`${BASE}/api/v1/bookings`, {
      headers: { 'X-CSRF-Token': kari.csrf, 'Idempotency-Key': crypto.randomUUID() },
      data: { recipient_id: kari.me.person.id, service_id: service.id, start, minutes },
    }),
  );
  undo.push(() => kari.request.post(`${BASE}/api/v1/bookings/${booking.id}/cancel`, { headers: { 'X-CSRF-Token': kari.csrf } }));
  return booking;
}

/** The app's own words for a date ("mandag 14. september") and a time, formatted by the page's Intl as the app does. */
const formatDay = (lang, iso) =>
  kari.page.evaluate(([locale, day]) => new Intl.DateTimeFormat(locale, { weekday: 'long', day: 'numeric', month: 'long', timeZone: 'UTC' }).format(new Date(`${day}T12:00:00Z`)), [LOCALE[lang], iso]);
const formatClock = (lang, at) => kari.page.evaluate(([locale, when]) => new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit', timeZone: 'Europe/Oslo' }).format(new Date(when)), [LOCALE[lang], at]);
const localDate = (at) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Oslo' }).format(new Date(at));

/** The app in another language (and easy-read mode), as chosen under Innstillinger: remembered, read at the next load. */
const language = (lang, easy = false) => kari.page.evaluate((prefs) => localStorage.setItem('tjenesteshop.prefs', JSON.stringify(prefs)), { language: lang, easy });

/** A booking step by its address (the steps live in it). */
const bookingUrl = (service, minutes, step = 'day', day = '') => `${BASE}/bestill?for=${kari.me.person.id}&tjeneste=${service.id}&lengde=${minutes}&steg=${step}${day && `&dag=${day}`}`;
const dayButton = async (lang, iso) => kari.page.locator('.days button.choice').filter({ hasText: new RegExp(`^${await formatDay(lang, iso)}`, 'i') });

let usedUp; // { day, renews }: a day whose week's hour is booked
let closedDay;

before(async () => {
  browser = await launch();
  [kari, hanne] = await Promise.all([apiAs(browser, 'Kari Nordmann'), apiAs(browser, 'Hanne Lie')]);
  const departments = await json(await kari.request.get(`${BASE}/api/v1/departments?municipality=9999`));
  const services = (await Promise.all(departments.map(async (d) => json(await kari.request.get(`${BASE}/api/v1/departments/${d.id}/services`))))).flat();
  double = services.find((s) => s.staff_units === 2);
  practical = services.find((s) => s.staff_units === 1 && s.department_id === double.department_id && s.durations.includes(30));
  assert.ok(double && practical, 'the demo catalogue has a two-staff service and a practical one beside it');

  // Use up a week of Kari's hour with the two staff: a visit two days on or later, so giving it back is no late cancellation.
  const twoDaysOn = new Date(Date.now() + 2 * 86_400_000).toISOString();
  const start = freeStarts(await availability(double), 60).find((s) => s.start >= twoDaysOn)?.start;
  assert.ok(start, 'a free hour with two staff two days on or later');
  await book(double, start, 60);
  const day = (await availability(double)).days.find((d) => d.date === localDate(start));
  assert.equal(day.hours.left_minutes, 0, 'the week is used up');
  usedUp = { day: day.date, renews: day.hours.next_period_start };

  // A day the department closes, from the far end of the 14 days shown: the first without bookings in the way.
  const shown = localDate(Date.now() + 13 * 86_400_000);
  const open = (await availability(practical)).days.filter((d) => !d.closed && d.slots.length && d.date !== usedUp.day && d.date <= shown).reverse();
  for (const candidate of open) {
    const made = await hanne.request.post(`${BASE}/api/v1/departments/${double.department_id}/exceptions`, {
      headers: { 'X-CSRF-Token': hanne.csrf },
      data: { day: candidate.date, closed: true, note: 'Personaldag' },
    });
    if (made.status() === 409) continue;
    const exception = await json(made);
    undo.push(() => hanne.request.delete(`${BASE}/api/v1/departments/${double.department_id}/exceptions/${exception.id}`, { headers: { 'X-CSRF-Token': hanne.csrf } }));
    closedDay = candidate.date;
    break;
  }
  assert.ok(closedDay, 'a day could be closed');
});

after(async () => {
  for (const step of undo.reverse()) await step().catch(() => undefined);
  await Promise.all([kari?.context.close(), hanne?.context.close()]);
  await browser?.close();
});

test('used-up hours say so and when new hours begin; a closed day says closed (nb, nn, en)', async () => {
  const { page } = kari;
  for (const lang of ['nb', 'nn', 'en']) {
    const t = TEXT[lang];
    await language(lang);
    await page.goto(bookingUrl(double, 60));
    const notice = page.locator('.hours-notice');
    await notice.waitFor();
    // "Timene for denne uken er brukt opp. Nye timer fra mandag 14. september."
    await notice.getByText(`${t.usedUp} ${await formatDay(lang, usedUp.renews)}.`).waitFor();
    const day = await dayButton(lang, usedUp.day);
    assert.match(await day.textContent(), new RegExp(t.dayUsedUp));
    assert.doesNotMatch(await day.textContent(), new RegExp(`${t.full}|${t.noneFree}`));
    assert.ok(await day.isDisabled());
    const closed = await dayButton(lang, closedDay);
    assert.match(await closed.textContent(), new RegExp(`${t.closed}$`));
    assert.ok(await closed.isDisabled());
    await assertFits(page, `${lang} day step, hours used up`);
    if (lang === 'nb') await axe(page, 'day step, hours used up, a closed day');
    await shot(page, `clarity-${lang}-day-used-up`);

    // The times of that day, each saying why it cannot be chosen; the day's reason above them.
    await page.goto(bookingUrl(double, 60, 'time', usedUp.day));
    await page.locator('.day-why').getByText(`${t.usedUp} ${await formatDay(lang, usedUp.renews)}.`).waitFor();
    assert.equal(await page.locator('.times button').count(), 0, 'no time to choose');
    assert.ok((await page.locator('.times .time-why').filter({ hasText: new RegExp(`^${t.timeUsedUp}$`) }).count()) > 0);
    await assertFits(page, `${lang} time step, hours used up`);
    if (lang === 'nb') await axe(page, 'time step, hours used up');
    await shot(page, `clarity-${lang}-time-used-up`);
  }
});

test('a time inside the notice says it is too soon (nb, nn, en)', async () => {
  const { page } = kari;
  const path = `${BASE}/api/v1/departments/${double.department_id}`;
  const { notice_hours: before } = await json(await hanne.request.get(path));
  // Four days' notice: whatever the hour and the holidays, some opening hours fall inside it.
  await json(await hanne.request.patch(path, { headers: { 'X-CSRF-Token': hanne.csrf }, data: { notice_hours: 96 } }));
  try {
    const soon = (await availability(practical)).days.find((d) => d.slots.some((s) => s.lengths.some((l) => l.minutes === 30 && l.status === 'too_soon')));
    assert.ok(soon, 'a day with times inside the notice');
    for (const lang of ['nb', 'nn', 'en']) {
      await language(lang);
      await page.goto(bookingUrl(practical, 30, 'time', soon.date));
      await page.locator('.times .time-why').filter({ hasText: new RegExp(`^${TEXT[lang].tooSoon}$`) }).first().waitFor();
      await page.locator('main').getByText(/96/).first().waitFor(); // "Bestill minst 96 timer før timen begynner."
      await assertFits(page, `${lang} time step, too soon`);
      if (lang === 'nb') await axe(page, 'time step, too soon');
      await shot(page, `clarity-${lang}-time-too-soon`);
    }
  } finally {
    await json(await hanne.request.patch(path, { headers: { 'X-CSRF-Token': hanne.csrf }, data: { notice_hours: before } }));
  }
});

test('"Første ledige tid" books the earliest free time; the receipt offers calendar, move and cancel; a move shows the old time beside the new', async () => {
  const { page } = kari;
  await language('nb');
  const first = freeStarts(await availability(double), 60)[0].start;
  await page.goto(bookingUrl(double, 60));
  const shortcut = page.getByRole('button', { name: /^Første ledige tid/ });
  await shortcut.getByText(`${await formatDay('nb', localDate(first))} kl. ${await formatClock('nb', first)}`).waitFor();
  await shortcut.click();
  await page.getByRole('heading', { level: 1, name: 'Se over og bekreft' }).waitFor();
  assert.equal(new URL(page.url()).searchParams.get('tid'), first);
  const posted = page.waitForResponse((r) => r.url() === `${BASE}/api/v1/bookings` && r.request().method() === 'POST');
  await page.getByRole('button', { name: 'Bestill timen' }).click();
  const booking = await (await posted).json();
  undo.push(() => kari.request.post(`${BASE}/api/v1/bookings/${booking.id}/cancel`, { headers: { 'X-CSRF-Token': kari.csrf } }));
  await page.getByRole('heading', { name: 'Timen er bestilt' }).waitFor();
  assert.equal(booking.start, first);

  // The receipt: this visit's calendar file, move, cancel.
  const calendar = page.getByRole('link', { name: 'Legg i kalenderen' });
  const ics = await kari.request.get(new URL(await calendar.getAttribute('href'), BASE).href);
  assert.equal(ics.status(), 200);
  assert.match(ics.headers()['content-type'], /^text\/calendar/);
  assert.match(await ics.text(), /BEGIN:VEVENT/);
  await page.getByRole('button', { name: 'Avlys timen' }).waitFor();
  await assertFits(page, 'receipt');
  await axe(page, 'receipt with calendar, move and cancel');
  await shot(page, 'clarity-nb-done');

  // Move from the receipt; in nynorsk the confirmation shows the old time beside the new.
  await page.getByRole('button', { name: 'Flytt timen' }).click();
  await page.getByRole('heading', { level: 1, name: TEXT.nb.day }).waitFor();
  await language('nn');
  await page.reload();
  await page.getByRole('heading', { level: 1, name: TEXT.nn.day }).waitFor();
  const to = freeStarts(await availability(double, booking.id), 60).find((s) => s.start !== first).start;
  await page.getByRole('button', { name: /^Første ledige tid/ }).click();
  await page.getByRole('heading', { level: 1, name: 'Sjå over og stadfest' }).waitFor();
  const summary = page.locator('.summary');
  await summary.locator('.summary-old').getByText('Gammal tid').waitFor();
  await summary.locator('.summary-old dd').getByText(`kl. ${await formatClock('nn', first)}`).waitFor();
  await summary.getByText('Ny tid').waitFor();
  assert.match(await summary.textContent(), new RegExp(`kl\\. ${await formatClock('nn', to)}`));
  await assertFits(page, 'move confirmation');
  await axe(page, 'move confirmation with the old time');
  await shot(page, 'clarity-nn-move-confirm');

  // In English: the same place after a reload, moved, the receipt says from when, and cancel from it.
  await language('en');
  await page.reload();
  await page.getByRole('heading', { level: 1, name: 'Check and confirm' }).waitFor();
  await page.locator('.summary-old').getByText('Current time').waitFor();
  await shot(page, 'clarity-en-move-confirm');
  await page.getByRole('button', { name: 'Move the visit here' }).click();
  await page.getByRole('heading', { name: 'The visit is moved' }).waitFor();
  await page.getByText(`Moved from ${await formatDay('en', localDate(first))} at ${await formatClock('en', first)}.`).waitFor();
  await shot(page, 'clarity-en-moved');
  await page.getByRole('button', { name: 'Cancel the visit' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Yes, cancel the visit' }).click();
  await page.getByRole('status').getByText('The visit is cancelled.').waitFor();
  await axe(page, 'receipt, cancelled');
  await shot(page, 'clarity-en-cancelled');
  const bookings = await json(await kari.request.get(`${BASE}/api/v1/bookings?recipient_id=${kari.me.person.id}`));
  assert.notEqual(bookings.find((b) => b.id === booking.id)?.status, 'booked');
});

test('"Bestill en time" is above the fold at 360x740 (nb, nn, en, easy read)', async () => {
  const { page } = kari;
  for (const [lang, easy] of [['nb', false], ['nn', false], ['en', false], ['nb', true]]) {
    await language(lang, easy);
    await page.goto(`${BASE}/`);
    const cta = page.getByRole('link', { name: TEXT[lang].book });
    await cta.waitFor();
    const box = await cta.boundingBox();
    assert.ok(box && box.y + box.height <= PHONE.height, `${lang}${easy ? ' easy read' : ''}: the button ends at ${box && Math.round(box.y + box.height)} px, below ${PHONE.height}`);
    if (lang === 'nb' && !easy) await axe(page, 'home');
    await page.locator('.hours-card').first().waitFor();
    await shot(page, `clarity-${lang}${easy ? '-easy' : ''}-home`);
  }
  await language('nb');
});
