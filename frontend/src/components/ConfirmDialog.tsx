import { Button, Dialog, Heading } from '@digdir/designsystemet-react';
import { useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ProblemAlert } from './Problem';

/**
 * Asks before something that cannot be undone (cancelling a visit, ending a recurring visit): the title, what it is
 * about, a danger button that does it and a button that keeps things as they are. A refusal is shown in the dialog,
 * which stays open; done, it closes with `true`.
 */
export function ConfirmDialog({
  title,
  confirm,
  keep,
  action,
  onClose,
  children,
}: {
  title: string;
  confirm: string;
  keep: string;
  action: () => Promise<void>;
  onClose: (done: boolean) => void;
  children: React.ReactNode;
}) {
  const { t } = useTranslation();
  const titleId = useId();
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const run = async () => {
    setBusy(true);
    setError(null);
    try {
      await action();
      onClose(true);
    } catch (problem) {
      setError(problem);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog open modal onClose={() => onClose(false)} closeButton={t('app.close')} aria-labelledby={titleId} className="cancel-dialog">
      <Dialog.Block>
        <Heading level={2} data-size="sm" id={titleId}>
          {title}
        </Heading>
      </Dialog.Block>
      <Dialog.Block>
        {children}
        {error !== null && <ProblemAlert error={error} />}
        <div className="button-row">
          <Button data-color="danger" onClick={() => void run()} loading={busy} disabled={busy}>
            {confirm}
          </Button>
          <Button variant="secondary" onClick={() => onClose(false)}>
            {keep}
          </Button>
        </div>
      </Dialog.Block>
    </Dialog>
  );
}
