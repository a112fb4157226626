import { describe, expect, it } from 'vitest';
import { keyBytes } from './base64url';

describe('keyBytes', () => {
  it('reads an unpadded base64url VAPID key as its 65 bytes (an uncompressed P-256 point)', () => {
    const key = 'BAT5jdNyTesSyFfZJpP3Et5xXkXs9xJZliLk6ujzdv3STZaFerCxZecN_NBq9LWXlBiW8DMRwUrIkTyv1zl2zC4';
    const bytes = keyBytes(key);
    expect(bytes.length).toBe(65);
    expect(bytes[0]).toBe(4);
    expect(Buffer.from(bytes).toString('base64url')).toBe(key);
  });

  it('handles the characters base64url replaces and any padding length', () => {
    expect([...keyBytes('-_8')]).toEqual([0xfb, 0xff]);
    expect([...keyBytes('AQ')]).toEqual([1]);
    expect([...keyBytes('AQID')]).toEqual([1, 2, 3]);
  });
});
