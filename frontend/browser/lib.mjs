// Shared helpers for the browser suite: Debian's Chromium through playwright-core, axe, screenshots.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import AxeBuilder from '@axe-core/playwright';
import { chromium } from 'playwright-core';

export const BASE = (process.env.TJENESTESHOP_URL ?? 'http://127.0.0.1:8000').replace(/\/$/, '');
export const ARTIFACTS = process.env.TJENESTESHOP_ARTIFACTS ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'artifacts');
export const PHONE = { width: 360, height: 740 };
export const DESKTOP = { width: 1280, height: 800 };
mkdirSync(ARTIFACTS, { recursive: true });

/**
 * Chromium's headless shell (Debian's chromium-headless-shell): the same engine as the browser at about half its CPU
 * in headless mode. It has no Push API: `push: true` launches the full browser (Debian's chromium) instead.
 */
export async function launch({ push = false } = {}) {
  const executablePath = push ? (process.env.CHROMIUM_FULL ?? '/usr/bin/chromium') : (process.env.CHROMIUM ?? '/usr/bin/chromium-headless-shell');
  return chromium.launch({
    executablePath,
    args: ['--lang=nb-NO', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
  });
}

/** A fresh browser context (cookies, storage) at a viewport, with language and easy-read preset. */
let phones = 0;

/**
 * `locale` sets the browser's own language (navigator.languages, Accept-Language); `language: null` leaves the app's
 * choice unset, so it follows the browser, as on a real first visit.
 */
export async function open(browser, { viewport = PHONE, language = 'nb', easy = false, serviceWorkers = 'block', locale, textScale } = {}) {
  // Each context is another device: its own address (the suite's server believes X-Forwarded-For from
  // localhost: TJENESTESHOP_TRUSTED_PROXIES in tests/integration/test_browser.py), so the
  // suite's many sign-ins do not meet the per-address sign-in limit that protects the real service.
  phones += 1;
  const address = `10.${Math.floor(phones / 250) % 250}.${phones % 250}.${process.pid % 250}`;
  const context = await browser.newContext({
    viewport,
    locale: locale ?? (language === 'en' ? 'en-GB' : 'nb-NO'),
    timezoneId: 'Europe/Oslo',
    serviceWorkers,
    extraHTTPHeaders: { 'X-Forwarded-For': address },
  });
  if (language !== null) {
    await context.addInitScript(
      ([lang, easyRead]) => {
        if (!localStorage.getItem('tjenesteshop.prefs')) localStorage.setItem('tjenesteshop.prefs', JSON.stringify({ language: lang, easy: easyRead }));
      },
      [language, easy],
    );
  }
  // 200 % text size, as a browser's text-size setting does it: the root font size doubles, the layout width stays.
  if (textScale) await context.addInitScript((scale) => {
    document.addEventListener('DOMContentLoaded', () => document.documentElement.style.setProperty('font-size', `${scale * 100}%`));
  }, textScale);
  const page = await context.newPage();
  // Generous: the suite shares two cores with builds and other test runs; a wait still fails, only later.
  page.setDefaultTimeout(25_000);
  const errors = [];
  page.on('pageerror', (error) => errors.push(String(error)));
  page.on('console', (message) => {
    if (message.type() === 'error' && !/Failed to load resource/.test(message.text())) errors.push(message.text());
  });
  return { context, page, errors };
}

/** Sign in through the app's own demo screen, by the person's full name. */
export async function signIn(page, name, { keyboard = false } = {}) {
  await page.goto(`${BASE}/`);
  const button = page.getByRole('button', { name: new RegExp(name) });
  await activate(page, button, keyboard);
  await page.getByRole('navigation').waitFor();
}

/** Keyboard only: press Tab until the locator has focus, then nothing else (the caller presses Enter or Space). */
export async function tabTo(page, locator, { max = 150 } = {}) {
  await locator.first().waitFor();
  const target = await locator.first().elementHandle();
  for (let i = 0; i < max; i += 1) {
    await page.keyboard.press('Tab');
    if (await target.evaluate((el) => el === document.activeElement || el.contains(document.activeElement))) return;
  }
  throw new Error(`could not reach ${locator} with Tab`);
}

/** Activate a control by mouse, or by keyboard only (Tab to it, then Enter, or Space for a button). */
export async function activate(page, locator, keyboard, key = 'Enter') {
  if (!keyboard) return locator.first().click();
  await tabTo(page, locator);
  await page.keyboard.press(key);
}

export async function axe(page, label) {
  // Let opening animations (a dialog fading in) finish: half-transparent text is not what a person reads.
  await page.evaluate(() => Promise.all(document.getAnimations().map((a) => a.finished.catch(() => undefined))));
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const problems = result.violations.map((v) => `${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.slice(0, 3).map((n) => n.target.join(' ') + ' → ' + n.failureSummary?.split('\n').slice(0, 2).join(' ')).join('\n    ')}`);
  if (problems.length) throw new Error(`axe on ${label}: ${problems.length} WCAG 2.1 A/AA violation(s)\n  ${problems.join('\n  ')}`);
  return result.passes.length;
}

export async function shot(page, name) {
  // As a person sees it: after a dialog has faded in, not halfway.
  await page.evaluate(() => Promise.all(document.getAnimations().map((a) => a.finished.catch(() => undefined))));
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** Sign in outside the page (for setting up data), returning a request context with the CSRF token. */
export async function apiAs(browser, name) {
  const { context, page } = await open(browser);
  await signIn(page, name);
  const me = await (await page.request.get(`${BASE}/api/v1/me`)).json();
  return { context, page, me, request: page.request, csrf: me.csrf_token };
}

/** The page fits its viewport: no horizontal scrolling. On failure, names the widest elements that stick out. */
export async function assertFits(page, label) {
  const found = await page.evaluate(() => {
    const width = window.innerWidth;
    const scroll = document.documentElement.scrollWidth;
    const out = [];
    if (scroll > width) {
      for (const el of document.querySelectorAll('body *')) {
        const r = el.getBoundingClientRect();
        const parent = el.parentElement?.getBoundingClientRect();
        if (r.right > width + 0.5 && r.width > 0 && parent && parent.right <= width + 0.5) out.push(`${el.tagName.toLowerCase()}${el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : ''} right=${Math.round(r.right)}`);
      }
    }
    return { width, scroll, out: out.slice(-8) };
  });
  if (found.scroll > found.width) throw new Error(`${label}: the page is ${found.scroll} px wide at ${found.width} px\n  ${found.out.join('\n  ')}`);
}
