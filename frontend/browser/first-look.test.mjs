// Issue 17, items 5-8, at 360x740 with one browser and five sign-ins:
// 5. the service texts follow the chosen language (bokmål where a translation is missing), also after switching it,
//    and the department administrator sets them (bokmål required: the API's refusal is shown beside the field);
// 6. /auth/demo lands in the app (its sign-in screen; the plain page's form signs in to /, never raw JSON), and the
//    demo has visits today and tomorrow for the staff;
// 7. the accessibility statement is one link away on every screen, signed in or not, in three languages; Settings
//    passes axe also when the server has no Web Push keys (its answer routed to a 404, as such a server gives);
// 8. the proxy's visit card keeps its lines apart, the proxy's home says whose visits are missing, and the
//    administrator's home shows today's visits, this week's staffing and the follow-ups.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { apiAs, assertFits, axe, BASE, launch, open, shot, signIn } from './lib.mjs';

let browser;
let kari; // signed in through the demo's plain form, reused for the language checks
let held; // a visit of Kari's, so "Mine timer" names a service
const LANGUAGES = ['nb', 'nn', 'en'];
const PRACTICAL = 'Praktisk bistand i hjemmet';

before(async () => {
  browser = await launch();
});
after(async () => {
  if (held) await kari?.page.request.post(`${BASE}/api/v1/bookings/${held.id}/cancel`, { headers: { 'X-CSRF-Token': held.csrf } });
  await kari?.context.close();
  await browser?.close();
});

/** The catalogue with every language's texts (`names`, `descriptions`). */
async function catalogue(request) {
  const departments = await (await request.get(`${BASE}/api/v1/departments?municipality=9999`)).json();
  const lists = await Promise.all(departments.map(async (d) => (await request.get(`${BASE}/api/v1/departments/${d.id}/services`)).json()));
  return lists.flat();
}

/** No service text in bokmål where the service has its own in `language` (so no service under two names either). */
async function noBokmal(page, services, language, label) {
  const text = await page.locator('main').innerText();
  const found = [];
  for (const service of services) {
    for (const field of ['names', 'descriptions']) {
      const bokmal = service[field].nb;
      const own = service[field][language];
      if (own && own !== bokmal && text.includes(bokmal)) found.push(`"${bokmal}" instead of "${own}"`);
    }
  }
  assert.deepEqual(found, [], `${label}: bokmål service text in ${language}`);
}

/** Switched in Settings without reloading the page, as a person does: what was loaded before stays cached. */
async function chooseLanguage(page, language) {
  const settings = page.locator('nav a[href="/innstillinger"]');
  if (await settings.count()) await settings.click();
  else await page.goto(`${BASE}/innstillinger`);
  await page.locator(`input[name="language"][value="${language}"]`).check();
  await page.waitForFunction((lang) => document.documentElement.lang === lang, language);
}

/** Every screen has the statement one link away, at its foot. */
async function statementLinked(page, label) {
  const link = page.locator('footer a[href="/tilgjengelighet"]');
  assert.equal(await link.count(), 1, `${label}: no link to the accessibility statement`);
  assert.ok(await link.isVisible(), `${label}: the statement's link is hidden`);
}

const NO_PUSH_KEY = { status: 404, contentType: 'application/problem+json', body: JSON.stringify({ type: 'urn:tjenesteshop:problem:not_found', title: 'Ikke funnet', status: 404 }) };

describe('a first look', () => {
  test('/auth/demo lands in the app, and its form signs in to the app, not to JSON', async () => {
    kari = await open(browser, { language: 'nb' });
    const { page } = kari;
    await page.goto(`${BASE}/auth/demo`);
    assert.equal(new URL(page.url()).pathname, '/');
    await page.locator('.demo button').filter({ hasText: 'Kari Nordmann' }).waitFor();
    await statementLinked(page, 'sign-in');
    // The server's own page (as a program reads it), then its form posted the way a browser posts it.
    const plain = await (await page.request.get(`${BASE}/auth/demo`)).text();
    const form = plain.match(/<form method="post" action="([^"]+)">\s*<input type="hidden" name="csrf_token" value="([^"]+)">\s*<button type="submit">Logg inn som Kari Nordmann/);
    assert.ok(form, 'the demo page lists Kari');
    await page.evaluate(([action, token]) => {
      const element = Object.assign(document.createElement('form'), { method: 'post', action });
      element.append(Object.assign(document.createElement('input'), { type: 'hidden', name: 'csrf_token', value: token }));
      document.body.append(element);
      element.submit();
    }, [form[1], form[2]]);
    await page.getByRole('heading', { level: 1, name: 'Hei, Kari' }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/');
    await page.getByRole('navigation').first().waitFor();
  });

  test('service names and descriptions follow the chosen language, after switching too (recipient)', async () => {
    kari ??= await open(browser, { language: 'nb' });
    const { page, context } = kari;
    if ((await page.request.get(`${BASE}/api/v1/me`)).status() !== 200) await signIn(page, 'Kari Nordmann'); // the test above failed
    const me = await (await page.request.get(`${BASE}/api/v1/me`)).json();
    const services = await catalogue(page.request);
    const practical = services.find((s) => s.names.nb === PRACTICAL);
    const availability = await (await page.request.get(`${BASE}/api/v1/availability?recipient_id=${me.person.id}&service_id=${practical.id}`)).json();
    const slot = availability.days.slice(2).flatMap((d) => d.slots).find((s) => s.lengths.some((l) => l.minutes === 30 && l.status === 'free'));
    const booked = await page.request.post(`${BASE}/api/v1/bookings`, {
      headers: { 'X-CSRF-Token': me.csrf_token, 'Idempotency-Key': crypto.randomUUID() },
      data: { recipient_id: me.person.id, service_id: practical.id, start: slot.start, minutes: 30 },
    });
    assert.equal(booked.status(), 201, await booked.text());
    held = { id: (await booked.json()).id, csrf: me.csrf_token };
    await page.goto(`${BASE}/`);
    await page.locator('.hours-card').first().waitFor(); // loaded in bokmål first: the catalogue is cached

    for (const language of ['nn', 'en', 'nb']) {
      await chooseLanguage(page, language);
      await page.locator('nav a[href="/"]').click();
      await page.locator('.hours-card').first().waitFor();
      await page.locator('.booking-line').first().waitFor();
      await noBokmal(page, services, language, 'home');
      await statementLinked(page, `home ${language}`);
      await shot(page, `first-look-recipient-home-${language}`);
      await page.locator('nav a[href="/bestill"]').click();
      await page.locator('.choices button').first().waitFor();
      await noBokmal(page, services, language, 'booking: service');
      await statementLinked(page, `booking ${language}`);
      await shot(page, `first-look-book-service-${language}`);
      await page.locator('.choices button').filter({ hasText: practical.names[language] }).click();
      await page.locator('.choices button, .days button').first().waitFor();
      await noBokmal(page, services, language, 'booking: length');
      await page.locator('nav a[href="/timer"]').click();
      await page.locator('.booking-card').first().waitFor();
      await noBokmal(page, services, language, 'bookings');
      await statementLinked(page, `bookings ${language}`);
      // Settings without Web Push keys on the server (the README's demo): 0 axe violations, in every language.
      const bare = await context.newPage();
      await bare.route('**/api/v1/me/push-subscriptions/public-key', (route) => route.fulfill(NO_PUSH_KEY));
      await bare.goto(`${BASE}/innstillinger`);
      await bare.locator('.reminders input[type=radio][value=push][disabled]').waitFor();
      await axe(bare, `settings without push keys (${language})`);
      await statementLinked(bare, `settings ${language}`);
      await shot(bare, `first-look-settings-no-push-${language}`);
      await bare.close();
    }
  });

  test('the administrator sets the texts: bokmål required, nynorsk shown to nynorsk readers; the home has the day', async () => {
    const hanne = await open(browser, { language: 'nb' });
    const { page } = hanne;
    const restore = [];
    try {
      await signIn(page, 'Hanne Lie');
      // The administrator's home: today's visits, this week's staffing, the follow-ups.
      await page.getByRole('heading', { level: 2, name: /^I dag, / }).waitFor();
      await page.locator('.admin-visit, .admin-home p:text-is("Ingen besøk i avdelingen i dag.")').first().waitFor();
      await page.locator('.admin-week').getByText(/^Uke \d+$/).waitFor();
      await page.locator('.admin-week').getByText(/^Vedtakene gir .+ timeverk av .+ bemannet/).waitFor();
      await page.getByRole('heading', { level: 2, name: 'Til oppfølging' }).waitFor();
      await assertFits(page, 'administrator home');
      await axe(page, 'administrator home');
      await shot(page, 'first-look-admin-home-nb');

      const csrf = (await (await page.request.get(`${BASE}/api/v1/me`)).json()).csrf_token;
      const departmentId = (await (await page.request.get(`${BASE}/api/v1/me`)).json()).roles.find((r) => r.role === 'department_admin').department_id;
      const all = await (await page.request.get(`${BASE}/api/v1/departments/${departmentId}/services/all`)).json();
      const practical = all.find((s) => s.names.nb === PRACTICAL);
      restore.push(() => page.request.patch(`${BASE}/api/v1/departments/${departmentId}/services/${practical.id}`, { headers: { 'X-CSRF-Token': csrf }, data: { name: practical.names, description: practical.descriptions } }));

      await page.locator('nav a[href="/avdeling"]').click();
      await page.getByRole('tab', { name: 'Tjenester' }).click();
      await page.getByRole('button', { name: `Endre navn og beskrivelse: ${PRACTICAL}` }).click();
      const dialog = page.getByRole('dialog');
      const names = dialog.getByRole('group', { name: 'Navn' });
      await names.getByRole('textbox', { name: 'Bokmål', exact: true }).fill(' ');
      await dialog.getByRole('button', { name: 'Lagre tekstene' }).click();
      await dialog.getByRole('alert').getByText('Tjenesten må ha navn og beskrivelse på bokmål. Nynorsk og engelsk kan stå tomme.').waitFor();
      await dialog.getByText('Fyll ut teksten på bokmål.').waitFor();
      await axe(page, 'service texts refused');
      await assertFits(page, 'service texts dialog');
      await shot(page, 'first-look-admin-service-texts-nb');
      await names.getByRole('textbox', { name: 'Bokmål', exact: true }).fill(PRACTICAL);
      await names.getByRole('textbox', { name: /^Nynorsk/ }).fill('Praktisk hjelp i heimen');
      await names.getByRole('textbox', { name: /^Engelsk/ }).fill('');
      await dialog.getByRole('button', { name: 'Lagre tekstene' }).click();
      await page.getByRole('status').getByText('Tekstene er lagret.').waitFor();

      // A nynorsk reader sees the new name; an English one, with the English text left empty, the bokmål one.
      const { page: reader } = kari;
      for (const [language, expected] of [['nn', 'Praktisk hjelp i heimen'], ['en', PRACTICAL]]) {
        await chooseLanguage(reader, language);
        await reader.goto(`${BASE}/bestill`);
        await reader.locator('.choices button').filter({ hasText: expected }).first().waitFor();
      }
      await chooseLanguage(reader, 'nb');
    } finally {
      for (const undo of restore) assert.equal((await undo()).status(), 200);
      await hanne.context.close();
    }
  });

  test('the statement: WCAG 2.1 AA, how to report, in three languages, from the foot of every screen', async () => {
    const { context, page } = await open(browser, { language: 'nb' });
    await page.goto(`${BASE}/`);
    await page.locator('.demo button').first().waitFor();
    const words = {
      nb: { title: 'Tilgjengelighetserklæring', report: 'Si fra om noe ikke virker', mail: 'Send e-post til' },
      nn: { title: 'Tilgjengelegheitserklæring', report: 'Sei frå om noko ikkje verkar', mail: 'Send e-post til' },
      en: { title: 'Accessibility statement', report: 'Tell us if something does not work', mail: 'E-mail' },
    };
    for (const language of LANGUAGES) {
      await chooseLanguage(page, language);
      await page.locator('footer a[href="/tilgjengelighet"]').click();
      const heading = page.getByRole('heading', { level: 1 });
      await heading.waitFor();
      assert.equal((await heading.innerText()).replace(/\u00ad|\n/g, ''), words[language].title);
      const main = await page.locator('main').innerText();
      assert.match(main, /WCAG 2\.1/);
      assert.match(main, /\bAA\b/);
      assert.match(main, /2026/); // the date it was last checked
      await page.getByRole('heading', { level: 2, name: words[language].report }).waitFor();
      const contact = page.locator('main a[href^="mailto:"], main a[href^="https://"]:not([href*="uutilsynet"])');
      assert.ok((await contact.count()) === 1, 'the municipality contact is linked');
      assert.ok((await page.locator('main a[href="https://www.uutilsynet.no/"]').count()) === 1, 'the supervisory authority is linked');
      await assertFits(page, `statement ${language}`);
      await axe(page, `statement ${language}`);
      await shot(page, `first-look-statement-${language}`);
    }
    await context.close();
  });

  test('staff have visits today and tomorrow in the demo', async () => {
    const { context, page } = await open(browser, { language: 'nb' });
    await signIn(page, 'Aisha Ahmed');
    await page.getByRole('heading', { level: 1, name: 'Vakt' }).waitFor();
    // The demo booked today and tomorrow when it started: past midnight, its "tomorrow" is today and no later day.
    const osloToday = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Oslo' }).format(new Date());
    const tabs = (process.env.TJENESTESHOP_SERVED_DAY ?? osloToday) === osloToday ? ['I dag', 'I morgen'] : ['I dag'];
    for (const tab of tabs) {
      await page.getByRole('tab', { name: tab }).click();
      await page.getByRole('tabpanel').locator('.visit-card').filter({ hasText: 'Emma Berg' }).first().waitFor();
    }
    await statementLinked(page, 'roster');
    await context.close();
  });

  test("the proxy's home says whose visits are missing; the visit card keeps its lines apart", async () => {
    const { context, page } = await open(browser, { language: 'nb' });
    await signIn(page, 'Liv Berg');
    const me = await (await page.request.get(`${BASE}/api/v1/me`)).json();
    const emma = me.acts_for[0].id;
    // Emma has no visits (whatever the demo booked): the sentence is about Emma, not about Liv.
    await page.route(`**/api/v1/bookings?recipient_id=${emma}`, (route) => route.fulfill({ status: 200, contentType: 'application/json', body: '[]' }));
    await page.goto(`${BASE}/`);
    await page.getByText('Emma har ingen timer bestilt.').waitFor();
    assert.equal(await page.getByText('Du har ingen timer bestilt.').count(), 0);
    await page.unroute(`**/api/v1/bookings?recipient_id=${emma}`);
    // A visit two days on (its cancellation deadline shown) beside the demo's of tomorrow (inside the deadline).
    const services = await catalogue(page.request);
    const respite = services.find((s) => s.names.nb === 'Avlastning i hjemmet');
    const availability = await (await page.request.get(`${BASE}/api/v1/availability?recipient_id=${emma}&service_id=${respite.id}`)).json();
    const slot = availability.days.slice(2).flatMap((d) => d.slots).find((s) => s.lengths.some((l) => l.minutes === 120 && l.status === 'free'));
    const booked = await page.request.post(`${BASE}/api/v1/bookings`, {
      headers: { 'X-CSRF-Token': me.csrf_token, 'Idempotency-Key': crypto.randomUUID() },
      data: { recipient_id: emma, service_id: respite.id, start: slot.start, minutes: 120 },
    });
    assert.equal(booked.status(), 201, await booked.text());
    const visit = await booked.json();
    await page.reload(); // nothing left of the routed empty list

    for (const language of LANGUAGES) {
      await chooseLanguage(page, language);
      await page.locator('nav a[href="/timer"]').click();
      const cards = page.locator('.booking-card');
      await cards.first().waitFor();
      // The demo's visit of Emma tomorrow is inside the cancellation deadline: the tag sits right above the link.
      const crowded = await cards.evaluateAll((all) =>
        all.flatMap((card) => {
          const lines = [...card.children].filter((el) => el.getBoundingClientRect().height > 0);
          return lines.slice(1).flatMap((el, i) => {
            const gap = el.getBoundingClientRect().top - lines[i].getBoundingClientRect().bottom;
            return gap < 6 ? [`${lines[i].className || lines[i].tagName} → ${el.className || el.tagName}: ${Math.round(gap)} px`] : [];
          });
        }),
      );
      assert.deepEqual(crowded, [], `the visit card's lines run into each other (${language})`);
      await assertFits(page, `proxy bookings ${language}`);
      await shot(page, `first-look-proxy-bookings-${language}`);
    }
    const cancelled = await page.request.post(`${BASE}/api/v1/bookings/${visit.id}/cancel`, { headers: { 'X-CSRF-Token': me.csrf_token } });
    assert.ok(cancelled.ok(), await cancelled.text());
    await context.close();
  });
});
