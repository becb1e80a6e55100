// Keyboard shortcuts. Single keys work outside text fields only (so typing never triggers
// them, and no Alt/AltGr combination is used: those produce characters on many layouts);
// they can be turned off. Enter / Shift+Enter in the reply box are handled by the composer.
import type { MessageKey } from './i18n';

export type Action =
  | 'next'
  | 'prev'
  | 'assign'
  | 'reassign'
  | 'close'
  | 'reply'
  | 'search'
  | 'details'
  | 'help'
  | 'escape'
  | 'folder1'
  | 'folder2'
  | 'folder3'
  | 'folder4';

export interface KeyInput {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  shiftKey: boolean;
}

/** Which action a key press means, or null. `inText`: focus is in an input or textarea. */
export function actionFor(e: KeyInput, inText: boolean, singleKeys: boolean): Action | null {
  if (e.key === 'Escape') return 'escape';
  if (e.altKey) return null;
  if ((e.ctrlKey || e.metaKey) && !e.shiftKey && e.key.toLowerCase() === 'k') return 'search';
  if (e.ctrlKey || e.metaKey || inText || !singleKeys) return null;
  switch (e.key) {
    case 'j':
    case 'ArrowDown':
      return 'next';
    case 'k':
    case 'ArrowUp':
      return 'prev';
    case 'a':
      return 'assign';
    case 'R':
      return 'reassign';
    case 'e':
      return 'close';
    case 'r':
      return 'reply';
    case '/':
      return 'search';
    case 'i':
      return 'details';
    case '?':
      return 'help';
    case '1':
      return 'folder1';
    case '2':
      return 'folder2';
    case '3':
      return 'folder3';
    case '4':
      return 'folder4';
  }
  return null;
}

/** What the help dialog lists: keys as shown, and what they do. */
export const SHORTCUT_HELP: Array<{ keys: string[]; label: MessageKey; single: boolean }> = [
  { keys: ['J', '↓'], label: 'shortcut.next', single: true },
  { keys: ['K', '↑'], label: 'shortcut.prev', single: true },
  { keys: ['A'], label: 'shortcut.assign', single: true },
  { keys: ['Shift', 'R'], label: 'shortcut.reassign', single: true },
  { keys: ['E'], label: 'shortcut.close', single: true },
  { keys: ['R'], label: 'shortcut.reply', single: true },
  { keys: ['Enter'], label: 'shortcut.send', single: false },
  { keys: ['Shift', 'Enter'], label: 'shortcut.newline', single: false },
  { keys: ['/'], label: 'shortcut.search', single: true },
  { keys: ['Ctrl', 'K'], label: 'shortcut.search', single: false },
  { keys: ['1', '–', '4'], label: 'shortcut.folders', single: true },
  { keys: ['I'], label: 'shortcut.details', single: true },
  { keys: ['Esc'], label: 'shortcut.escape', single: false },
  { keys: ['?'], label: 'shortcut.help', single: true },
];
