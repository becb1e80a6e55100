// Source-level invariants: no HTML from strings, no runtime styles a strict CSP would block.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : /\.(ts|tsx)$/.test(p) ? [p] : [];
  });
}
const src = join(__dirname, '..', 'src');

describe('source invariants', () => {
  it('never turns strings into HTML', () => {
    for (const f of files(src)) {
      const code = readFileSync(f, 'utf8');
      expect(code, f).not.toMatch(/dangerouslySetInnerHTML|innerHTML|outerHTML|insertAdjacentHTML|document\.write|new Function|eval\(/);
    }
  });

  it('sets no inline styles (a strict CSP allows only the bundled stylesheet)', () => {
    for (const f of files(src)) {
      const code = readFileSync(f, 'utf8');
      expect(code, f).not.toMatch(/\bstyle=\{|\.style\.|setAttribute\(\s*['"]style|<style/);
    }
  });

  it('loads nothing from the network', () => {
    const css = readFileSync(join(src, 'styles', 'app.css'), 'utf8');
    expect(css).not.toMatch(/@import|url\(/);
    const html = readFileSync(join(__dirname, '..', 'index.html'), 'utf8');
    expect(html).not.toMatch(/https?:\/\//);
  });
});
