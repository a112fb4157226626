// Recurring visits (faste avtaler, issue 20) at 360x740 in bokmål, nynorsk and English: from the booking flow Kari
// makes a weekly series, sees the dates booked and the one refused (a day Hanne, the department administrator, has
// closed) with its reason and nearest free times, books one of them, finds the series under "Faste avtaler",
// changes it from now on and ends it. The steps fit at 200 % text size and in easy-read mode. Everything the test
// changes is undone in `after` (the closed day removed, the series ended, the visits it booked cancelled).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { apiAs, assertFits, axe, BASE, launch, open, shot, signIn } from './lib.mjs';

const TEXT = {
  nb: { days: 'Hvilke dager og hvor ofte?', time: 'Hvilket klokkeslett?', dates: 'Fra når?', next: 'Neste', create: 'Lag fast avtale', made: 'Den faste avtalen er laget', every: 'Hver', bookedOne: 'Timen er bestilt', list: 'Faste avtaler', change: 'Endre', save: 'Lagre endringen', changed: 'endret fra nå av', end: 'Avslutt', endText: 'Timer som har vært, beholdes', endConfirm: 'Ja, avslutt avtalen', ended: 'Den faste avtalen er avsluttet', link: 'Fast avtale hver uke', time1: 'Hvilket klokkeslett?' },
  nn: { days: 'Kva dagar og kor ofte?', time: 'Kva klokkeslett?', dates: 'Frå når?', next: 'Neste', create: 'Lag fast avtale', made: 'Den faste avtalen er laga', every: 'Kvar', bookedOne: 'Timen er bestilt', list: 'Faste avtalar', change: 'Endre', save: 'Lagre endringa', changed: 'endra frå no av', end: 'Avslutt', endText: 'Timar som har vore, blir haldne på', endConfirm: 'Ja, avslutt avtalen', ended: 'Den faste avtalen er avslutta', link: 'Fast avtale kvar veke', time1: 'Kva klokkeslett?' },
  en: { days: 'Which days, and how often?', time: 'What time?', dates: 'From when?', next: 'Next', create: 'Make recurring visit', made: 'The recurring visit is made', every: 'Every', bookedOne: 'The visit is booked', list: 'Recurring visits', change: 'Change', save: 'Save the change', changed: 'changed from now on', end: 'End', endText: 'Past visits are kept', endConfirm: 'Yes, end it', ended: 'The recurring visit has ended', link: 'Recurring visit every week', time1: 'What time?' },
};
const WEEKDAYS = {
  nb: ['mandag', 'tirsdag', 'onsdag', 'torsdag', 'fredag', 'lørdag', 'søndag'],
  nn: ['måndag', 'tysdag', 'onsdag', 'torsdag', 'fredag', 'laurdag', 'sundag'],
  en: ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'],
};

let browser;
let kari;
let hanne;
let practical;
let closedDay;
let openDay;
const undo = [];
let bookedBefore = new Set();

const json = async (response) => {
  assert.ok(response.ok(), `${response.url()}: ${response.status()} ${await response.text()}`);
  return response.status() === 204 ? null : response.json();
};
const localDate = (at) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Oslo' }).format(new Date(at));
const dayAhead = (n) => localDate(Date.now() + n * 86_400_000);
const weekdayOf = (iso) => (new Date(`${iso}T12:00:00Z`).getUTCDay() + 6) % 7;
const weekdayName = (lang, day) => WEEKDAYS[lang][day];
const language = (page, lang, extra = {}) => page.evaluate((prefs) => localStorage.setItem('tjenesteshop.prefs', JSON.stringify(prefs)), { language: lang, easy: false, ...extra });

/** Kari's series ended and the visits booked since the test began cancelled: each language starts from the same place. */
async function tidy() {
  const series = await kari.request.get(`${BASE}/api/v1/series?recipient_id=${kari.me.person.id}`).then((r) => (r.ok() ? r.json() : []));
  for (const s of series.filter((x) => !x.ended_at)) {
    await kari.request.delete(`${BASE}/api/v1/series/${s.id}`, { headers: { 'X-CSRF-Token': kari.csrf } }).catch(() => undefined);
  }
  const bookings = await kari.request.get(`${BASE}/api/v1/bookings?recipient_id=${kari.me.person.id}`).then((r) => (r.ok() ? r.json() : []));
  for (const b of bookings.filter((x) => x.status === 'booked' && !bookedBefore.has(x.id))) {
    await kari.request.post(`${BASE}/api/v1/bookings/${b.id}/cancel`, { headers: { 'X-CSRF-Token': kari.csrf } }).catch(() => undefined);
  }
}

before(async () => {
  browser = await launch();
  [kari, hanne] = await Promise.all([apiAs(browser, 'Kari Nordmann'), apiAs(browser, 'Hanne Lie')]);
  const departments = await json(await kari.request.get(`${BASE}/api/v1/departments?municipality=9999`));
  const services = (await Promise.all(departments.map(async (d) => json(await kari.request.get(`${BASE}/api/v1/departments/${d.id}/services`))))).flat();
  const mine = hanne.me.roles.find((r) => r.role === 'department_admin')?.department_id;
  practical = services.find((s) => s.staff_units === 1 && s.durations.includes(60) && s.department_id === mine);
  assert.ok(practical, 'Hanne administers the department of a practical service with one-hour visits');
  assert.ok(departments.find((d) => d.id === mine).series_allowed, 'the department allows recurring visits');
  const booked = await json(await kari.request.get(`${BASE}/api/v1/bookings?recipient_id=${kari.me.person.id}`));
  bookedBefore = new Set(booked.filter((b) => b.status === 'booked').map((b) => b.id));
  // A weekday the department opens on, closed on its second coming (inside the 14-day horizon): the series books the
  // first (at least three days ahead, before any cancellation deadline) and is refused on the closed one.
  const rules = await json(await kari.request.get(`${BASE}/api/v1/departments/${mine}/opening-hours`));
  const opensAtTen = (day) => rules.some((r) => r.weekday === weekdayOf(day) && r.start_minute <= 9 * 60 && r.end_minute >= 12 * 60);
  for (let ahead = 10; ahead <= 13 && !closedDay; ahead += 1) {
    const day = dayAhead(ahead);
    if (!opensAtTen(day)) continue;
    const made = await hanne.request.post(`${BASE}/api/v1/departments/${mine}/exceptions`, {
      headers: { 'X-CSRF-Token': hanne.csrf },
      data: { day, closed: true, windows: [], note: 'Kurs' },
    });
    if (made.status() === 409) continue;
    const exception = await json(made);
    undo.push(() => hanne.request.delete(`${BASE}/api/v1/departments/${mine}/exceptions/${exception.id}`, { headers: { 'X-CSRF-Token': hanne.csrf } }));
    closedDay = day;
  }
  assert.ok(closedDay, 'a closed day 10 to 13 days ahead on a weekday the department opens');
  // The weekday the series is changed to: another one the department opens on.
  for (let ahead = 4; ahead <= 9 && !openDay; ahead += 1) {
    if (weekdayOf(dayAhead(ahead)) !== weekdayOf(closedDay) && opensAtTen(dayAhead(ahead))) openDay = dayAhead(ahead);
  }
  assert.ok(openDay, 'another weekday the department opens on');
});

after(async () => {
  if (kari) await tidy().catch(() => undefined);
  for (const step of undo.reverse()) await step().catch(() => undefined);
  await Promise.all([kari?.context.close(), hanne?.context.close()]);
  await browser?.close();
});

for (const lang of ['nb', 'nn', 'en']) {
  test(`Kari makes a weekly visit from the booking flow, books a nearest time, changes and ends it (${lang}, 360 px)`, async () => {
    const t = TEXT[lang];
    const page = kari.page;
    const weekday = weekdayName(lang, weekdayOf(closedDay));
    await language(page, lang);
    try {
      // From the booking flow, once the service and its length are chosen.
      await page.goto(`${BASE}/bestill?for=${kari.me.person.id}&tjeneste=${practical.id}&lengde=60&steg=day`);
      await page.getByRole('link', { name: t.link }).click();
      await page.getByRole('heading', { level: 1, name: t.days }).waitFor();
      assert.equal(await page.evaluate(() => document.activeElement?.tagName), 'H1', 'focus moves to the step heading');
      await page.getByRole('checkbox', { name: weekday }).check();
      await assertFits(page, `series days (${lang})`);
      if (lang === 'nb') await axe(page, 'series days');
      await shot(page, `series-days-${lang}-360`);
      await page.getByRole('button', { name: t.next }).click();

      await page.getByRole('heading', { level: 1, name: t.time }).waitFor();
      // The address carries the step and the choices: a refresh keeps the place.
      assert.match(page.url(), /steg=time/);
      assert.match(page.url(), new RegExp(`dager=${weekdayOf(closedDay)}`));
      await page.reload();
      await page.getByRole('heading', { level: 1, name: t.time }).waitFor();
      await page.getByRole('button', { name: '10:00', exact: true }).click();

      await page.getByRole('heading', { level: 1, name: t.dates }).waitFor();
      await page.getByLabel(lang === 'en' ? 'First day' : 'Første dag').fill(dayAhead(3));
      if (lang === 'nb') await axe(page, 'series dates');
      await page.getByRole('button', { name: t.next }).click();

      const summary = page.locator('.series-summary');
      await summary.waitFor();
      assert.match(await summary.innerText(), new RegExp(`${t.every} ${weekday} (kl\\.|at) 10:00`));
      await assertFits(page, `series confirm (${lang})`);
      if (lang === 'nb') await axe(page, 'series confirm');
      await shot(page, `series-confirm-${lang}-360`);
      await page.getByRole('button', { name: t.create }).click();

      // The outcome: the dates booked, and the closed day refused with its reason and the nearest free times.
      await page.getByRole('heading', { level: 1, name: t.made }).waitFor();
      assert.ok((await page.locator('.series-booked li').count()) >= 1, 'a date was booked');
      const refused = page.locator(`.series-failure[data-date="${closedDay}"]`);
      await refused.waitFor();
      assert.ok((await refused.locator('.series-reason').innerText()).length > 5, 'the reason is said in words');
      const nearest = refused.locator('.series-nearest button');
      const offered = await nearest.count();
      assert.ok(offered >= 1 && offered <= 3, `one to three nearest times (${offered})`);
      await assertFits(page, `series made (${lang})`);
      await axe(page, `series made (${lang})`);
      await shot(page, `series-made-${lang}-360`);
      await nearest.first().click();
      await refused.getByRole('status').filter({ hasText: t.bookedOne }).waitFor();

      // The list, from the bookings page.
      await page.goto(`${BASE}/timer`);
      await page.getByRole('link', { name: t.list }).click();
      await page.getByRole('heading', { level: 1, name: t.list }).waitFor();
      const card = page.locator('.series-card').first();
      await card.getByRole('heading', { name: new RegExp(`${t.every} ${weekday}`) }).waitFor();
      await card.locator(`.series-failure[data-date="${closedDay}"] .series-reason`).waitFor();
      await assertFits(page, `series list (${lang})`);
      await axe(page, `series list (${lang})`);
      await shot(page, `series-list-${lang}-360`);

      // Change from now on: another weekday.
      const other = weekdayName(lang, weekdayOf(openDay));
      await card.getByRole('button', { name: new RegExp(`^${t.change}`) }).click();
      await card.getByRole('checkbox', { name: other }).check();
      await card.getByRole('checkbox', { name: weekday }).uncheck();
      await assertFits(page, `series change (${lang})`);
      if (lang === 'nb') await axe(page, 'series change');
      await card.getByRole('button', { name: t.save }).click();
      await page.getByRole('status').filter({ hasText: t.changed }).waitFor();
      await page.locator('.series-card').first().getByRole('heading', { name: new RegExp(`${t.every} ${other}`) }).waitFor();

      // End: the confirmation says the coming visits are cancelled and the past kept.
      await page.locator('.series-card').first().getByRole('button', { name: new RegExp(`^${t.end}`) }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByText(t.endText).waitFor();
      await assertFits(page, `series end (${lang})`);
      if (lang === 'nb') await axe(page, 'series end dialog');
      await shot(page, `series-end-${lang}-360`);
      await dialog.getByRole('button', { name: t.endConfirm }).click();
      await page.getByRole('status').filter({ hasText: t.ended }).waitFor();
      await page.waitForFunction(() => document.querySelectorAll('.series-card').length === 0);
      const left = await json(await kari.request.get(`${BASE}/api/v1/series?recipient_id=${kari.me.person.id}`));
      assert.ok(left.every((s) => s.ended_at), 'the series has ended');
    } finally {
      await tidy();
    }
  });
}

for (const variant of [{ name: 'easy-read', easy: true }, { name: '200 % text', textScale: 2 }]) {
  test(`the series steps fit 360 px in ${variant.name} (nb)`, async () => {
    const { context, page, errors } = await open(browser, { language: 'nb', easy: !!variant.easy, textScale: variant.textScale });
    try {
      await signIn(page, 'Kari Nordmann');
      const base = `${BASE}/timer/faste-avtaler/ny?for=${kari.me.person.id}&tjeneste=${practical.id}&lengde=60`;
      await page.goto(`${base}&steg=days`);
      await page.getByRole('heading', { level: 1, name: TEXT.nb.days }).waitFor();
      await assertFits(page, `series days (${variant.name})`);
      await page.goto(`${base}&dager=${weekdayOf(openDay)}&steg=time`);
      await page.getByRole('button', { name: '10:00', exact: true }).waitFor();
      await assertFits(page, `series time (${variant.name})`);
      await page.goto(`${base}&dager=${weekdayOf(openDay)}&kl=10:00&fra=${dayAhead(3)}&til=${dayAhead(40)}&steg=confirm`);
      await page.locator('.series-summary').waitFor();
      await assertFits(page, `series confirm (${variant.name})`);
      await shot(page, `series-confirm-nb-${variant.easy ? 'easy' : '200'}-360`);
      await page.goto(`${BASE}/timer/faste-avtaler`);
      await page.getByRole('heading', { level: 1, name: TEXT.nb.list }).waitFor();
      await assertFits(page, `series list (${variant.name})`);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });
}
