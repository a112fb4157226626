// A coordinator's list: everyone they coordinate, one card each, linking to that person's plan.
import { Card, Heading, Paragraph, Tag } from '@digdir/designsystemet-react';
import { useTranslation } from 'react-i18next';
import { Icon } from '../components/Icon';
import { type Face, PictogramFace } from '../components/PictogramFace';
import { Loading, ProblemAlert } from '../components/Problem';
import { Link } from '../router';
import { formatWhen } from '../time';
import { useCoordinated } from './InsightApi';

export default function InsightCoordinator() {
  const { t } = useTranslation();
  const list = useCoordinated(true);
  return (
    <div className="stack coordinator">
      <Heading level={1} data-size="lg">
        {t('insight.coordinator.title')}
      </Heading>
      <Paragraph>{t('insight.coordinator.intro')}</Paragraph>
      {list.isPending && <Loading />}
      {list.error && <ProblemAlert error={list.error} onRetry={() => void list.refetch()} />}
      {list.data?.length === 0 && <Paragraph>{t('insight.coordinator.none')}</Paragraph>}
      <ul className="plain-list stack-sm">
        {list.data?.map((p) => {
          const name = `${p.given_name} ${p.family_name}`;
          return (
            <li key={p.recipient_id}>
              <Card data-color="neutral" className="coordinated-card">
                <Heading level={2} data-size="xs">
                  <Link href={`/plan/${p.recipient_id}`} className="ds-link" data-color="accent">
                    {name}
                  </Link>
                </Heading>
                <Paragraph>
                  <Icon name="calendar" />{' '}
                  {p.next_visit ? t('insight.coordinator.next', { count: p.upcoming_visits, when: formatWhen(p.next_visit) }) : t('insight.coordinator.noVisits')}
                </Paragraph>
                {p.open_follow_ups > 0 ? (
                  <Paragraph>
                    <Tag data-color="warning">{t('insight.coordinator.followUps', { count: p.open_follow_ups })}</Tag>
                  </Paragraph>
                ) : (
                  <Paragraph className="muted">{t('insight.coordinator.noFollowUps')}</Paragraph>
                )}
                {p.latest_feedback ? (
                  <p className="coordinated-feedback">
                    <PictogramFace face={p.latest_feedback.answer as Face} size={32} />
                    <span>
                      {t('insight.coordinator.latest', { answer: t(`insight.feedback.answer.${p.latest_feedback.answer}`), when: formatWhen(p.latest_feedback.answered_at) })}
                      {p.latest_feedback.by_proxy && <> ({t('insight.plan.byProxy')})</>}
                    </span>
                  </p>
                ) : (
                  <Paragraph className="muted">{t('insight.coordinator.noFeedback')}</Paragraph>
                )}
              </Card>
            </li>
          );
        })}
      </ul>
    </div>
  );
}
