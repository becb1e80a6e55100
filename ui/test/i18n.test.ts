import { describe, expect, it } from 'vitest';
import { detectLanguage, LANGUAGES, tables, translator } from '../src/i18n';

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('i18n', () => {
  it('has every key in every language, non-empty, with the same placeholders', () => {
    const keys = Object.keys(tables.en);
    for (const lang of LANGUAGES) {
      const table = tables[lang] as Record<string, string>;
      expect(Object.keys(table).sort()).toEqual([...keys].sort());
      for (const k of keys) {
        expect(table[k].trim(), `${lang}:${k}`).not.toBe('');
        expect(placeholders(table[k]), `${lang}:${k}`).toEqual(placeholders(tables.en[k as keyof typeof tables.en]));
      }
    }
  });

  it('has both plural forms wherever one is used', () => {
    for (const k of Object.keys(tables.en)) {
      if (k.endsWith('_one')) expect(Object.keys(tables.en)).toContain(k.replace(/_one$/, '_other'));
    }
  });

  it('picks the language from the OS preference, falling back to English', () => {
    expect(detectLanguage(['de-AT', 'en'])).toBe('de');
    expect(detectLanguage(['fr-FR', 'en-GB'])).toBe('en');
    expect(detectLanguage(['ja'])).toBe('en');
  });

  it('fills variables and plurals', () => {
    const de = translator('de');
    expect(de.tn('offline.title', 1)).toBe('Du hast noch 1 offene Unterhaltung');
    expect(de.tn('offline.title', 3)).toBe('Du hast noch 3 offene Unterhaltungen');
    expect(translator('en').t('conv.typing', { name: 'Lena' })).toBe('Lena is typing…');
  });
});
