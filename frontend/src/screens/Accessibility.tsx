// The accessibility statement (tilgjengelighetserklæring) Norwegian public bodies must publish: which standard the
// app meets, what is known not to, when this was checked, and how to report a problem. Signed in or not.
import { Heading, List, Paragraph } from '@digdir/designsystemet-react';
import { useTranslation } from 'react-i18next';
import { Icon } from '../components/Icon';
import { formatDate } from '../time';

/** When the statement was last checked against the app (the browser suite's axe sweep and keyboard flows). */
export const STATEMENT_DATE = '2026-12-03';
const SUPERVISOR = 'https://www.uutilsynet.no/';

/** Where the municipality takes reports: `mailto:` or a contact form, written into the page by the server. */
function contact(): string | null {
  return document.querySelector<HTMLMetaElement>('meta[name="tjenesteshop-accessibility-contact"]')?.content || null;
}

export default function Accessibility() {
  const { t } = useTranslation();
  const address = contact();
  const shown = address?.startsWith('mailto:') ? address.slice('mailto:'.length).split('?')[0] : address;
  return (
    <article className="stack statement">
      <Heading level={1} data-size="lg">
        {t('a11y.title')}
      </Heading>
      <Paragraph>{t('a11y.intro')}</Paragraph>
      <section className="stack-sm" aria-labelledby="a11y-status">
        <Heading level={2} data-size="sm" id="a11y-status">
          {t('a11y.statusTitle')}
        </Heading>
        <Paragraph>{t('a11y.status')}</Paragraph>
        <Paragraph>{t('a11y.tested')}</Paragraph>
      </section>
      <section className="stack-sm" aria-labelledby="a11y-deviations">
        <Heading level={2} data-size="sm" id="a11y-deviations">
          {t('a11y.deviationsTitle')}
        </Heading>
        <Paragraph>{t('a11y.deviationsNone')}</Paragraph>
        <List.Unordered>
          <List.Item>{t('a11y.limitSpeech')}</List.Item>
          <List.Item>{t('a11y.limitMap')}</List.Item>
        </List.Unordered>
      </section>
      <section className="stack-sm" aria-labelledby="a11y-report">
        <Heading level={2} data-size="sm" id="a11y-report">
          {t('a11y.reportTitle')}
        </Heading>
        <Paragraph>{t('a11y.report')}</Paragraph>
        {address ? (
          <Paragraph>
            <a className="ds-link contact-link" href={address}>
              <Icon name="person" /> {address.startsWith('mailto:') ? t('a11y.reportMail', { address: shown }) : t('a11y.reportForm')}
            </a>
          </Paragraph>
        ) : (
          <Paragraph>{t('a11y.reportOffice')}</Paragraph>
        )}
        <Paragraph>
          {t('a11y.supervisor')}{' '}
          <a className="ds-link" href={SUPERVISOR} rel="noreferrer">
            uutilsynet.no
          </a>
        </Paragraph>
      </section>
      <Paragraph data-size="sm" className="muted">
        {t('a11y.date', { date: formatDate(STATEMENT_DATE) })}
      </Paragraph>
    </article>
  );
}
