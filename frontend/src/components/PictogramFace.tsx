// Large faces for "Var du fornøyd med besøket?": smiling, neutral, sad. Always beside their word (Ja, Både ja og
// nei, Nei): the shape of the mouth carries the meaning, the colour only repeats it.
export type Face = 'yes' | 'mixed' | 'no';

const MOUTH: Record<Face, string> = {
  yes: 'M19 38 Q32 51 45 38',
  mixed: 'M20 42 H44',
  no: 'M19 47 Q32 35 45 47',
};

export function PictogramFace({ face, size = 72 }: { face: Face; size?: number }) {
  return (
    <svg className={`pictogram pictogram-${face}`} width={size} height={size} viewBox="0 0 64 64" aria-hidden="true" focusable="false">
      <circle cx="32" cy="32" r="29" className="pictogram-face" strokeWidth="3" />
      <circle cx="22" cy="25" r="3.5" className="pictogram-ink" />
      <circle cx="42" cy="25" r="3.5" className="pictogram-ink" />
      <path d={MOUTH[face]} className="pictogram-line" strokeWidth="4" strokeLinecap="round" fill="none" />
    </svg>
  );
}
