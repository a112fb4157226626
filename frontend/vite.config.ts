/// <reference types="vitest/config" />
import react from '@vitejs/plugin-react';
import { VitePWA } from 'vite-plugin-pwa';
import { defineConfig } from 'vite';

const api = process.env.TJENESTESHOP_URL ?? 'http://127.0.0.1:8000';

export default defineConfig({
  plugins: [
    react(),
    VitePWA({
      registerType: 'autoUpdate',
      injectRegister: 'script-defer',
      includeAssets: ['icon.svg', 'offline.html', 'offline.css', 'offline.js'],
      manifest: {
        name: 'Tjenesteshop',
        short_name: 'Tjenesteshop',
        description: 'Bestill timene vedtaket ditt gir deg.',
        lang: 'nb',
        start_url: '/',
        scope: '/',
        display: 'standalone',
        background_color: '#ffffff',
        theme_color: '#1e4b7a',
        icons: [
          { src: '/icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: '/icon-512.png', sizes: '512x512', type: 'image/png' },
          { src: '/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
          { src: '/icon.svg', sizes: 'any', type: 'image/svg+xml' },
        ],
      },
      workbox: {
        // The app shell and its hashed files; API answers are never cached (they are personal and live).
        globPatterns: ['**/*.{js,css,html,svg,png,woff2}'],
        // The page that installed the worker is served by it at once: the first visit already works offline.
        clientsClaim: true,
        skipWaiting: true,
        // Pages come from the network while there is one: the server's page is the current one (in demo mode it
        // names the demo municipality, which the app needs to list departments and services). The cached shell is
        // only the fallback offline. A navigateFallback would answer every visit after the first with the build's
        // bare index.html, and the app would wait for departments forever.
        navigateFallback: null,
        runtimeCaching: [
          {
            urlPattern: ({ request, url }) => request.mode === 'navigate' && !/^\/(api|auth|ical|schema|health|metrics)(\/|$)/.test(url.pathname),
            handler: 'NetworkOnly',
            options: { precacheFallback: { fallbackURL: '/index.html' } },
          },
        ],
        // Reminders by Web Push: the push and notification-click handlers live beside the generated worker.
        importScripts: ['/push-sw.js'],
      },
    }),
  ],
  build: { target: 'es2022', sourcemap: false, chunkSizeWarningLimit: 600 },
  server: {
    proxy: Object.fromEntries(['/api', '/auth', '/ical', '/schema'].map((p) => [p, api])),
  },
  test: { environment: 'node', include: ['src/**/*.test.ts'] },
});
