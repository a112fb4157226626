// "Mine data": what the service holds about the person (GDPR Art. 15), to read and to download as JSON, and their
// phone number and e-mail address to correct (Art. 16). A proxy sees the copy of the person they act for.
import { Button, Field, Heading, Label, Paragraph, Select, Textfield } from '@digdir/designsystemet-react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiProblem, api, call, type Schemas } from '../api/client';
import { keys, useMe } from '../api/queries';
import { Loading, ProblemAlert } from '../components/Problem';
import { LANGUAGES } from '../i18n';
import { formatDate, formatWhen } from '../time';

type DataExport = Schemas['DataExport'];

function useDataExport(recipientId: string | null) {
  return useQuery({
    queryKey: ['data-export', recipientId],
    queryFn: () => call(api.GET('/api/v1/me/data-export', { params: { query: recipientId ? { recipient_id: recipientId } : {} } })),
    staleTime: 30_000,
  });
}

function download(data: DataExport): void {
  const blob = new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = `mine-data-${data.generated_at.slice(0, 10)}.json`;
  document.body.append(link);
  link.click();
  link.remove();
  URL.revokeObjectURL(url);
}

function Section({ id, title, children }: { id: string; title: string; children: React.ReactNode }) {
  return (
    <section className="stack-sm" aria-labelledby={id}>
      <Heading level={2} data-size="sm" id={id}>
        {title}
      </Heading>
      {children}
    </section>
  );
}

function Items({ items }: { items: string[] }) {
  const { t } = useTranslation();
  if (items.length === 0) return <Paragraph>{t('privacy.empty')}</Paragraph>;
  return (
    <ul className="plain-list stack-sm my-data-list">
      {items.map((item, index) => (
        <li key={index}>{item}</li>
      ))}
    </ul>
  );
}

function ContactForm({ person }: { person: DataExport['person'] }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [phone, setPhone] = useState(person.phone ?? '');
  const [email, setEmail] = useState(person.email ?? '');
  const [wrong, setWrong] = useState<Set<string>>(new Set());
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    setPhone(person.phone ?? '');
    setEmail(person.email ?? '');
  }, [person.phone, person.email]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setSaved(null);
    setWrong(new Set());
    try {
      const stored = await call(api.PATCH('/api/v1/me/contact', { body: { phone, email } }));
      setPhone(stored.phone ?? '');
      setEmail(stored.email ?? '');
      setSaved(t('privacy.saved'));
      await Promise.all([client.invalidateQueries({ queryKey: ['data-export'] }), client.invalidateQueries({ queryKey: keys.me })]);
    } catch (problem) {
      const errors = problem instanceof ApiProblem && Array.isArray(problem.body.errors) ? (problem.body.errors as { field?: string }[]) : [];
      setWrong(new Set(errors.map((e) => e.field ?? '')));
      setError(problem);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="stack-sm" onSubmit={(e) => void submit(e)} aria-labelledby="contact-title" noValidate>
      <Heading level={2} data-size="sm" id="contact-title">
        {t('privacy.contact')}
      </Heading>
      <Paragraph>{t('privacy.contactHelp')}</Paragraph>
      <Textfield
        label={t('privacy.phone')}
        type="tel"
        autoComplete="tel"
        inputMode="tel"
        value={phone}
        maxLength={32}
        error={wrong.has('phone') ? t('privacy.phoneError') : undefined}
        onChange={(e) => setPhone(e.target.value)}
      />
      <Textfield
        label={t('privacy.email')}
        type="email"
        autoComplete="email"
        value={email}
        maxLength={320}
        error={wrong.has('email') ? t('privacy.emailError') : undefined}
        onChange={(e) => setEmail(e.target.value)}
      />
      <Button type="submit" disabled={busy} className="save-contact">
        {t('privacy.save')}
      </Button>
      {error !== null && <ProblemAlert error={error} />}
      <p role="status" className="saved">
        {saved}
      </p>
    </form>
  );
}

function action(name: string): 'read' | 'changed' | 'export' {
  if (name === 'person.export') return 'export';
  return name.endsWith('.read') ? 'read' : 'changed';
}

function Copy({ data }: { data: DataExport }) {
  const { t, i18n } = useTranslation();
  const language = i18n.language as 'nb' | 'nn' | 'en';
  const person = data.person;
  const shown = (value: string | null | undefined) => value || t('privacy.none');
  const prefs = data.notification_preferences;
  const fullName = `${person.given_name} ${person.family_name}`;
  const linkText = (l: DataExport['proxy_links'][number]) =>
    l.role === 'proxy'
      ? t('privacy.linkProxy', { name: l.other_name })
      : data.by_proxy
        ? t('privacy.linkRecipientFor', { name: l.other_name, subject: fullName })
        : t('privacy.linkRecipient', { name: l.other_name });
  return (
    <>
      <Section id="about-title" title={data.by_proxy ? t('privacy.aboutFor', { name: fullName }) : t('privacy.about')}>
        <dl className="my-data-facts">
          <dt>{t('privacy.name')}</dt>
          <dd>{fullName}</dd>
          <dt>{t('privacy.nationalId')}</dt>
          <dd>{person.national_id_masked}</dd>
          <dt>{t('privacy.phone')}</dt>
          <dd>{shown(person.phone)}</dd>
          <dt>{t('privacy.email')}</dt>
          <dd>{shown(person.email)}</dd>
          <dt>{t('privacy.address')}</dt>
          <dd>{shown(person.address)}</dd>
          <dt>{t('privacy.language')}</dt>
          <dd>{LANGUAGES.find((l) => l.code === person.language)?.name ?? person.language}</dd>
        </dl>
      </Section>
      {!data.by_proxy && <ContactForm person={person} />}
      <Section id="links-title" title={t('privacy.links')}>
        <Items
          items={data.proxy_links.map(
            (l) =>
              `${linkText(l)}, ${formatDate(l.valid_from)}${l.valid_to ? ` – ${formatDate(l.valid_to)}` : ''}${l.ended_at ? ` (${t('privacy.linkEnded')})` : ''}`,
          )}
        />
      </Section>
      <Section id="decisions-title" title={t('privacy.decisions')}>
        <Items
          items={data.decisions.map((d) => t('privacy.decisionLine', { minutes: d.minutes, period: t(`insight.periodUnit.${d.period}`), from: formatDate(d.valid_from) }))}
        />
      </Section>
      <Section id="bookings-title" title={t('privacy.bookings')}>
        <Items
          items={data.bookings.map((b) => `${formatWhen(b.starts_at)}: ${b.service_name[language] ?? b.service_name.nb ?? ''}, ${b.department_name} (${t(`bookings.status.${b.status}`)})`)}
        />
      </Section>
      <Section id="feedback-title" title={t('privacy.feedback')}>
        <Items items={data.feedback.map((f) => `${formatWhen(f.answered_at)}: ${t(`privacy.answer.${f.answer}`)}${f.comment ? ` – «${f.comment}»` : ''}`)} />
      </Section>
      <Section id="notifications-title" title={t('privacy.notifications')}>
        <Paragraph>
          {prefs.effective_channel ? t('privacy.channelNow', { channel: t(`reminders.channel.${prefs.effective_channel}`) }) : t('privacy.channelNowhere')}
        </Paragraph>
        <Paragraph>{t('privacy.devices', { count: data.push_subscriptions.length })}</Paragraph>
      </Section>
      {!data.by_proxy && (
        <Section id="sessions-title" title={t('privacy.sessions')}>
          <Items items={data.sessions.map((s) => t('privacy.sessionLine', { when: s.signed_in_at ? formatWhen(s.signed_in_at) : '' }))} />
        </Section>
      )}
      <Section id="access-title" title={t('privacy.accessLog')}>
        <Items items={data.access_log.map((e) => t('privacy.accessLine', { who: `${e.actor_name} ${t(`privacy.actions.${action(e.action)}`)}`, when: formatWhen(e.at) }))} />
      </Section>
      <Paragraph data-size="sm">{t('privacy.kept')}</Paragraph>
    </>
  );
}

export default function MyData() {
  const { t } = useTranslation();
  const me = useMe();
  const [recipientId, setRecipientId] = useState<string | null>(null);
  const copy = useDataExport(recipientId);
  const [done, setDone] = useState<string | null>(null);
  const others = me.data?.acts_for ?? [];
  const person = me.data?.person;
  if (!person) return null;
  const subject = others.find((p) => p.id === recipientId);
  return (
    <section className="stack my-data">
      <Heading level={1} data-size="lg">
        {t('privacy.title')}
      </Heading>
      {others.length > 0 && (
        <Field className="actor-picker">
          <Label>{t('privacy.forWhom')}</Label>
          <Select value={recipientId ?? ''} onChange={(e) => setRecipientId(e.target.value || null)}>
            <Select.Option value="">{t('privacy.me', { name: `${person.given_name} ${person.family_name}` })}</Select.Option>
            {others.map((p) => (
              <Select.Option key={p.id} value={p.id}>{`${p.given_name} ${p.family_name}`}</Select.Option>
            ))}
          </Select>
        </Field>
      )}
      <Paragraph>{subject ? t('privacy.introFor', { name: `${subject.given_name} ${subject.family_name}` }) : t('privacy.intro')}</Paragraph>
      {copy.isPending && <Loading />}
      {copy.error && <ProblemAlert error={copy.error} onRetry={() => void copy.refetch()} />}
      {copy.data && (
        <>
          <Button
            variant="primary"
            className="download-data"
            onClick={() => {
              download(copy.data);
              setDone(t('privacy.downloaded'));
            }}
          >
            {t('privacy.download')}
          </Button>
          <p role="status" className="saved">
            {done}
          </p>
          <Copy data={copy.data} />
        </>
      )}
    </section>
  );
}
