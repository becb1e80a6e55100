// The window's local storage, for the few things the UI itself keeps (preferences, unsaved
// playbook drafts). Storage may be missing, full or denied: reads then find nothing and
// writes last only as long as the window's own state does.

export function readLocal(key: string): string | null {
  try {
    return globalThis.localStorage?.getItem(key) ?? null;
  } catch {
    return null;
  }
}

export function writeLocal(key: string, value: string): void {
  try {
    globalThis.localStorage?.setItem(key, value);
  } catch {
    /* unavailable or full: kept for this run only */
  }
}

export function removeLocal(key: string): void {
  try {
    globalThis.localStorage?.removeItem(key);
  } catch {
    /* nothing to remove */
  }
}
