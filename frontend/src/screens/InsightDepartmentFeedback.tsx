// A department's answers to "Var du fornøyd med besøket?" per month. A month with fewer than five answers is not
// shown (privacy): the table says so in words instead of figures.
import { ScrollRegion } from '../components/ScrollRegion';
import { Heading, Paragraph, Table } from '@digdir/designsystemet-react';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, call } from '../api/client';
import { PictogramFace } from '../components/PictogramFace';
import { Loading, ProblemAlert } from '../components/Problem';
import i18n from '../i18n';
import { useDepartmentChoice } from './InsightNav';

function monthName(month: string): string {
  const locale = i18n.language === 'en' ? 'en-GB' : i18n.language === 'nn' ? 'nn-NO' : 'nb-NO';
  const text = new Intl.DateTimeFormat(locale, { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(new Date(`${month}-15T12:00:00Z`));
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export function InsightDepartmentFeedback() {
  const { t } = useTranslation();
  const { departmentId, name, picker } = useDepartmentChoice();
  const months = useQuery({
    queryKey: ['department-feedback', departmentId],
    enabled: !!departmentId,
    queryFn: () => call(api.GET('/api/v1/departments/{department_id}/feedback', { params: { path: { department_id: departmentId ?? '' } } })),
  });
  const rows = [...(months.data?.months ?? [])].reverse();
  const share = (part: number | null, total: number | null) => (part === null || !total ? '' : ` (${Math.round((part / total) * 100)} %)`);
  return (
    <div className="stack">
      <Heading level={1} data-size="lg">
        {t('insight.monthly.title')}
        {name && <span className="heading-sub">{name}</span>}
      </Heading>
      {picker}
      <Paragraph>{t('insight.monthly.intro', { count: months.data?.minimum_group ?? 5 })}</Paragraph>
      {months.isPending && <Loading />}
      {months.error && <ProblemAlert error={months.error} onRetry={() => void months.refetch()} />}
      {months.data && (
        <ScrollRegion label={t('insight.monthly.title')}>
          <Table border className="monthly-table">
            <caption className="visually-hidden">{t('insight.monthly.title')}</caption>
            <Table.Head>
              <Table.Row>
                <Table.HeaderCell>{t('insight.monthly.month')}</Table.HeaderCell>
                {(['yes', 'mixed', 'no'] as const).map((f) => (
                  <Table.HeaderCell key={f} className="num">
                    <span className="face-header">
                      <PictogramFace face={f} size={28} />
                      {t(`insight.feedback.answer.${f}`)}
                    </span>
                  </Table.HeaderCell>
                ))}
                <Table.HeaderCell className="num">{t('insight.monthly.total')}</Table.HeaderCell>
              </Table.Row>
            </Table.Head>
            <Table.Body>
              {rows.map((m) => (
                <Table.Row key={m.month}>
                  <Table.HeaderCell scope="row">{monthName(m.month)}</Table.HeaderCell>
                  {m.suppressed ? (
                    <Table.Cell colSpan={4} className="suppressed">
                      {t('insight.monthly.suppressed', { count: months.data.minimum_group })}
                    </Table.Cell>
                  ) : (
                    <>
                      <Table.Cell className="num">{`${m.yes ?? 0}${share(m.yes, m.total)}`}</Table.Cell>
                      <Table.Cell className="num">{`${m.mixed ?? 0}${share(m.mixed, m.total)}`}</Table.Cell>
                      <Table.Cell className="num">{`${m.no ?? 0}${share(m.no, m.total)}`}</Table.Cell>
                      <Table.Cell className="num">{m.total ?? 0}</Table.Cell>
                    </>
                  )}
                </Table.Row>
              ))}
            </Table.Body>
          </Table>
        </ScrollRegion>
      )}
    </div>
  );
}
