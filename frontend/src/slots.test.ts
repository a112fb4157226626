import { describe, expect, it } from 'vitest';
import type { Availability } from './api/client';
import { freeStarts, nearestFree } from './slots';

const availability: Availability = {
  recipient_id: 'r',
  service_id: 's',
  timezone: 'Europe/Oslo',
  days: [
    {
      date: '2026-11-24',
      slots: [
        { start: '2026-11-24T08:00:00+01:00', lengths: [{ minutes: 60, status: 'busy' }] },
        { start: '2026-11-24T09:00:00+01:00', lengths: [{ minutes: 60, status: 'free' }] },
        { start: '2026-11-24T10:00:00+01:00', lengths: [{ minutes: 60, status: 'no_hours' }] },
      ],
    },
    { date: '2026-11-26', slots: [{ start: '2026-11-26T12:00:00+01:00', lengths: [{ minutes: 60, status: 'free' }, { minutes: 30, status: 'free' }] }] },
  ],
};

describe('freeStarts', () => {
  it('lists 14 days from today, closed ones empty, busy ones counted but not free', () => {
    const days = freeStarts(availability, 60, '2026-11-23');
    expect(days).toHaveLength(14);
    expect(days[0]).toEqual({ date: '2026-11-23', free: [], total: 0 });
    expect(days[1]).toEqual({ date: '2026-11-24', free: ['2026-11-24T09:00:00+01:00'], total: 2 });
    expect(days[3]?.free).toEqual(['2026-11-26T12:00:00+01:00']);
  });
});

describe('nearestFree', () => {
  it('offers the free times closest to the one that was taken, in time order', () => {
    const days = freeStarts(availability, 60, '2026-11-23');
    expect(nearestFree(days, '2026-11-24T08:00:00+01:00', 1)).toEqual(['2026-11-24T09:00:00+01:00']);
    expect(nearestFree(days, '2026-11-24T09:00:00+01:00')).toEqual(['2026-11-26T12:00:00+01:00']);
  });
});
