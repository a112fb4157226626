import { Button, Fieldset, Heading, Paragraph, Radio, Switch } from '@digdir/designsystemet-react';
import { hasRole, useMe } from '../api/queries';
import { Icon } from '../components/Icon';
import { Reminders } from '../components/Reminders';
import { useTranslation } from 'react-i18next';
import i18n, { LANGUAGES } from '../i18n';
import { savePrefs, usePrefs } from '../prefs';

export function Settings() {
  const { t } = useTranslation();
  const prefs = usePrefs();
  const me = useMe();
  const signOut = async () => {
    const token = me.data?.csrf_token;
    await fetch('/auth/logout', { method: 'POST', headers: token ? { 'X-CSRF-Token': token } : {} });
    sessionStorage.clear();
    window.location.assign('/');
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
      {me.data && (
        <Button variant="secondary" onClick={() => void signOut()} className="sign-out">
          <Icon name="back" />
          {t('signIn.signOut')}
        </Button>
      )}
    </section>
  );
}
