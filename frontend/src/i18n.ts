import i18n from 'i18next';
import { initReactI18next } from 'react-i18next';
import en from './locales/en';
import insightEn from './locales/insight-en';
import insightNb from './locales/insight-nb';
import insightNn from './locales/insight-nn';
import nb from './locales/nb';
import nn from './locales/nn';
import waitlistEn from './locales/waitlist-en';
import waitlistNb from './locales/waitlist-nb';
import waitlistNn from './locales/waitlist-nn';
import { loadPrefs } from './prefs';

export const LANGUAGES = [
  { code: 'nb', name: 'Bokmål' },
  { code: 'nn', name: 'Nynorsk' },
  { code: 'en', name: 'English' },
] as const;
export type Language = (typeof LANGUAGES)[number]['code'];

void i18n.use(initReactI18next).init({
  // "Mine data" brings its own texts when its screen loads (locales/privacy-load.ts), outside the booking page's budget.
  resources: {
    nb: { translation: { ...nb, ...insightNb, ...waitlistNb } },
    nn: { translation: { ...nn, ...insightNn, ...waitlistNn } },
    en: { translation: { ...en, ...insightEn, ...waitlistEn } },
  },
  lng: loadPrefs().language,
  fallbackLng: 'nb',
  interpolation: { escapeValue: false },
  returnObjects: false,
});

if (typeof document !== 'undefined') {
  i18n.on('languageChanged', (lng) => {
    document.documentElement.lang = lng;
  });
  document.documentElement.lang = i18n.language;
}

export default i18n;
