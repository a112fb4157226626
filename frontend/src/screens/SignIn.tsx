import { Button, Heading, Paragraph } from '@digdir/designsystemet-react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { problemOf } from '../api/client';
import { ProblemAlert } from '../components/Problem';
import { useTranslation } from 'react-i18next';
import { keys } from '../api/queries';
import { Icon } from '../components/Icon';
import nb from '../locales/nb';

interface DemoPerson {
  action: string;
  csrf: string;
  name: string;
  roles: string;
}

/**
 * In demo mode the server lists its made-up people on /auth/demo; read that list to offer one-tap sign-in.
 * Each form carries a CSRF token bound to a cookie the page sets: the sign-in sends it back as a header.
 */
async function demoPeople(): Promise<DemoPerson[]> {
  const response = await fetch('/auth/demo/', { headers: { Accept: 'text/html' } });
  if (!response.ok) return [];
  const page = new DOMParser().parseFromString(await response.text(), 'text/html');
  return Array.from(page.querySelectorAll('form[action^="/auth/demo/"]')).map((form) => ({
    action: form.getAttribute('action') ?? '',
    csrf: form.querySelector<HTMLInputElement>('input[name="csrf_token"]')?.value ?? '',
    name: (form.querySelector('button')?.textContent ?? '').replace(/^Logg inn som\s+/, '').trim(),
    roles: (form.querySelector('span')?.textContent ?? '').replace(/[()]/g, '').trim(),
  }));
}

// The demo page names roles in bokmål; read them back to their codes so they show in the chosen language.
const ROLE_CODES = new Map(Object.entries(nb.roles).map(([code, word]) => [word, code]));

export function SignIn() {
  const { t } = useTranslation();
  const client = useQueryClient();
  const demo = useQuery({ queryKey: ['demo-people'], queryFn: demoPeople, staleTime: Infinity });

  const [error, setError] = useState<unknown>(null);
  const signInAs = async (person: DemoPerson) => {
    setError(null);
    const response = await fetch(person.action, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'X-CSRF-Token': person.csrf },
    }).catch(() => null);
    if (!response?.ok) {
      setError(response ? problemOf(response.status, await response.json().catch(() => ({}))) : problemOf(0, {}));
      return;
    }
    sessionStorage.clear();
    await client.invalidateQueries({ queryKey: keys.me });
  };

  return (
    <section className="stack">
      <Heading level={1} data-size="lg">
        {t('signIn.title')}
      </Heading>
      <Paragraph>{t('signIn.intro')}</Paragraph>
      <Button asChild data-size="lg">
        <a href="/auth/login?next_path=/">
          <Icon name="person" />
          {t('signIn.button')}
        </a>
      </Button>
      {(demo.data?.length ?? 0) > 0 && (
        <section className="stack demo" aria-labelledby="demo-title">
          <Heading level={2} data-size="sm" id="demo-title">
            {t('signIn.demoTitle')}
          </Heading>
          <Paragraph>{t('signIn.demoIntro')}</Paragraph>
          {error !== null && <ProblemAlert error={error} />}
          <ul className="plain-list">
            {demo.data?.map((person) => (
              <li key={person.action}>
                <Button variant="secondary" onClick={() => void signInAs(person)} className="wide-button demo-person">
                  <span>{t('signIn.demoAs', { name: person.name })}</span>
                  <span className="muted role">
                    {person.roles
                      .split(/,\s*/)
                      .map((word) => {
                        const code = ROLE_CODES.get(word);
                        return code ? t(`roles.${code}`) : word;
                      })
                      .join(', ')}
                  </span>
                </Button>
              </li>
            ))}
          </ul>
        </section>
      )}
    </section>
  );
}
