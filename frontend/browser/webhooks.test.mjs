// Webhooks on the administrator's home: the subscriptions a department administrator manages (made through the API,
// as an integration does), shown fitting a phone in every language, easy-read and 200 % text, axe clean. Dead
// letters show with a button to send again when the server's worker has given up on one (serve --demo with a
// short TJENESTESHOP_WEBHOOK_RETRY_SECONDS and the worker shows them; the suite's serve has no worker).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { apiAs, assertFits, axe, BASE, DESKTOP, launch, open, shot, signIn } from './lib.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

// A long address on purpose: it must break rather than widen the phone's screen. Loopback http is allowed outside
// production; nothing listens on port 9, so a worker beside the server would fail and retry.
const URL = 'http://127.0.0.1:9/tjenesteshop/webhooks/fagsystem/hjemmetjenesten/praktisk-bistand/mottak';

describe('webhooks', () => {
  test('an administrator sees the subscriptions and what did not arrive', async () => {
    const hanne = await apiAs(browser, 'Hanne Lie');
    const department = hanne.me.roles.find((r) => r.role === 'department_admin')?.department_id;
    assert.ok(department, 'Hanne administers a department');
    const existing = await (await hanne.request.get(`${BASE}/api/v1/webhooks`)).json();
    if (!existing.some((w) => w.url === URL)) {
      const made = await hanne.request.post(`${BASE}/api/v1/webhooks`, {
        headers: { 'X-CSRF-Token': hanne.csrf },
        data: { url: URL, event_types: ['booking.booked', 'booking.cancelled', 'visit.no_show'], department_id: department, description: 'Fagsystem' },
      });
      assert.equal(made.status(), 201, await made.text());
      assert.match((await made.json()).secret, /^whsec_/);
    }
    await hanne.context.close();

    for (const [language, easy, textScale, title] of [
      ['nb', false, undefined, 'Varsler til fagsystemet (webhooks)'],
      ['nn', false, undefined, 'Varsel til fagsystemet (webhooks)'],
      ['en', false, undefined, 'Notices to the case system (webhooks)'],
      ['nb', true, undefined, 'Varsler til fagsystemet (webhooks)'],
      ['nb', false, 2, 'Varsler til fagsystemet (webhooks)'],
    ]) {
      const { context, page, errors } = await open(browser, { language, easy, textScale });
      await signIn(page, 'Hanne Lie');
      const section = page.getByRole('region', { name: title });
      await section.getByText(URL).first().waitFor();
      await assertFits(page, `webhooks ${language}${easy ? ' easy' : ''}${textScale ? ' 200 %' : ''}`);
      await axe(page, `admin home with webhooks (${language})`);
      await section.screenshot({ path: `${process.env.TJENESTESHOP_ARTIFACTS ?? 'artifacts'}/phone-webhooks-${language}${easy ? '-easy' : ''}${textScale ? '-200' : ''}.png` });
      assert.deepEqual(errors, []);
      await context.close();
    }
    const { context, page } = await open(browser, { viewport: DESKTOP });
    await signIn(page, 'Hanne Lie');
    await page.getByText(URL).first().waitFor();
    const redeliver = page.getByRole('button', { name: /^Send på nytt/ });
    await redeliver.or(page.getByText('Ingen varsler er gitt opp.')).first().waitFor();
    if ((await redeliver.count()) > 0) {
      await redeliver.first().click();
      await page.getByRole('status').getByText('Varselet sendes på nytt.').waitFor();
    }
    await shot(page, 'desktop-admin-home-webhooks');
    await context.close();
  });
});
