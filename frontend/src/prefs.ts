// The person's choices on this device: language and easy-read mode, remembered in localStorage.
import { useSyncExternalStore } from 'react';

export interface Prefs {
  language: 'nb' | 'nn' | 'en';
  easy: boolean;
}

const KEY = 'tjenesteshop.prefs';
const listeners = new Set<() => void>();

function browserLanguage(): Prefs['language'] {
  const wanted = typeof navigator === 'undefined' ? [] : navigator.languages ?? [];
  for (const tag of wanted) {
    const base = tag.toLowerCase().split('-')[0];
    if (base === 'nn' || base === 'en') return base;
    if (base === 'nb' || base === 'no') return 'nb';
  }
  return 'nb';
}

let current: Prefs | null = null;

export function loadPrefs(): Prefs {
  if (current) return current;
  let stored: Partial<Prefs> = {};
  try {
    stored = JSON.parse(localStorage.getItem(KEY) ?? '{}') as Partial<Prefs>;
  } catch {
    stored = {};
  }
  const language = stored.language === 'nn' || stored.language === 'en' || stored.language === 'nb' ? stored.language : browserLanguage();
  current = { language, easy: stored.easy === true };
  return current;
}

export function savePrefs(change: Partial<Prefs>): void {
  current = { ...loadPrefs(), ...change };
  try {
    localStorage.setItem(KEY, JSON.stringify(current));
  } catch {
    // Private mode: the choice holds for this visit only.
  }
  document.documentElement.dataset.easy = String(current.easy);
  listeners.forEach((listener) => listener());
}

export function usePrefs(): Prefs {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    loadPrefs,
  );
}
