import { Button, Fieldset, Heading, Paragraph, Radio, Switch } from '@digdir/designsystemet-react';
import { hasRole, useMe } from '../api/queries';
import { Icon } from '../components/Icon';
import { Reminders } from '../components/Reminders';
import { Link } from '../router';
import { useTranslation } from 'react-i18next';
import i18n, { LANGUAGES } from '../i18n';
import { savePrefs, usePrefs } from '../prefs';

export function Settings() {
  const { t } = useTranslation();
  const prefs = usePrefs();
  const me = useMe();
  const signOut = async (everywhere: boolean) => {
    const token = me.data?.csrf_token;
    const answer = await fetch(everywhere ? '/auth/logout-everywhere' : '/auth/logout', {
      method: 'POST',
      headers: token ? { 'X-CSRF-Token': token } : {},
    });
    const body: { end_session_url?: string } = answer.ok ? await answer.json() : {};
    sessionStorage.clear();
    // Signed in through ID-porten: sign out there too; it sends the browser back to the start page.
    window.location.assign(body.end_session_url ?? '/');
  };
  return (
    <section className="stack">
      <Heading level={1} data-size="lg">
        {t('settings.title')}
      </Heading>
      <Fieldset>
        <Fieldset.Legend>{t('settings.language')}</Fieldset.Legend>
        {LANGUAGES.map((language) => (
          <Radio
            key={language.code}
            name="language"
            value={language.code}
            label={<span lang={language.code}>{language.name}</span>}
            checked={prefs.language === language.code}
            onChange={() => {
              savePrefs({ language: language.code });
              void i18n.changeLanguage(language.code);
            }}
          />
        ))}
      </Fieldset>
      <Switch
        label={t('settings.easy')}
        description={t('settings.easyHelp')}
        checked={prefs.easy}
        onChange={(e) => savePrefs({ easy: e.target.checked })}
      />
      {prefs.easy && <Paragraph role="status">{t('settings.easyOn')}</Paragraph>}
      {me.data?.person && hasRole(me.data, 'recipient', 'proxy') && <Reminders me={me.data} />}
      {me.data?.person && (
        <section className="stack-sm" aria-labelledby="my-data-link">
          <Heading level={2} data-size="sm" id="my-data-link">
            <Link href="/mine-data" className="ds-link">
              {t('privacy.link')}
            </Link>
          </Heading>
          <Paragraph>{t('privacy.linkHelp')}</Paragraph>
        </section>
      )}
      {me.data && (
        <>
          <Button variant="secondary" onClick={() => void signOut(false)} className="sign-out">
            <Icon name="back" />
            {t('signIn.signOut')}
          </Button>
          <Button variant="tertiary" onClick={() => void signOut(true)}>
            {t('signIn.signOutEverywhere')}
          </Button>
        </>
      )}
    </section>
  );
}
