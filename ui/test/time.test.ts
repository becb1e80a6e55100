import { describe, expect, it } from 'vitest';
import { formatCountdown, remainingMs, urgency } from '../src/time';

describe('wait-time countdown', () => {
  it('formats minutes and seconds, rounding up, never negative', () => {
    expect(formatCountdown(90_000)).toBe('1:30');
    expect(formatCountdown(89_001)).toBe('1:30');
    expect(formatCountdown(9_000)).toBe('0:09');
    expect(formatCountdown(0)).toBe('0:00');
    expect(formatCountdown(-5_000)).toBe('0:00');
    expect(formatCountdown(3_725_000)).toBe('1:02:05');
  });

  it('counts against the server clock, not the local one', () => {
    const localNow = 1_000_000;
    // The server's clock is 40 s ahead; the deadline is 2 minutes from the server's now.
    const offset = 40_000;
    const deadline = localNow + offset + 120_000;
    expect(formatCountdown(remainingMs(deadline, localNow, offset))).toBe('2:00');
    // Trusting the local clock would have shown 2:40.
    expect(formatCountdown(remainingMs(deadline, localNow, 0))).toBe('2:40');
    // A local clock that runs behind the server (negative skew) too.
    expect(formatCountdown(remainingMs(localNow - 30_000 + 45_000, localNow, -30_000))).toBe('0:45');
  });

  it('says how pressing a wait is', () => {
    expect(urgency(120_000)).toBe('calm');
    expect(urgency(60_000)).toBe('soon');
    expect(urgency(10_000)).toBe('urgent');
    expect(urgency(0)).toBe('over');
  });
});
