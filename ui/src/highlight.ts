// Search snippets carry their hits between two marker characters (FTS5 `snippet()`); they are
// split into text segments, never parsed as HTML.
import { HIGHLIGHT_END, HIGHLIGHT_START } from './backend/types';

export interface Segment {
  text: string;
  hit: boolean;
}

export function splitHighlights(snippet: string): Segment[] {
  const out: Segment[] = [];
  let hit = false;
  let buf = '';
  const flush = () => {
    if (buf) out.push({ text: buf, hit });
    buf = '';
  };
  for (const ch of snippet) {
    if (ch === HIGHLIGHT_START && !hit) {
      flush();
      hit = true;
    } else if (ch === HIGHLIGHT_END && hit) {
      flush();
      hit = false;
    } else if (ch !== HIGHLIGHT_START && ch !== HIGHLIGHT_END) {
      buf += ch;
    }
  }
  flush();
  return out;
}
