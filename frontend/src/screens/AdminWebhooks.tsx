// The administrator's view of the webhooks to the case system: the subscriptions they manage, and the deliveries
// given up on after the last try, each of which can be sent again. Subscribing is done by the integration (API).
import { Button, Heading, Paragraph, Tag } from '@digdir/designsystemet-react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, call } from '../api/client';
import { useDepartments } from '../api/queries';
import { Loading, ProblemAlert } from '../components/Problem';
import { formatWhen } from '../time';

function DeadLetters() {
  const { t } = useTranslation();
  const client = useQueryClient();
  const letters = useQuery({ queryKey: ['webhook-dead-letters'], queryFn: () => call(api.GET('/api/v1/webhooks/dead-letters')) });
  const [error, setError] = useState<unknown>(null);
  const [sent, setSent] = useState<number | null>(null);
  const redeliver = async (id: number) => {
    setError(null);
    try {
      await call(api.POST('/api/v1/webhooks/dead-letters/{delivery_id}/redeliver', { params: { path: { delivery_id: id } } }));
      setSent(id);
      await client.invalidateQueries({ queryKey: ['webhook-dead-letters'] });
    } catch (problem) {
      setError(problem);
    }
  };
  if (letters.isPending) return <Loading />;
  if (letters.error) return <ProblemAlert error={letters.error} onRetry={() => void letters.refetch()} />;
  return (
    <>
      {error !== null && <ProblemAlert error={error} />}
      {sent !== null && (
        <Paragraph role="status" className="muted">
          {t('adminHome.webhooks.redelivered')}
        </Paragraph>
      )}
      {letters.data.length === 0 ? (
        <Paragraph>{t('adminHome.webhooks.noDead')}</Paragraph>
      ) : (
        <ul className="plain-list stack-sm">
          {letters.data.map((d) => (
            <li key={d.id} className="booking-line">
              <span>
                <strong>{d.event_type}</strong>
                <br />
                <span className="webhook-url">{d.url}</span>
                <br />
                <span className="muted">{t('adminHome.webhooks.deadLine', { count: d.attempts, when: d.finished_at ? formatWhen(d.finished_at) : '', error: d.last_error ?? '' })}</span>
              </span>
              <Button variant="secondary" data-size="sm" onClick={() => void redeliver(d.id)} aria-label={`${t('adminHome.webhooks.redeliver')}: ${d.event_type}, ${d.url}`}>
                {t('adminHome.webhooks.redeliver')}
              </Button>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

export function AdminWebhooks() {
  const { t } = useTranslation();
  const departments = useDepartments();
  const hooks = useQuery({ queryKey: ['webhooks'], queryFn: () => call(api.GET('/api/v1/webhooks')) });
  if (hooks.isPending) return <Loading />;
  if (hooks.error) return <ProblemAlert error={hooks.error} onRetry={() => void hooks.refetch()} />;
  return (
    <>
      <Paragraph>{t('adminHome.webhooks.intro')}</Paragraph>
      {hooks.data.length === 0 ? (
        <Paragraph>{t('adminHome.webhooks.none')}</Paragraph>
      ) : (
        <ul className="plain-list stack-sm">
          {hooks.data.map((w) => (
            <li key={w.id} className="booking-line">
              <span>
                <strong className="webhook-url">{w.url}</strong>
                <br />
                <span className="muted">
                  {w.department_id ? (departments.data?.find((d) => d.id === w.department_id)?.name ?? '') : t('adminHome.webhooks.wholeMunicipality')}
                  {' · '}
                  {t('adminHome.webhooks.events', { count: w.event_types.length })}
                  {w.description ? ` · ${w.description}` : ''}
                </span>
              </span>
              <span className="webhook-tags">
                <Tag data-color={w.active ? 'success' : 'neutral'}>{w.active ? t('adminHome.webhooks.active') : t('adminHome.webhooks.paused')}</Tag>
                {w.personal_data && <Tag data-color="warning">{t('adminHome.webhooks.personalData')}</Tag>}
              </span>
            </li>
          ))}
        </ul>
      )}
      <Heading level={3} data-size="xs">
        {t('adminHome.webhooks.deadTitle')}
      </Heading>
      <DeadLetters />
    </>
  );
}
