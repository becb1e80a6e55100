import { describe, expect, it } from 'vitest';
import { HIGHLIGHT_END as E, HIGHLIGHT_START as S } from '../src/backend/types';
import { snippet } from '../src/backend/memory';
import { splitHighlights } from '../src/highlight';

describe('search highlighting', () => {
  it('splits a snippet into plain and highlighted segments', () => {
    expect(splitHighlights(`Gibt es eine ${S}Pipedrive${E}-Integration für ${S}Leads${E}?`)).toEqual([
      { text: 'Gibt es eine ', hit: false },
      { text: 'Pipedrive', hit: true },
      { text: '-Integration für ', hit: false },
      { text: 'Leads', hit: true },
      { text: '?', hit: false },
    ]);
  });

  it('keeps markup as text and tolerates stray markers', () => {
    expect(splitHighlights(`<b>${S}x${E}</b>${E}`)).toEqual([
      { text: '<b>', hit: false },
      { text: 'x', hit: true },
      { text: '</b>', hit: false },
    ]);
    expect(splitHighlights(`${S}open`)).toEqual([{ text: 'open', hit: true }]);
  });

  it('the test double marks hits like FTS5 snippet()', () => {
    expect(snippet('Straße und Übergabe', ['übergabe'])).toBe(`Straße und ${S}Übergabe${E}`);
  });
});
