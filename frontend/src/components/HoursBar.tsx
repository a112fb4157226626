// Hours left as words and a plain bar; the words carry the meaning, the bar only repeats it.
export function HoursBar({ used, granted }: { used: number; granted: number }) {
  const share = granted > 0 ? Math.min(1, used / granted) : 0;
  return (
    <div className="hours-bar" aria-hidden="true">
      <div className="hours-bar-used" style={{ width: `${Math.round(share * 100)}%` }} />
    </div>
  );
}
