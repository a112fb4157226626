// Reminders: a recipient chooses how they reach her (SMS, then a push notification on this device through the
// service worker), a proxy chooses whose reminders he gets, by keyboard; the worker's push message is shown.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { axe, BASE, launch, open, shot, signIn, tabTo } from './lib.mjs';

let browser;
before(async () => {
  browser = await launch({ push: true }); // notifications on this device: the headless shell has no Push API
});
after(async () => {
  await browser?.close();
});

/** Headless Chromium reaches no push service (FCM): the browser's subscription is a stand-in, the rest is real. */
function fakePushService() {
  // A public push service's address (no push is sent: serve runs without the worker); the same each run, so
  // subscribing again updates it. Reserved names such as .test are refused as push endpoints.
  const endpoint = 'https://fcm.googleapis.com/fcm/send/tjenesteshop-browser-suite';
  const keys = { p256dh: 'BDd3_hVL9fZi9Ybo2UUzA284WG5FZR30_95YeZJsiApwXKpNcF1rRPF3foIiBHXRdJI2Qhumhf6_LFTeZaNndIo', auth: 'xS03Fj5ErfTNH_l9WHE9Ag' };
  let current = null;
  const make = () => ({ endpoint, expirationTime: null, toJSON: () => ({ endpoint, expirationTime: null, keys }), unsubscribe: async () => ((current = null), true) });
  PushManager.prototype.subscribe = async function subscribe(options) {
    window.__applicationServerKey = options?.applicationServerKey?.byteLength ?? 0;
    current = make();
    return current;
  };
  PushManager.prototype.getSubscription = async () => current;
}

const settingsOf = async (page) => (await page.request.get(`${BASE}/api/v1/me/reminder-settings`)).json();

describe('reminders', () => {
  test('a recipient gets them by SMS, then as a notification on this device', async () => {
    const { context, page, errors } = await open(browser, { serviceWorkers: 'allow' });
    await context.grantPermissions(['notifications'], { origin: BASE });
    await context.addInitScript(fakePushService);
    await signIn(page, 'Kari Nordmann');
    const { csrf_token: csrf } = await (await page.request.get(`${BASE}/api/v1/me`)).json();
    const reset = await page.request.put(`${BASE}/api/v1/me/reminder-settings`, { headers: { 'X-CSRF-Token': csrf }, data: { channel: null, reminders_for: [] } });
    assert.equal(reset.status(), 200, await reset.text());
    await page.locator('nav a[href="/innstillinger"]').click();
    await page.getByRole('heading', { level: 2, name: 'Påminnelser' }).waitFor();

    await page.getByRole('radio', { name: 'SMS' }).check();
    await page.getByRole('status').getByText('Lagret. Påminnelsene kommer på SMS.').waitFor();
    assert.equal((await settingsOf(page)).effective_channel, 'sms');

    await page.getByRole('radio', { name: 'Varsel på denne enheten' }).check();
    await page.getByRole('status').getByText('Lagret. Påminnelsene kommer som varsel på denne enheten.').waitFor();
    const chosen = await settingsOf(page);
    assert.equal(chosen.channel, 'push');
    assert.equal(chosen.effective_channel, 'push');
    assert.ok(chosen.push_devices >= 1);
    assert.equal(await page.evaluate(() => window.__applicationServerKey), 65, 'subscribed with the VAPID public key');
    await axe(page, 'reminder settings, push on');
    await shot(page, 'phone-reminders-push');

    // The generated service worker imports the push handler: a push message from the worker becomes a notification.
    const registration = await page.evaluate(async () => {
      const r = await navigator.serviceWorker.ready;
      return r.active?.scriptURL;
    });
    assert.equal(registration, `${BASE}/sw.js`);
    assert.match(await (await page.request.get(`${BASE}/sw.js`)).text(), /importScripts\([^)]*push-sw\.js/);
    const cdp = await context.newCDPSession(page);
    const registrations = new Promise((resolve) => cdp.on('ServiceWorker.workerRegistrationUpdated', ({ registrations: r }) => {
      const live = r.filter((x) => !x.isDeleted && x.scopeURL.startsWith(BASE));
      if (live.length) resolve(live);
    }));
    await cdp.send('ServiceWorker.enable');
    const [{ registrationId }] = await registrations;
    const message = { title: 'Påminnelse: Praktisk bistand i morgen kl. 10.00', body: 'Timen varer 1 time.', url: `${BASE}/timer`, lang: 'nb' };
    await page.waitForFunction(async () => (await navigator.serviceWorker.ready).active?.state === 'activated', null, { timeout: 20_000 });
    const notification = () =>
      page.evaluate(async (title) => {
        const found = await (await navigator.serviceWorker.ready).getNotifications();
        const one = found.find((n) => n.title === title);
        return one ? { body: one.body, lang: one.lang, url: one.data?.url } : null;
      }, message.title);
    let seen = null;
    for (let attempt = 0; attempt < 3 && !seen; attempt += 1) {
      await cdp.send('ServiceWorker.deliverPushMessage', { origin: BASE, registrationId, data: JSON.stringify(message) });
      for (let i = 0; i < 25 && !seen; i += 1) {
        seen = await notification();
        if (!seen) await page.waitForTimeout(200);
      }
    }
    assert.deepEqual(seen, { body: message.body, lang: 'nb', url: message.url });

    // Turning push off on this device leaves nowhere to send: the page says so; SMS again.
    await page.getByRole('button', { name: 'Slå av varsler på denne enheten' }).click();
    await page.getByRole('status').getByText('Denne enheten får ikke flere varsler.').waitFor();
    await page.getByText('Påminnelsene når deg ikke nå. Velg en annen måte.').waitFor();
    assert.equal((await settingsOf(page)).push_devices, 0);
    await page.getByRole('radio', { name: 'SMS' }).check();
    await page.getByRole('status').getByText('Lagret. Påminnelsene kommer på SMS.').waitFor();
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('a proxy chooses, by keyboard only, to get the reminders of the child he acts for', async () => {
    const { context, page, errors } = await open(browser);
    await signIn(page, 'Liv Berg', { keyboard: true });
    const me = await (await page.request.get(`${BASE}/api/v1/me`)).json();
    const emmaId = me.acts_for.find((p) => p.given_name === 'Emma').id;
    const reset = await page.request.put(`${BASE}/api/v1/me/reminder-settings`, { headers: { 'X-CSRF-Token': me.csrf_token }, data: { channel: null, reminders_for: [] } });
    assert.equal(reset.status(), 200, await reset.text());
    await tabTo(page, page.locator('nav a[href="/innstillinger"]'));
    await page.keyboard.press('Enter');
    const emma = page.getByRole('checkbox', { name: 'Emma Berg' });
    await emma.waitFor();
    assert.equal(await emma.isChecked(), false);
    await tabTo(page, emma);
    await page.keyboard.press('Space');
    await page.getByRole('status').getByText('Lagret. Du får påminnelser om timene til Emma.').waitFor();
    assert.deepEqual((await settingsOf(page)).reminders_for, [emmaId]);
    // The channel is a radio group: one Tab stop, the arrow keys choose.
    await tabTo(page, page.locator('.reminders').getByRole('radio', { checked: true }));
    const from = await page.evaluate(() => document.activeElement?.value);
    await page.keyboard.press('ArrowDown');
    await page.getByRole('status').getByText(/^Lagret\./).waitFor();
    const to = await page.evaluate(() => document.activeElement?.value);
    assert.deepEqual([from, to], ['email', 'sms']);
    assert.equal((await settingsOf(page)).channel, to);
    await axe(page, 'proxy reminder settings');
    await shot(page, 'phone-reminders-proxy');
    assert.deepEqual(errors, []);
    await context.close();
  });
});
