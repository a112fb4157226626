// The booking steps live in the address: the browser's back button goes one step back with the earlier choices
// kept, forward returns, a reload keeps the step, and a shared link opens at the same place.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BASE, launch, open, shot, signIn } from './lib.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const heading = (page, name) => page.getByRole('heading', { level: 1, name }).waitFor();

test('back, forward, reload and a shared link keep the booking step and the choices', async () => {
  const { context, page, errors } = await open(browser);
  await signIn(page, 'Kari Nordmann');
  await page.getByRole('link', { name: 'Bestill en time' }).click();
  await heading(page, 'Hva trenger du hjelp til?');
  await page.getByRole('button', { name: /Praktisk bistand i hjemmet/ }).click();
  await heading(page, 'Hvor lang tid trenger du?');
  await page.getByRole('button', { name: /^1 time/ }).click();
  await heading(page, 'Hvilken dag passer?');
  const day = page.locator('.days button.choice:not([disabled])').nth(1);
  const dayLabel = (await day.textContent()).trim();
  await day.click();
  await heading(page, 'Hvilket klokkeslett passer?');
  const timeStep = page.url();
  const first = (await page.locator('.times button').first().textContent()).trim();

  // Back: the day step, for the same service and length (the day list is that of one hour).
  await page.goBack();
  await heading(page, 'Hvilken dag passer?');
  const back = new URL(page.url()).searchParams;
  assert.ok(back.get('tjeneste'), 'the service is kept');
  assert.equal(back.get('lengde'), '60', 'the length is kept');
  await page.locator('.days button.choice').filter({ hasText: dayLabel }).first().waitFor();
  await shot(page, 'phone-book-back-to-day');
  // Back again: the length step, the service still chosen; forward twice returns to the time of that day.
  await page.goBack();
  await heading(page, 'Hvor lang tid trenger du?');
  assert.ok(new URL(page.url()).searchParams.get('tjeneste'));
  await page.goForward();
  await heading(page, 'Hvilken dag passer?');
  await page.goForward();
  await heading(page, 'Hvilket klokkeslett passer?');
  assert.equal(page.url(), timeStep);
  assert.equal((await page.locator('.times button').first().textContent()).trim(), first);

  // A reload keeps the step and its choices.
  await page.reload();
  await heading(page, 'Hvilket klokkeslett passer?');
  assert.equal((await page.locator('.times button').first().textContent()).trim(), first);
  await page.locator('.times button').first().click();
  await heading(page, 'Se over og bekreft');
  const confirm = page.url();
  await page.reload();
  await heading(page, 'Se over og bekreft');
  await page.getByText(`kl. ${first}`).first().waitFor();

  // The same address on another device of hers opens the same step.
  const other = await open(browser);
  await signIn(other.page, 'Kari Nordmann');
  await other.page.goto(confirm);
  await heading(other.page, 'Se over og bekreft');
  await other.context.close();

  // The in-app back button goes one step back too, and the app's own back from the first step leaves the flow.
  await page.getByRole('button', { name: 'Tilbake' }).click();
  await heading(page, 'Hvilket klokkeslett passer?');
  assert.deepEqual(errors, []);
  await context.close();
});
