// Texts the API gives in every language the municipality offers ({nb, nn?, en?}): shown in the person's own,
// bokmål where a translation is missing. A service's name and description always come from here, from the
// catalogue's `names` and `descriptions`, so one service never shows under two names on one screen.
import i18n from './i18n';

/** `texts` in the chosen language, else bokmål. */
export function localText(texts: Record<string, string> | undefined, language: string = i18n.language): string {
  if (!texts) return '';
  return texts[language] || texts.nb || Object.values(texts)[0] || '';
}

interface ServiceTexts {
  names: Record<string, string>;
  descriptions: Record<string, string>;
}

export function serviceName(service: ServiceTexts | undefined): string {
  return localText(service?.names);
}

export function serviceDescription(service: ServiceTexts | undefined): string {
  return localText(service?.descriptions);
}
