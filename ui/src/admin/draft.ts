// Unsaved playbook edits survive a crash or a closed window: every change is written to the
// window's local storage under the playbook's id, with the version it started from, until
// it is saved or discarded.
import { readLocal, removeLocal, writeLocal } from '../state/local';
import type { Playbook } from './playbook';

export interface StoredDraft {
  base_version: number;
  saved_at: number;
  definition: Playbook;
}

/** Drafts belong to one account on one server (`owner`) and one playbook. */
const key = (owner: string, id: string) => `frontdesk.playbook-draft.${owner}.${id}`;

export function loadDraft(owner: string, id: string): StoredDraft | null {
  const raw = readLocal(key(owner, id));
  if (!raw) return null;
  try {
    const d = JSON.parse(raw) as StoredDraft;
    return typeof d.base_version === 'number' && d.definition && typeof d.definition === 'object' ? d : null;
  } catch {
    return null;
  }
}

export function storeDraft(owner: string, id: string, draft: StoredDraft): void {
  writeLocal(key(owner, id), JSON.stringify(draft));
}

export function dropDraft(owner: string, id: string): void {
  removeLocal(key(owner, id));
}
