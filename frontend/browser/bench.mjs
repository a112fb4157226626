// Phone-viewport timings against a running API (TJENESTESHOP_URL): time to first render of the front page and
// to a usable booking screen (its first choice can be tapped), cold (fresh context, empty cache) and warm.
// Prints one JSON object; bench/frontend.py runs it and prints medians.
import { BASE, launch, open, signIn } from './lib.mjs';

const runs = Number(process.env.RUNS ?? 7);
const browser = await launch();
const samples = { first_render_cold: [], booking_usable_cold: [], booking_usable_warm: [] };

async function firstPaint(page) {
  return page.evaluate(
    () =>
      new Promise((resolve) => {
        const seen = performance.getEntriesByName('first-contentful-paint')[0];
        if (seen) return resolve(seen.startTime);
        new PerformanceObserver((list) => resolve(list.getEntries()[0].startTime)).observe({ type: 'paint', buffered: true });
      }),
  );
}

async function usableBooking(page) {
  await page.goto(`${BASE}/bestill`);
  await page.locator('.choices button').first().waitFor();
  return page.evaluate(() => performance.now());
}

for (let i = 0; i < runs; i += 1) {
  // Cold: a new device that is signed in (the cookie), with nothing cached.
  const cold = await open(browser);
  await signIn(cold.page, 'Kari Nordmann');
  const cookies = await cold.context.cookies();
  await cold.context.close();
  const fresh = await open(browser);
  await fresh.context.addCookies(cookies);
  await fresh.page.goto(`${BASE}/`);
  samples.first_render_cold.push(await firstPaint(fresh.page));
  await fresh.context.close();

  const again = await open(browser);
  await again.context.addCookies(cookies);
  samples.booking_usable_cold.push(await usableBooking(again.page));
  samples.booking_usable_warm.push(await usableBooking(again.page));
  await again.context.close();
}
await browser.close();
process.stdout.write(`${JSON.stringify({ runs, samples })}\n`);
