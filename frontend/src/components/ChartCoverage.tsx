// Capacity coverage as a picture: per week, what the staff can give (a grey column), what the decisions promise
// (a line with round markers), what is booked and what was delivered (two bars inside the column). A week where
// the decisions promise more than the staff can give gets a warning sign and the word "Over" above it, so
// neither colour nor shape alone carries the meaning. The figures are also in a table beside it (the caller's).
import { useTranslation } from 'react-i18next';

export interface ChartWeek {
  label: string; // "Uke 49"
  staffed: number; // hours
  allocated: number;
  booked: number;
  delivered: number;
  over: boolean;
}

const WIDTH = 760;
const HEIGHT = 340;
const LEFT = 56;
const RIGHT = 12;
const TOP = 36;
const BOTTOM = 40;

function niceStep(max: number): number {
  const rough = max / 5;
  const power = 10 ** Math.floor(Math.log10(Math.max(rough, 1)));
  return ([1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= rough) ?? 10 * power) || 1;
}

export function ChartCoverage({ weeks, title, description }: { weeks: ChartWeek[]; title: string; description: string }) {
  const { t, i18n } = useTranslation();
  const number = (n: number) => n.toLocaleString(i18n.language === 'en' ? 'en-GB' : 'nb-NO', { maximumFractionDigits: 0 });
  const top = Math.max(1, ...weeks.flatMap((w) => [w.staffed, w.allocated, w.booked, w.delivered]));
  const step = niceStep(top);
  const max = Math.ceil((top * 1.05) / step) * step;
  const plotW = WIDTH - LEFT - RIGHT;
  const plotH = HEIGHT - TOP - BOTTOM;
  const band = plotW / Math.max(1, weeks.length);
  const y = (v: number) => TOP + plotH - (v / max) * plotH;
  const ticks = Array.from({ length: Math.floor(max / step) + 1 }, (_, i) => i * step);
  const centre = (i: number) => LEFT + band * i + band / 2;
  const line = weeks.map((w, i) => `${i === 0 ? 'M' : 'L'}${centre(i).toFixed(1)} ${y(w.allocated).toFixed(1)}`).join(' ');

  return (
    <svg className="chart chart-coverage" viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-labelledby="coverage-chart-title coverage-chart-desc">
      <title id="coverage-chart-title">{title}</title>
      <desc id="coverage-chart-desc">{description}</desc>
      <defs>
        <pattern id="chart-delivered-stripes" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
          <rect width="6" height="6" fill="#d9f2e3" />
          <rect width="3" height="6" fill="#1a8a4d" />
        </pattern>
      </defs>
      <text x={8} y={16} className="chart-axis-title">
        {t('insight.coverage.axis')}
      </text>
      {ticks.map((v) => (
        <g key={v}>
          <line x1={LEFT} x2={WIDTH - RIGHT} y1={y(v)} y2={y(v)} className="chart-grid" />
          <text x={LEFT - 8} y={y(v) + 4} textAnchor="end" className="chart-tick">
            {number(v)}
          </text>
        </g>
      ))}
      {weeks.map((w, i) => {
        const x = LEFT + band * i;
        const column = band * 0.82;
        const bar = column * 0.32;
        return (
          <g key={w.label}>
            <rect x={x + (band - column) / 2} y={y(w.staffed)} width={column} height={Math.max(0, y(0) - y(w.staffed))} className="chart-staffed" />
            <rect x={centre(i) - bar - 2} y={y(w.booked)} width={bar} height={Math.max(0, y(0) - y(w.booked))} className="chart-booked" />
            <rect x={centre(i) + 2} y={y(w.delivered)} width={bar} height={Math.max(0, y(0) - y(w.delivered))} className="chart-delivered" />
            <text x={centre(i)} y={HEIGHT - BOTTOM + 18} textAnchor="middle" className="chart-tick">
              {w.label}
            </text>
            {w.over && (
              <g className="chart-over">
                <path d={`M${centre(i)} ${TOP - 30} l9 15 h-18 z`} />
                <text x={centre(i)} y={TOP - 18} textAnchor="middle" className="chart-over-mark">
                  !
                </text>
                <text x={centre(i)} y={TOP - 2} textAnchor="middle" className="chart-over-text">
                  {t('insight.coverage.overShort')}
                </text>
              </g>
            )}
          </g>
        );
      })}
      <line x1={LEFT} x2={WIDTH - RIGHT} y1={y(0)} y2={y(0)} className="chart-baseline" />
      <path d={line} className="chart-allocated" fill="none" />
      {weeks.map((w, i) => (
        <circle key={w.label} cx={centre(i)} cy={y(w.allocated)} r={w.over ? 6 : 4.5} className={w.over ? 'chart-allocated-dot chart-allocated-over' : 'chart-allocated-dot'} />
      ))}
    </svg>
  );
}

/** The chart's key, in HTML so it wraps and scales with the text. */
export function ChartCoverageLegend() {
  const { t } = useTranslation();
  const items = [
    ['staffed', t('insight.coverage.staffed')],
    ['allocated', t('insight.coverage.allocated')],
    ['booked', t('insight.coverage.booked')],
    ['delivered', t('insight.coverage.delivered')],
  ] as const;
  return (
    <ul className="chart-legend">
      {items.map(([key, label]) => (
        <li key={key}>
          <span className={`chart-swatch chart-swatch-${key}`} />
          {label}
        </li>
      ))}
    </ul>
  );
}
