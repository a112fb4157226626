import { SkipLink } from '@digdir/designsystemet-react';
import { lazy, Suspense, useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { hasRole, useMe } from './api/queries';
import { Icon, type IconName } from './components/Icon';
import { Loading, ProblemAlert } from './components/Problem';
import { ReadAloud } from './components/ReadAloud';
import { Link, useLocation } from './router';
import { Book } from './screens/Book';
import { Bookings } from './screens/Bookings';
import { Home } from './screens/Home';
import { Settings } from './screens/Settings';
import { useCoordinated } from './screens/InsightApi';
import { SignIn } from './screens/SignIn';

// Staff and administrators' screens load on demand: the booking page stays small on a phone.
const Staff = lazy(() => import('./screens/Staff'));
const Admin = lazy(() => import('./screens/Admin'));
const Calendar = lazy(() => import('./screens/Calendar'));
const InsightPlan = lazy(() => import('./screens/InsightPlan'));
const InsightCoordinator = lazy(() => import('./screens/InsightCoordinator'));
const InsightAdmin = lazy(() => import('./locales/benefits-load').then(() => import('./screens/InsightAdmin')));
const Accessibility = lazy(() => import('./screens/Accessibility'));
const MyData = lazy(() => import('./locales/privacy-load').then(() => import('./screens/MyData')));
const Waitlist = lazy(() => import('./screens/Waitlist').then((m) => ({ default: m.Waitlist })));
const SeriesNew = lazy(() => import('./locales/series-load').then(() => import('./screens/Series')).then((m) => ({ default: m.SeriesNew })));
const SeriesList = lazy(() => import('./locales/series-load').then(() => import('./screens/Series')));
const WaitlistOffer = lazy(() => import('./screens/Waitlist').then((m) => ({ default: m.WaitlistOffer })));

interface NavItem {
  href: string;
  label: string;
  icon: IconName;
}

function useNav(): NavItem[] {
  const { t } = useTranslation();
  const me = useMe();
  const coordinated = useCoordinated(hasRole(me.data, 'staff'));
  const items: NavItem[] = [{ href: '/', label: t('nav.home'), icon: 'home' }];
  if (hasRole(me.data, 'recipient', 'proxy')) {
    items.push({ href: '/bestill', label: t('nav.book'), icon: 'calendar' }, { href: '/timer', label: t('nav.bookings'), icon: 'list' });
  }
  if (hasRole(me.data, 'staff')) items.push({ href: '/vakt', label: t('nav.roster'), icon: 'clock' });
  if (coordinated.data?.length) items.push({ href: '/koordinator', label: t('insight.nav.coordinator'), icon: 'person' });
  if (hasRole(me.data, 'department_admin', 'municipality_admin')) items.push({ href: '/avdeling', label: t('nav.admin'), icon: 'building' });
  items.push({ href: '/innstillinger', label: t('nav.settings'), icon: 'gear' });
  return items;
}

function Screen({ path }: { path: string }) {
  const me = useMe();
  if (path === '/tilgjengelighet') return <Accessibility />; // for everyone, signed in or not
  if (me.isPending) return <Loading />;
  if (me.error) return <ProblemAlert error={me.error} onRetry={() => void me.refetch()} />;
  if (path === '/innstillinger') return <Settings />;
  if (!me.data) return <SignIn />;
  if (path.startsWith('/bestill') || path.startsWith('/flytt/')) return <Book />;
  if (path === '/timer') return <Bookings />;
  if (path === '/mine-data') return <MyData />;
  if (path === '/venteliste') return <Waitlist />;
  if (path.startsWith('/venteliste/tilbud/')) return <WaitlistOffer />;
  if (path === '/timer/faste-avtaler/ny') return <SeriesNew />;
  if (path === '/timer/faste-avtaler') return <SeriesList />;
  if (path === '/kalender') return <Calendar />;
  if (path === '/vakt') return <Staff />;
  if (path.startsWith('/avdeling')) return <Admin />;
  if (path === '/plan' || path.startsWith('/plan/')) return <InsightPlan />;
  if (path === '/koordinator') return <InsightCoordinator />;
  if (path.startsWith('/innsikt')) return <InsightAdmin />;
  if (!hasRole(me.data, 'recipient', 'proxy') && hasRole(me.data, 'staff')) return <Staff />;
  return <Home />;
}

export function App() {
  const { t } = useTranslation();
  const { path } = useLocation();
  const nav = useNav();
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);

  // A new screen: move focus to its heading's container, so screen readers start at the top of it.
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    main.current?.focus();
  }, [path]);

  const me = useMe();
  const wide = path.startsWith('/avdeling') || path.startsWith('/innsikt');

  return (
    <>
      <SkipLink href="#main">{t('app.skip')}</SkipLink>
      <header className={wide ? 'top wide' : 'top'}>
        <div className="top-inner">
          <Link href="/" className="brand">
            <img src="/icon.svg" alt="" width={32} height={32} />
            <span>{t('app.name')}</span>
          </Link>
          <div className="top-actions">
            <ReadAloud />
          </div>
        </div>
        {me.data && (
          <nav aria-label={t('nav.main')} className="nav">
            <ul>
              {nav.map((item) => {
                const current = item.href === '/' ? path === '/' : path.startsWith(item.href) || (item.href === '/avdeling' && path.startsWith('/innsikt'));
                return (
                  <li key={item.href}>
                    <Link href={item.href} aria-current={current ? 'page' : undefined}>
                      <Icon name={item.icon} />
                      <span>{item.label}</span>
                    </Link>
                  </li>
                );
              })}
            </ul>
          </nav>
        )}
      </header>
      <main id="main" ref={main} tabIndex={-1} className={wide ? 'wide' : undefined}>
        <Suspense fallback={<Loading />}>
          <Screen path={path} />
        </Suspense>
      </main>
      <footer className={wide ? 'site-footer wide' : 'site-footer'}>
        <Link href="/tilgjengelighet" className="ds-link" aria-current={path === '/tilgjengelighet' ? 'page' : undefined}>
          <Icon name="accessibility" />
          {t('a11y.link')}
        </Link>
      </footer>
    </>
  );
}
