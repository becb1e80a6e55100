// Time as the operator sees it. Deadlines and timestamps come from the server's clock; the
// local clock may be off, so `now` on the server = local now + offset (server_time_offset).
import type { Translator } from './i18n';

/** Milliseconds left until a server-clock deadline, never below zero. */
export function remainingMs(deadline: number, localNow: number, offsetMs: number): number {
  return Math.max(0, deadline - (localNow + offsetMs));
}

/** `m:ss` (or `h:mm:ss` from an hour on), rounded up so 0:00 means the time is over. */
export function formatCountdown(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

export type Urgency = 'calm' | 'soon' | 'urgent' | 'over';

/** How pressing a wait is: the row's colour follows, and the text always says it too. */
export function urgency(ms: number): Urgency {
  if (ms <= 0) return 'over';
  if (ms <= 30_000) return 'urgent';
  if (ms <= 90_000) return 'soon';
  return 'calm';
}

function sameDay(a: Date, b: Date): boolean {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

/** Short time for list rows: `now`, `12 min`, `14:05`, `Yesterday`, `3 Dec`. */
export function formatListTime(ts: number, serverNow: number, i18n: Translator): string {
  const diff = serverNow - ts;
  if (diff < 60_000) return i18n.t('time.now');
  if (diff < 60 * 60_000) return i18n.t('time.minutes', { n: Math.floor(diff / 60_000) });
  const d = new Date(ts);
  const now = new Date(serverNow);
  if (sameDay(d, now)) return new Intl.DateTimeFormat(i18n.lang, { hour: '2-digit', minute: '2-digit' }).format(d);
  const yesterday = new Date(serverNow - 24 * 60 * 60_000);
  if (sameDay(d, yesterday)) return i18n.t('time.yesterday');
  return new Intl.DateTimeFormat(i18n.lang, { day: 'numeric', month: 'short' }).format(d);
}

/** Time of a message: `14:05`, with the date when it is not today. */
export function formatMessageTime(ts: number, serverNow: number, lang: string): string {
  const d = new Date(ts);
  const opts: Intl.DateTimeFormatOptions = sameDay(d, new Date(serverNow))
    ? { hour: '2-digit', minute: '2-digit' }
    : { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' };
  return new Intl.DateTimeFormat(lang, opts).format(d);
}

/** The full date and time, for tooltips and headers. */
export function formatDateTime(ts: number, lang: string): string {
  return new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(ts));
}
