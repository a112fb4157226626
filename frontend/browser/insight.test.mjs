// The pages around the decision (issue 9) in real Chromium against the demo: the "Min stemme teller" question on a
// phone in easy read, answered by keyboard only; the shared plan as a coordinator and as a proxy sees it; the
// administrator's coverage chart, reviews, evaluation (printable, CSV), committee list and monthly feedback on a
// desktop. axe on every new page in bokmål, nynorsk and English. Screenshots go to the artifacts folder.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { activate, axe, BASE, DESKTOP, launch, open, PHONE, shot, signIn, tabTo } from './lib.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

async function settle(page) {
  await page.waitForLoadState('networkidle');
  await page.locator('.loading').first().waitFor({ state: 'detached' }).catch(() => undefined);
}

/** axe, then reflow (nothing wider than the window), then a screenshot when named. */
async function check(page, label, name) {
  await settle(page);
  await axe(page, label);
  const [scroll, width] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  if (scroll > width) throw new Error(`${label}: the page is ${scroll}px wide in a ${width}px window`);
  if (name) await shot(page, name);
}

async function as(person, options, pages) {
  const { context, page, errors } = await open(browser, options);
  await signIn(page, person);
  try {
    await pages(page);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
}

for (const language of ['nb', 'nn', 'en']) {
  describe(`insight pages, axe ${language}`, () => {
    test('the feedback question on the phone in easy read, and my plan', async () => {
      await as('Kari Nordmann', { viewport: PHONE, language, easy: true }, async (page) => {
        await page.locator('.feedback-card .feedback-choice').first().waitFor();
        await check(page, `${language} feedback question`, `insight-${language}-feedback-question`);
        await page.locator('.feedback-choice-mixed').click();
        await page.locator('.feedback-send').waitFor();
        await check(page, `${language} feedback comment`, `insight-${language}-feedback-comment`);
        await page.locator('a.plan-link').click();
        await page.locator('.plan-allocation').first().waitFor();
        await check(page, `${language} plan (recipient)`, `insight-${language}-plan-recipient`);
      });
    });

    test('the plan as a proxy sees it', async () => {
      await as('Liv Berg', { viewport: PHONE, language }, async (page) => {
        await page.locator('a.plan-link').click();
        await page.locator('.plan-allocation').first().waitFor();
        await check(page, `${language} plan (proxy)`, `insight-${language}-plan-proxy`);
      });
    });

    test('the coordinator: everyone I coordinate, then one plan', async () => {
      await as('Per Olsen', { viewport: PHONE, language }, async (page) => {
        await page.locator('nav a[href="/koordinator"]').click();
        await page.locator('.coordinated-card').first().waitFor();
        await check(page, `${language} coordinator list`, `insight-${language}-coordinator`);
        await page.locator('.coordinated-card a').filter({ hasText: 'Ola Hansen' }).click();
        await page.locator('.plan-follow-up').first().waitFor();
        await check(page, `${language} plan (coordinator)`, `insight-${language}-plan-coordinator`);
      });
    });

    test('the administrator: coverage, reviews, evaluation, committee, monthly feedback', async () => {
      await as('Tor Dahl', { viewport: DESKTOP, language }, async (page) => {
        await page.locator('nav a[href="/avdeling"]').click();
        await page.locator('.subnav a[href="/innsikt/dekning"]').click();
        await page.locator('svg.chart-coverage').waitFor();
        await check(page, `${language} coverage`, `insight-${language}-coverage`);
        await page.locator('.subnav a[href="/innsikt/vurderinger"]').click();
        await page.locator('.reviews-table').waitFor();
        await check(page, `${language} reviews`, `insight-${language}-reviews`);
        await page.locator('.reviews-table a').first().click();
        await page.locator('.evaluation-table').waitFor();
        await check(page, `${language} evaluation`, `insight-${language}-evaluation`);
        await page.locator('.subnav a[href="/innsikt/samordning"]').click();
        await page.locator('.committee-case').first().waitFor();
        await check(page, `${language} committee`, `insight-${language}-committee`);
        await page.locator('.subnav a[href="/innsikt/tilbakemeldinger"]').click();
        await page.locator('.monthly-table').waitFor();
        await check(page, `${language} monthly feedback`, `insight-${language}-monthly`);
      });
    });
  });
}

describe('Min stemme teller, keyboard only', () => {
  test('Kari hears the question, answers "Både ja og nei" with a comment, and is thanked (360x740, easy read)', async () => {
    const { context, page, errors } = await open(browser, { viewport: PHONE, language: 'nb', easy: true });
    await context.addInitScript(() => {
      window.__spoken = [];
      window.speechSynthesis.speak = (utterance) => window.__spoken.push({ text: utterance.text, lang: utterance.lang });
    });
    await signIn(page, 'Kari Nordmann', { keyboard: true });
    const question = page.getByRole('heading', { level: 2, name: 'Var du fornøyd med besøket?' });
    await question.waitFor();
    assert.equal(await page.locator('.feedback-choice svg.pictogram').count(), 3);
    for (const word of ['Ja', 'Både ja og nei', 'Nei']) await page.getByRole('button', { name: word, exact: true }).waitFor();

    await activate(page, page.getByRole('button', { name: 'Hør spørsmålet' }), true);
    const spoken = await page.evaluate(() => window.__spoken);
    assert.equal(spoken.length, 1);
    assert.equal(spoken[0].lang, 'nb-NO');
    assert.match(spoken[0].text, /Var du fornøyd med besøket\?/);
    assert.match(spoken[0].text, /Både ja og nei/);
    assert.doesNotMatch(spoken[0].text, /Timene dine/, 'only the question is read, not the whole screen');

    const pending = await (await page.request.get(`${BASE}/api/v1/feedback/pending`)).json();
    assert.ok(pending.length > 0, 'the demo has a delivered visit waiting for an answer');
    const booking = pending[0].booking_id;

    await activate(page, page.getByRole('button', { name: 'Både ja og nei', exact: true }), true, 'Space');
    await page.getByText('Du svarte:').waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.classList.contains('feedback-chosen')), true, 'focus follows to the answer');
    await tabTo(page, page.getByRole('textbox', { name: 'Vil du si noe mer?' }));
    await page.keyboard.type('Hyggelig, men litt sent.');
    await shot(page, 'insight-feedback-keyboard-comment');
    const posted = page.waitForResponse((r) => r.url().endsWith(`/api/v1/bookings/${booking}/feedback`) && r.request().method() === 'POST');
    await activate(page, page.getByRole('button', { name: 'Send svaret' }), true);
    assert.equal((await posted).status(), 201);
    await page.getByRole('heading', { name: 'Takk for svaret!' }).waitFor();
    await check(page, 'feedback thanks', 'insight-feedback-done');

    const answers = await (await page.request.get(`${BASE}/api/v1/feedback`)).json();
    const mine = answers.find((a) => a.feedback.booking_id === booking);
    assert.equal(mine.feedback.answer, 'mixed');
    assert.equal(mine.feedback.comment, 'Hyggelig, men litt sent.');
    assert.equal(mine.feedback.by_proxy, false);
    assert.deepEqual(errors, []);
    await context.close();
  });
});

describe('a proxy answers only for someone who cannot answer', () => {
  test('Liv sees the question for Emma only after "Emma kan ikke svare selv", and it is sent on_behalf', async () => {
    const { context, page, errors } = await open(browser, { viewport: PHONE, language: 'nb', easy: true });
    await signIn(page, 'Liv Berg');
    // The demo's Emma has no delivered visit yet: one is offered here, and the answer is caught before the API.
    const visit = {
      booking_id: '00000000-0000-4000-8000-000000000001',
      department_id: '00000000-0000-4000-8000-000000000002',
      department_name: 'Avlastning og oppfølging',
      service_name: { nb: 'Avlastning i hjemmet', nn: 'Avlasting i heimen', en: 'Respite care at home' },
      start: '2026-11-25T16:00:00+01:00',
      end: '2026-11-25T18:00:00+01:00',
    };
    await page.route(`${BASE}/api/v1/feedback/pending**`, (route) => route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify([visit]) }));
    let sent;
    await page.route(`${BASE}/api/v1/bookings/${visit.booking_id}/feedback`, (route) => {
      sent = route.request().postDataJSON();
      return route.fulfill({ status: 201, contentType: 'application/json', body: '{}' });
    });
    await page.reload();
    await page.getByRole('checkbox', { name: /Emma kan ikke svare selv/ }).waitFor();
    assert.equal(await page.locator('.feedback-choice').count(), 0, 'no question before the choice');
    await check(page, 'proxy before choosing', 'insight-feedback-proxy');
    await activate(page, page.getByRole('checkbox', { name: /Emma kan ikke svare selv/ }), true, 'Space');
    await page.getByRole('heading', { level: 2, name: 'Var Emma fornøyd med besøket?' }).waitFor();
    await check(page, 'proxy question', 'insight-feedback-proxy-question');
    await activate(page, page.getByRole('button', { name: 'Ja', exact: true }), true, 'Space');
    await activate(page, page.getByRole('button', { name: 'Send svaret' }), true);
    await page.getByRole('heading', { name: 'Takk for svaret!' }).waitFor();
    assert.deepEqual(sent, { answer: 'yes', comment: null, on_behalf: true });
    assert.deepEqual(errors, []);
    await context.close();
  });
});

describe('the plan', () => {
  test('a coordinator sees every department, follow-ups and answers; a proxy sees the plan without answers', async () => {
    await as('Per Olsen', { viewport: DESKTOP }, async (page) => {
      await page.goto(`${BASE}/koordinator`);
      const ola = page.locator('.coordinated-card').filter({ hasText: 'Ola Hansen' });
      // The missed visits, and with the server's worker running, the trial decision's evaluation that falls due.
      await ola.getByText(/^[12] ting å følge opp$/).waitFor();
      await ola.getByRole('link', { name: 'Ola Hansen' }).click();
      await page.getByRole('heading', { level: 1, name: 'Planen til Ola Hansen' }).waitFor();
      await page.getByText('Oppfølgingssamtale').first().waitFor();
      await page.getByText(/Ikke møtt 2 ganger på 4 uker/).waitFor();
      await page.getByRole('heading', { level: 2, name: 'Svarene om besøkene' }).waitFor();
      await page.getByText('Prøveperiode', { exact: true }).first().waitFor();
      await page.getByRole('link', { name: /Se evalueringen av Oppfølgingssamtale/ }).click();
      await page.locator('.evaluation-table').waitFor();
      await page.getByRole('link', { name: /Tilbake til planen til Ola Hansen/ }).waitFor();
      await shot(page, 'insight-desktop-coordinator-evaluation');
    });
    await as('Liv Berg', { viewport: PHONE }, async (page) => {
      await page.goto(`${BASE}/plan`);
      await page.getByRole('heading', { level: 1, name: 'Planen til Emma Berg' }).waitFor();
      await page.getByText('Avlastning i hjemmet').first().waitFor();
      await page.getByText(/igjen av 16 timer denne uken/).waitFor();
      assert.equal(await page.getByRole('heading', { name: 'Svarene om besøkene' }).count(), 0, 'a proxy does not see the answers');
      await shot(page, 'insight-phone-plan-proxy-deep-link');
    });
  });
});

describe('the administrator pages, 1280x800', () => {
  test('coverage chart with its table and text, a warning week, reviews, printable evaluation with CSV, committee thresholds', async () => {
    await as('Tor Dahl', { viewport: DESKTOP }, async (page) => {
      await page.goto(`${BASE}/innsikt/dekning`);
      const chart = page.getByRole('img', { name: /Kapasitet per uke/ });
      await chart.waitFor();
      assert.equal(await page.locator('.coverage-table tbody tr').count(), 12);
      assert.equal(await page.locator('svg.chart-coverage .chart-staffed').count(), 12);
      assert.match(await page.locator('#coverage-chart-desc').textContent(), /Tallene står i tabellen under/);

      // A week where the decisions promise more than the staff can give: the warning in words, the sign in the chart.
      await page.route(`${BASE}/api/v1/departments/*/coverage**`, async (route) => {
        const body = await (await route.fetch()).json();
        const week = body.weeks[9];
        week.allocated_minutes = week.staffed_minutes + 600;
        week.allocated_percent = Math.round((week.allocated_minutes / week.staffed_minutes) * 1000) / 10;
        week.warning = 'over';
        await route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(body) });
      });
      await page.getByLabel('Vis uker').selectOption('past');
      await page.getByRole('heading', { name: 'Vedtakene gir mer tid enn bemanningen rekker' }).waitFor();
      assert.equal(await page.locator('svg.chart-coverage .chart-over').count(), 1);
      assert.match(await page.locator('#coverage-chart-desc').textContent(), /Tildelt er over bemannet i uke \d+/);
      await check(page, 'coverage with a warning', 'insight-coverage-warning');
      await page.unroute(`${BASE}/api/v1/departments/*/coverage**`);

      await page.locator('.subnav a[href="/innsikt/vurderinger"]').click();
      await page.getByLabel('Frist innen').selectOption('year');
      const row = page.locator('.reviews-table tbody tr').filter({ hasText: 'Ola Hansen' }).first();
      await row.waitFor();
      await row.getByRole('link', { name: /Se evalueringen/ }).click();
      await page.getByRole('heading', { level: 1, name: /Evaluering av vedtak/ }).waitFor();
      await page.getByText('Prøveperiode (utprøving)').waitFor();
      const csv = page.getByRole('link', { name: 'Last ned CSV' });
      const href = await csv.getAttribute('href');
      assert.match(href, /^\/api\/v1\/allocations\/[0-9a-f-]+\/evaluation\.csv$/);
      const file = await page.request.get(`${BASE}${href}`);
      assert.equal(file.status(), 200);
      assert.match(file.headers()['content-type'], /^text\/csv/);
      assert.match(await file.text(), /Periode fra;Periode til;Tildelt \(min\)/);
      await page.emulateMedia({ media: 'print' });
      assert.equal(await page.locator('header.top').isVisible(), false, 'the print has no app frame');
      assert.equal(await page.locator('.evaluation .no-print').first().isVisible(), false);
      await shot(page, 'insight-evaluation-print');
      await page.emulateMedia({ media: 'screen' });

      await page.locator('.subnav a[href="/innsikt/samordning"]').click();
      const emma = page.locator('.committee-case').filter({ hasText: 'Emma Berg' });
      await emma.getByText('Over 15 timer per uke').waitFor();
      const weekly = page.getByRole('textbox', { name: /Mer enn timer per uke/ });
      try {
        await weekly.fill('20');
        await page.getByRole('button', { name: 'Lagre grensene' }).click();
        await page.getByText('Grensene er lagret.').waitFor();
        await page.getByText('Ingen personer er over grensene nå.').waitFor();
      } finally {
        await weekly.fill('15');
        await page.getByRole('button', { name: 'Lagre grensene' }).click();
      }
      await emma.getByText('Over 15 timer per uke').waitFor();

      await page.locator('.subnav a[href="/innsikt/tilbakemeldinger"]').click();
      await page.locator('.monthly-table').waitFor();
      await page.getByText('Færre enn 5 svar – vises ikke av personvernhensyn').first().waitFor();
    });
  });

  test('a department administrator sees their own department and no committee', async () => {
    await as('Hanne Lie', { viewport: DESKTOP }, async (page) => {
      await page.locator('nav a[href="/avdeling"]').click();
      await page.locator('.subnav a[href="/innsikt/tilbakemeldinger"]').click();
      await page.getByRole('heading', { level: 1, name: /Tilbakemeldinger per måned/ }).waitFor();
      await page.getByText('Hjemmetjenesten, praktisk bistand').first().waitFor();
      assert.equal(await page.locator('.subnav a[href="/innsikt/samordning"]').count(), 0);
      const november = page.locator('.monthly-table tbody tr').filter({ hasText: /November 2026/i });
      assert.equal(await november.locator('.suppressed').count(), 0, 'five answers or more are shown');
      await shot(page, 'insight-desktop-monthly-department-admin');
    });
  });
});
