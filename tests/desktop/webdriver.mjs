// A small W3C WebDriver client for tauri-driver. Node's fetch keeps its connections alive,
// which tauri-driver 2.1 needs (it drops clients that open a connection per request).

const ELEMENT = 'element-6066-11e4-a52e-4f735a4ab7f1';

export class WebDriver {
  constructor(base) {
    this.base = base;
    this.session = null;
  }

  async #call(method, path, body) {
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await res.json().catch(() => ({}));
    if (!res.ok) {
      const v = json.value || {};
      throw new Error(`WebDriver ${method} ${path}: ${res.status} ${v.error || ''} ${v.message || ''}`);
    }
    return json.value;
  }

  #s(path) {
    return `/session/${this.session}${path}`;
  }

  async start(application) {
    const value = await this.#call('POST', '/session', {
      capabilities: { alwaysMatch: { 'tauri:options': { application } } },
    });
    this.session = value.sessionId;
  }

  async quit() {
    if (!this.session) return;
    const s = this.session;
    this.session = null;
    await this.#call('DELETE', `/session/${s}`).catch(() => {});
  }

  /** The first element matching a CSS selector, or null. */
  async find(css) {
    const all = await this.findAll(css);
    return all[0] || null;
  }

  async findAll(css) {
    const list = await this.#call('POST', this.#s('/elements'), { using: 'css selector', value: css });
    // W3C's key, or the only key an older driver uses.
    return list.map((e) => e[ELEMENT] ?? Object.values(e)[0]);
  }

  /** Waits until `css` matches (and `pred(text)` holds, if given); returns the element. */
  async waitFor(css, { timeout = 15000, text } = {}) {
    const end = Date.now() + timeout;
    let last = '';
    for (;;) {
      for (const el of await this.findAll(css).catch(() => [])) {
        const t = await this.text(el).catch(() => '');
        last = t;
        if (!text || (typeof text === 'string' ? t.includes(text) : text.test(t))) return el;
      }
      if (Date.now() > end) throw new Error(`timed out waiting for ${css}${text ? ` with ${text}` : ''} (last text: ${last})`);
      await new Promise((r) => setTimeout(r, 150));
    }
  }

  async text(el) {
    return this.#call('GET', this.#s(`/element/${el}/text`));
  }

  async click(el) {
    return this.#call('POST', this.#s(`/element/${el}/click`), {});
  }

  async type(el, text) {
    return this.#call('POST', this.#s(`/element/${el}/value`), { text });
  }

  async clear(el) {
    return this.#call('POST', this.#s(`/element/${el}/clear`), {});
  }

  async attr(el, name) {
    return this.#call('GET', this.#s(`/element/${el}/attribute/${name}`));
  }

  async exec(script, args = []) {
    return this.#call('POST', this.#s('/execute/sync'), { script, args });
  }

  async title() {
    return this.#call('GET', this.#s('/title'));
  }
}
