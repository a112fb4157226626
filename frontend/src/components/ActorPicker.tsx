import { Field, Label, Select } from '@digdir/designsystemet-react';
import { useTranslation } from 'react-i18next';
import { useActor } from '../actor';

/** For a proxy: choose whom to book for. Hidden when there is only one person. */
export function ActorPicker() {
  const { t } = useTranslation();
  const { people, selected, select } = useActor();
  if (people.length < 2 || !selected) return null;
  return (
    <Field className="actor-picker">
      <Label>{t('actor.label')}</Label>
      <Select value={selected.id} onChange={(e) => select(e.target.value)}>
        {people.map((p) => (
          <Select.Option key={p.id} value={p.id}>
            {p.self ? t('actor.me', { name: p.name }) : p.name}
          </Select.Option>
        ))}
      </Select>
    </Field>
  );
}
