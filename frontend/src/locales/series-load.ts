// The texts of recurring visits (faste avtaler), added when their screens load: they stay out of the booking page's
// JavaScript budget (browser/size.test.mjs). Merged deep, so their problem titles join the general ones.
import i18n from '../i18n';
import seriesEn from './series-en';
import seriesNb from './series-nb';
import seriesNn from './series-nn';

const bundles = { nb: seriesNb, nn: seriesNn, en: seriesEn };
for (const [language, bundle] of Object.entries(bundles)) {
  i18n.addResourceBundle(language, 'translation', bundle, true, true);
}
