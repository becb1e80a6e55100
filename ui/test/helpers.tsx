import { render } from 'preact';
import { act } from 'preact/test-utils';
import { afterEach } from 'vitest';
import type { Backend } from '../src/backend/backend';
import { App } from '../src/components/App';
import { Inbox } from '../src/state/inbox';

const mounted: Array<() => void> = [];

afterEach(() => {
  while (mounted.length) mounted.pop()!();
  localStorage.clear();
});

/** Lets pending promises, microtasks and Preact's renders run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 6; i++) {
    await act(async () => {
      await new Promise((r) => setTimeout(r, 0));
    });
  }
}

export async function mount(backend: Backend): Promise<{ inbox: Inbox; root: HTMLElement }> {
  if (!localStorage.getItem('frontdesk.lang')) localStorage.setItem('frontdesk.lang', 'en');
  const inbox = new Inbox(backend);
  const root = document.createElement('div');
  document.body.appendChild(root);
  await act(async () => {
    render(<App inbox={inbox} />, root);
  });
  await act(async () => {
    await inbox.boot();
  });
  await flush();
  mounted.push(() => {
    render(null, root);
    root.remove();
    inbox.dispose();
  });
  return { inbox, root };
}

export async function click(el: Element | null): Promise<void> {
  if (!el) throw new Error('nothing to click');
  await act(async () => {
    (el as HTMLElement).click();
  });
  await flush();
}

export async function press(key: string, opts: KeyboardEventInit = {}, target: EventTarget = document.body): Promise<void> {
  await act(async () => {
    target.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true, ...opts }));
  });
  await flush();
}

export async function type(el: HTMLInputElement | HTMLTextAreaElement, value: string): Promise<void> {
  await act(async () => {
    el.value = value;
    el.dispatchEvent(new Event('input', { bubbles: true }));
  });
  await flush();
}

export const $ = (root: ParentNode, sel: string) => root.querySelector(sel) as HTMLElement | null;
export const $$ = (root: ParentNode, sel: string) => [...root.querySelectorAll(sel)] as HTMLElement[];
export const text = (el: Element | null) => (el?.textContent ?? '').replace(/\s+/g, ' ').trim();
