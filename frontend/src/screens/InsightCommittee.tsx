// The coordinating committee's list (municipality administrators): recipients whose decisions together pass the
// municipality's thresholds, with their total across departments; and the thresholds themselves.
import { Button, Card, Checkbox, Heading, Paragraph, Table, Tag, Textfield } from '@digdir/designsystemet-react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, call } from '../api/client';
import { Icon } from '../components/Icon';
import { Loading, ProblemAlert } from '../components/Problem';
import { type Committee, hours, insightKeys, shortDate } from './InsightApi';

function ThresholdsForm({ current }: { current: Committee['thresholds'] }) {
  const { t, i18n } = useTranslation();
  const client = useQueryClient();
  const decimal = (n: number) => n.toLocaleString(i18n.language === 'en' ? 'en-GB' : 'nb-NO', { maximumFractionDigits: 2, useGrouping: false });
  const [weekly, setWeekly] = useState(decimal(current.weekly_minutes / 60));
  const [respite, setRespite] = useState(String(current.respite_percent));
  const [bpa, setBpa] = useState(current.bpa);
  const [error, setError] = useState<unknown>(null);
  const [invalid, setInvalid] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  useEffect(() => setSaved(false), [weekly, respite, bpa]);

  const save = async () => {
    setError(null);
    setInvalid(null);
    const weeklyHours = Number(weekly.replace(',', '.'));
    const percent = Number(respite);
    if (!Number.isFinite(weeklyHours) || weeklyHours <= 0 || weeklyHours > 168) return setInvalid('weekly');
    if (!Number.isInteger(percent) || percent < 1 || percent > 100) return setInvalid('respite');
    try {
      await call(api.PUT('/api/v1/committee/thresholds', { body: { weekly_minutes: Math.round(weeklyHours * 60), respite_percent: percent, bpa } }));
      await client.invalidateQueries({ queryKey: insightKeys.committee });
      setSaved(true);
    } catch (problem) {
      setError(problem);
    }
  };

  return (
    <Card data-color="neutral" className="stack-sm thresholds">
      <Heading level={2} data-size="sm">
        {t('insight.committee.thresholds')}
      </Heading>
      <Paragraph data-size="sm">{t('insight.committee.thresholdsHelp')}</Paragraph>
      <form
        className="form-row"
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <Textfield
          label={t('insight.committee.weekly')}
          inputMode="decimal"
          value={weekly}
          onChange={(e) => setWeekly(e.target.value)}
          error={invalid === 'weekly' ? t('insight.committee.weeklyInvalid') : undefined}
          suffix={t('insight.committee.hoursUnit')}
        />
        <Textfield
          label={t('insight.committee.respite')}
          inputMode="numeric"
          value={respite}
          onChange={(e) => setRespite(e.target.value)}
          error={invalid === 'respite' ? t('insight.committee.respiteInvalid') : undefined}
          suffix="%"
        />
        <Checkbox label={t('insight.committee.bpa')} checked={bpa} onChange={(e) => setBpa(e.target.checked)} />
        <Button type="submit">{t('insight.committee.save')}</Button>
      </form>
      {error !== null && <ProblemAlert error={error} />}
      <p role="status" className="saved">
        {saved ? t('insight.committee.saved') : ''}
      </p>
    </Card>
  );
}

export function InsightCommittee() {
  const { t } = useTranslation();
  const committee = useQuery({ queryKey: insightKeys.committee, queryFn: () => call(api.GET('/api/v1/committee')) });
  if (committee.isPending) return <Loading />;
  if (committee.error) return <ProblemAlert error={committee.error} onRetry={() => void committee.refetch()} />;
  const { thresholds, recipients } = committee.data;
  const limits = { hours: hours(thresholds.weekly_minutes), percent: thresholds.respite_percent };
  return (
    <div className="stack committee">
      <Heading level={1} data-size="lg">
        {t('insight.committee.title')}
      </Heading>
      <Paragraph>{t('insight.committee.intro')}</Paragraph>
      <ThresholdsForm current={thresholds} />
      <section className="stack-sm" aria-labelledby="committee-list">
        <Heading level={2} data-size="sm" id="committee-list">
          {t('insight.committee.list', { count: recipients.length })}
        </Heading>
        {recipients.length === 0 && <Paragraph>{t('insight.committee.none')}</Paragraph>}
        {recipients.map((r) => (
          <Card key={r.recipient_id} data-color="neutral" className="stack-sm committee-case">
            <Heading level={3} data-size="xs">
              {r.recipient_name}
            </Heading>
            <Paragraph>
              <Icon name="clock" /> {t('insight.committee.total', { hours: hours(r.weekly_minutes_total) })}
            </Paragraph>
            <ul className="plain-list tag-row" aria-label={t('insight.committee.reasons')}>
              {r.reasons.map((reason) => (
                <li key={reason}>
                  <Tag data-color="warning">{t(`insight.committee.reason.${reason}`, limits)}</Tag>
                </li>
              ))}
            </ul>
            <div className="table-scroll">
              <Table border data-size="sm">
                <caption className="visually-hidden">{t('insight.committee.decisionsOf', { name: r.recipient_name })}</caption>
                <Table.Head>
                  <Table.Row>
                    <Table.HeaderCell>{t('insight.committee.service')}</Table.HeaderCell>
                    <Table.HeaderCell>{t('insight.committee.department')}</Table.HeaderCell>
                    <Table.HeaderCell>{t('insight.committee.granted')}</Table.HeaderCell>
                    <Table.HeaderCell>{t('insight.committee.weeklyShare')}</Table.HeaderCell>
                    <Table.HeaderCell>{t('insight.committee.valid')}</Table.HeaderCell>
                  </Table.Row>
                </Table.Head>
                <Table.Body>
                  {r.allocations.map((a) => (
                    <Table.Row key={a.allocation_id}>
                      <Table.Cell>
                        {a.service_name} {a.kind === 'trial' && <Tag data-color="info">{t('insight.plan.trial')}</Tag>}
                      </Table.Cell>
                      <Table.Cell>{a.department_name}</Table.Cell>
                      <Table.Cell>{t('insight.evaluation.per', { hours: hours(a.minutes), period: t(`insight.periodUnit.${a.period}`, { defaultValue: a.period }) })}</Table.Cell>
                      <Table.Cell className="num">{t('insight.hoursShort', { hours: hours(a.weekly_minutes) })}</Table.Cell>
                      <Table.Cell>
                        {shortDate(a.valid_from)} – {a.valid_to ? shortDate(a.valid_to) : ''}
                      </Table.Cell>
                    </Table.Row>
                  ))}
                </Table.Body>
              </Table>
            </div>
          </Card>
        ))}
      </section>
    </div>
  );
}
