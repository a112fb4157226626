// "Les opp": reads the screen's main text aloud with the browser's own speech synthesis, in the chosen language.
import { Button } from '@digdir/designsystemet-react';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Icon } from './Icon';

const VOICE_LANG: Record<string, string[]> = { nb: ['nb-NO', 'no-NO', 'nn-NO'], nn: ['nn-NO', 'nb-NO', 'no-NO'], en: ['en-GB', 'en-US'] };

/** Reads `from` (a CSS selector; the whole screen by default) aloud; `label` names a narrower reading. */
export function ReadAloud({ from = 'main', label }: { from?: string; label?: string } = {}) {
  const { t, i18n } = useTranslation();
  const [speaking, setSpeaking] = useState(false);
  const supported = typeof window !== 'undefined' && 'speechSynthesis' in window;
  useEffect(() => () => { if (supported) window.speechSynthesis.cancel(); }, [supported]);
  if (!supported) return null;

  const toggle = () => {
    const synth = window.speechSynthesis;
    if (speaking) {
      synth.cancel();
      setSpeaking(false);
      return;
    }
    const text = document.querySelector<HTMLElement>(from)?.innerText ?? '';
    const utterance = new SpeechSynthesisUtterance(text);
    const wanted = VOICE_LANG[i18n.language] ?? ['nb-NO'];
    utterance.lang = wanted[0] ?? 'nb-NO';
    const voice = synth.getVoices().find((v) => wanted.includes(v.lang));
    if (voice) utterance.voice = voice;
    utterance.rate = 0.9;
    utterance.onend = () => setSpeaking(false);
    utterance.onerror = () => setSpeaking(false);
    synth.cancel();
    synth.speak(utterance);
    setSpeaking(true);
  };

  return (
    <Button variant="secondary" data-size="sm" onClick={toggle} aria-pressed={speaking} className="read-aloud">
      <Icon name={speaking ? 'stop' : 'speaker'} />
      {speaking ? t('settings.stopReading') : (label ?? t('settings.readAloud'))}
    </Button>
  );
}
