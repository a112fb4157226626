import { describe, expect, it } from 'vitest';
import type { Availability } from './api/client';
import { firstFree, freeStarts, nearestFree, type Hours } from './slots';

const week = (left: number): Hours => ({ period: 'week', period_start: '2026-11-23', period_end: '2026-11-29', left_minutes: left, next_period_start: '2026-11-30' });

const availability: Availability = {
  recipient_id: 'r',
  service_id: 's',
  timezone: 'Europe/Oslo',
  days: [
    {
      date: '2026-11-23',
      closed: false,
      hours: week(90),
      slots: [
        { start: '2026-11-23T14:00:00+01:00', lengths: [{ minutes: 60, status: 'too_soon' }] },
        { start: '2026-11-23T15:00:00+01:00', lengths: [{ minutes: 60, status: 'too_soon' }] },
      ],
    },
    {
      date: '2026-11-24',
      closed: false,
      hours: week(90),
      slots: [
        { start: '2026-11-24T08:00:00+01:00', lengths: [{ minutes: 60, status: 'busy' }] },
        { start: '2026-11-24T09:00:00+01:00', lengths: [{ minutes: 60, status: 'free' }] },
        { start: '2026-11-24T10:00:00+01:00', lengths: [{ minutes: 60, status: 'yours' }] },
      ],
    },
    { date: '2026-11-25', closed: true, hours: week(90), slots: [] },
    { date: '2026-11-26', closed: false, hours: week(90), slots: [{ start: '2026-11-26T12:00:00+01:00', lengths: [{ minutes: 60, status: 'free' }, { minutes: 120, status: 'no_hours' }] }] },
    { date: '2026-11-27', closed: false, hours: week(90), slots: [{ start: '2026-11-27T12:00:00+01:00', lengths: [{ minutes: 60, status: 'busy' }] }] },
    { date: '2026-11-28', closed: false, hours: week(90), slots: [] },
  ],
};

describe('freeStarts', () => {
  it('lists 14 days from today, each with its times and why it cannot be chosen', () => {
    const days = freeStarts(availability, 60, '2026-11-23');
    expect(days).toHaveLength(14);
    expect(days.map((d) => d.state).slice(0, 8)).toEqual(['too_soon', 'free', 'closed', 'free', 'full', 'none', 'none', 'none']);
    expect(days[1]).toMatchObject({ free: ['2026-11-24T09:00:00+01:00'], total: 2 });
    expect(days[1]?.times.map((t) => t.status)).toEqual(['busy', 'free', 'yours']);
    expect(days[3]?.free).toEqual(['2026-11-26T12:00:00+01:00']);
    expect(days[0]?.hours?.next_period_start).toBe('2026-11-30');
  });

  it('says the hours are too few on every day of the period, whatever else the day has', () => {
    const days = freeStarts(availability, 120, '2026-11-23');
    expect(days.map((d) => d.state).slice(0, 6)).toEqual(['no_hours', 'no_hours', 'closed', 'no_hours', 'no_hours', 'no_hours']);
    expect(days[3]?.times).toEqual([{ start: '2026-11-26T12:00:00+01:00', status: 'no_hours' }]);
  });

  it('does not offer a visit being moved its own time', () => {
    const days = freeStarts(availability, 60, '2026-11-23', '2026-11-24T08:00:00Z');
    expect(days[1]?.times.map((t) => t.status)).toEqual(['busy', 'current', 'yours']);
    expect(days[1]?.state).toBe('full');
    expect(firstFree(days)).toBe('2026-11-26T12:00:00+01:00');
  });
});

describe('firstFree', () => {
  it('is the earliest free start of all the days', () => {
    expect(firstFree(freeStarts(availability, 60, '2026-11-23'))).toBe('2026-11-24T09:00:00+01:00');
    expect(firstFree(freeStarts(availability, 120, '2026-11-23'))).toBeUndefined();
  });
});

describe('nearestFree', () => {
  it('offers the free times closest to the one that was taken, in time order', () => {
    const days = freeStarts(availability, 60, '2026-11-23');
    expect(nearestFree(days, '2026-11-24T08:00:00+01:00', 1)).toEqual(['2026-11-24T09:00:00+01:00']);
    expect(nearestFree(days, '2026-11-24T09:00:00+01:00')).toEqual(['2026-11-26T12:00:00+01:00']);
  });
});
