// How my reminders reach me (e-mail, SMS, a push notification on this device, or not at all), and for a proxy
// whose reminders they also get. Saved at once on each choice, like the language.
import { Alert, Button, Checkbox, Fieldset, Heading, Paragraph, Radio } from '@digdir/designsystemet-react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiProblem, api, call, type Me, type Schemas } from '../api/client';
import { PushRefused, pushState, subscribeThisDevice, thisDevice, unsubscribeThisDevice } from '../push';
import { Icon } from './Icon';
import { ProblemAlert } from './Problem';

type Channel = NonNullable<Schemas['ReminderSettingsChange']['channel']>;
const CHANNELS: Channel[] = ['email', 'sms', 'push', 'none'];
const KEY = ['reminder-settings'] as const;

function usePushKey() {
  return useQuery({
    queryKey: ['push-public-key'],
    staleTime: Infinity,
    queryFn: async () => {
      try {
        return (await call(api.GET('/api/v1/me/push-subscriptions/public-key'))).public_key;
      } catch (error) {
        if (error instanceof ApiProblem && error.status === 404) return null; // this installation has no Web Push keys
        throw error;
      }
    },
  });
}

export function Reminders({ me }: { me: Me }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const settings = useQuery({ queryKey: KEY, queryFn: () => call(api.GET('/api/v1/me/reminder-settings')) });
  const pushKey = usePushKey();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [device, setDevice] = useState<string | null>(thisDevice);
  // The choice shows at once; it falls back to what the API holds if saving fails.
  const [picked, setPicked] = useState<Schemas['ReminderSettingsChange'] | null>(null);
  const person = me.person;
  const others = me.acts_for ?? [];
  if (!person) return null;
  if (settings.isPending) return null;
  if (settings.error) return <ProblemAlert error={settings.error} onRetry={() => void settings.refetch()} />;
  const current = settings.data;
  const shown = picked ? { channel: picked.channel ?? null, reminders_for: picked.reminders_for ?? [] } : current;
  const chosen = (shown.channel ?? (picked ? null : current.effective_channel) ?? undefined) as Channel | undefined;
  const browser = pushState();

  const save = async (change: Schemas['ReminderSettingsChange'], message: string) => {
    setBusy(true);
    setError(null);
    setSaved(null);
    setPicked(change);
    try {
      client.setQueryData(KEY, await call(api.PUT('/api/v1/me/reminder-settings', { body: change })));
      setSaved(message);
    } catch (problem) {
      setError(problem);
    } finally {
      setPicked(null);
      setBusy(false);
    }
  };

  const choose = async (channel: Channel) => {
    if (busy) return;
    if (channel === 'push' && !device) {
      setBusy(true);
      setError(null);
      setSaved(null);
      setPicked({ channel, reminders_for: current.reminders_for });
      try {
        setDevice(await subscribeThisDevice());
      } catch (problem) {
        setPicked(null);
        setBusy(false);
        setError(problem instanceof PushRefused ? new ApiProblem(0, `push_${problem.reason}`, '') : problem);
        return;
      }
    }
    await save({ channel, reminders_for: current.reminders_for }, t(`reminders.saved.${channel}`));
  };

  const stopHere = async () => {
    setBusy(true);
    setError(null);
    setSaved(null);
    try {
      await unsubscribeThisDevice();
      setDevice(null);
      await client.invalidateQueries({ queryKey: KEY });
      setSaved(t('reminders.deviceStopped'));
    } catch (problem) {
      setError(problem);
    } finally {
      setBusy(false);
    }
  };

  const toggleFor = (id: string, on: boolean) => {
    if (busy) return;
    const wanted = on ? [...new Set([...current.reminders_for, id])] : current.reminders_for.filter((r) => r !== id);
    const name = others.find((p) => p.id === id)?.given_name ?? '';
    void save({ channel: (current.channel as Channel | null) ?? null, reminders_for: wanted }, t(on ? 'reminders.forOn' : 'reminders.forOff', { name }));
  };

  const pushUnavailable = pushKey.data === null ? t('reminders.pushOff') : browser === 'unsupported' ? t('reminders.pushUnsupported') : browser === 'denied' ? t('reminders.pushDenied') : null;
  const description: Record<Channel, string> = {
    email: person.email ? t('reminders.emailTo', { address: person.email }) : t('reminders.noEmail'),
    sms: person.phone ? t('reminders.smsTo', { number: person.phone }) : t('reminders.noPhone'),
    push: pushUnavailable ?? (device ? t('reminders.pushHere') : t('reminders.pushHelp')),
    none: t('reminders.noneHelp'),
  };
  const disabled: Record<Channel, boolean> = {
    email: !person.email,
    sms: !person.phone,
    push: pushUnavailable !== null && !(device && current.push_devices > 0),
    none: false,
  };

  return (
    <section className="stack-sm reminders" aria-labelledby="reminders-title" aria-busy={busy}>
      <Heading level={2} data-size="sm" id="reminders-title">
        {t('reminders.title')}
      </Heading>
      <Fieldset>
        <Fieldset.Legend>{t('reminders.how')}</Fieldset.Legend>
        <Fieldset.Description>{t('reminders.howHelp')}</Fieldset.Description>
        {CHANNELS.map((channel) => (
          <Radio
            key={channel}
            name="reminder-channel"
            value={channel}
            label={t(`reminders.channel.${channel}`)}
            description={description[channel]}
            checked={chosen === channel}
            disabled={disabled[channel] && chosen !== channel}
            onChange={() => void choose(channel)}
          />
        ))}
      </Fieldset>
      {current.channel !== 'none' && current.effective_channel === null && (
        <Alert data-color="warning">
          <Paragraph>{t('reminders.unreachable')}</Paragraph>
        </Alert>
      )}
      {others.length > 0 && (
        <Fieldset>
          <Fieldset.Legend>{t('reminders.forOthers')}</Fieldset.Legend>
          <Fieldset.Description>{t('reminders.forOthersHelp')}</Fieldset.Description>
          {others.map((p) => (
            <Checkbox
              key={p.id}
              value={p.id}
              label={`${p.given_name} ${p.family_name}`}
              checked={shown.reminders_for.includes(p.id)}
              onChange={(e) => toggleFor(p.id, e.target.checked)}
            />
          ))}
        </Fieldset>
      )}
      {device && browser !== 'unsupported' && (
        <Button variant="secondary" onClick={() => void stopHere()} disabled={busy} className="stop-push">
          <Icon name="cross" />
          {t('reminders.stopDevice')}
        </Button>
      )}
      {error !== null && <ProblemAlert error={error} />}
      <p role="status" className="saved">
        {saved}
      </p>
    </section>
  );
}
