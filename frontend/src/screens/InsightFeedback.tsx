// "Min stemme teller": after a delivered visit, one easy question with three large faces, read aloud on request.
// The recipient answers; a proxy only after saying the person cannot answer themself (on_behalf).
import { Button, Card, Checkbox, Heading, Paragraph, Textfield } from '@digdir/designsystemet-react';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useActor } from '../actor';
import { useMe } from '../api/queries';
import { Icon } from '../components/Icon';
import { type Face, PictogramFace } from '../components/PictogramFace';
import { ProblemAlert } from '../components/Problem';
import { ReadAloud } from '../components/ReadAloud';
import { formatWhen } from '../time';
import { type FeedbackAnswer, insightKeys, localText, type PendingVisit, postFeedback, usePendingFeedback } from './InsightApi';

const FACES: Face[] = ['yes', 'mixed', 'no'];

function focusOnMount(el: HTMLElement | null) {
  el?.focus();
}

function Question({ visit, name, onBehalf, onDone }: { visit: PendingVisit; name: string | null; onBehalf: boolean; onDone: (answer: FeedbackAnswer) => void }) {
  const { t } = useTranslation();
  const [answer, setAnswer] = useState<FeedbackAnswer | null>(null);
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const about = t('insight.feedback.visit', { service: localText(visit.service_name), when: formatWhen(visit.start) });
  const question = name ? t('insight.feedback.questionFor', { name }) : t('insight.feedback.question');

  const send = async () => {
    if (!answer) return;
    setBusy(true);
    setError(null);
    try {
      await postFeedback(visit.booking_id, { answer, comment: comment.trim() || null, on_behalf: onBehalf });
      onDone(answer);
    } catch (problem) {
      setError(problem);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="stack-sm feedback-question">
      <Heading level={2} data-size="md" id="feedback-title" className="feedback-title">
        {question}
      </Heading>
      <Paragraph className="feedback-visit">{about}</Paragraph>
      <ReadAloud from=".feedback-card" label={t('insight.feedback.listen')} />
      {answer === null ? (
        <div role="group" aria-labelledby="feedback-title" className="feedback-choices">
          {FACES.map((face) => (
            <button key={face} type="button" className={`feedback-choice feedback-choice-${face}`} onClick={() => setAnswer(face)}>
              <PictogramFace face={face} />
              <span>{t(`insight.feedback.answer.${face}`)}</span>
            </button>
          ))}
        </div>
      ) : (
        <div className="stack-sm" aria-busy={busy}>
          <p className="feedback-chosen" tabIndex={-1} ref={focusOnMount}>
            <PictogramFace face={answer} size={48} />
            <span>
              {t('insight.feedback.youAnswered')} <strong>{t(`insight.feedback.answer.${answer}`)}</strong>
            </span>
          </p>
          <Textfield
            multiline
            rows={3}
            label={t('insight.feedback.comment')}
            description={t('insight.feedback.commentHelp')}
            value={comment}
            maxLength={1000}
            onChange={(e) => setComment(e.target.value)}
          />
          {error !== null && <ProblemAlert error={error} />}
          <div className="button-row">
            <Button data-size="lg" onClick={() => void send()} disabled={busy} className="feedback-send">
              <Icon name="check" />
              {t('insight.feedback.send')}
            </Button>
            <Button variant="secondary" data-size="lg" onClick={() => setAnswer(null)} disabled={busy}>
              <Icon name="back" />
              {t('insight.feedback.change')}
            </Button>
          </div>
        </div>
      )}
    </div>
  );
}

/** On the home screen, when a delivered visit waits for an answer; nothing otherwise. */
export function FeedbackPrompt() {
  const { t } = useTranslation();
  const client = useQueryClient();
  const { selected } = useActor();
  const me = useMe();
  const pending = usePendingFeedback(selected?.id);
  const [done, setDone] = useState<FeedbackAnswer | null>(null);
  const [behalfOf, setBehalfOf] = useState<string | null>(null);
  const visits = pending.data ?? [];
  const visit = visits[0];
  if (!selected) return null;
  const proxy = !selected.self;
  const given = me.data?.acts_for?.find((p) => p.id === selected.id)?.given_name ?? selected.name;
  const onBehalf = proxy && behalfOf === selected.id;

  if (done) {
    return (
      <Card data-color="success" className="feedback-card feedback-done" role="status">
        <Heading level={2} data-size="sm" tabIndex={-1} ref={focusOnMount}>
          <Icon name="check" /> {t('insight.feedback.thanks')}
        </Heading>
        <Paragraph>{t('insight.feedback.thanksText')}</Paragraph>
        {visits.length > 0 && (
          <Button variant="secondary" onClick={() => setDone(null)} className="feedback-next">
            {t('insight.feedback.next', { count: visits.length })}
          </Button>
        )}
      </Card>
    );
  }
  if (!visit) return null;

  return (
    <Card data-color="accent" className="feedback-card" aria-labelledby={proxy && !onBehalf ? 'feedback-proxy-title' : 'feedback-title'}>
      {proxy && (
        <div className="stack-sm">
          {!onBehalf && (
            <Heading level={2} data-size="sm" id="feedback-proxy-title">
              {t('insight.feedback.proxyTitle', { name: given })}
            </Heading>
          )}
          {!onBehalf && <Paragraph>{t('insight.feedback.visit', { service: localText(visit.service_name), when: formatWhen(visit.start) })}</Paragraph>}
          <Paragraph>{t('insight.feedback.proxyIntro', { name: given })}</Paragraph>
          <Checkbox
            label={t('insight.feedback.cannotAnswer', { name: given })}
            checked={onBehalf}
            onChange={(e) => setBehalfOf(e.target.checked ? selected.id : null)}
          />
        </div>
      )}
      {(!proxy || onBehalf) && (
        <Question
          key={visit.booking_id}
          visit={visit}
          name={onBehalf ? given : null}
          onBehalf={onBehalf}
          onDone={(answer) => {
            setDone(answer);
            void client.invalidateQueries({ queryKey: insightKeys.pending(selected.id) });
            void client.invalidateQueries({ queryKey: insightKeys.plan(selected.id) });
          }}
        />
      )}
    </Card>
  );
}
