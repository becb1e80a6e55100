// Shared helpers: the REST/WebSocket API as an operator or admin, the browser, and the widget.

import { randomUUID } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import WebSocket from "ws";
import { startServer } from "./server.mjs";

const here = dirname(fileURLToPath(import.meta.url));
export const SCREENSHOTS = resolve(here, "../../docs/screenshots");
export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

// Texts of the seeded demo playbook ("Qualify leads, then chat", English).
export const DEMO = {
  greeting: "Hi! Looking for a CRM? Ask us anything.",
  start: "What brings you here?",
  talk: "Talk to a person",
  demo: "I want a demo",
  teamSize: "How big is your sales team?",
  midSize: "2–50 people",
  askName: "Great! What is your name?",
  askEmail: "Your work email?",
  askCompany: "Which company are you with?",
  qualifiedEnd: "Thanks! We will email you to book a time.",
  online: "Thanks! An operator will be with you shortly.",
  offline: "Sorry, nobody is available right now. Leave your details and we will get back to you.",
  offlineName: "What is your name?",
  offlineEmail: "And your email address, so we can get back to you?",
  offlineEnd: "Thank you! We will get back to you soon.",
  chatEnded: "The chat has ended.",
};

// ---------------------------------------------------------------------------------------------
// Waiting

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns a truthy value; throws with `what` after `timeout` ms. */
export async function until(fn, what, { timeout = 10_000, interval = 100 } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeout} ms waiting for ${what}${last instanceof Error ? `: ${last.message}` : last !== undefined ? ` (last: ${JSON.stringify(last)})` : ""}`);
    }
    await sleep(interval);
  }
}

// ---------------------------------------------------------------------------------------------
// REST and WebSocket as operators

export class Api {
  constructor(server) {
    this.server = server;
    this.base = server.base;
  }

  /** Any request: {status, body}. */
  async call(method, path, token, body) {
    const headers = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    const r = await fetch(this.base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await r.text();
    let json = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = text;
    }
    return { status: r.status, body: json };
  }

  async ok(method, path, token, body, expected = [200, 201]) {
    const r = await this.call(method, path, token, body);
    if (!expected.includes(r.status)) {
      throw new Error(`${method} ${path} → ${r.status} ${JSON.stringify(r.body)} (expected ${expected.join("/")})`);
    }
    return r.body;
  }

  async login(email, password) {
    const b = await this.ok("POST", "/api/auth/login", null, { email, password }, [200]);
    return { id: b.operator.id, name: b.operator.display_name, email, token: b.token, role: b.operator.role };
  }

  admin() {
    return this.login(this.server.adminEmail, this.server.adminPassword);
  }

  /** Creates an operator account (role operator) and signs it in. */
  async operator(admin, displayName) {
    const email = `op-${randomUUID().slice(0, 8)}@example.com`;
    await this.ok("POST", "/api/operators", admin.token, { display_name: displayName, email, password: "correct horse", role: "operator" }, [201]);
    return this.login(email, "correct horse");
  }

  /** Chooses online and holds the operator's stream open; resolves once the stream is ready. */
  async goOnline(op) {
    await this.ok("PUT", "/api/me/presence", op.token, { online: true }, [200]);
    const sock = await OperatorSocket.open(this.server.wsBase, op.token);
    await sock.waitFor((f) => f.type === "ready", "ready on the operator stream");
    return sock;
  }

  async folder(op, folder) {
    const b = await this.ok("GET", `/api/conversations?folder=${folder}&limit=200`, op.token);
    return b.conversations;
  }

  /** Waits for a conversation in `folder` and returns it. */
  waitInFolder(op, folder, { timeout = 10_000 } = {}) {
    return until(async () => (await this.folder(op, folder))[0], `a conversation in ${folder}`, { timeout });
  }

  assign(op, id) {
    return this.ok("POST", `/api/conversations/${id}/assign`, op.token, undefined, [200]);
  }

  send(op, id, body) {
    return this.ok("POST", `/api/conversations/${id}/messages`, op.token, { message_id: randomUUID(), body }, [200, 201]);
  }

  detail(op, id) {
    return this.ok("GET", `/api/conversations/${id}`, op.token);
  }
}

/** An operator's realtime connection that records every frame. */
export class OperatorSocket {
  static open(wsBase, token) {
    return new Promise((res, rej) => {
      const ws = new WebSocket(`${wsBase}/api/stream?access_token=${encodeURIComponent(token)}`);
      const s = new OperatorSocket(ws);
      ws.once("open", () => res(s));
      ws.once("error", rej);
    });
  }

  constructor(ws) {
    this.ws = ws;
    this.frames = [];
    ws.on("message", (data) => {
      try {
        this.frames.push(JSON.parse(String(data)));
      } catch {
        /* not JSON */
      }
    });
  }

  send(frame) {
    this.ws.send(JSON.stringify(frame));
  }

  waitFor(pred, what, opts) {
    return until(() => this.frames.find(pred), what, opts);
  }

  close() {
    this.ws.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Browser

const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Debian's Chromium, headless, on a fresh profile (Playwright makes a new temporary one). */
export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
    headless: true,
    args: CHROMIUM_ARGS,
  });
}

const WIDGET_EVENTS = ["initialized", "opened", "closed", "greetingOpened", "greetingClosed", "conversationEnded"];

/**
 * A page in a fresh browser context. The snippet's queue stub is hooked as soon as the page
 * defines it, so `window.__fdEvents` records the widget's events (through the replayed queue).
 */
export async function newPage(browser, { viewport = DESKTOP } = {}) {
  const context = await browser.newContext({ viewport, deviceScaleFactor: 1 });
  const page = await context.newPage();
  page.consoleErrors = [];
  page.on("console", (m) => {
    // The browser logs every 4xx answer ("Failed to load resource"); a 422 or 404 is expected.
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) page.consoleErrors.push(m.text());
  });
  page.on("pageerror", (e) => page.consoleErrors.push(String(e)));
  await page.addInitScript((names) => {
    window.__fdEvents = [];
    let value;
    Object.defineProperty(window, "Frontdesk", {
      configurable: true,
      get: () => value,
      set: (v) => {
        value = v;
        if (v && Array.isArray(v.q) && !v.__hooked) {
          v.__hooked = true;
          for (const n of names) v.on(n, (data) => window.__fdEvents.push({ name: n, data: data === undefined ? null : data }));
        }
      },
    });
  }, WIDGET_EVENTS);
  return page;
}

export async function events(page) {
  return page.evaluate(() => window.__fdEvents);
}

export function waitForEvent(page, name, what = `the widget event ${name}`) {
  return until(async () => (await events(page)).find((e) => e.name === name), what);
}

export async function screenshot(page, name, { fullPage = true } = {}) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.mouse.move(1, 1); // no hover effects from the last click
  await sleep(300); // let the panel's entry animation finish
  await page.screenshot({ path: join(SCREENSHOTS, name), fullPage });
}

// ---------------------------------------------------------------------------------------------
// The widget

export const widget = (page) => page.locator("frontdesk-widget");
export const launcher = (page) => page.getByRole("button", { name: "Open chat", exact: true });
export const closeButton = (page) => page.getByRole("button", { name: "Close chat", exact: true });
export const chatLog = (page) => widget(page).locator('[role="log"]');

export async function gotoDemo(page, server, path = "/demo") {
  await page.goto(server.base + path);
  await launcher(page).waitFor({ state: "visible", timeout: 10_000 });
}

/** The demo page with hostile host CSS (hostile.css) added: a test-only page on the server's
 *  origin, so the widget loads exactly as on the demo. */
export async function gotoHostileDemo(page, server) {
  const url = server.base + "/demo/hostile-host-css";
  const demo = await (await fetch(server.base + "/demo")).text();
  const css = readFileSync(join(here, "hostile.css"), "utf8");
  await page.route(url, (route) =>
    route.fulfill({ contentType: "text/html; charset=utf-8", body: demo.replace("</head>", `<style>${css}</style></head>`) })
  );
  await page.goto(url);
  await launcher(page).waitFor({ state: "visible", timeout: 10_000 });
}

export async function openChat(page) {
  await launcher(page).click();
  await closeButton(page).waitFor({ state: "visible" });
}

/** The text of the message list (what the visitor reads). */
export function logText(page) {
  return page.evaluate(() => {
    const log = document.querySelector("frontdesk-widget")?.shadowRoot?.querySelector('[role="log"]');
    return log ? log.textContent : "";
  });
}

/** Waits until the message list contains `text` (literally). */
export function waitForLog(page, text, opts) {
  return until(async () => (await logText(page)).includes(text), `"${text}" in the chat`, opts);
}

/** Waits until some element of the widget shows `text` (the log, the footer, the header…). */
export function waitForWidgetText(page, text, opts) {
  return until(
    () => page.evaluate((t) => (document.querySelector("frontdesk-widget")?.shadowRoot?.textContent || "").includes(t), text),
    `"${text}" in the widget`,
    opts
  );
}

export function headerTitle(page) {
  return page.evaluate(() => document.querySelector("frontdesk-widget").shadowRoot.querySelector(".title").textContent);
}

/** Clicks the answer button `label` of the current question. */
export async function choose(page, label) {
  const b = widget(page).getByRole("button", { name: label, exact: true });
  await b.waitFor({ state: "visible" });
  await b.click();
}

/** The text field of the current prompt (or the message composer). */
export const answerInput = (page) => widget(page).locator("input");

/** Types `value` into the current text prompt and submits it; waits for the prompt to move on. */
export async function answerText(page, value, { expectError = false } = {}) {
  const input = answerInput(page);
  await input.waitFor({ state: "visible" });
  await input.fill(value);
  await input.press("Enter");
  if (expectError) {
    await widget(page).getByRole("alert").filter({ hasText: /\S/ }).first().waitFor({ state: "visible" });
  }
}

/** Sends a chat message from the composer. */
export async function sendFromWidget(page, body) {
  const input = widget(page).getByRole("textbox", { name: "Type a message…" });
  await input.waitFor({ state: "visible" });
  await input.fill(body);
  await input.press("Enter");
}

/** The stored visitor token (for looking at the visitor's own conversation). */
export async function visitorConversation(page, server) {
  return page.evaluate(async (base) => {
    const key = Object.keys(localStorage).find((k) => k.startsWith("frontdesk:") && k.endsWith(":token"));
    if (!key) return null;
    const r = await fetch(base + "/api/visitor/conversation", { headers: { authorization: "Bearer " + localStorage.getItem(key) } });
    return r.ok ? r.json() : { status: r.status };
  }, server.base);
}

// ---------------------------------------------------------------------------------------------
// One fresh server and browser per test

/**
 * Runs `fn({server, api, browser})` against a fresh server; stops everything after, and on
 * failure prints the tail of the server log.
 */
export async function withServer(args, fn) {
  let server = await startServer(args);
  const api = new Api(server);
  const browser = await launchBrowser();
  const sockets = [];
  try {
    // `restart()` stops the server and starts it again on the same address and database.
    const restart = async ({ downMs = 0, onDown } = {}) => {
      await server.stop({ keepData: true });
      if (onDown) await onDown();
      await sleep(downMs);
      server = await startServer(args, { data: server.data, listen: server.addr });
      api.server = server;
      return server;
    };
    await fn({ server, api, browser, sockets, restart });
  } catch (e) {
    try {
      const lines = readFileSync(server.logPath, "utf8").split("\n").filter(Boolean);
      const notable = lines.filter((l) => !l.includes('"level":"INFO"')).slice(-10);
      const tail = [...notable, "…", ...lines.slice(-8)].join("\n");
      e.message += `\n--- server log (tail) ---\n${tail}`;
    } catch {
      /* no log */
    }
    throw e;
  } finally {
    for (const s of sockets) s.close();
    await browser.close().catch(() => {});
    await server.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// The operator's view of what the playbook captured

/** `{fields: {key: value}, followUps: [...]}` from a conversation detail. */
export function captured(detail) {
  const d = detail.details || {};
  const list = d.fields || [];
  const fields = Object.fromEntries(list.map((f) => [f.key, f.value]));
  return { fields, followUps: d.follow_ups || detail.follow_ups || [], details: d };
}

/** The only conversation on a fresh server, whatever folder it is in (admin sees all). */
export async function onlyConversation(api, admin) {
  return until(async () => {
    for (const folder of ["closed", "unassigned", "mine"]) {
      const list = await api.folder(admin, folder);
      if (list.length) return list[0];
    }
    return null;
  }, "the conversation in some folder");
}
