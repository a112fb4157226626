// Figures per month as columns: one or more series side by side in each month, each series its own fill and
// pattern (so colour alone carries nothing), a key in HTML, and the text alternative in <title> and <desc>.
// The same figures are always in a table next to it (the caller's), which is what a screen reader should use.
import { useId } from 'react';

export interface MonthSeries {
  key: string;
  label: string;
  values: (number | null)[];
}

const WIDTH = 760;
const HEIGHT = 280;
const LEFT = 76;
const RIGHT = 12;
const TOP = 16;
const BOTTOM = 36;

function niceStep(max: number): number {
  const rough = max / 4;
  const power = 10 ** Math.floor(Math.log10(Math.max(rough, 1e-9)));
  return [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= rough) ?? 10 * power;
}

export function ChartMonths({
  labels,
  series,
  title,
  description,
  format,
  integer = false,
}: {
  labels: string[];
  series: MonthSeries[];
  title: string;
  description: string;
  format: (n: number) => string;
  integer?: boolean;
}) {
  const id = useId();
  const top = Math.max(1, ...series.flatMap((s) => s.values.map((v) => v ?? 0)));
  const step = integer ? Math.max(1, Math.ceil(niceStep(top))) : niceStep(top);
  const max = Math.ceil((top * 1.05) / step) * step;
  const plotW = WIDTH - LEFT - RIGHT;
  const plotH = HEIGHT - TOP - BOTTOM;
  const band = plotW / Math.max(1, labels.length);
  const y = (v: number) => TOP + plotH - (v / max) * plotH;
  const ticks = Array.from({ length: Math.round(max / step) + 1 }, (_, i) => i * step);
  const column = (band * 0.8) / Math.max(1, series.length);
  return (
    <svg className="chart chart-months" viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-labelledby={`${id}-t ${id}-d`}>
      <title id={`${id}-t`}>{title}</title>
      <desc id={`${id}-d`}>{description}</desc>
      <defs>
        <pattern id={`${id}-stripes`} width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
          <rect width="6" height="6" fill="#d9f2e3" />
          <rect width="3" height="6" fill="#1a8a4d" />
        </pattern>
      </defs>
      {ticks.map((v) => (
        <g key={v}>
          <line x1={LEFT} x2={WIDTH - RIGHT} y1={y(v)} y2={y(v)} className="chart-grid" />
          <text x={LEFT - 8} y={y(v) + 4} textAnchor="end" className="chart-tick">
            {format(v)}
          </text>
        </g>
      ))}
      {labels.map((label, i) => (
        <g key={label}>
          {series.map((s, j) => {
            const value = s.values[i];
            if (value === null || value === undefined) return null;
            const x = LEFT + band * i + band * 0.1 + column * j;
            return (
              <rect
                key={s.key}
                x={x}
                y={y(value)}
                width={Math.max(1, column - 2)}
                height={Math.max(0, y(0) - y(value))}
                className={`chart-series chart-series-${j}`}
                fill={j === 2 ? `url(#${id}-stripes)` : undefined}
              />
            );
          })}
          <text x={LEFT + band * i + band / 2} y={HEIGHT - BOTTOM + 18} textAnchor="middle" className="chart-tick">
            {label}
          </text>
        </g>
      ))}
      <line x1={LEFT} x2={WIDTH - RIGHT} y1={y(0)} y2={y(0)} className="chart-baseline" />
    </svg>
  );
}

export function ChartMonthsLegend({ series }: { series: MonthSeries[] }) {
  if (series.length < 2) return null;
  return (
    <ul className="chart-legend">
      {series.map((s, j) => (
        <li key={s.key}>
          <span className={`chart-swatch chart-swatch-series-${j}`} />
          {s.label}
        </li>
      ))}
    </ul>
  );
}
