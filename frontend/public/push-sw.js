// Reminders by Web Push: imported into the service worker that vite-plugin-pwa generates (workbox.importScripts).
// The worker sends JSON {title, body, url, lang} (notifications/channels/push.py); show it, and open its page on tap.
self.addEventListener('push', (event) => {
  let message = {};
  try {
    message = event.data ? event.data.json() : {};
  } catch {
    message = { body: event.data ? event.data.text() : '' };
  }
  const title = message.title || 'Tjenesteshop';
  event.waitUntil(
    self.registration.showNotification(title, {
      body: message.body || '',
      lang: message.lang || 'nb',
      icon: '/icon-192.png',
      badge: '/icon-192.png',
      tag: message.url || title,
      data: { url: message.url || '/timer' },
    }),
  );
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const target = new URL(event.notification.data?.url || '/timer', self.location.origin);
  // Only our own pages: a link elsewhere opens the list of visits instead.
  const url = target.origin === self.location.origin ? target.href : new URL('/timer', self.location.origin).href;
  event.waitUntil(
    self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then((windows) => {
      const open = windows.find((w) => w.url.startsWith(self.location.origin));
      if (!open) return self.clients.openWindow(url);
      return open
        .focus()
        .then((w) => w.navigate(url))
        .catch(() => self.clients.openWindow(url));
    }),
  );
});
