// Unsaved playbook edits survive a crash or a closed window: every change is written to the
// window's local storage under the playbook's id, with the version it started from, until
// it is saved or discarded.
import type { Playbook } from './playbook';

export interface StoredDraft {
  base_version: number;
  saved_at: number;
  definition: Playbook;
}

/** Drafts belong to one account on one server (`owner`) and one playbook. */
const key = (owner: string, id: string) => `frontdesk.playbook-draft.${owner}.${id}`;

export function loadDraft(owner: string, id: string): StoredDraft | null {
  try {
    const raw = globalThis.localStorage?.getItem(key(owner, id));
    if (!raw) return null;
    const d = JSON.parse(raw) as StoredDraft;
    return typeof d.base_version === 'number' && d.definition && typeof d.definition === 'object' ? d : null;
  } catch {
    return null;
  }
}

export function storeDraft(owner: string, id: string, draft: StoredDraft): void {
  try {
    globalThis.localStorage?.setItem(key(owner, id), JSON.stringify(draft));
  } catch {
    /* storage full or unavailable: the draft lives in the window until saved */
  }
}

export function dropDraft(owner: string, id: string): void {
  try {
    globalThis.localStorage?.removeItem(key(owner, id));
  } catch {
    /* nothing to drop */
  }
}
