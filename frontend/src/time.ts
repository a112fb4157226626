// Dates and times as the department sees them (Europe/Oslo), in the person's language.
import i18n from './i18n';

export const ZONE = 'Europe/Oslo';

function locale(): string {
  return i18n.language === 'en' ? 'en-GB' : i18n.language === 'nn' ? 'nn-NO' : 'nb-NO';
}

export function localDate(at: Date | string, zone = ZONE): string {
  // YYYY-MM-DD in the zone.
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(at));
  return parts;
}

export function addDays(isoDate: string, days: number): string {
  const d = new Date(`${isoDate}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

export function weekdayIndex(isoDate: string): number {
  return (new Date(`${isoDate}T12:00:00Z`).getUTCDay() + 6) % 7; // 0 = Monday
}

export function formatDay(isoDate: string): string {
  return new Intl.DateTimeFormat(locale(), { weekday: 'long', day: 'numeric', month: 'long', timeZone: 'UTC' }).format(new Date(`${isoDate}T12:00:00Z`));
}

export function formatTime(at: string | Date, zone = ZONE): string {
  return new Intl.DateTimeFormat(locale(), { hour: '2-digit', minute: '2-digit', timeZone: zone }).format(new Date(at));
}

export function formatWhen(at: string | Date, zone = ZONE): string {
  const day = formatDay(localDate(at, zone));
  return `${day} ${i18n.language === 'en' ? 'at' : 'kl.'} ${formatTime(at, zone)}`;
}

export function relativeDayName(isoDate: string, today: string): string {
  if (isoDate === today) return i18n.t('staff.today');
  if (isoDate === addDays(today, 1)) return i18n.t('staff.tomorrow');
  return formatDay(isoDate);
}

export function durationWords(minutes: number): string {
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  if (hours === 0) return i18n.t('duration.minutes', { count: rest });
  if (rest === 0) return i18n.t('duration.hours', { count: hours });
  if (rest === 30 && i18n.language !== 'en') return i18n.t('duration.hours', { count: hours + 0.5 }).replace('.5', ',5');
  return i18n.t('duration.hm', { hours: i18n.t('duration.hours', { count: hours }), minutes: i18n.t('duration.minutes', { count: rest }) });
}

/** A date with its year, short: "1. des. 2026". */
export function formatDate(isoDate: string): string {
  return new Intl.DateTimeFormat(locale(), { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' }).format(new Date(`${isoDate}T12:00:00Z`));
}
