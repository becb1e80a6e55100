import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { IpcError } from '../backend/types';
import type { MessageKey, Translator } from '../i18n';
import type { Inbox } from '../state/inbox';

export const InboxContext = createContext<Inbox | null>(null);

export function useInboxController(): Inbox {
  const inbox = useContext(InboxContext);
  if (!inbox) throw new Error('no Inbox in context');
  return inbox;
}

/** A full sentence for an error: our own text for known codes, else the engine's message. */
export function errorText(i18n: Translator, err: IpcError): string {
  const key = `error.${err.code}`;
  return i18n.has(key) ? i18n.t(key as MessageKey) : i18n.t('error.generic', { message: err.message });
}

/** The reason a message was refused, short enough to follow "Not sent:". */
export function reasonText(i18n: Translator, err: IpcError): string {
  const key = `error.${err.code}`;
  return i18n.has(key) ? i18n.t(key as MessageKey) : err.message;
}

export function visitorLabel(i18n: Translator, name: string | null): string {
  return name?.trim() ? name : i18n.t('row.unnamed');
}

function initials(name: string | null): string {
  const words = (name ?? '').trim().split(/\s+/).filter(Boolean);
  if (!words.length) return '?';
  const first = [...words[0]][0] ?? '';
  const last = words.length > 1 ? ([...words[words.length - 1]][0] ?? '') : '';
  return (first + last).toUpperCase();
}

/** A stable colour class from the id (classes, not computed styles: the CSP stays strict). */
function tone(id: string): number {
  let h = 0;
  for (const ch of id) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return h % 8;
}

export function Avatar({ id, name, size = 'md' }: { id: string; name: string | null; size?: 'sm' | 'md' }) {
  return (
    <span class={`avatar avatar-${size} ${name ? `tone-${tone(id)}` : 'tone-none'}`} aria-hidden="true">
      {initials(name)}
    </span>
  );
}

/** Host and path of a URL, for compact display (the full URL is in the title). */
export function shortUrl(url: string): string {
  try {
    const u = new URL(url);
    return (u.host + (u.pathname === '/' ? '' : u.pathname) + u.hash).replace(/^www\./, '');
  } catch {
    return url;
  }
}
