import '@fontsource-variable/inter';
import '@digdir/designsystemet-css';
import '@digdir/designsystemet-theme';
import './styles.css';
import i18n from './i18n';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { ActorProvider } from './actor';
import { App } from './App';
import { loadPrefs } from './prefs';

document.documentElement.dataset.easy = String(loadPrefs().easy);

const queryClient = new QueryClient({
  defaultOptions: {
    queries: { retry: (count, error) => count < 2 && (error as { status?: number }).status === 0, refetchOnWindowFocus: true },
  },
});

// Some answers carry texts in the request's language (a roster's service names, a report's, a problem's title):
// a new language asks again, so nothing stays behind in the old one.
i18n.on('languageChanged', () => void queryClient.invalidateQueries({ predicate: (query) => query.queryKey[0] !== 'me' }));

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <QueryClientProvider client={queryClient}>
        <ActorProvider>
          <App />
        </ActorProvider>
      </QueryClientProvider>
    </StrictMode>,
  );
}
