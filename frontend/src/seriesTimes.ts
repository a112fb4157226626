// The start times a recurring visit may have: on the department's grid, where the visit with its travel fits the
// weekly opening hours on every weekday chosen. Pure, for the series screen (screens/Series.tsx).

export interface OpeningRule {
  weekday: number; // 0 = Monday
  start_minute: number;
  end_minute: number;
  valid_to?: string | null;
}

export function hhmm(minute: number): string {
  return `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;
}

/** "HH:MM" starts common to all `weekdays`; rules that ended before `today` do not count. */
export function patternTimes(
  rules: OpeningRule[] | undefined,
  weekdays: number[],
  grid: number,
  minutes: number,
  buffers: { buffer_before?: number; buffer_after?: number } | undefined,
  today: string,
): string[] {
  if (!rules || weekdays.length === 0 || !minutes || grid <= 0) return [];
  const before = buffers?.buffer_before ?? 0;
  const after = buffers?.buffer_after ?? 0;
  const sets = weekdays.map((w) => {
    const starts = new Set<number>();
    for (const r of rules.filter((x) => x.weekday === w && (!x.valid_to || x.valid_to >= today))) {
      for (let s = Math.ceil((r.start_minute + before) / grid) * grid; s + minutes + after <= r.end_minute; s += grid) starts.add(s);
    }
    return starts;
  });
  return [...(sets[0] ?? [])].filter((s) => sets.every((set) => set.has(s))).sort((a, b) => a - b).map(hhmm);
}
