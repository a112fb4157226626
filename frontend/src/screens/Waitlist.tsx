// The waitlist (venteliste): what I (or those I act for) wait for, and the screen to answer a held offer.
import { Alert, Button, Card, Heading, Paragraph, Tag } from '@digdir/designsystemet-react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEntries, type Entry } from '../api/waitlist';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useActor } from '../actor';
import { ApiProblem, api, call, type Schemas } from '../api/client';
import { refreshAfterVisitChange, useServiceIndex } from '../api/queries';
import { focusOnMount } from '../focus';
import { Icon } from '../components/Icon';
import { Loading, ProblemAlert } from '../components/Problem';
import { Link, useLocation } from '../router';
import { localText } from '../texts';
import { durationWords, formatDay, formatWhen } from '../time';

type Offer = Schemas['WaitlistOfferRead'];

export function Waitlist() {
  const { t } = useTranslation();
  const client = useQueryClient();
  const { people } = useActor();
  const index = useServiceIndex();
  const entries = useEntries(people.map((p) => p.id));
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const names = new Map(people.map((p) => [p.id, p.name]));
  const withdraw = async (entry: Entry) => {
    setError(null);
    try {
      await call(api.POST('/api/v1/waitlist/{entry_id}/withdraw', { params: { path: { entry_id: entry.id } } }));
      setNotice(t('waitlist.withdrawn'));
      await client.invalidateQueries({ queryKey: ['waitlist'] });
      await client.invalidateQueries({ queryKey: ['availability'] });
    } catch (problem) {
      setError(problem);
    }
  };
  const open = (entries.data ?? []).filter((e) => e.status === 'waiting');
  return (
    <div className="stack">
      <Heading level={1} data-size="lg">
        {t('waitlist.title')}
      </Heading>
      <Paragraph>{t('waitlist.intro')}</Paragraph>
      {notice && (
        <Alert data-color="success" role="status">
          {notice}
        </Alert>
      )}
      {error !== null && <ProblemAlert error={error} />}
      {entries.isPending && <Loading />}
      {entries.error && <ProblemAlert error={entries.error} onRetry={() => void entries.refetch()} />}
      {entries.data && open.length === 0 && <Paragraph>{t('waitlist.none')}</Paragraph>}
      <ul className="plain-list stack-sm waitlist-entries">
        {open.map((e) => {
          const name = localText(index.services.get(e.service_id)?.names);
          const days = e.first_day === e.last_day ? t('waitlist.oneDay', { day: formatDay(e.first_day) }) : t('waitlist.days', { from: formatDay(e.first_day), to: formatDay(e.last_day) });
          return (
            <li key={e.id}>
              <Card data-color="neutral" className="booking-card">
                <Heading level={2} data-size="xs">
                  {days}
                </Heading>
                <Paragraph>
                  {name}, {durationWords(e.minutes)}
                </Paragraph>
                {people.some((p) => !p.self) && <Tag data-color="info">{names.get(e.recipient_id)}</Tag>}
                {e.offer && (
                  <Alert data-color="info">
                    <Paragraph>{t('waitlist.held', { when: formatWhen(e.offer.start) })}</Paragraph>
                    <Link href={`/venteliste/tilbud/${e.offer.id}`} className="ds-link">
                      {t('waitlist.answer')}
                    </Link>
                  </Alert>
                )}
                <div className="button-row">
                  <Button variant="secondary" data-color="danger" onClick={() => void withdraw(e)} aria-label={`${t('waitlist.withdraw')}: ${name} ${days}`}>
                    <Icon name="cross" />
                    {t('waitlist.withdraw')}
                  </Button>
                </div>
              </Card>
            </li>
          );
        })}
      </ul>
    </div>
  );
}

export function WaitlistOffer() {
  const { t } = useTranslation();
  const client = useQueryClient();
  const { path } = useLocation();
  const id = path.slice('/venteliste/tilbud/'.length);
  const offer = useQuery({ queryKey: ['waitlist-offer', id], queryFn: () => call(api.GET('/api/v1/waitlist/offers/{offer_id}', { params: { path: { offer_id: id } } })) });
  const [done, setDone] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const answer = async (accept: boolean) => {
    if (!offer.data) return;
    setBusy(true);
    setError(null);
    const path = { params: { path: { offer_id: offer.data.id } } };
    try {
      if (accept) {
        const booking = await call(api.POST('/api/v1/waitlist/offers/{offer_id}/accept', path));
        setDone(t('waitlist.accepted', { when: formatWhen(booking.start) }));
      } else {
        await call(api.POST('/api/v1/waitlist/offers/{offer_id}/decline', path));
        setDone(t('waitlist.declined'));
      }
      await refreshAfterVisitChange(client);
    } catch (problem) {
      setError(problem);
      if (problem instanceof ApiProblem && problem.code === 'offer_gone') await offer.refetch();
    } finally {
      setBusy(false);
    }
  };
  if (offer.isPending) return <Loading />;
  if (offer.error) return <ProblemAlert error={offer.error} />;
  const o: Offer = offer.data;
  const open = o.status === 'held' && new Date(o.expires_at).getTime() > Date.now();
  return (
    <section className="stack">
      <Heading level={1} data-size="md" tabIndex={-1} ref={focusOnMount}>
        {t('waitlist.offerTitle')}
      </Heading>
      <Paragraph>
        <strong>{formatWhen(o.start)}</strong>
      </Paragraph>
      {done ? (
        <Alert data-color="success" role="status">
          {done}
        </Alert>
      ) : open ? (
        <>
          <Paragraph>{t('waitlist.offerText', { until: formatWhen(o.expires_at) })}</Paragraph>
          {error !== null && <ProblemAlert error={error} />}
          <div className="button-row">
            <Button data-size="lg" onClick={() => void answer(true)} loading={busy} disabled={busy} className="cta">
              <Icon name="check" />
              {t('waitlist.accept')}
            </Button>
            <Button variant="secondary" onClick={() => void answer(false)} disabled={busy}>
              <Icon name="cross" />
              {t('waitlist.decline')}
            </Button>
          </div>
        </>
      ) : (
        <Alert data-color="warning">{o.status === 'held' ? t('waitlist.gone') : t(`waitlist.offerStatus.${o.status}`, { defaultValue: t('waitlist.gone') })}</Alert>
      )}
      <Link href="/venteliste" className="ds-link">
        {t('waitlist.link')}
      </Link>
    </section>
  );
}
