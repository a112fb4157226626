// The texts of "Mine data" (issue 19), added when its screen loads: they stay out of the booking page's JavaScript
// budget (browser/size.test.mjs). Merged deep, so their problem titles join the general ones.
import i18n from '../i18n';
import privacyEn from './privacy-en';
import privacyNb from './privacy-nb';
import privacyNn from './privacy-nn';

const bundles = { nb: privacyNb, nn: privacyNn, en: privacyEn };
for (const [language, bundle] of Object.entries(bundles)) {
  i18n.addResourceBundle(language, 'translation', bundle, true, true);
}
