import { Button, Card, Heading, Paragraph, Tag } from '@digdir/designsystemet-react';
import { lazy, Suspense } from 'react';
import { useTranslation } from 'react-i18next';
import { useActor } from '../actor';
import { allocationFor, bookedThisWeek, useAllocations } from '../api/allocations';
import { hasRole, useBookings, useMe, useOffers, useServiceIndex, type Offer, type Person } from '../api/queries';
import type { Booking } from '../api/client';
import { ActorPicker } from '../components/ActorPicker';
import { HoursBar } from '../components/HoursBar';
import { Icon } from '../components/Icon';
import { Loading, ProblemAlert } from '../components/Problem';
import { Link } from '../router';
import { serviceName } from '../texts';
import { durationWords, formatDay, formatWhen } from '../time';

// The feedback question loads on demand: the booking page stays small.
const FeedbackPrompt = lazy(() => import('./InsightFeedback').then((m) => ({ default: m.FeedbackPrompt })));
// So does an administrator's home (today's visits, this week's staffing, follow-ups).
const AdminHome = lazy(() => import('./AdminHome'));

function HoursCard({ offer, who, name, bookings }: { offer: Offer; who: string; name: string | null; bookings: Booking[] }) {
  const { t } = useTranslation();
  const allocations = useAllocations(who);
  const allocation = allocationFor(allocations.data, offer.service.id);
  const booked = bookedThisWeek(bookings, offer.service.id, who);
  const used = allocation?.used_minutes ?? booked;
  const period = t(`period.${allocation?.period ?? 'week'}`, { defaultValue: t('period.week') });
  const left = allocation ? (allocation.left_minutes ?? Math.max(0, allocation.minutes - used)) : 0;
  const whose = name ? 'For' : '';
  const renews = offer.availability.days[0]?.hours.next_period_start;
  return (
    <Card data-color="neutral" className="hours-card">
      <Heading level={3} data-size="xs">
        {serviceName(offer.service)}
      </Heading>
      {allocation ? (
        <>
          <Paragraph>
            {left > 0
              ? t(`home.left${whose}`, { name, left: durationWords(left), granted: durationWords(allocation.minutes), period })
              : t(`home.leftNone${whose}`, { name, period })}
          </Paragraph>
          {left <= 0 && renews && <Paragraph>{t('book.newHours', { date: formatDay(renews) })}</Paragraph>}
          <HoursBar used={used} granted={allocation.minutes} />
        </>
      ) : (
        <Paragraph>{booked > 0 ? t('home.bookedThisWeek', { booked: durationWords(booked) }) : t('home.bookedNone')}</Paragraph>
      )}
    </Card>
  );
}

/** "You have no visits booked", or whose: "Emma har ingen timer bestilt" for a proxy, "Du og Emma ..." for both. */
function NoUpcoming({ people }: { people: Person[] }) {
  const { t, i18n } = useTranslation();
  const others = people.filter((p) => !p.self).map((p) => p.name.split(' ')[0] ?? p.name);
  if (others.length === 0) return <Paragraph>{t('home.noUpcoming')}</Paragraph>;
  const names = new Intl.ListFormat(i18n.language === 'en' ? 'en-GB' : 'nb-NO', { type: 'conjunction' }).format(others);
  return <Paragraph>{people.some((p) => p.self) ? t('home.noUpcomingYouAnd', { names }) : t('home.noUpcomingFor', { names, count: others.length })}</Paragraph>;
}

export function UpcomingList({ bookings, names, serviceNames, limit, showNames, people = [] }: { bookings: Booking[]; names: Map<string, string>; serviceNames: Map<string, string>; limit?: number; showNames: boolean; people?: Person[] }) {
  const now = new Date().toISOString();
  const { t } = useTranslation();
  const upcoming = bookings.filter((b) => b.status === 'booked' && b.end > now).slice(0, limit);
  if (upcoming.length === 0) return <NoUpcoming people={people} />;
  return (
    <ul className="plain-list stack-sm">
      {upcoming.map((b) => (
        <li key={b.id} className="booking-line">
          <Icon name="calendar" />
          <span>
            <strong>{formatWhen(b.start)}</strong>
            <br />
            {serviceNames.get(b.service_id) ?? ''}, {durationWords(b.minutes)}
            {showNames && <> {t('home.forWhom', { name: names.get(b.recipient_id) ?? '' })}</>}
          </span>
        </li>
      ))}
    </ul>
  );
}

export function Home() {
  const { t } = useTranslation();
  const me = useMe();
  const { people, selected } = useActor();
  const offers = useOffers(selected?.id);
  const decisions = useAllocations(selected?.id);
  const weekly = selected?.self && (decisions.data ?? []).every((a) => a.period === 'week');
  const all = useBookings(people.map((p) => p.id));
  const names = new Map(people.map((p) => [p.id, p.name]));
  const index = useServiceIndex();
  const serviceNames = new Map([...index.services.values()].map((s) => [s.id, serviceName(s)]));
  const person = me.data?.person;

  if (!hasRole(me.data, 'recipient', 'proxy')) {
    return (
      <Suspense fallback={<Loading />}>
        <AdminHome />
      </Suspense>
    );
  }

  return (
    <div className="stack">
      <Heading level={1} data-size="lg">
        {t('home.greeting', { name: person?.given_name ?? '' })}
      </Heading>
      <ActorPicker />
      {/* Booking first: above the fold on a phone, before the feedback question and the hours. */}
      {offers.offers.length > 0 && (
        <Button asChild data-size="lg" className="cta">
          <Link href="/bestill">
            <Icon name="calendar" />
            {t('home.book')}
          </Link>
        </Button>
      )}
      <Suspense fallback={null}>
        <FeedbackPrompt />
      </Suspense>
      <section className="stack-sm" aria-labelledby="hours-title">
        <Heading level={2} data-size="sm" id="hours-title">
          {weekly ? t('home.hoursTitle') : t('home.hoursTitlePeriod')}
          {selected && !selected.self && <Tag data-color="info" className="for-tag">{selected.name}</Tag>}
        </Heading>
        {offers.pending && <Loading />}
        {offers.error && <ProblemAlert error={offers.error} />}
        {!offers.pending && offers.offers.length === 0 && <Paragraph>{t('home.noServices')}</Paragraph>}
        {selected &&
          offers.offers.map((offer) => (
            <HoursCard key={offer.service.id} offer={offer} who={selected.id} name={selected.self ? null : selected.name.split(' ')[0] ?? selected.name} bookings={all.bookings} />
          ))}
      </section>
      <section className="stack-sm" aria-labelledby="upcoming-title">
        <Heading level={2} data-size="sm" id="upcoming-title">
          {t('home.upcoming')}
        </Heading>
        {all.pending ? <Loading /> : <UpcomingList bookings={all.bookings} names={names} serviceNames={serviceNames} limit={3} showNames={people.some((p) => !p.self)} people={people} />}
        <Link href="/timer" className="ds-link">
          {t('home.allBookings')}
        </Link>
        <Link href="/plan" className="ds-link plan-link">
          {selected && !selected.self ? t('insight.plan.homeLinkFor', { name: selected.name }) : t('insight.plan.homeLink')}
        </Link>
      </section>
    </div>
  );
}
