// My bookings (a proxy sees everyone they act for in one list): move, cancel with the deadline stated.
import { Alert, Button, Card, Heading, Paragraph, Tag } from '@digdir/designsystemet-react';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useActor } from '../actor';
import { api, call, type Booking } from '../api/client';
import { refreshAfterVisitChange, useBookings, useServiceIndex } from '../api/queries';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { Icon } from '../components/Icon';
import { Loading, ProblemAlert } from '../components/Problem';
import { Link, navigate } from '../router';
import { localText } from '../texts';
import { durationWords, formatWhen } from '../time';

function deadline(b: Booking, hours: number | undefined): Date | null {
  return hours === undefined ? null : new Date(new Date(b.start).getTime() - hours * 3_600_000);
}

export function CancelDialog({ booking, hours, name, onClose }: { booking: Booking; hours: number | undefined; name: string; onClose: (cancelled: boolean) => void }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const limit = deadline(booking, hours);
  const late = limit !== null && limit.getTime() < Date.now();
  const cancel = async () => {
    await call(api.POST('/api/v1/bookings/{booking_id}/cancel', { params: { path: { booking_id: booking.id } } }));
    await refreshAfterVisitChange(client);
  };
  return (
    <ConfirmDialog title={t('bookings.cancelTitle')} confirm={t('bookings.cancelConfirm')} keep={t('bookings.keep')} action={cancel} onClose={onClose}>
      <Paragraph>
        <strong>{name}</strong>, {formatWhen(booking.start)}
      </Paragraph>
      {limit && <Paragraph>{late ? t('bookings.cancelLate', { deadline: formatWhen(limit) }) : t('bookings.cancelFree', { deadline: formatWhen(limit) })}</Paragraph>}
    </ConfirmDialog>
  );
}

export function Bookings() {
  const { t, i18n } = useTranslation();
  const { people } = useActor();
  const all = useBookings(people.map((p) => p.id));
  const index = useServiceIndex();
  const [cancelling, setCancelling] = useState<Booking | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const names = new Map(people.map((p) => [p.id, p.name]));
  const now = new Date().toISOString();
  const upcoming = all.bookings.filter((b) => b.status === 'booked' && b.end > now);
  const past = all.bookings.filter((b) => !upcoming.includes(b)).reverse().slice(0, 20);
  const serviceName = (b: Booking) => localText(index.services.get(b.service_id)?.names);
  const hours = (b: Booking) => index.departments.get(b.department_id)?.cancel_deadline_hours;

  return (
    <div className="stack">
      <Heading level={1} data-size="lg">
        {t('bookings.title')}
      </Heading>
      <Link href="/kalender" className="ds-link calendar-link">
        <Icon name="calendar" /> {t('calendar.fromBookings')}
      </Link>
      <Link href="/venteliste" className="ds-link calendar-link">
        <Icon name="list" /> {t('waitlist.link')}
      </Link>
      <Link href="/timer/faste-avtaler" className="ds-link calendar-link">
        <Icon name="calendar" /> {t('bookings.series')}
      </Link>
      {notice && (
        <Alert data-color="success" role="status">
          {notice}
        </Alert>
      )}
      {all.pending && <Loading />}
      {all.error && <ProblemAlert error={all.error} />}
      <section className="stack-sm" aria-labelledby="upcoming-title">
        <Heading level={2} data-size="sm" id="upcoming-title">
          {t('bookings.upcoming')}
        </Heading>
        {!all.pending && upcoming.length === 0 && <Paragraph>{t('bookings.none')}</Paragraph>}
        <ul className="plain-list stack-sm">
          {upcoming.map((b) => {
            const limit = deadline(b, hours(b));
            return (
              <li key={b.id}>
                <Card data-color="neutral" className="booking-card">
                  <Heading level={3} data-size="xs">
                    {formatWhen(b.start)}
                  </Heading>
                  <Paragraph>
                    {serviceName(b)}, {durationWords(b.minutes)}
                  </Paragraph>
                  {people.some((p) => !p.self) && <Tag data-color="info">{names.get(b.recipient_id)}</Tag>}
                  {limit && limit.getTime() > Date.now() && (
                    <Paragraph data-size="sm">
                      <Icon name="clock" /> {t('bookings.deadline', { deadline: formatWhen(limit) })}
                    </Paragraph>
                  )}
                  <a className="ds-link download-link" href={`/api/v1/bookings/${b.id}/event.ics?lang=${i18n.language}`} download>
                    <Icon name="calendar" />
                    {t('bookings.download')}
                  </a>
                  <div className="button-row">
                    <Button variant="secondary" onClick={() => navigate(`/flytt/${b.id}?for=${b.recipient_id}`)} aria-label={`${t('bookings.move')}: ${serviceName(b)} ${formatWhen(b.start)}`}>
                      <Icon name="move" />
                      {t('bookings.move')}
                    </Button>
                    <Button variant="secondary" data-color="danger" onClick={() => setCancelling(b)} aria-label={`${t('bookings.cancel')}: ${serviceName(b)} ${formatWhen(b.start)}`}>
                      <Icon name="cross" />
                      {t('bookings.cancel')}
                    </Button>
                  </div>
                </Card>
              </li>
            );
          })}
        </ul>
      </section>
      {past.length > 0 && (
        <section className="stack-sm" aria-labelledby="past-title">
          <Heading level={2} data-size="sm" id="past-title">
            {t('bookings.past')}
          </Heading>
          <ul className="plain-list stack-sm">
            {past.map((b) => (
              <li key={b.id} className="booking-line">
                <span>
                  {formatWhen(b.start)}: {serviceName(b)}
                  {people.some((p) => !p.self) && <> ({names.get(b.recipient_id)})</>}
                </span>
                <Tag data-color={b.status === 'delivered' ? 'success' : 'neutral'}>{t(`bookings.status.${b.status}`, { defaultValue: b.status })}</Tag>
              </li>
            ))}
          </ul>
        </section>
      )}
      {cancelling && (
        <CancelDialog
          booking={cancelling}
          hours={hours(cancelling)}
          name={serviceName(cancelling)}
          onClose={(cancelled) => {
            setCancelling(null);
            if (cancelled) setNotice(t('bookings.cancelled'));
          }}
        />
      )}
    </div>
  );
}
