// The shared plan ("Planen min"): every decision across departments with the hours left, upcoming and past visits,
// follow-ups and the person's own answers. For the recipient, their proxies (switching person), coordinators.
import { Card, Heading, Paragraph, Tag } from '@digdir/designsystemet-react';
import { useTranslation } from 'react-i18next';
import { useActor } from '../actor';
import { useMe } from '../api/queries';
import { ActorPicker } from '../components/ActorPicker';
import { HoursBar } from '../components/HoursBar';
import { Icon } from '../components/Icon';
import { PictogramFace, type Face } from '../components/PictogramFace';
import { Loading, ProblemAlert } from '../components/Problem';
import { Link, useLocation } from '../router';
import { durationWords, formatWhen } from '../time';
import { localText, type Plan, type PlanAllocation, type PlanVisit, shortDate, usePlan } from './InsightApi';

function AllocationCard({ line, staffView, who }: { line: PlanAllocation; staffView: boolean; who: string | null }) {
  const { t } = useTranslation();
  const left = Math.max(0, line.minutes - line.used);
  const period = t(`period.${line.period}`, { defaultValue: '' });
  return (
    <Card data-color="neutral" className="hours-card plan-allocation">
      <Heading level={3} data-size="xs">
        {localText(line.service_name)}
      </Heading>
      <Paragraph data-size="sm" className="muted">
        {line.department_name}
      </Paragraph>
      <Paragraph>
        {who === null
          ? left > 0
            ? t('home.left', { left: durationWords(left), granted: durationWords(line.minutes), period })
            : t('home.leftNone', { period })
          : left > 0
            ? t('insight.plan.leftFor', { name: who, left: durationWords(left), granted: durationWords(line.minutes), period })
            : t('insight.plan.leftNoneFor', { name: who, period })}
      </Paragraph>
      <HoursBar used={line.used} granted={line.minutes} />
      <ul className="plain-list plan-facts">
        <li>{line.valid_to ? t('insight.plan.validFromTo', { from: shortDate(line.valid_from), to: shortDate(line.valid_to) }) : t('insight.plan.validFrom', { from: shortDate(line.valid_from) })}</li>
        {line.kind === 'trial' && line.evaluation_date && (
          <li>
            <Tag data-color="warning">{t('insight.plan.trial')}</Tag> {t('insight.plan.evaluation', { date: shortDate(line.evaluation_date) })}
          </li>
        )}
        {line.review_date && <li>{t('insight.plan.review', { date: shortDate(line.review_date) })}</li>}
      </ul>
      {staffView && (
        <Link href={`/innsikt/vedtak/${line.id}`} className="ds-link" data-color="accent">
          {t('insight.plan.evaluationLink', { service: localText(line.service_name) })}
        </Link>
      )}
    </Card>
  );
}

function VisitList({ visits, empty, showStatus }: { visits: PlanVisit[]; empty: string; showStatus: boolean }) {
  const { t } = useTranslation();
  if (visits.length === 0) return <Paragraph>{empty}</Paragraph>;
  return (
    <ul className="plain-list stack-sm">
      {visits.map((v) => (
        <li key={v.booking_id} className="booking-line">
          <Icon name="calendar" />
          <span>
            <strong>{formatWhen(v.start)}</strong>
            <br />
            {localText(v.service_name)}, {durationWords(v.minutes)}
            <br />
            <span className="muted">{v.department_name}</span>
            {showStatus && (
              <>
                <br />
                <Tag data-color={v.status === 'delivered' ? 'success' : v.status === 'booked' ? 'info' : 'neutral'}>{t(`bookings.status.${v.status}`, { defaultValue: v.status })}</Tag>
              </>
            )}
          </span>
        </li>
      ))}
    </ul>
  );
}

function FollowUps({ plan }: { plan: Plan }) {
  const { t } = useTranslation();
  const departments = new Map(plan.allocations.map((a) => [a.department_id, a.department_name]));
  if (plan.follow_ups.length === 0) return <Paragraph>{t('insight.plan.noFollowUps')}</Paragraph>;
  return (
    <ul className="plain-list stack-sm">
      {plan.follow_ups.map((f) => {
        const d = f.details as Record<string, unknown>;
        const department = departments.get(f.department_id) ?? '';
        const text =
          f.kind === 'repeated_no_show'
            ? t('insight.plan.followUp.repeated_no_show', { count: Number(d.no_shows ?? 0), weeks: Number(d.weeks ?? 0), department })
            : f.kind === 'evaluation_due'
              ? t('insight.plan.followUp.evaluation_due', { date: shortDate(String(d.evaluation_date ?? '')), department })
              : t('insight.plan.followUp.other', { department });
        return (
          <li key={f.id} className="booking-line plan-follow-up">
            <Icon name="help" />
            <span>{text}</span>
          </li>
        );
      })}
    </ul>
  );
}

function Answers({ plan, limit }: { plan: Plan; limit: number }) {
  const { t } = useTranslation();
  const answers = (plan.feedback ?? []).slice(0, limit);
  if (answers.length === 0) return <Paragraph>{t('insight.plan.noAnswers')}</Paragraph>;
  return (
    <ul className="plain-list stack-sm">
      {answers.map(({ feedback, visit }) => (
        <li key={feedback.id} className="booking-line plan-answer">
          <PictogramFace face={feedback.answer as Face} size={40} />
          <span>
            <strong>{t(`insight.feedback.answer.${feedback.answer}`, { defaultValue: feedback.answer })}</strong>
            {feedback.by_proxy && <> ({t('insight.plan.byProxy')})</>}
            <br />
            {localText(visit.service_name)}, {formatWhen(visit.start)}
            {feedback.comment && (
              <>
                <br />
                <q>{feedback.comment}</q>
              </>
            )}
          </span>
        </li>
      ))}
    </ul>
  );
}

function PlanView({ who, own, staffView }: { who: string; own: boolean; staffView: boolean }) {
  const { t } = useTranslation();
  const plan = usePlan(who);
  if (plan.isPending) return <Loading />;
  if (plan.error) return <ProblemAlert error={plan.error} onRetry={() => void plan.refetch()} />;
  const p = plan.data;
  const name = `${p.given_name} ${p.family_name}`;
  const recent = p.past.slice(0, staffView ? 10 : 5); // newest first; fewer on the person's own phone
  return (
    <div className="stack plan">
      <Heading level={1} data-size="lg">
        {own ? t('insight.plan.titleOwn') : t('insight.plan.titleOf', { name })}
      </Heading>
      <Paragraph>{t('insight.plan.intro')}</Paragraph>
      {!staffView && <ActorPicker />}
      <section className="stack-sm" aria-labelledby="plan-decisions">
        <Heading level={2} data-size="sm" id="plan-decisions">
          {t('insight.plan.decisions')}
        </Heading>
        {p.allocations.length === 0 && <Paragraph>{t('insight.plan.noDecisions')}</Paragraph>}
        {p.allocations.map((a) => (
          <AllocationCard key={a.id} line={a} staffView={staffView} who={own ? null : p.given_name} />
        ))}
      </section>
      <section className="stack-sm" aria-labelledby="plan-upcoming">
        <Heading level={2} data-size="sm" id="plan-upcoming">
          {t('insight.plan.upcoming')}
        </Heading>
        <VisitList visits={p.upcoming} empty={t('insight.plan.noUpcoming')} showStatus={false} />
      </section>
      <section className="stack-sm" aria-labelledby="plan-follow-ups">
        <Heading level={2} data-size="sm" id="plan-follow-ups">
          {t('insight.plan.followUps')}
        </Heading>
        <FollowUps plan={p} />
      </section>
      {p.feedback && (
        <section className="stack-sm" aria-labelledby="plan-answers">
          <Heading level={2} data-size="sm" id="plan-answers">
            {t('insight.plan.answers')}
          </Heading>
          <Answers plan={p} limit={staffView ? 10 : 5} />
        </section>
      )}
      <section className="stack-sm" aria-labelledby="plan-past">
        <Heading level={2} data-size="sm" id="plan-past">
          {t('insight.plan.past')}
        </Heading>
        <VisitList visits={recent} empty={t('insight.plan.noPast')} showStatus />
      </section>
      {staffView && (
        <Link href="/koordinator" className="ds-link">
          <Icon name="back" /> {t('insight.coordinator.back')}
        </Link>
      )}
    </div>
  );
}

/** `/plan` (me, or whom I act for) and `/plan/{recipient_id}` (a coordinator's or administrator's view). */
export default function InsightPlan() {
  const { t } = useTranslation();
  const { path } = useLocation();
  const me = useMe();
  const { selected } = useActor();
  const id = path.split('/')[2];
  if (id) return <PlanView key={id} who={id} own={id === me.data?.person?.id} staffView={id !== me.data?.person?.id && !(me.data?.acts_for ?? []).some((p) => p.id === id)} />;
  if (!selected) {
    return (
      <Paragraph>
        <Link href="/koordinator">{t('insight.plan.nobody')}</Link>
      </Paragraph>
    );
  }
  return <PlanView key={selected.id} who={selected.id} own={selected.self} staffView={false} />;
}
