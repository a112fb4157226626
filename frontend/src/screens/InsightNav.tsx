// The administrator's sub-navigation: the department's daily desk (Admin) and the pages around the decision.
import { Field, Label, Select } from '@digdir/designsystemet-react';
import { type ReactNode, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { hasRole, useDepartments, useMe } from '../api/queries';
import { Link, useLocation } from '../router';

export function InsightNav() {
  const { t } = useTranslation();
  const { path } = useLocation();
  const me = useMe();
  const items = [
    { href: '/avdeling', label: t('insight.nav.desk') },
    { href: '/innsikt/dekning', label: t('insight.nav.coverage') },
    { href: '/innsikt/vurderinger', label: t('insight.nav.reviews') },
    { href: '/innsikt/tilbakemeldinger', label: t('insight.nav.feedback') },
    { href: '/innsikt/gevinster', label: t('insight.nav.benefits') },
  ];
  if (!hasRole(me.data, 'department_admin', 'municipality_admin')) return null; // a coordinator opening an evaluation
  if (hasRole(me.data, 'municipality_admin')) items.push({ href: '/innsikt/samordning', label: t('insight.nav.committee') });
  const current = (href: string) => path === href || (href === '/innsikt/vurderinger' && path.startsWith('/innsikt/vedtak/'));
  return (
    <nav aria-label={t('insight.nav.label')} className="subnav">
      <ul>
        {items.map((item) => (
          <li key={item.href}>
            <Link href={item.href} aria-current={current(item.href) ? 'page' : undefined}>
              {item.label}
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}

/** The department shown: the administrator's own, or the one a municipality administrator picks. */
export function useDepartmentChoice(): { departmentId: string | undefined; name: string | undefined; picker: ReactNode } {
  const { t } = useTranslation();
  const me = useMe();
  const departments = useDepartments();
  const own = me.data?.roles.find((r) => r.role === 'department_admin' && r.department_id)?.department_id ?? undefined;
  const [chosen, setChosen] = useState<string | undefined>();
  const departmentId = own ?? chosen ?? departments.data?.[0]?.id;
  const name = departments.data?.find((d) => d.id === departmentId)?.name;
  const picker =
    !own && (departments.data?.length ?? 0) > 1 ? (
      <Field className="narrow no-print">
        <Label>{t('admin.department')}</Label>
        <Select value={departmentId} onChange={(e) => setChosen(e.target.value)}>
          {departments.data?.map((d) => (
            <Select.Option key={d.id} value={d.id}>
              {d.name}
            </Select.Option>
          ))}
        </Select>
      </Field>
    ) : null;
  return { departmentId, name, picker };
}
