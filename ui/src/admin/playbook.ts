// The card graph an admin edits, and the edits themselves, as pure functions on the
// definition (the JSON the server stores: `frontdesk_core::playbook::Playbook`). Whether a
// definition is valid is never decided here: the server's `validate` is the one source of
// truth, and `problemsByCard` only files its answer under the cards it names.
import type { ValidationProblem } from '../backend/types';

export type Lang = 'en' | 'de';
export type Field = 'name' | 'email' | 'phone' | 'organization' | { custom: string };
export type FollowUpKind = 'activity' | 'lead' | 'deal';

export type Card =
  | { kind: 'message'; text: string; next: string }
  | { kind: 'question'; text: string; answers: { label: string; next: string }[] }
  | { kind: 'capture'; text: string; field: Field; placeholder?: string | null; next: string }
  | { kind: 'live_chat'; online_message: string; wait_secs: number; offline_message: string; offline_next: string }
  | { kind: 'follow_up'; create: FollowUpKind; title: string; next: string }
  | { kind: 'qualified'; text?: string | null }
  | { kind: 'disqualified'; text?: string | null };

export type CardKind = Card['kind'];
export const CARD_KINDS: readonly CardKind[] = [
  'message',
  'question',
  'capture',
  'live_chat',
  'follow_up',
  'qualified',
  'disqualified',
];

export interface Appearance {
  bot_name: string;
  primary_color: string;
  text_color: string;
  icon: string;
  language: Lang;
}

export interface Playbook {
  name: string;
  appearance: Appearance;
  greeting?: { text: string; delay_ms: number } | null;
  start: string;
  cards: Record<string, Card>;
}

/** The bot's built-in icons (core's `ICONS`); anything else is one or two letters. */
export const ICONS = ['chat', 'headset', 'sparkles', 'question'] as const;

/** Where an edge starts: the playbook's start, a card's `next`, an answer, a livechat card's offline path. */
export type Slot =
  | { kind: 'start' }
  | { kind: 'next'; card: string }
  | { kind: 'answer'; card: string; index: number }
  | { kind: 'offline'; card: string };

/** The edges leaving a card, in display order. */
export function slotsOf(id: string, card: Card): { slot: Slot; target: string; label?: string }[] {
  switch (card.kind) {
    case 'message':
    case 'capture':
    case 'follow_up':
      return [{ slot: { kind: 'next', card: id }, target: card.next }];
    case 'question':
      return card.answers.map((a, index) => ({ slot: { kind: 'answer', card: id, index }, target: a.next, label: a.label }));
    case 'live_chat':
      return [{ slot: { kind: 'offline', card: id }, target: card.offline_next }];
    default:
      return [];
  }
}

export function targetOf(pb: Playbook, slot: Slot): string | undefined {
  if (slot.kind === 'start') return pb.start;
  const card = pb.cards[slot.card];
  if (!card) return undefined;
  return slotsOf(slot.card, card).find((s) => sameSlot(s.slot, slot))?.target;
}

export function sameSlot(a: Slot, b: Slot): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'start') return true;
  const bb = b as Exclude<Slot, { kind: 'start' }>;
  return a.card === bb.card && (a.kind !== 'answer' || a.index === (bb as { index: number }).index);
}

/** Points `slot` at `target`. */
export function setSlot(pb: Playbook, slot: Slot, target: string): Playbook {
  if (slot.kind === 'start') return { ...pb, start: target };
  const card = pb.cards[slot.card];
  if (!card) return pb;
  let next: Card = card;
  if (slot.kind === 'next' && 'next' in card) next = { ...card, next: target };
  else if (slot.kind === 'offline' && card.kind === 'live_chat') next = { ...card, offline_next: target };
  else if (slot.kind === 'answer' && card.kind === 'question')
    next = { ...card, answers: card.answers.map((a, i) => (i === slot.index ? { ...a, next: target } : a)) };
  return { ...pb, cards: { ...pb.cards, [slot.card]: next } };
}

/** One line of the flow view: a card where a path reaches it first, a jump to a card shown
 *  elsewhere, or an edge to a card that does not exist. */
export type FlowRow =
  | { kind: 'card'; id: string; depth: number; via: Slot | null; label?: string; reachable: boolean }
  | { kind: 'jump'; target: string; depth: number; via: Slot; label?: string }
  | { kind: 'missing'; target: string; depth: number; via: Slot; label?: string };

/** The paths from the start as an indented list; each card appears once, where a path first
 *  reaches it; cards no path reaches come last. Stays readable at any size: no layout. */
export function flowRows(pb: Playbook): FlowRow[] {
  const rows: FlowRow[] = [];
  const seen = new Set<string>();
  // `via` is null only for an unreachable card listed on its own: no edge leads there.
  const visit = (target: string, depth: number, via: Slot | null, label?: string, reachable = true) => {
    const card = pb.cards[target];
    if (via && !card) {
      rows.push({ kind: 'missing', target, depth, via, label });
      return;
    }
    if (via && seen.has(target)) {
      rows.push({ kind: 'jump', target, depth, via, label });
      return;
    }
    if (!card) return;
    seen.add(target);
    rows.push({ kind: 'card', id: target, depth, via, label, reachable });
    const out = slotsOf(target, card);
    // A single edge continues the same path at the same depth; branches indent.
    for (const s of out) visit(s.target, out.length > 1 || card.kind === 'live_chat' ? depth + 1 : depth, s.slot, s.label, reachable);
  };
  visit(pb.start, 0, { kind: 'start' });
  for (const id of Object.keys(pb.cards)) {
    if (!seen.has(id)) visit(id, 0, null, undefined, false);
  }
  return rows;
}

/** A fresh id for a new card of `kind`: `message-2`, `question-3`, … */
export function newCardId(pb: Playbook, kind: CardKind): string {
  const base = kind.replace('_', '-');
  for (let n = 1; ; n++) {
    const id = `${base}-${n}`;
    if (!pb.cards[id]) return id;
  }
}

const T = {
  en: {
    message: 'New message',
    question: 'New question?',
    answer: 'Continue',
    capture: 'What is your email address?',
    online: 'One moment, a colleague will be with you shortly.',
    offline: 'Nobody is available right now. Leave your details and we will get back to you.',
    follow_up: 'Follow-up from the website chat',
  },
  de: {
    message: 'Neue Nachricht',
    question: 'Neue Frage?',
    answer: 'Weiter',
    capture: 'Wie lautet deine E-Mail-Adresse?',
    online: 'Einen Moment, gleich ist jemand aus dem Team für dich da.',
    offline: 'Gerade ist niemand erreichbar. Hinterlass deine Daten, wir melden uns.',
    follow_up: 'Nachfass-Aufgabe aus dem Website-Chat',
  },
} as const;

/** A new card of `kind` that continues to `next` (where the kind has a continuation). */
export function blankCard(kind: CardKind, next: string, lang: Lang): Card {
  const t = T[lang];
  switch (kind) {
    case 'message':
      return { kind, text: t.message, next };
    case 'question':
      return { kind, text: t.question, answers: [{ label: t.answer, next }] };
    case 'capture':
      return { kind, text: t.capture, field: 'email', placeholder: null, next };
    case 'live_chat':
      return { kind, online_message: t.online, wait_secs: 120, offline_message: t.offline, offline_next: next };
    case 'follow_up':
      return { kind, create: 'lead', title: t.follow_up, next };
    case 'qualified':
    case 'disqualified':
      return { kind, text: null };
  }
}

/** A new playbook with nothing but a welcome and an end, for admins who start from scratch. */
export function blankPlaybook(lang: Lang): Playbook {
  const de = lang === 'de';
  return {
    name: de ? 'Neues Playbook' : 'New playbook',
    appearance: { bot_name: de ? 'Assistent' : 'Assistant', primary_color: '#2563eb', text_color: '#ffffff', icon: 'chat', language: lang },
    greeting: null,
    start: 'start',
    cards: {
      start: { kind: 'message', text: de ? 'Hallo! Schön, dass du da bist.' : 'Hi! Good to have you here.', next: 'end' },
      end: { kind: 'qualified', text: null },
    },
  };
}

/** Inserts a new card into `slot`: the slot leads to it, it leads to where the slot led (an
 *  end card ends the path there). Returns the new playbook and the card's id. */
export function insertCard(pb: Playbook, slot: Slot, kind: CardKind): { pb: Playbook; id: string } {
  const id = newCardId(pb, kind);
  const old = targetOf(pb, slot) ?? pb.start;
  const card = blankCard(kind, old, pb.appearance.language);
  const added = { ...pb, cards: { ...pb.cards, [id]: card } };
  return { pb: setSlot(added, slot, id), id };
}

/** Deletes a card; every edge that led to it leads to where it led (its first path). */
export function deleteCard(pb: Playbook, id: string): Playbook {
  const card = pb.cards[id];
  if (!card) return pb;
  const after = slotsOf(id, card)[0]?.target;
  const cards = { ...pb.cards };
  delete cards[id];
  let out: Playbook = { ...pb, cards };
  if (after !== undefined && after !== id) {
    for (const [cid, c] of Object.entries(cards)) {
      for (const s of slotsOf(cid, c)) if (s.target === id) out = setSlot(out, s.slot, after);
    }
    if (out.start === id) out = { ...out, start: after };
  }
  return out;
}

export function updateCard(pb: Playbook, id: string, card: Card): Playbook {
  return { ...pb, cards: { ...pb.cards, [id]: card } };
}

/** Adds an answer to a question, leading to a new end card (so the path is complete). */
export function addAnswer(pb: Playbook, question: string, label: string): Playbook {
  const q = pb.cards[question];
  if (!q || q.kind !== 'question') return pb;
  const end = newCardId(pb, 'qualified');
  return {
    ...pb,
    cards: {
      ...pb.cards,
      [end]: { kind: 'qualified', text: null },
      [question]: { ...q, answers: [...q.answers, { label, next: end }] },
    },
  };
}

export function removeAnswer(pb: Playbook, question: string, index: number): Playbook {
  const q = pb.cards[question];
  if (!q || q.kind !== 'question') return pb;
  return updateCard(pb, question, { ...q, answers: q.answers.filter((_, i) => i !== index) });
}

/** The server's validation problems under the card each names ('' for the playbook). */
export function problemsByCard(problems: readonly ValidationProblem[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const p of problems) {
    const key = p.card ?? '';
    out.set(key, [...(out.get(key) ?? []), p.message]);
  }
  return out;
}

function luminance(hex: string): number | null {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) return null;
  const [r, g, b] = m.slice(1).map((h) => {
    const c = parseInt(h, 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** WCAG contrast ratio of two `#rrggbb` colours (1–21), or null when one is not a colour. */
export function contrastRatio(a: string, b: string): number | null {
  const la = luminance(a);
  const lb = luminance(b);
  if (la === null || lb === null) return null;
  const [hi, lo] = la > lb ? [la, lb] : [lb, la];
  return (hi + 0.05) / (lo + 0.05);
}

/** Readable text needs 4.5:1 (WCAG AA for normal text). */
export const MIN_CONTRAST = 4.5;
