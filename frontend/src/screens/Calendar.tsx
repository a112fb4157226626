// Subscribe to my calendar: a secret feed link to copy, open as webcal:// or scan as a QR code; revoke old ones.
import { Alert, Button, Card, Heading, Paragraph, Textfield } from '@digdir/designsystemet-react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, call, type Schemas } from '../api/client';
import { hasRole, useMe } from '../api/queries';
import { focusOnMount } from '../focus';
import { Icon } from '../components/Icon';
import { Loading, ProblemAlert } from '../components/Problem';
import { formatWhen } from '../time';

type Created = Schemas['FeedCreated'];

function QrCode({ text }: { text: string }) {
  const { t } = useTranslation();
  const [src, setSrc] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    // The QR encoder loads only here, so the booking pages stay small.
    void import('qrcode').then((qr) => qr.toDataURL(text, { margin: 2, width: 240, errorCorrectionLevel: 'M' })).then((url) => live && setSrc(url));
    return () => {
      live = false;
    };
  }, [text]);
  return src ? <img src={src} width={240} height={240} alt={t('calendar.qr')} className="qr" /> : null;
}

export default function Calendar() {
  const { t, i18n } = useTranslation();
  const me = useMe();
  const client = useQueryClient();
  const feeds = useQuery({ queryKey: ['feeds'], queryFn: () => call(api.GET('/api/v1/feeds')) });
  const [created, setCreated] = useState<Created | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const kind = hasRole(me.data, 'staff') ? 'staff' : hasRole(me.data, 'recipient') ? 'recipient' : 'proxy';
  const language = (['nb', 'nn', 'en'] as const).find((l) => l === i18n.language) ?? 'nb';

  const create = async () => {
    setError(null);
    setNotice(null);
    try {
      setCreated(await call(api.POST('/api/v1/feeds', { body: { kind, language } })));
      await client.invalidateQueries({ queryKey: ['feeds'] });
    } catch (problem) {
      setError(problem);
    }
  };
  const remove = async (id: string) => {
    setError(null);
    try {
      await call(api.DELETE('/api/v1/feeds/{feed_id}', { params: { path: { feed_id: id } } }));
      if (created?.feed.id === id) setCreated(null);
      setNotice(t('calendar.removed'));
      await client.invalidateQueries({ queryKey: ['feeds'] });
    } catch (problem) {
      setError(problem);
    }
  };
  const copy = async (text: string) => {
    try {
      await navigator.clipboard.writeText(text);
      setNotice(t('calendar.copied'));
    } catch {
      (document.getElementById('feed-url') as HTMLInputElement | null)?.select();
    }
  };

  return (
    <div className="stack">
      <Heading level={1} data-size="lg">
        {t('calendar.title')}
      </Heading>
      <Paragraph>{t('calendar.intro')}</Paragraph>
      {error !== null && <ProblemAlert error={error} />}
      {notice && (
        <Alert data-color="success" role="status">
          {notice}
        </Alert>
      )}
      {created ? (
        <Card data-color="neutral" className="stack-sm feed-card">
          <Heading level={2} data-size="sm" tabIndex={-1} ref={focusOnMount}>
            <Icon name="check" /> {t('calendar.ready')}
          </Heading>
          <Paragraph>{t('calendar.secret')}</Paragraph>
          <Textfield id="feed-url" label={t('calendar.link')} value={created.url} readOnly onFocus={(e) => e.target.select()} />
          <div className="button-row">
            <Button onClick={() => void copy(created.url)}>
              <Icon name="link" />
              {t('calendar.copy')}
            </Button>
            <Button asChild variant="secondary">
              <a href={created.webcal_url}>
                <Icon name="calendar" />
                {t('calendar.open')}
              </a>
            </Button>
          </div>
          <QrCode text={created.webcal_url} />
        </Card>
      ) : (
        <Button data-size="lg" onClick={() => void create()} className="cta">
          <Icon name="calendar" />
          {t('calendar.create')}
        </Button>
      )}
      <section className="stack-sm" aria-labelledby="feeds-title">
        <Heading level={2} data-size="sm" id="feeds-title">
          {t('calendar.existing')}
        </Heading>
        {feeds.isPending && <Loading />}
        {feeds.data?.length === 0 && <Paragraph>{t('calendar.none')}</Paragraph>}
        <ul className="plain-list stack-sm">
          {feeds.data?.map((feed) => (
            <li key={feed.id} className="booking-line">
              <span>
                <strong>{feed.prefix}…</strong>
                <br />
                <span className="muted">{t('calendar.made', { when: formatWhen(feed.created_at) })}</span>
              </span>
              <Button variant="tertiary" data-size="sm" onClick={() => void remove(feed.id)} aria-label={t('calendar.removeLabel', { prefix: feed.prefix })}>
                <Icon name="cross" />
                {t('calendar.remove')}
              </Button>
            </li>
          ))}
        </ul>
      </section>
    </div>
  );
}
