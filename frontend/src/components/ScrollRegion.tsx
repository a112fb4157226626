import type { ReactNode } from 'react';

/**
 * A wide table or chart on a narrow screen: it scrolls sideways inside its own region, so the page itself never does
 * (WCAG 1.4.10 allows this for two-dimensional data). Focusable, so the keyboard can scroll it too.
 */
export function ScrollRegion({ label, children, className = 'table-scroll' }: { label: string; children: ReactNode; className?: string }) {
  return (
    // biome-ignore lint: a scrolling region must be focusable for keyboard users
    <div className={className} role="region" aria-label={label} tabIndex={0}>
      {children}
    </div>
  );
}
