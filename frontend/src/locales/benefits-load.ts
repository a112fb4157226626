// The benefit-realisation texts (issue 22), added when the insight screens load: they stay out of the booking page's
// JavaScript budget (browser/size.test.mjs). Merged deep into the insight texts.
import i18n from '../i18n';
import benefitsEn from './benefits-en';
import benefitsNb from './benefits-nb';
import benefitsNn from './benefits-nn';

const bundles = { nb: benefitsNb, nn: benefitsNn, en: benefitsEn };
for (const [language, bundle] of Object.entries(bundles)) {
  i18n.addResourceBundle(language, 'translation', bundle, true, true);
}
